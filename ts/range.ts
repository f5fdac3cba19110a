/**
 * Ordered iteration over one snapshot. Entries come from native code in
 * chunks (one thread hop per chunk, small at first, growing to 4,096), are
 * decoded lazily as the iteration reaches them, and the read transaction
 * is released as soon as the iteration ends, breaks or fails.
 */
import { fromNative } from './native-error.js'
import type { Input } from './coders/index.js'
import type { NativeChunk } from './native.js'
import { abortable, checkSignal } from './abort.js'
import { checkOptions, COUNT, type Rule } from './options.js'
import { Block } from './view.js'

/** Bounds and shape of a range. Bounds hold in key order whatever the direction. */
export interface RangeOptions<K> {
  /** Keys greater than this. */
  gt?: Input<K>
  /** Keys greater than or equal to this. */
  gte?: Input<K>
  /** Keys less than this. */
  lt?: Input<K>
  /** Keys less than or equal to this. */
  lte?: Input<K>
  /** Keys whose encoded bytes start with this key's encoded bytes. */
  prefix?: Input<K>
  /** From the last key down. */
  reverse?: boolean
  /** At most this many entries. */
  limit?: number
  /** Skip this many entries first. */
  offset?: number
  /**
   * Ends the iteration when aborted: the call waiting for entries rejects
   * with the signal's reason, no further chunk is read, and the snapshot's
   * read transaction goes back at once.
   */
  signal?: AbortSignal
}

const RANGE_OPTIONS: { readonly [K in keyof RangeOptions<unknown>]-?: Rule } = {
  gt: 'any', gte: 'any', lt: 'any', lte: 'any', prefix: 'any', reverse: 'boolean', limit: COUNT, offset: COUNT,
  signal: 'any',
}

/** Checks range options (the bounds are checked by the key coder). */
export function checkRangeOptions<K>(options: RangeOptions<K>): RangeOptions<K> {
  checkOptions('range()', options, RANGE_OPTIONS)
  checkSignal('range()', options.signal)
  return options
}

const FIRST_CHUNK = 64
const MAX_CHUNK = 4096
/** The most entries read on this thread when the pool is late (see `#fetch`). */
const STOLEN_CHUNK = 1024

/*
 * What a scan makes per entry is made without object or array literals. V8
 * keeps count of how many of the objects each literal makes outlive a
 * garbage collection, and once most do it allocates that literal's objects
 * in the old generation from then on. A collection whose marking began
 * before a scan counts the scan's fresh entries as survivors, so one badly
 * timed collection made every later scan of the process about three times
 * slower. Objects made by a constructor call are not counted.
 */

/** An iterator result (see above). */
class Yielded<T> implements IteratorYieldResult<T> {
  readonly done = false as const
  constructor(readonly value: T) {}
}

/** `[a, b]`, made by the `Array` constructor rather than a literal (see above). */
export function pair<A, B>(a: A, b: B): [A, B] {
  const entry = new Array(2) as [A, B]
  entry[0] = a
  entry[1] = b
  return entry
}

/**
 * Makes one entry from its key's and value's bytes in `block` (offsets and
 * lengths; only what its shape fetched is there).
 */
export type EntryDecoder<T> = (block: Block, keyAt: number, keyLen: number, valueAt: number, valueLen: number) => T

const NO_BLOCK = new Block(Buffer.alloc(0))

/** An `AsyncIterable` of a range's entries, with `toArray()`. Each iteration takes its own snapshot. */
export class RangeIterable<T> implements AsyncIterable<T> {
  readonly #iterate: () => AsyncIterator<T>

  /** @internal Use `db.range()`, `db.keys()`, `db.values()`, `snapshot.range()` or `txn.range()`. */
  constructor(iterate: () => AsyncIterator<T>) {
    this.#iterate = iterate
  }

  /** Starts an iteration (`for await`) on a snapshot of its own; breaking out of it ends the snapshot. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.#iterate()
  }

  /** Every entry, in order. */
  async toArray(): Promise<T[]> {
    const out: T[] = []
    await this.forEach((entry) => void out.push(entry))
    return out
  }

  /**
   * Calls `each` with every entry, in order; resolves when the range is done.
   * `each` runs synchronously for the entries of each chunk fetched, with no
   * promise per entry: the fastest way through a large range, and the event
   * loop still turns between chunks. A promise `each` returns is not waited
   * for; if `each` throws, the iteration ends and the call rejects with it.
   */
  async forEach(each: (entry: T) => void): Promise<void> {
    const iterator = this.#iterate()
    if (iterator instanceof RangeIterator) return iterator.drain(each)
    for await (const entry of { [Symbol.asyncIterator]: () => iterator }) each(entry)
  }
}

