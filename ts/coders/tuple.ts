import { Coder } from '../coder.js'
import { describe } from './identity.js'

/** One element of a {@link Tuple}. */
export type TupleElement = null | boolean | number | bigint | string | Uint8Array
/** A composite key: an array of elements, ordered element by element. */
export type Tuple = readonly TupleElement[]

// Each element starts with its type's byte, so types sort in this order,
// and the end of a key (no byte) before any element: a tuple sorts before
// every longer tuple it begins.
const NULL = 0x01
const FALSE = 0x02
const TRUE = 0x03
const NUMBER = 0x10
const BIGINT = 0x20
const STRING = 0x30
const BYTES = 0x40

/** A surrogate without its pair: it has no UTF-8 (it would come back as U+FFFD). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** The most bytes of a bigint's magnitude (its length is one byte). */
const MAX_BIGINT_BYTES = 255

/**
 * Keys that are arrays of `null`, booleans, numbers, bigints, strings and
 * `Uint8Array`s, stored so that their bytes sort as the tuples do: element
 * by element, a shorter tuple before the longer ones it begins; across
 * types `null` < `false` < `true` < numbers < bigints < strings < bytes.
 * Numbers sort numerically (−∞ … −0, 0 … +∞; NaN is refused), bigints
 * numerically (up to 255 bytes), strings by code point, bytes bytewise.
 * So `range({ prefix: ['user', 42] })` gives exactly the keys that begin
 * with `'user', 42`. Name: `'tuple'`.
 *
 * @example
 * const events = env.openDb('events', { keyCoder: 'tuple', valueCoder: 'json' })
 * await events.put(['user', 42, 1700000000], { type: 'login' })
 * for await (const [key] of events.range({ prefix: ['user', 42] })) console.log(key)
 */
export class TupleCoder extends Coder<Tuple> {
  serialize(value: Tuple): Uint8Array {
    if (!Array.isArray(value)) throw new TypeError(`expected an array (a tuple), got ${describe(value)}`)
    const parts: Uint8Array[] = []
    for (const element of value as readonly unknown[]) parts.push(encodeElement(element))
    return Buffer.concat(parts)
  }

  deserialize(bytes: Buffer): TupleElement[] {
    const out: TupleElement[] = []
    let at = 0
    while (at < bytes.length) {
      const type = bytes[at++]
      switch (type) {
        case NULL:
          out.push(null)
          break
        case FALSE:
        case TRUE:
          out.push(type === TRUE)
          break
        case NUMBER:
          if (at + 8 > bytes.length) throw new RangeError('a tuple number is cut short')
          out.push(decodeNumber(bytes.subarray(at, at + 8)))
          at += 8
          break
        case BIGINT: {
          const [n, end] = decodeBigint(bytes, at)
          out.push(n)
          at = end
          break
        }
        case STRING:
        case BYTES: {
          const [raw, end] = unescape(bytes, at)
          out.push(type === STRING ? raw.toString('utf8') : new Uint8Array(raw))
          at = end
          break
        }
        default:
          throw new RangeError(`not a tuple: type byte ${type} at ${at - 1}`)
      }
    }
    return out
  }
}

function encodeElement(element: unknown): Uint8Array {
  if (element === null) return Uint8Array.of(NULL)
  if (element === false) return Uint8Array.of(FALSE)
  if (element === true) return Uint8Array.of(TRUE)
  if (typeof element === 'number') return encodeNumber(element)
  if (typeof element === 'bigint') return encodeBigint(element)
  if (typeof element === 'string') {
    if (LONE_SURROGATE.test(element)) throw new TypeError('a tuple string must be well-formed UTF-16 (no lone surrogates)')
    return escape(STRING, Buffer.from(element, 'utf8'))
  }
  if (element instanceof Uint8Array) return escape(BYTES, element)
  throw new TypeError(`a tuple element is null, a boolean, number, bigint, string or Uint8Array, not ${describe(element)}`)
}

/** IEEE 754 big-endian, with the sign bit flipped (positive) or every bit flipped (negative): then bytes sort as numbers. */
function encodeNumber(n: number): Uint8Array {
  if (Number.isNaN(n)) throw new RangeError('NaN has no place in an ordered tuple')
  const out = Buffer.alloc(9)
  out[0] = NUMBER
  out.writeDoubleBE(n, 1)
  if (out[1] & 0x80) for (let i = 1; i < 9; i++) out[i] ^= 0xff
  else out[1] ^= 0x80
  return out
}

function decodeNumber(bytes: Buffer): number {
  const copy = Buffer.from(bytes)
  if (copy[0] & 0x80) copy[0] ^= 0x80
  else for (let i = 0; i < 8; i++) copy[i] ^= 0xff
  return copy.readDoubleBE(0)
}

/**
 * A sign byte (negative below zero and positive), the magnitude's length,
 * then its bytes, big-endian without leading zeros. A negative number
 * stores 255 − length and its bytes flipped: a larger magnitude sorts lower.
 */
function encodeBigint(n: bigint): Uint8Array {
  const negative = n < 0n
  let hex = (negative ? -n : n).toString(16)
  if (n === 0n) hex = ''
  if (hex.length % 2) hex = `0${hex}`
  const magnitude = Buffer.from(hex, 'hex')
  if (magnitude.length > MAX_BIGINT_BYTES) throw new RangeError(`a tuple bigint has at most ${MAX_BIGINT_BYTES} bytes`)
  if (negative) for (let i = 0; i < magnitude.length; i++) magnitude[i] ^= 0xff
  return Buffer.concat([Uint8Array.of(BIGINT, negative ? 0x01 : 0x02, negative ? MAX_BIGINT_BYTES - magnitude.length : magnitude.length), magnitude])
}

function decodeBigint(bytes: Buffer, at: number): [bigint, number] {
  if (at + 2 > bytes.length) throw new RangeError('a tuple bigint is cut short')
  const negative = bytes[at] === 0x01
  if (!negative && bytes[at] !== 0x02) throw new RangeError(`not a tuple bigint sign: ${bytes[at]}`)
  const length = negative ? MAX_BIGINT_BYTES - bytes[at + 1] : bytes[at + 1]
  const start = at + 2
  if (start + length > bytes.length) throw new RangeError('a tuple bigint is cut short')
  const magnitude = Buffer.from(bytes.subarray(start, start + length))
  if (negative) for (let i = 0; i < magnitude.length; i++) magnitude[i] ^= 0xff
  const value = length === 0 ? 0n : BigInt(`0x${magnitude.toString('hex')}`)
  return [negative ? -value : value, start + length]
}

/** `type`, the bytes with each 0x00 written 0x00 0xff, then a 0x00 that ends them. */
function escape(type: number, bytes: Uint8Array): Uint8Array {
  let zeros = 0
  for (const byte of bytes) if (byte === 0) zeros++
  const out = Buffer.alloc(bytes.length + zeros + 2)
  out[0] = type
  let at = 1
  for (const byte of bytes) {
    out[at++] = byte
    if (byte === 0) out[at++] = 0xff
  }
  out[at] = 0x00
  return out
}

/** The bytes escaped from `at`, and where the element after them begins. */
function unescape(bytes: Buffer, at: number): [Buffer, number] {
  const out: number[] = []
  for (let i = at; i < bytes.length; i++) {
    if (bytes[i] !== 0) {
      out.push(bytes[i])
    } else if (bytes[i + 1] === 0xff) {
      out.push(0)
      i++
    } else {
      return [Buffer.from(out), i + 1]
    }
  }
  throw new RangeError('a tuple string or bytes element has no end')
}
