/**
 * The coder seam: a per-database serializer for keys or values (aiolmdb's
 * coders). A coder turns a value into the bytes LMDB stores and back.
 */
import { CoderError } from './errors.js'
import { fromNative } from './native-error.js'
import { compress, decompress } from './native.js'
import { checkOptions, type Rule } from './options.js'

/** Compression of a coder's output (see {@link Coder.compressed}). */
export interface CompressionOptions {
  /** @default 'zstd' */
  algorithm?: 'zlib' | 'zstd' | 'lz4'
  /** The algorithm's level (zlib 0–9, zstd 1–22 or negative); omitted: its default. lz4 has none. */
  level?: number
}

/** @internal The algorithm numbers of `crates/core/src/compression.rs` (held to them by a test). */
export const ALGORITHMS = { zlib: 1, zstd: 2, lz4: 3 } as const
const COMPRESSION_OPTIONS: { readonly [K in keyof CompressionOptions]-?: Rule } = {
  algorithm: 'string',
  level: { min: -128, max: 127 },
}

/**
 * Turns values of type `T` into the bytes LMDB stores, and back. Extend it
 * (or {@link TextCoder}) to write your own; give it as `keyCoder` or
 * `valueCoder` of `env.openDb()`. Coders run on the JavaScript thread.
 *
 * @example
 * class DateCoder extends Coder<Date> {
 *   serialize(date: Date) { return Buffer.from(date.toISOString()) }
 *   deserialize(bytes: Buffer) { return new Date(bytes.toString()) }
 * }
 */
export abstract class Coder<T> {
  /** Turns a value into the bytes to store. Throws on a value it cannot encode. */
  abstract serialize(value: T): Uint8Array
  /** Turns stored bytes back into a value. `bytes` are the caller's to keep. */
  abstract deserialize(bytes: Buffer): T

  /** The name errors use for this coder. */
  get name(): string {
    return this.constructor.name
  }

  /**
   * This coder with its output compressed. A database compresses and
   * decompresses in Rust, off the JavaScript thread; the stored value starts
   * with a one-byte header naming the algorithm (or saying it is stored raw,
   * as values under 64 bytes and values that would not shrink are).
   *
   * @example
   * env.openDb('docs', { valueCoder: new JSONCoder().compressed({ algorithm: 'zstd', level: 3 }) })
   */
  compressed(options: CompressionOptions = {}): CompressedCoder<T> {
    return new CompressedCoder(this, options)
  }
}

/**
 * A coder whose stored form is a string's UTF-8. Implement `serializeText`:
 * a `put` then writes the string straight into its batch, with no `Buffer`
 * per value. (A subclass that overrides `serialize` is always called
 * through it.)
 */
export abstract class TextCoder<T> extends Coder<T> {
  /** The string whose UTF-8 is stored for `value`. Throws on a value it cannot encode. */
  abstract serializeText(value: T): string

  serialize(value: T): Uint8Array {
    return Buffer.from(this.serializeText(value), 'utf8')
  }

  deserialize(bytes: Buffer): T {
    return this.deserializeText(bytes.toString('utf8'))
  }

  /** The value of a stored string. */
  abstract deserializeText(text: string): T
}

/** A coder whose output is stored compressed; see {@link Coder.compressed}. */
export class CompressedCoder<T> extends Coder<T> {
  /** The coder whose output is compressed. */
  readonly inner: Coder<T>
  /** The algorithm's number in the stored header and the wire format. */
  readonly algorithm: number
  /** The level (0: the algorithm's default). */
  readonly level: number

  constructor(inner: Coder<T>, options: CompressionOptions = {}) {
    super()
    const { algorithm = 'zstd', level = 0 } = checkOptions('compressed()', options, COMPRESSION_OPTIONS)
    if (!Object.hasOwn(ALGORITHMS, algorithm)) throw new TypeError(`unknown compression algorithm '${algorithm}'`)
    this.inner = inner
    this.algorithm = ALGORITHMS[algorithm]
    this.level = level
  }

  override get name(): string {
    return `${this.inner.name}.compressed`
  }

  /** The stored form, compressed here on the calling thread. */
  serialize(value: T): Uint8Array {
    return compress(this.algorithm, this.level, this.inner.serialize(value))
  }

  /** The value of a stored form, decompressed here on the calling thread. */
  deserialize(bytes: Buffer): T {
    let value: Buffer
    try {
      value = decompress(bytes)
    } catch (error) {
      throw new CoderError(this.name, undefined, fromNative(error).cause)
    }
    return this.inner.deserialize(value)
  }
}
