import type { Coder } from '../coder.js'
import { IdentityCoder } from './identity.js'
import { JSONCoder } from './json.js'
import { MsgPackCoder, type MsgPackOptions } from './msgpack.js'
import { StringCoder } from './string.js'
import { TupleCoder, type Tuple, type TupleElement } from './tuple.js'
import { UInt16Coder, UInt32Coder, UInt64Coder } from './uint.js'
import { V8Coder } from './v8.js'

/** Shorthand names of the built-in coders, accepted wherever a coder is. */
export type CoderName = 'binary' | 'string' | 'json' | 'msgpack' | 'msgpack-records' | 'v8' | 'uint16' | 'uint32' | 'uint64' | 'tuple'

/** The value type of a coder or coder name. */
export type CoderType<C> = C extends 'binary'
  ? Buffer
  : C extends 'string'
    ? string
    : C extends 'uint16' | 'uint32'
      ? number
      : C extends 'uint64'
        ? bigint
        : C extends 'tuple'
          ? Tuple
          : C extends 'json' | 'msgpack' | 'msgpack-records' | 'v8'
          ? unknown
          : C extends { deserialize(bytes: Buffer): infer T }
            ? T
            : never

/**
 * What a method takes where a coder makes `T`: the same, but for 64-bit
 * integers, which `UInt64Coder` also takes as safe-integer numbers.
 */
export type Input<T> = T | ([T] extends [bigint] ? number : never)

/** The coder names that fit values of type `T` (for `openDb<K, V>` with explicit types). */
export type CoderNameFor<T> =
  | (T extends Buffer ? 'binary' : never)
  | (T extends string ? 'string' : never)
  | (T extends number ? 'uint16' | 'uint32' : never)
  | (T extends bigint ? 'uint64' : never)
  | (T extends Tuple ? 'tuple' : never)
  | 'json'
  | 'msgpack'
  | 'msgpack-records'
  | 'v8'

const byName: Record<CoderName, () => Coder<any>> = {
  binary: () => new IdentityCoder(),
  string: () => new StringCoder(),
  json: () => new JSONCoder(),
  msgpack: () => new MsgPackCoder(),
  'msgpack-records': () => new MsgPackCoder({ records: true }),
  v8: () => new V8Coder(),
  uint16: () => new UInt16Coder(),
  uint32: () => new UInt32Coder(),
  uint64: () => new UInt64Coder(),
  tuple: () => new TupleCoder(),
}

/** The coder a name stands for (a coder is returned as is). */
export function resolveCoder<T>(coder: Coder<T> | CoderName | undefined): Coder<T> {
  if (coder === undefined) return new IdentityCoder() as unknown as Coder<T>
  if (typeof coder === 'string') {
    const make = Object.hasOwn(byName, coder) ? byName[coder] : undefined
    if (!make) throw new TypeError(`unknown coder name '${coder}'`)
    return make()
  }
  if (typeof coder?.serialize !== 'function' || typeof coder?.deserialize !== 'function') {
    throw new TypeError('a coder needs serialize() and deserialize()')
  }
  return coder
}

export { IdentityCoder, JSONCoder, MsgPackCoder, StringCoder, TupleCoder, UInt16Coder, UInt32Coder, UInt64Coder, V8Coder }
export type { MsgPackOptions, Tuple, TupleElement }
