/**
 * Decoding in place: the built-in text and MessagePack coders read a value
 * straight out of the block native code handed over (a range's chunk, the
 * sync-read slab), with no `Buffer` (and, for msgpackr, no `DataView`) of
 * its own per value. Coders of users, and subclasses that replace
 * `deserialize`, are called through `deserialize` as ever.
 * @internal
 */
import { TextCoder, type Coder } from './coder.js'
import { MsgPackCoder, unpackIn } from './coders/msgpack.js'
import { readUtf8 } from './utf8.js'

/** `coder.deserialize` of `data[start, end)`. */
export type InPlace<T> = (data: Buffer, start: number, end: number) => T

/**
 * Whether `coder`'s decoding in place copies all it reads (the text coders:
 * their text is made before `deserializeText` sees it), so that the bytes
 * may be written over once it returns.
 */
export function copiesOut<T>(coder: Coder<T>): boolean {
  return coder instanceof TextCoder && coder.deserialize === TextCoder.prototype.deserialize
}

/** How `coder` decodes in place, if it can; `scan` for a range's values (see `unpackIn`). */
export function inPlace<T>(coder: Coder<T>, scan = false): InPlace<T> | undefined {
  if (copiesOut(coder)) {
    const text = coder as TextCoder<T>
    return (data, start, end) => text.deserializeText(readUtf8(data, start, end))
  }
  if (coder instanceof MsgPackCoder && coder.deserialize === MsgPackCoder.prototype.deserialize) {
    const msgpack = coder as MsgPackCoder<T>
    return (data, start, end) => unpackIn(msgpack, data, start, end, scan)
  }
  return undefined
}