/**
 * Where a range's chunks come from: a native range over a snapshot, or a
 * write transaction's walk.
 */
export interface ChunkSource {
  /** Up to `max` more entries. */
  next(max: number): Promise<NativeChunk>
  /** The chunk last asked for, read on this thread if no pool thread has started on it. */
  steal(max: number): NativeChunk | null
  /** Up to `max` more entries, read on this thread (a snapshot's ranges only). */
  nextSync?(max: number): NativeChunk
  close(): void
}

/**
 * A range for synchronous code: `for…of`, `toArray()`, `forEach()`, with
 * the options and results of its async form. Each iteration reads a
 * snapshot of its own, a chunk at a time, on this thread (blocking it for
 * each chunk's read); `break` gives the snapshot back at once, and one
 * left unfinished gives it back when collected.
 */
export class RangeIterableSync<T> implements Iterable<T> {
  readonly #iterate: () => RangeIterator<T>

  /** @internal Use `db.rangeSync()`, `db.keysSync()` or `db.valuesSync()`. */
  constructor(iterate: () => RangeIterator<T>) {
    this.#iterate = iterate
  }

  [Symbol.iterator](): IterableIterator<T> {
    const iterator = this.#iterate()
    return {
      next: () => iterator.nextSync(),
      return: () => iterator.endSync(),
      [Symbol.iterator]() {
        return this
      },
    }
  }

  /** Every entry, in order. */
  toArray(): T[] {
    return [...this]
  }

  /** Calls `each` with every entry, in order. */
  forEach(each: (entry: T) => void): void {
    for (const entry of this) each(entry)
  }
}

/**
 * Starts one iteration: where its chunks come from, how its entries are
 * decoded, and whether the next chunk may be read while one is handed out
 * (not in a write transaction: a write between chunks must be seen).
 */
export type RangeStart<T> = () => { native: ChunkSource; decode: EntryDecoder<T>; readAhead?: boolean }

/**
 * A range read from native code in chunks. `check` throws `ClosedError`
 * once what the range reads through is closed.
 */
export function nativeRange<T>(start: RangeStart<T>, check: () => void, signal?: AbortSignal): RangeIterable<T> {
  return new RangeIterable(() => new RangeIterator(start, check, signal))
}

/** The same range read synchronously. */
export function nativeRangeSync<T>(start: RangeStart<T>, check: () => void, signal?: AbortSignal): RangeIterableSync<T> {
  return new RangeIterableSync(() => new RangeIterator(start, check, signal))
}

class RangeIterator<T> implements AsyncIterator<T> {
  readonly #start: RangeStart<T>
  readonly #check: () => void
  #native: ChunkSource | undefined
  #readAhead = true
  #decode: EntryDecoder<T> = () => undefined as T
  /** The chunk after the one being handed out, read while that one is. */
  #ahead: Promise<NativeChunk> | undefined
  /** The bytes of the chunk being handed out. */
  #block = NO_BLOCK
  #lens: Float64Array = new Float64Array(0)
  #at = 0
  /** Where the next entry's bytes start in `#block`. */
  #offset = 0
  #size = FIRST_CHUNK
  /** The size the last chunk was asked for with. */
  #aheadSize = 0
  #last = false
  #finished = false
  readonly #signal: AbortSignal | undefined
  /** Ends the iteration as soon as the signal aborts (see `RangeOptions.signal`). */
  readonly #aborted = () => this.#close()

