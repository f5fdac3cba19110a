import { Coder } from '../coder.js'
import { describe } from './identity.js'

/** Checks an unsigned integer of `bits` bits, as a number. */
function checkNumber(value: number, bits: number): void {
  if (typeof value !== 'number') throw new TypeError(`expected a number, got ${describe(value)}`)
  if (!Number.isInteger(value)) throw new RangeError(`${value} is not an integer`)
  if (value < 0 || value >= 2 ** bits) throw new RangeError(`${value} is out of range for a uint${bits}`)
}

/** Unsigned 16-bit integers, big-endian: byte order is numeric order. */
export class UInt16Coder extends Coder<number> {
  serialize(value: number): Uint8Array {
    checkNumber(value, 16)
    const out = Buffer.allocUnsafe(2)
    out.writeUInt16BE(value)
    return out
  }

  deserialize(bytes: Buffer): number {
    if (bytes.length !== 2) throw new RangeError(`a uint16 is 2 bytes, not ${bytes.length}`)
    return bytes.readUInt16BE(0)
  }
}

/** Unsigned 32-bit integers, big-endian: byte order is numeric order. */
export class UInt32Coder extends Coder<number> {
  serialize(value: number): Uint8Array {
    checkNumber(value, 32)
    const out = Buffer.allocUnsafe(4)
    out.writeUInt32BE(value)
    return out
  }

  deserialize(bytes: Buffer): number {
    if (bytes.length !== 4) throw new RangeError(`a uint32 is 4 bytes, not ${bytes.length}`)
    return bytes.readUInt32BE(0)
  }
}

const UINT64_MAX = (1n << 64n) - 1n

/**
 * Unsigned 64-bit integers, big-endian. Takes a `bigint` or a safe-integer
 * `number`; reads give `bigint`.
 */
export class UInt64Coder extends Coder<bigint> {
  serialize(value: bigint | number): Uint8Array {
    let big: bigint
    if (typeof value === 'bigint') {
      big = value
    } else if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new RangeError(`${value} is not a safe integer; pass a bigint`)
      big = BigInt(value)
    } else {
      throw new TypeError(`expected a bigint or a number, got ${describe(value)}`)
    }
    if (big < 0n || big > UINT64_MAX) throw new RangeError(`${big} is out of range for a uint64`)
    const out = Buffer.allocUnsafe(8)
    out.writeBigUInt64BE(big)
    return out
  }

  deserialize(bytes: Buffer): bigint {
    if (bytes.length !== 8) throw new RangeError(`a uint64 is 8 bytes, not ${bytes.length}`)
    return bytes.readBigUInt64BE(0)
  }
}
