import type { Coder } from '../coder.js'
import { IdentityCoder } from './identity.js'
import { StringCoder } from './string.js'

/** Shorthand names of the built-in coders, accepted wherever a coder is. */
export type CoderName = 'binary' | 'string'

/** The value type of a coder or coder name. */
export type CoderType<C> = C extends 'binary'
  ? Buffer
  : C extends 'string'
    ? string
    : C extends { deserialize(bytes: Buffer): infer T }
      ? T
      : never

const byName: Record<CoderName, () => Coder<any>> = {
  binary: () => new IdentityCoder(),
  string: () => new StringCoder(),
}

/** The coder a name stands for (a coder is returned as is). */
export function resolveCoder<T>(coder: Coder<T> | CoderName | undefined): Coder<T> {
  if (coder === undefined) return new IdentityCoder() as unknown as Coder<T>
  if (typeof coder === 'string') {
    const make = byName[coder]
    if (!make) throw new TypeError(`unknown coder name '${coder}'`)
    return make()
  }
  if (typeof coder?.serialize !== 'function' || typeof coder?.deserialize !== 'function') {
    throw new TypeError('a coder needs serialize() and deserialize()')
  }
  return coder
}

export { IdentityCoder, StringCoder }
