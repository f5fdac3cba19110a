/**
 * The coder seam: a per-database serializer for keys or values (aiolmdb's
 * coders). A coder turns a value into the bytes LMDB stores and back.
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
}
