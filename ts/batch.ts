/**
 * Packs operations into the wire format of `crates/core/src/batch.rs`: a
 * 24-byte little-endian header per operation (kind, flags, compression,
 * level, unit, dbi, generation, key and value lengths), then the bytes.
 * One buffer crosses into native code per batch; native code copies it
 * before the call returns, so the builder reuses its memory. A key or value
 * given as a string is packed as its UTF-8, written in place. A conditional put or
 * delete (`OpFlag.IfValue`) carries the value it expects after its own: a
 * 4-byte length (`NO_VALUE`: the key must be absent), then the bytes.
 */
import type { DbRef } from './native.js'
import { writeUtf8 } from './utf8.js'

/** Operation kinds, as `batch::op` in the core (held to them by a test). */
export enum Op {
  Get = 1,
  Has = 2,
  Put = 3,
  Delete = 4,
  Replace = 5,
  Pop = 6,
  Drop = 7,
  Cursor = 8,
  /** A precondition at the head of a unit: the key holds this value, or is given it, or the unit fails. */
  Ensure = 9,
  /** The `Ensure`s of another unit of the batch (its number is the key) as preconditions of this one. */
  EnsureAs = 10,
}

/** Operation flags, as `put_flags` in the core (held to them by a test). */
export enum OpFlag {
  NoOverwrite = 1,
  Append = 2,
  NoDupData = 4,
  DeleteDb = 8,
  /** A put or delete whose expectation of the stored value follows its value. */
  IfValue = 16,
}

/** One operation, as `pushOp` takes it. */
export interface OpParts {
  readonly kind: Op
  readonly flags: number
  readonly ref: DbRef
  /** A string is packed as its UTF-8. */
  readonly key: Uint8Array | string
  /** A string is packed as its UTF-8 (a text coder's value). */
  readonly value: Uint8Array | string | undefined
  /** The value's bytes are `value[valueStart, valueEnd)` where these are given, else all of it. */
  readonly valueStart?: number
  readonly valueEnd?: number
  readonly codec: number
  readonly level: number
  /** A conditional write's expected stored value (`null`: absent); `undefined` for any other operation. */
  readonly expect: Uint8Array | null | undefined
}

const HEADER = 24
const NO_VALUE = 0xffffffff
/** An `Op.EnsureAs` names no database: the ensures it names have theirs. */
const NO_DB: DbRef = { dbi: 0, gen: 0 }
/** Parts of buffers up to this size are copied by `#copyPart`'s loop; larger ones by `set`. */
const SMALL_PART = 512

/**
 * A new builder's room: small enough to come out of Node's shared pool, as
 * most batches of one call are (a cursor's move, a step of a synchronous
 * transaction); the long-lived builders of the queues grow once and stay.
 */
const FIRST_ROOM = 1024

export class BatchBuilder {
  #buf = Buffer.allocUnsafe(FIRST_ROOM)
  /** The header words go through a DataView: cheaper than Buffer.writeUInt32LE. */
  #view = new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.byteLength)
  #len = 0
  #ops = 0
  /** The ensures last packed whole (`pushEnsures`): their bytes, their unit, and where they start. */
  #carrier: { ops: Uint8Array; unit: number; at: number } | undefined
  readonly #named = new Uint8Array(4)
  /** The buffer the last part copied by `#copyPart` came from, and a DataView of it. */
  #source: Uint8Array | undefined
  #sourceView: DataView | undefined

  /** Operations pushed since the last `take`. */
  get size(): number {
    return this.#ops
  }

  /** Bytes packed since the last `take`. */
  get bytes(): number {
    return this.#len
  }

  /**
   * Appends one operation; `codec` and `level` name the compression its
   * values are stored with; `expect` makes it conditional: the stored value
   * it must find (`null`: the key must be absent).
   */
  push(kind: Op, flags: number, unit: number, db: DbRef, key: Uint8Array | string, value?: Uint8Array | string, codec = 0, level = 0, expect?: Uint8Array | null): void {
    this.#write(kind, flags, unit, db, key, value, 0, typeof value === 'object' ? value.length : 0, codec, level, expect)
  }

  /** Appends one operation given as its parts. */
  pushOp(unit: number, op: OpParts): void {
    const { value } = op
    const end = op.valueEnd ?? (typeof value === 'object' ? value.length : 0)
    this.#write(op.kind, op.flags, unit, op.ref, op.key, value, op.valueStart ?? 0, end, op.codec, op.level, op.expect)
  }

