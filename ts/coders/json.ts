import { TextCoder } from '../coder.js'
import { describe } from './identity.js'

/** Any JSON value, stored as exactly `JSON.stringify`'s output in UTF-8. */
export class JSONCoder<T = unknown> extends TextCoder<T> {
  serializeText(value: T): string {
    const text = JSON.stringify(value)
    if (text === undefined) throw new TypeError(`${describe(value)} has no JSON form`)
    return text
  }

  deserializeText(text: string): T {
    return JSON.parse(text) as T
  }
}
