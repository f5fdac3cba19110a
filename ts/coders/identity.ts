import { Coder } from '../coder.js'

/** Raw bytes: stores any `Uint8Array` as is and reads `Buffer`s. Rejects strings and numbers. */
export class IdentityCoder extends Coder<Buffer> {
  serialize(value: Uint8Array): Uint8Array {
    if (!(value instanceof Uint8Array)) {
      throw new TypeError(`expected a Buffer or Uint8Array, got ${describe(value)}`)
    }
    return value
  }

  deserialize(bytes: Buffer): Buffer {
    return bytes
  }
}

/** A short description of a value's type for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object'
  return typeof value
}
