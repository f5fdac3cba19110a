import { TextCoder } from '../coder.js'
import { describe } from './identity.js'

/** Strings, stored as UTF-8. */
export class StringCoder extends TextCoder<string> {
  serializeText(value: string): string {
    if (typeof value !== 'string') throw new TypeError(`expected a string, got ${describe(value)}`)
    return value
  }

  deserializeText(text: string): string {
    return text
  }
}
