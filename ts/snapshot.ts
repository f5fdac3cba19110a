import type { Input } from './coders/index.js'
import { answer } from './awake.js'
import { Op } from './batch.js'
import type { Database } from './database.js'
import * as reads from './db-reads.js'
import type { AbortOptions } from './abort.js'
import { encodingOf } from './encoding.js'
import { ClosedError } from './errors.js'
import { fromNative } from './native-error.js'
import type { NativeSnapshot } from './native.js'
import type { RangeIterable, RangeOptions } from './range.js'
import { ReadQueue, unpack } from './read-queue.js'
import { Cursor } from './cursor.js'

/**
 * A consistent read view: every read through it sees the environment as it
 * was when `env.snapshot()` was called, whatever is written meanwhile. Close
 * it when done (`close()`, `using`, or `env.read(fn)`); one that is dropped
 * unclosed gives its reader slot back when it is garbage-collected.
 *
 * @example
 * using snap = env.snapshot()
 * const [a, b] = await Promise.all([snap.get(db, 'a'), snap.get(db, 'b')])
 */
export class Snapshot {
  readonly #native: NativeSnapshot
  readonly #reads: ReadQueue
  readonly #envClosed: () => boolean
  #closed = false

  /** @internal Use `env.snapshot()`. */
  constructor(native: NativeSnapshot, envClosed: () => boolean) {
    this.#native = native
    this.#reads = new ReadQueue({
      read: (batch) => native.read(batch),
      readSync: (batch) => native.readSync(batch),
      pinned: () => [{ read: (batch) => native.read(batch), close: () => undefined }], // already one snapshot
    })
    this.#envClosed = envClosed
  }

  /** Whether the snapshot can no longer be read (closed, or its environment closed). */
  get closed(): boolean {
    return this.#closed || this.#envClosed()
  }

  /** `db.get` in this snapshot. */
  get<K, V>(db: Database<K, V>, key: Input<K>): Promise<V | undefined>
  get<K, V, D>(db: Database<K, V>, key: Input<K>, defaultValue: D): Promise<V | D>
  get<K, V>(db: Database<K, V>, key: Input<K>, defaultValue?: unknown): Promise<unknown> {
    return this.#via(() => reads.get(encodingOf(db), this.#reads, key, defaultValue))
  }

  /** `db.getMany` in this snapshot. */
  getMany<K, V>(db: Database<K, V>, keys: Iterable<Input<K>>, options?: AbortOptions): Promise<(V | undefined)[]> {
    return this.#via(() => reads.getMany(encodingOf(db), this.#reads, keys, options))
  }

  /** `db.has` in this snapshot. */
  has<K, V>(db: Database<K, V>, key: Input<K>): Promise<boolean> {
    return this.#via(() => reads.has(encodingOf(db), this.#reads, key))
  }

  /** `db.range` in this snapshot. Closing the snapshot ends its ranges too. */
  range<K, V>(db: Database<K, V>, options: RangeOptions<K> = {}): RangeIterable<[K, V]> {
    const enc = encodingOf(db)
    return reads.range(enc, options, (o) => this.#native.range(enc.ref.dbi, enc.ref.gen, o), 'entries', () => this.#check())
  }

  /** `db.keys` in this snapshot: values are not read. */
  keys<K, V>(db: Database<K, V>, options: RangeOptions<K> = {}): RangeIterable<K> {
    const enc = encodingOf(db)
    return reads.range(enc, options, (o) => this.#native.range(enc.ref.dbi, enc.ref.gen, o), 'keys', () => this.#check())
  }

  /** `db.values` in this snapshot. */
  values<K, V>(db: Database<K, V>, options: RangeOptions<K> = {}): RangeIterable<V> {
    const enc = encodingOf(db)
    return reads.range(enc, options, (o) => this.#native.range(enc.ref.dbi, enc.ref.gen, o), 'values', () => this.#check())
  }

  /** `db.getSync` in this snapshot: read on the calling thread. */
  getSync<K, V>(db: Database<K, V>, key: Input<K>): V | undefined {
    this.#check()
    const enc = encodingOf(db)
    const wire = enc.wire()
    const [found] = this.#reads.readSync(Op.Get, enc.ref, [enc.key(key)], wire.codec)
    return found === undefined ? undefined : enc.decode(found, wire)
  }

  /** A cursor over `db` in this snapshot. */
  cursor<K, V>(db: Database<K, V>): Cursor<K, V> {
    this.#check()
    return new Cursor(db, async (batch) => {
      this.#check()
      return unpack(await answer(this.#native.read(batch)))
    })
  }

  /** Ends the snapshot and frees its reader slot. Idempotent. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#reads.flush()
    this.#native.close()
  }

  /** `using snap = env.snapshot()` closes it at the end of the block. */
  [Symbol.dispose](): void {
    this.close()
  }

  async #via<R>(read: () => Promise<R>): Promise<R> {
    this.#check()
    try {
      return await read()
    } catch (error) {
      throw fromNative(error)
    }
  }

  #check(): void {
    if (this.#closed) throw new ClosedError('snapshot')
    if (this.#envClosed()) throw new ClosedError()
  }
}
