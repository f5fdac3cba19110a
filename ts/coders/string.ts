import { Coder } from '../coder.js'
import { describe } from './identity.js'

/** Strings, stored as UTF-8. */
export class StringCoder extends Coder<string> {
  serialize(value: string): Uint8Array {
    if (typeof value !== 'string') throw new TypeError(`expected a string, got ${describe(value)}`)
    return Buffer.from(value, 'utf8')
  }

  deserialize(bytes: Buffer): string {
    return bytes.toString('utf8')
  }
}