  constructor(start: RangeStart<T>, check: () => void, signal?: AbortSignal) {
    this.#start = start
    this.#signal = signal
    this.#check = signal
      ? () => {
          signal.throwIfAborted()
          check()
        }
      : check
    signal?.addEventListener('abort', this.#aborted, { once: true })
  }

  next(): Promise<IteratorResult<T>> {
    // An entry already fetched comes with no async machinery: `for await`
    // makes a promise per entry whatever we do, but no more than that.
    if (!this.#finished && this.#at < this.#lens.length) {
      try {
        this.#check() // entries already fetched are not handed out after a close
        return Promise.resolve(new Yielded(this.#take()))
      } catch (error) {
        this.#close()
        return Promise.reject(error)
      }
    }
    return this.#nextChunk()
  }

  async #nextChunk(): Promise<IteratorResult<T>> {
    if (this.#finished) {
      this.#signal?.throwIfAborted() // an aborted iteration rejects, it does not just end
      return { value: undefined, done: true }
    }
    try {
      this.#check()
      while (this.#at >= this.#lens.length) {
        if (this.#last || this.#finished) return this.#end()
        await this.#fetch()
      }
      return new Yielded(this.#take())
    } catch (error) {
      this.#close()
      throw error
    }
  }

  #take(): T {
    const at = this.#at
    const keyLen = this.#lens[at]
    const valueLen = this.#lens[at + 1]
    this.#at = at + 2
    const keyAt = this.#offset
    const valueAt = keyLen > 0 ? keyAt + keyLen : keyAt
    this.#offset = valueLen > 0 ? valueAt + valueLen : valueAt
    return this.#decode(this.#block, keyAt, keyLen, valueAt, valueLen)
  }

  /** Hands every entry to `each`, a fetched chunk at a time (`RangeIterable.forEach`). */
  async drain(each: (entry: T) => void): Promise<void> {
    try {
      for (;;) {
        while (this.#at < this.#lens.length) {
          this.#check() // `each` may have closed what the range reads through
          each(this.#take())
        }
        this.#signal?.throwIfAborted() // `each` may have aborted it
        if (this.#last || this.#finished) break
        this.#check()
        await this.#fetch()
      }
    } finally {
      this.#close()
    }
  }

  /** Breaking out of `for await` lands here: the read transaction goes at once. */
  async return(): Promise<IteratorResult<T>> {
    return this.#end()
  }

  /** Starts the iteration at its first fetch: its native range and decoder. */
  #started(): ChunkSource {
    if (this.#native === undefined) {
      let started
      try {
        started = this.#start()
      } catch (error) {
        throw fromNative(error)
      }
      const { native, decode, readAhead = true } = started
      this.#native = native
      this.#decode = decode
      this.#readAhead = readAhead
    }
    return this.#native
  }

  /** Makes `chunk` the one being handed out. */
  #land(chunk: NativeChunk): void {
    this.#block = new Block(chunk.data)
    this.#lens = chunk.lens
    this.#at = 0
    this.#offset = 0
    this.#last = chunk.done
  }

  /** The next entry, its chunks read on this thread (`RangeIterableSync`). */
  nextSync(): IteratorResult<T> {
    if (this.#finished) return { value: undefined, done: true }
    try {
      this.#check()
      while (this.#at >= this.#lens.length) {
        if (this.#last) return this.#end()
        const native = this.#started()
        if (native.nextSync === undefined) throw new TypeError('this range cannot be read synchronously')
        const size = this.#size
        this.#size = Math.min(size * 4, MAX_CHUNK)
        let chunk
        try {
          chunk = native.nextSync(size)
        } catch (error) {
          throw fromNative(error)
        }
        this.#land(chunk)
      }
      return new Yielded(this.#take())
    } catch (error) {
      this.#close()
      throw error
    }
  }

  /** Ends a synchronous iteration (`break` lands here): the read transaction goes at once. */
  endSync(): IteratorResult<T> {
    return this.#end()
  }

  async #fetch(): Promise<void> {
    const native = this.#started()
    const ahead = this.#ahead
    this.#ahead = undefined
    let chunk
    try {
      // The chunk read ahead, if no pool thread has started on it, is read
      // here at once (at most STOLEN_CHUNK entries) rather than waited for:
      // on a machine whose cores are busy, or with the pool busy with other
      // work, a pool thread may not run for many milliseconds.
      chunk = (ahead && native.steal(Math.min(this.#aheadSize, STOLEN_CHUNK))) ?? (await abortable(ahead ?? this.#read(), this.#signal))
    } catch (error) {
      throw fromNative(error)
    }
    this.#land(chunk)
    // Native code reads the next chunk on its thread pool while this thread
    // decodes this one: the scan costs the slower of the two, not their sum.
    if (!chunk.done && !this.#finished && this.#readAhead) {
      this.#ahead = this.#read()
      // its failure is met when the iteration gets to it, not before
      this.#ahead.catch(() => undefined)
    }
  }

  async #read(): Promise<NativeChunk> {
    const size = this.#size
    this.#aheadSize = size
    this.#size = Math.min(this.#size * 4, MAX_CHUNK)
    return (this.#native as ChunkSource).next(size)
  }

  #end(): IteratorResult<T> {
    this.#close()
    return { value: undefined, done: true }
  }

  #close(): void {
    this.#signal?.removeEventListener('abort', this.#aborted)
    this.#finished = true
    this.#ahead = undefined // read ahead and not wanted; its failure is already handled
    this.#lens = new Float64Array(0)
    this.#block = NO_BLOCK
    this.#native?.close()
  }
}