  /** A key or value given as a string is written as its UTF-8; a value's bytes are `value[from, to)`. */
  #write(kind: Op, flags: number, unit: number, db: DbRef, key: Uint8Array | string, value: Uint8Array | string | undefined, from: number, to: number, codec: number, level: number, expect: Uint8Array | null | undefined): void {
    // a string's UTF-8 takes at most 3 bytes per UTF-16 unit
    const keyRoom = typeof key === 'string' ? key.length * 3 : key.length
    const room = value === undefined ? 0 : typeof value === 'string' ? value.length * 3 : to - from
    const expectRoom = expect === undefined ? 0 : 4 + (expect?.length ?? 0)
    this.reserve(HEADER + keyRoom + room + expectRoom)
    const buf = this.#buf
    let at = this.#len
    buf[at] = kind
    buf[at + 1] = expect === undefined ? flags : flags | OpFlag.IfValue
    buf[at + 2] = codec
    buf[at + 3] = level & 0xff
    const view = this.#view
    view.setUint32(at + 4, unit, true)
    view.setUint32(at + 8, db.dbi, true)
    view.setUint32(at + 12, db.gen, true)
    const keyLengthAt = at + 16
    const lengthAt = at + 20
    at += HEADER
    let klen: number
    if (typeof key === 'string') {
      klen = writeUtf8(buf, key, at, buf.length - at)
    } else {
      buf.set(key, at)
      klen = key.length
    }
    view.setUint32(keyLengthAt, klen, true)
    at += klen
    let vlen = NO_VALUE
    if (typeof value === 'string') {
      vlen = writeUtf8(buf, value, at, buf.length - at)
    } else if (value !== undefined) {
      if (from === 0 && to === value.length) buf.set(value, at)
      else this.#copyPart(value, from, to, at)
      vlen = to - from
    }
    view.setUint32(lengthAt, vlen, true)
    if (vlen !== NO_VALUE) at += vlen
    if (expect !== undefined) {
      view.setUint32(at, expect === null ? NO_VALUE : expect.length, true)
      at += 4
      if (expect !== null) {
        buf.set(expect, at)
        at += expect.length
      }
    }
    this.#len = at
    this.#ops++
  }

  /**
   * Copies `value[from, to)` (msgpackr's buffer, where the value was
   * encoded) to `at`. A small part goes through DataViews, sixteen bytes
   * an iteration, with no view of the part made: ~40 ns for 150 bytes,
   * against ~70 ns for a view and `set`, and ~100 ns four bytes an
   * iteration; a tick of puts leaves ~100 bytes less garbage per value.
   * The source's DataView is kept while values come from the same buffer,
   * across batches too: dropped at each batch, its remaking ran once before
   * V8 optimized this code and then again at the next batch, which threw
   * the optimized code away at the first part of every burst of puts.
   * Byte by byte, through the views as well: no keyed access, whose type
   * feedback a rarely run loop may lack in the same way.
   */
  #copyPart(value: Uint8Array, from: number, to: number, at: number): void {
    if (to - from > SMALL_PART) {
      this.#buf.set(new Uint8Array(value.buffer, value.byteOffset + from, to - from), at)
      return
    }
    if (value !== this.#source) {
      this.#source = value
      this.#sourceView = new DataView(value.buffer, value.byteOffset, value.byteLength)
    }
    const source = this.#sourceView!
    const view = this.#view
    let i = from
    for (; i + 16 <= to; i += 16, at += 16) {
      view.setUint32(at, source.getUint32(i))
      view.setUint32(at + 4, source.getUint32(i + 4))
      view.setUint32(at + 8, source.getUint32(i + 8))
      view.setUint32(at + 12, source.getUint32(i + 12))
    }
    for (; i + 4 <= to; i += 4, at += 4) view.setUint32(at, source.getUint32(i))
    for (; i < to; i++, at++) view.setUint8(at, source.getUint8(i))
  }

  /**
   * Appends `count` `Op.Ensure`s packed before (by `push`) as
   * preconditions of `unit`. Ensures that a unit before it in this batch
   * carries go as one `Op.EnsureAs` naming that unit: a tick of writes that
   * all use the same new shared structures carries their bytes once, and
   * each write is still applied as if it carried them itself.
   */
  pushEnsures(ops: Uint8Array, count: number, unit: number): void {
    const carrier = this.#carrier
    if (carrier?.ops !== ops || carrier.unit === unit) {
      // a unit that carries the ensures of two databases is named by none:
      // its `EnsureAs` would bring the other's along, and their failure
      this.#carrier = carrier?.unit === unit ? undefined : { ops, unit, at: this.#len }
      this.#pushPacked(ops, count, unit)
      return
    }
    // its key: the unit named, as 4 little-endian bytes (copied by `#write`)
    const named = this.#named
    for (let i = 0, n = carrier.unit; i < 4; i++, n >>>= 8) named[i] = n & 0xff
    this.#write(Op.EnsureAs, 0, unit, NO_DB, named, undefined, 0, 0, 0, 0, undefined)
  }

  /** Appends `count` operations packed before (by `push`, with no expectations) as operations of `unit`. */
  #pushPacked(ops: Uint8Array, count: number, unit: number): void {
    this.reserve(ops.length)
    const view = this.#view
    let at = this.#len
    this.#buf.set(ops, at)
    for (let i = 0; i < count; i++) {
      view.setUint32(at + 4, unit, true)
      const vlen = view.getUint32(at + 20, true)
      at += HEADER + view.getUint32(at + 16, true) + (vlen === NO_VALUE ? 0 : vlen)
    }
    this.#len = at
    this.#ops += count
  }

  /** Drops what was pushed after the builder held `bytes` bytes of `ops` operations. */
  truncate(bytes: number, ops: number): void {
    this.#len = bytes
    this.#ops = ops
    if (this.#carrier !== undefined && this.#carrier.at >= bytes) this.#carrier = undefined
  }

  /** The packed bytes; valid until the next `push`. Resets the builder. */
  take(): Buffer {
    const out = this.#buf.subarray(0, this.#len)
    this.#len = 0
    this.#ops = 0
    this.#carrier = undefined // the next batch names no unit of this one
    return out
  }

  /**
   * Makes room for `bytes` more bytes, doubling the buffer as needed. A
   * large unit whose size can be told early asks for all of it at once, so
   * the buffer grows once rather than by doublings (each is fresh memory,
   * faulted in page by page, and a copy of all before).
   */
  reserve(bytes: number): void {
    if (this.#len + bytes <= this.#buf.length) return
    const grown = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#len + bytes))
    this.#buf.copy(grown, 0, 0, this.#len)
    this.#buf = grown
    this.#view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength)
  }
}
