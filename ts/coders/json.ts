import { Coder } from '../coder.js'
import { describe } from './identity.js'

/** Any JSON value, stored as exactly `JSON.stringify`'s output in UTF-8. */
export class JSONCoder<T = unknown> extends Coder<T> {
  serialize(value: T): Uint8Array {
    const text = JSON.stringify(value)
    if (text === undefined) throw new TypeError(`${describe(value)} has no JSON form`)
    return Buffer.from(text, 'utf8')
  }

  deserialize(bytes: Buffer): T {
    return JSON.parse(bytes.toString('utf8')) as T
  }
}
