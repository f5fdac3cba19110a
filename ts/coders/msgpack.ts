import { Packr, REUSE_BUFFER_MODE } from 'msgpackr'
import { Coder } from '../coder.js'
import { Structures } from '../structures.js'

/**
 * Standard MessagePack (no msgpackr extensions: any MessagePack library reads
 * it). Maps decode as plain objects; `undefined` is stored as nil; dates use
 * the standard timestamp extension; `bigint` beyond 53 bits as 64-bit integers.
 */
const packr = new Packr({
  useRecords: false,
  encodeUndefinedAsNil: true,
  mapsAsObjects: true,
  variableMapSize: true,
  // 64-bit integers read as numbers when safe, else bigint ('auto' is
  // missing from msgpackr's typings)
  int64AsType: 'auto' as 'bigint',
})

/** Options of {@link MsgPackCoder}. */
export interface MsgPackOptions {
  /**
   * Objects as msgpackr's records: each object's list of keys (its
   * structure) is stored once, beside the database, and a value names it by
   * a small id instead of repeating the keys. Smaller values, faster to
   * encode and decode; readable by msgpackr given the same structures. A
   * records coder serves one database. `'msgpack-records'` is short for it.
   * @default false
   */
  records?: boolean
}

/**
 * Any MessagePack value, in the standard smallest encodings (`{a:1}` →
 * `81 a1 61 01`); with `records: true`, objects as records of shared
 * structures (see {@link MsgPackOptions.records}).
 */
export class MsgPackCoder<T = unknown> extends Coder<T> {
  /** @internal The shared structures of a records coder. */
  readonly structures: Structures | undefined

  constructor(options: MsgPackOptions = {}) {
    super()
    if (options === null || typeof options !== 'object') throw new TypeError('MsgPackCoder options are an object')
    if (options.records !== undefined && typeof options.records !== 'boolean') throw new TypeError('records is a boolean')
    this.structures = options.records ? new Structures() : undefined
  }

  /** Whether objects are written as records of shared structures. */
  get records(): boolean {
    return this.structures !== undefined
  }

  serialize(value: T): Uint8Array {
    return this.structures ? this.structures.pack(value) : packr.pack(value)
  }

  deserialize(bytes: Buffer): T {
    return (this.structures ? this.structures.unpack(bytes) : packr.unpack(bytes)) as T
  }
}

/** msgpackr's buffer with the bounds of the value it just wrote there (`REUSE_BUFFER_MODE`). */
type Written = Buffer & { start?: number; end?: number }

/** Where `packIn` left its value: `bytes[start, end)`. Read it before the next call. */
export const packed: { bytes: Buffer; start: number; end: number } = { bytes: Buffer.alloc(0), start: 0, end: 0 }

/**
 * `coder.serialize(value)` without a `Buffer` of its own: the bytes stay
 * where msgpackr wrote them (`packed`), to be copied from there into a
 * batch. msgpackr writes each value after the last, so they stay intact.
 * For the library's writes; not public.
 */
export function packIn<T>(coder: MsgPackCoder<T>, value: T): void {
  const out = (coder.structures ? coder.structures.pack(value, REUSE_BUFFER_MODE) : packr.pack(value, REUSE_BUFFER_MODE)) as Written
  packed.bytes = out
  // a write that added a shared structure comes back as a plain `Buffer` of its own
  packed.start = out.start ?? 0
  packed.end = out.end ?? out.length
}

/**
 * Gives msgpackr back the room of the value `packIn` left at `[start, end)`,
 * once it is copied where it goes: the next value is written there, in
 * memory still in the cache, where msgpackr would move on through fresh
 * memory and take a new buffer every few kilobytes. Only if nothing was
 * packed since (msgpackr's position is still the value's end); the caller
 * must know that no other pack ran in between, even one that moved to
 * another buffer. For the library's writes; not public.
 */
export function release(start: number, end: number): void {
  if (packr.position === end) packr.position = start
}

/** msgpackr's bounds of a read; one object serves every read, which takes them at once. */
const bounds = { start: 0, end: 0 }

/**
 * `coder.deserialize` of `data[start, end)`, with no `Buffer` of its own:
 * msgpackr reads the part in place (and keeps one `DataView` per `data`).
 * `scan`: for a range (see `Structures.unpack`). For the library's reads
 * out of a block; not public.
 */
export function unpackIn<T>(coder: MsgPackCoder<T>, data: Buffer, start: number, end: number, scan: boolean): T {
  // msgpackr reads an `end` of 0 as "to the end of `data`"
  if (end === start) return coder.deserialize(data.subarray(start, end))
  bounds.start = start
  bounds.end = end
  return (coder.structures ? coder.structures.unpack(data, bounds, scan) : packr.unpack(data, bounds)) as T
}
