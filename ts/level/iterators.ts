/**
 * abstract-level's iterators over our ranges. Each reads one snapshot: the
 * one given as `{ snapshot }`, or one of its own taken when it is created
 * (abstract-level's implicit snapshot) and closed with it. Entries come in
 * our range's chunks; `seek()` starts a new range in the same snapshot.
 */
import { AbstractIterator, AbstractKeyIterator, AbstractValueIterator } from 'abstract-level'
import type { Database, RangeIterable, Snapshot } from '../index.js'
import { rangeOf, seekRange, type LevelRange } from './keys.js'

type Shape = 'entries' | 'keys' | 'values'
type Item<S extends Shape> = S extends 'entries' ? [Buffer, Buffer] : Buffer

/** What the three iterators share: a range in a snapshot, restarted by `seek`. */
export class RangeReader<S extends Shape> {
  readonly #db: Database
  /** Its snapshot, or why none could be taken (thrown by the first read). */
  readonly #snapshot: Snapshot | Error
  readonly #owned: boolean
  readonly #shape: S
  readonly #range: LevelRange
  readonly #signal: AbortSignal | undefined
  #left: LevelRange
  #limit: number
  #iterator: AsyncIterator<Item<S>> | undefined

  /** `owned`: the snapshot is the reader's own, closed with it. */
  constructor(db: Database, snapshot: Snapshot | Error, owned: boolean, shape: S, range: LevelRange, signal?: AbortSignal) {
    this.#db = db
    this.#snapshot = snapshot
    this.#owned = owned
    this.#shape = shape
    this.#range = this.#left = range
    this.#limit = range.limit ?? -1
    this.#signal = signal
  }

  async next(): Promise<Item<S> | undefined> {
    const step = await this.#step()
    return step.done === true ? undefined : step.value
  }

  async nextv(size: number): Promise<Item<S>[]> {
    const items: Item<S>[] = []
    while (items.length < size) {
      const step = await this.#step()
      if (step.done === true) break
      items.push(step.value)
    }
    return items
  }

  async all(): Promise<Item<S>[]> {
    if (this.#iterator !== undefined) return this.nextv(Infinity)
    // from the start of the range: no promise per entry
    try {
      return await this.#open().toArray()
    } catch (error) {
      throw this.#signal?.aborted === true ? aborted(error) : error
    }
  }

  /** Reads on from `target` (down from it in reverse), at most `limit` more entries (-1: no limit). */
  seek(target: Buffer, limit: number): void {
    this.#end()
    this.#left = seekRange(this.#range, target)
    this.#limit = limit
  }

  async close(): Promise<void> {
    this.#end()
    if (this.#owned && !(this.#snapshot instanceof Error)) this.#snapshot.close()
  }

  async #step(): Promise<IteratorResult<Item<S>>> {
    this.#iterator ??= this.#open()[Symbol.asyncIterator]()
    try {
      return await this.#iterator.next()
    } catch (error) {
      if (this.#signal?.aborted === true) throw aborted(error)
      throw error
    }
  }

  #open(): RangeIterable<Item<S>> {
    const options = rangeOf(this.#left, this.#limit)
    if (this.#signal !== undefined) options.signal = this.#signal
    const snapshot = this.#snapshot
    if (snapshot instanceof Error) throw snapshot
    if (this.#shape === 'keys') return snapshot.keys(this.#db, options) as RangeIterable<Item<S>>
    if (this.#shape === 'values') return snapshot.values(this.#db, options) as RangeIterable<Item<S>>
    return snapshot.range(this.#db, options) as RangeIterable<Item<S>>
  }

  /** Gives the range's chunk back; the snapshot stays. */
  #end(): void {
    const iterator = this.#iterator
    this.#iterator = undefined
    iterator?.return?.().catch(() => undefined)
  }
}

/** abstract-level's error for an iteration its signal aborted. */
function aborted(cause: unknown): Error {
  const error = new Error('Operation has been aborted', { cause })
  Object.defineProperty(error, 'name', { value: 'AbortError' })
  return Object.assign(error, { code: 'LEVEL_ABORTED' })
}

/** How many entries an iterator may still give: its limit less those given (-1: no limit). */
const left = (it: { limit: number; count: number }) => (it.limit === Infinity ? -1 : it.limit - it.count)

export class LevelIterator extends AbstractIterator<unknown, Buffer, Buffer> {
  readonly #reader: RangeReader<'entries'>

  constructor(db: unknown, options: object, reader: RangeReader<'entries'>) {
    super(db, options)
    this.#reader = reader
  }

  _next() { return this.#reader.next() }
  _nextv(size: number) { return this.#reader.nextv(size) }
  _all() { return this.#reader.all() }
  _seek(target: Buffer) { this.#reader.seek(target, left(this)) }
  _close() { return this.#reader.close() }
}

export class LevelKeyIterator extends AbstractKeyIterator<unknown, Buffer> {
  readonly #reader: RangeReader<'keys'>

  constructor(db: unknown, options: object, reader: RangeReader<'keys'>) {
    super(db, options)
    this.#reader = reader
  }

  _next() { return this.#reader.next() }
  _nextv(size: number) { return this.#reader.nextv(size) }
  _all() { return this.#reader.all() }
  _seek(target: Buffer) { this.#reader.seek(target, left(this)) }
  _close() { return this.#reader.close() }
}

export class LevelValueIterator extends AbstractValueIterator<unknown, Buffer, Buffer> {
  readonly #reader: RangeReader<'values'>

  constructor(db: unknown, options: object, reader: RangeReader<'values'>) {
    super(db, options)
    this.#reader = reader
  }

  _next() { return this.#reader.next() }
  _nextv(size: number) { return this.#reader.nextv(size) }
  _all() { return this.#reader.all() }
  _seek(target: Buffer) { this.#reader.seek(target, left(this)) }
  _close() { return this.#reader.close() }
}
