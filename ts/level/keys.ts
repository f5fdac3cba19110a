/**
 * How abstract-level's keys are stored. LMDB refuses an empty key, which
 * abstract-level allows, so every key is stored behind one byte (0x00).
 * Prepending the same byte keeps the byte order of keys, so ranges need no
 * other change, and keys of other kinds in the same LMDB database (the names
 * of named databases, in the main one) never start with it: ranges are kept
 * to the keys that do.
 */
import { Coder, type RangeOptions } from '../index.js'

const MARK = 0x00
const NO_KEY = Buffer.alloc(0)

/** A level key's bytes behind the mark, and back. */
export class LevelKeyCoder extends Coder<Buffer> {
  serialize(key: Uint8Array): Uint8Array {
    const stored = Buffer.allocUnsafe(key.length + 1)
    stored[0] = MARK
    stored.set(key, 1)
    return stored
  }

  deserialize(bytes: Buffer): Buffer {
    return bytes.subarray(1)
  }
}

/** The bounds abstract-level gives a private method (encoded as buffers), and its order. */
export interface LevelRange {
  gt?: Buffer
  gte?: Buffer
  lt?: Buffer
  lte?: Buffer
  reverse?: boolean
  /** -1 for none. */
  limit?: number
}

/**
 * Our range options for abstract-level's: its bounds, within the keys that
 * carry the mark (`prefix` of the empty key), at most `limit` entries.
 */
export function rangeOf(range: LevelRange, limit = range.limit ?? -1): RangeOptions<Buffer> {
  const options: RangeOptions<Buffer> = { prefix: NO_KEY, reverse: range.reverse === true }
  // as abstract-level has it, gte outweighs gt and lte outweighs lt
  if (range.gte !== undefined) options.gte = range.gte
  else if (range.gt !== undefined) options.gt = range.gt
  if (range.lte !== undefined) options.lte = range.lte
  else if (range.lt !== undefined) options.lt = range.lt
  if (limit >= 0) options.limit = limit
  return options
}

/**
 * The range left to read after seeking to `target`: it starts at the target
 * (the end of the range, reading in reverse) unless the range's own bound is
 * further in.
 */
export function seekRange(range: LevelRange, target: Buffer): LevelRange {
  const { gt, gte, lt, lte, reverse, limit } = range
  if (reverse === true) {
    const upper = lte ?? lt
    return upper !== undefined && Buffer.compare(target, upper) >= 0 ? range : { gt, gte, lte: target, reverse, limit }
  }
  const lower = gte ?? gt
  return lower !== undefined && Buffer.compare(target, lower) <= 0 ? range : { gte: target, lt, lte, reverse, limit }
}
