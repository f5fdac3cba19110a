import { Coder } from '../coder.js'
import { describe } from './identity.js'

/** Unsigned integers of 16 or 32 bits as numbers, big-endian: byte order is numeric order. */
abstract class UIntCoder extends Coder<number> {
  constructor(private readonly bytes: 2 | 4) {
    super()
  }

  serialize(value: number): Uint8Array {
    const bits = this.bytes * 8
    if (typeof value !== 'number') throw new TypeError(`expected a number, got ${describe(value)}`)
    if (!Number.isInteger(value)) throw new RangeError(`${value} is not an integer`)
    if (value < 0 || value >= 2 ** bits) throw new RangeError(`${value} is out of range for a uint${bits}`)
    const out = Buffer.allocUnsafe(this.bytes)
    out.writeUIntBE(value, 0, this.bytes)
    return out
  }

  deserialize(bytes: Buffer): number {
    if (bytes.length !== this.bytes) throw new RangeError(`a uint${this.bytes * 8} is ${this.bytes} bytes, not ${bytes.length}`)
    return bytes.readUIntBE(0, this.bytes)
  }
}

/** Unsigned 16-bit integers, big-endian: byte order is numeric order. */
export class UInt16Coder extends UIntCoder {
  constructor() {
    super(2)
  }
}

/** Unsigned 32-bit integers, big-endian: byte order is numeric order. */
export class UInt32Coder extends UIntCoder {
  constructor() {
    super(4)
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
