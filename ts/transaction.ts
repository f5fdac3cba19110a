/**
 * Write transactions across databases: `env.transaction(fn)` (run by the
 * writer thread, driven from here call by call) and `env.transactionSync(fn)`
 * (run on this thread). Both take the database as the first argument of
 * every member, and see their own writes.
 */
import { answer } from './awake.js'
import type { Input } from './coders/index.js'
import { BatchBuilder, Op } from './batch.js'
import type { Database } from './database.js'
import type { Ensures } from './structures.js'
import { dropFlags, encodingOf, lastEnsures, pack, packUnit, putEntry, putFlags, type DbEncoding, type Encoded } from './encoding.js'
import { BadTxnError, ClosedError } from './errors.js'
import { fromNative } from './native-error.js'
import { Cursor, CursorSync, TxnCursors, writes } from './cursor.js'
import * as reads from './db-reads.js'
import type { ChunkSource, RangeIterable, RangeOptions } from './range.js'
import type { NativeExclusive, NativeRangeOptions, NativeTxn } from './native.js'
import type { IfValueOptions, PutEntry, PutOptions } from './types.js'
import { iterable } from './options.js'
import { count, type UnitResult } from './write-queue.js'

type Result = UnitResult | Error

/**
 * One member's work: the operations it packs as `units` units numbered from
 * `unit`, and how it reads their results.
 */
interface Step<T> {
  units: number
  build(builder: BatchBuilder, unit: number): void
  read(results: Result[]): T
  /** Shared structures its values may use that are not known to be stored (records; see `write-queue.ts`). */
  ensures?: Ensures
}

function unwrap(result: Result): UnitResult {
  if (result instanceof Error) throw fromNative(result)
  return result
}

/** `end(commit)` takes a boolean only: anything else would reach the binding and fail there untyped. */
function checkCommit(commit: unknown): void {
  if (typeof commit !== 'boolean') throw new TypeError(`end(commit): commit must be a boolean, not ${typeof commit}`)
}

/** The members' steps, shared by the async and the sync transaction. */
const steps = {
  get<K, V>(db: Database<K, V>, key: Input<K>, defaultValue: unknown): Step<unknown> {
    const enc = encodingOf(db)
    const wire = enc.wire()
    const k = enc.key(key)
    return {
      units: 1,
      build: (b, unit) => b.push(Op.Get, 0, unit, enc.ref, k, undefined, wire.codec),
      read: ([r]) => {
        const value = unwrap(r)
        return value === null ? defaultValue : enc.decode(value as Buffer, wire)
      },
    }
  },
  getMany<K, V>(db: Database<K, V>, keys: Iterable<Input<K>>): Step<(V | undefined)[]> {
    const enc = encodingOf(db)
    const wire = enc.wire()
    const encoded = Array.from(iterable(keys), (k) => enc.key(k))
    return {
      units: encoded.length,
      build: (b, unit) => encoded.forEach((k, i) => b.push(Op.Get, 0, unit + i, enc.ref, k, undefined, wire.codec)),
      read: (results) =>
        results.map((r) => {
          const value = unwrap(r)
          return value === null ? undefined : enc.decode(value as Buffer, wire)
        }),
    }
  },
  has<K, V>(db: Database<K, V>, key: Input<K>): Step<boolean> {
    const enc = encodingOf(db)
    const k = enc.key(key)
    return { units: 1, build: (b, unit) => b.push(Op.Has, 0, unit, enc.ref, k), read: ([r]) => unwrap(r) as boolean }
  },
  put<K, V>(db: Database<K, V>, key: Input<K>, value: Input<V>, options?: PutOptions & IfValueOptions<Input<V>>): Step<boolean> {
    const enc = encodingOf(db)
    const op = enc.put(key, value, putFlags(options, true), enc.expected(options))
    return { units: 1, build: (b, unit) => pack(b, unit, op), read: ([r]) => unwrap(r) as boolean, ensures: op.ensures }
  },
  putMany<K, V>(db: Database<K, V>, entries: Iterable<PutEntry<Input<K>, Input<V>>>, options?: PutOptions): Step<number> {
    const enc = encodingOf(db)
    enc.writable()
    const flags = putFlags(options)
    const encoded = Array.from(iterable(entries), (entry) => putEntry(enc, entry, flags))
    return {
      ensures: lastEnsures(encoded),
      units: encoded.length === 0 ? 0 : 1,
      build: (b, unit) => packUnit(b, unit, encoded),
      read: ([r]) => (encoded.length === 0 ? 0 : count(unwrap(r))),
    }
  },
  delete<K, V>(db: Database<K, V>, key: Input<K>, second: unknown): Step<boolean> {
    const op = encodingOf(db).deleteWith(key, second)
    return { units: 1, build: (b, unit) => pack(b, unit, op), read: ([r]) => unwrap(r) as boolean }
  },
  deleteMany<K, V>(db: Database<K, V>, keys: Iterable<Input<K>>): Step<number> {
    const enc = encodingOf(db)
    enc.writable()
    const encoded = Array.from(iterable(keys), (k) => enc.delete(k))
    return {
      units: encoded.length === 0 ? 0 : 1,
      build: (b, unit) => encoded.forEach((op) => pack(b, unit, op)),
      read: ([r]) => (encoded.length === 0 ? 0 : count(unwrap(r))),
    }
  },
  replace<K, V>(db: Database<K, V>, key: Input<K>, value: Input<V>): Step<V | undefined> {
    const enc = encodingOf(db)
    return answering(enc, enc.replace(key, value))
  },
  pop<K, V>(db: Database<K, V>, key: Input<K>): Step<V | undefined> {
    const enc = encodingOf(db)
    return answering(enc, enc.pop(key))
  },
  drop<K, V>(db: Database<K, V>, options?: { delete?: boolean }): Step<void> {
    const op = encodingOf(db).drop(dropFlags(options))
    return { units: 1, build: (b, unit) => pack(b, unit, op), read: ([r]) => void unwrap(r) }
  },
}

/** A step of one write that answers a stored value (`replace`, `pop`). */
function answering<K, V>(enc: DbEncoding<K, V>, op: Encoded): Step<V | undefined> {
  const wire = enc.wire()
  return {
    ensures: op.ensures,
    units: 1,
    build: (b, unit) => pack(b, unit, op),
    read: ([r]) => {
      const old = unwrap(r)
      return old === null ? undefined : enc.decode(old as Buffer, wire)
    },
  }
}

/**
 * The calls of one tick of a `Transaction`, packed into one batch: `units`
 * so far; by call, its step, how to make it again and where its results
 * start; `send` settles `results`, which `pick` hands out.
 */
interface TickBatch {
  builder: BatchBuilder
  units: number
  steps: Step<unknown>[]
  makes: (() => Step<unknown>)[]
  starts: number[]
  results: Promise<Result[]>
  send(results: Promise<Result[]>): void
  pick(results: Result[]): unknown
}

const ignore = () => {}

/**
 * Whether `step` failed because another writer stored other structures
 * under the ids its values use: it is then made (encoded) again and sent
 * again (see `write-queue.ts`).
 */
function lost(step: Step<unknown>, results: Result[]): boolean {
  return step.ensures !== undefined && results[0] instanceof Error && step.ensures.structures.conflicted(step.ensures)
}

/** Where `packStep` packs: one builder, as each batch it packs is used up before the next. */
const stepBuilder = new BatchBuilder()

/**
 * Packs a step's operations into a batch of their own, for a synchronous
 * call to run at once (the batch is valid until the next is packed).
 */
function packStep(step: Step<unknown>): Buffer {
  try {
    step.build(stepBuilder, 0)
  } catch (error) {
    stepBuilder.take() // what it packed before it threw goes
    throw error
  }
  return stepBuilder.take()
}

/**
 * A write transaction across databases, given to `env.transaction(fn)`. It
 * commits when `fn` resolves and every call made on it has completed
 * (awaited or not), and aborts when `fn` throws: then nothing of it is
 * visible. While it is open, other writes of the process wait.
 */
export class Transaction {
  readonly #native: NativeTxn
  readonly #pending = new Set<Promise<unknown>>()
  readonly #cursors: TxnCursors
  /** This tick's steps, packed and not yet sent (see `#queue`). */
  #batch: TickBatch | undefined
  #ended = false
  #child: Transaction | undefined
  /** Set by `abandon()`: calls still pending are no longer waited for. */
  #abandoned = false
  #whenAbandoned: { promise: Promise<void>; resolve: () => void } | undefined

  /** @internal Use `env.transaction(fn)`; a nested one shares its parent's cursors. */
  constructor(native: NativeTxn, cursors = new TxnCursors()) {
    this.#native = native
    this.#cursors = cursors
  }

  /** The value of `key` in `db`, as this transaction sees it. */
  get<K, V>(db: Database<K, V>, key: Input<K>): Promise<V | undefined>
  get<K, V, D>(db: Database<K, V>, key: Input<K>, defaultValue: D): Promise<V | D>
  get<K, V>(db: Database<K, V>, key: Input<K>, defaultValue?: unknown): Promise<unknown> {
    return this.#run(() => steps.get(db, key, defaultValue))
  }
  /** {@link Database.getMany} as this transaction sees it. */
  getMany<K, V>(db: Database<K, V>, keys: Iterable<Input<K>>): Promise<(V | undefined)[]> {
    return this.#run(() => steps.getMany(db, keys))
  }
  /** {@link Database.has} as this transaction sees it. */
  has<K, V>(db: Database<K, V>, key: Input<K>): Promise<boolean> {
    return this.#run(() => steps.has(db, key))
  }
  /**
   * {@link Database.put} in this transaction: resolves `false` where
   * `options` refused the write (`ifValue` is compared with the value as
   * this transaction sees it).
   */
  put<K, V>(db: Database<K, V>, key: Input<K>, value: Input<V>, options?: PutOptions & IfValueOptions<Input<V>>): Promise<boolean> {
    return this.#run(() => steps.put(db, key, value, options))
  }
  /** {@link Database.putMany} in this transaction: resolves with how many entries were written. */
  putMany<K, V>(db: Database<K, V>, entries: Iterable<PutEntry<Input<K>, Input<V>>>, options?: PutOptions): Promise<number> {
    const list = Array.from(iterable(entries)) // encoded again if its structures were taken
    return this.#run(() => steps.putMany(db, list, options))
  }
  /** {@link Database.delete} in this transaction: resolves whether it deleted (`false` also when `ifValue` did not match). */
  delete<K, V>(db: Database<K, V>, key: Input<K>, options?: IfValueOptions<Input<V>>): Promise<boolean>
  /** On a dupSort database: deletes the one pair `key`/`value` in this transaction. */
  delete<K, V>(db: Database<K, V>, key: Input<K>, value: Input<V>): Promise<boolean>
  delete<K, V>(db: Database<K, V>, key: Input<K>, second?: unknown): Promise<boolean> {
    return this.#run(() => steps.delete(db, key, second))
  }
  /** {@link Database.deleteMany} in this transaction: resolves with how many keys existed. */
  deleteMany<K, V>(db: Database<K, V>, keys: Iterable<Input<K>>): Promise<number> {
    return this.#run(() => steps.deleteMany(db, keys))
  }
  /** {@link Database.replace} in this transaction: resolves with the value replaced. */
  replace<K, V>(db: Database<K, V>, key: Input<K>, value: Input<V>): Promise<V | undefined> {
    return this.#run(() => steps.replace(db, key, value))
  }
  /** {@link Database.pop} in this transaction: resolves with the value deleted. */
  pop<K, V>(db: Database<K, V>, key: Input<K>): Promise<V | undefined> {
    return this.#run(() => steps.pop(db, key))
  }
  /** {@link Database.drop} in this transaction: empties `db`, or with `delete: true` removes it. */
  drop<K, V>(db: Database<K, V>, options?: { delete?: boolean }): Promise<void> {
    return this.#run(() => steps.drop(db, options))
  }

  /**
   * `db.range` as this transaction sees it: its own writes included, up to
   * the chunk being handed out (each chunk is read when the last one is
   * used up, so writes made meanwhile are seen from the next one).
   */
  range<K, V>(db: Database<K, V>, options: RangeOptions<K> = {}): RangeIterable<[K, V]> {
    const enc = encodingOf(db)
    const walk = (o: NativeRangeOptions): ChunkSource => {
      this.#usable()
      const native = this.#native.walk(enc.ref.dbi, enc.ref.gen, o)
      return {
        next: (max) => this.#track(async () => {
          this.#usable()
          return this.#call(() => this.#native.rangeNext(native, max))
        }),
        steal: () => null,
        close: () => undefined,
      }
    }
    return reads.range(enc, options, walk, 'entries', () => this.#usable(), false)
  }

  /** A cursor over `db` in this transaction (it sees and makes its writes). */
  cursor<K, V>(db: Database<K, V>): Cursor<K, V> {
    this.#usable()
    return new Cursor(db, (batch) => this.#track(async () => {
      this.#usable()
      return this.#exec(batch)
    }), this.#cursors)
  }

  /**
   * Runs `fn` in a nested transaction: if it throws, only what it did is
   * undone (and the error rethrown); else its writes join this transaction.
   * This transaction cannot be used until `fn` has settled; it commits
   * after the nested one ends, awaited or not.
   */
  nested<T>(fn: (txn: Transaction) => Promise<T> | T): Promise<T> {
    return this.#track(() => this.#nest(fn))
  }

  async #nest<T>(fn: (txn: Transaction) => Promise<T> | T): Promise<T> {
    this.#usable()
    const child = new Transaction(this.#native, this.#cursors)
    this.#child = child
    try {
      await this.#call(() => this.#native.nested('begin'))
      let result: T
      try {
        result = await fn(child)
        await child.#settle()
      } catch (error) {
        await child.#settle()
        child.#ended = true
        await this.#call(() => this.#native.nested('abort'))
        await this.#cursors.refresh((b) => this.#call(() => this.#native.exec(b))) // its writes are undone
        throw error
      }
      child.#ended = true
      await this.#call(() => this.#native.nested('commit'))
      return result
    } finally {
      child.#ended = true
      this.#child = undefined
    }
  }

  /** @internal Waits for every call made so far, then commits or aborts. */
  async end(commit: boolean): Promise<void> {
    checkCommit(commit)
    await this.#settle()
    this.#ended = true
    if (this.#abandoned) {
      // close() came first: it aborts, even if the native close has not yet
      await this.#call(() => this.#native.end(false)).catch(() => {})
      if (commit) throw new ClosedError()
      return
    }
    await this.#call(() => this.#native.end(commit))
  }

  /**
   * @internal `close()` aborted it: its end need not wait for calls still
   * pending (a nested callback may never settle).
   */
  abandon(): void {
    this.#abandoned = true
    this.#whenAbandoned?.resolve()
    this.#child?.abandon()
  }

  async #settle(): Promise<void> {
    while (this.#pending.size > 0 && !this.#abandoned) {
      if (!this.#whenAbandoned) {
        let resolve!: () => void
        const promise = new Promise<void>((r) => (resolve = r))
        this.#whenAbandoned = { promise, resolve }
      }
      await Promise.race([Promise.allSettled([...this.#pending]), this.#whenAbandoned.promise])
    }
  }

  #usable(): void {
    if (this.#ended) throw new ClosedError('transaction')
    if (this.#child) throw new BadTxnError('a nested transaction is open: use it until it ends')
  }

  /**
   * Packs a call's step into the batch of this tick's calls, and answers its
   * result (see `#queue`). Never throws: a call that cannot be packed
   * rejects alone, with nothing of it in the batch.
   */
  #run<T>(make: () => Step<T>): Promise<T> {
    let result: Promise<T>
    try {
      this.#usable()
      const batch = this.#queue(make)
      result = batch.results.then(batch.pick) as Promise<T>
    } catch (error) {
      result = Promise.reject(error)
    }
    // a call that fails unawaited does not fail the process (the commit waits for it all the same)
    result.catch(ignore)
    return result
  }

  /**
   * Packs a call's step into the batch of this tick's calls. The batch goes
   * to the writer when the microtasks run, or before any other call of this
   * transaction does (calls keep their order): one message and one promise
   * for a tick of calls, not one each. If packing throws, nothing of the
   * step stays in the batch.
   */
  #queue(make: () => Step<unknown>): TickBatch {
    const step = make()
    const batch = (this.#batch ??= this.#newBatch())
    const { builder } = batch
    const bytes = builder.bytes
    const ops = builder.size
    try {
      step.build(builder, batch.units)
    } catch (error) {
      builder.truncate(bytes, ops)
      throw error
    }
    batch.steps.push(step)
    batch.makes.push(make)
    batch.starts.push(batch.units)
    batch.units += step.units
    return batch
  }

  #newBatch(): TickBatch {
    let send!: (results: Promise<Result[]>) => void
    const results = new Promise<Result[]>((resolve) => (send = resolve))
    let picked = 0
    const batch: TickBatch = {
      builder: new BatchBuilder(),
      units: 0,
      steps: [],
      makes: [],
      starts: [],
      results,
      send,
      // Each call's reaction to `results`: reactions run in the order they
      // were added, one per call, so the n-th picks call n's results.
      pick: (all) => {
        const call = picked++
        const step = batch.steps[call]
        const own = all.slice(batch.starts[call], batch.starts[call] + step.units)
        return lost(step, own) ? this.#run(batch.makes[call]) : step.read(own)
      },
    }
    // The commit waits for the batch: its reactions to this settling run
    // after every call's (added before), so a call sent again is counted by then.
    this.#track(() => results.then(ignore, ignore))
    queueMicrotask(() => this.#flush())
    return batch
  }

  /** Sends the batch of this tick's calls, if any. */
  #flush(): void {
    const batch = this.#batch
    if (batch === undefined) return
    this.#batch = undefined
    batch.send(batch.units === 0 ? Promise.resolve([]) : this.#exec(batch.builder.take()))
  }

  /** Runs a batch; after a write, the cursors' entries are read again. */
  async #exec(batch: Buffer): Promise<Result[]> {
    const results = await this.#call(() => this.#native.exec(batch))
    if (writes(batch)) await this.#cursors.refresh((b) => this.#call(() => this.#native.exec(b)))
    return results
  }

  /** Runs `work`, counted among the calls the commit waits for. */
  #track<T>(work: () => Promise<T>): Promise<T> {
    const done = work()
    this.#pending.add(done)
    const forget = () => this.#pending.delete(done)
    done.then(forget, forget)
    return done
  }

  /** Makes a call to the writer, after the steps queued before it. */
  async #call<T>(call: () => Promise<T>): Promise<T> {
    this.#flush()
    try {
      return await answer(call()) // the writer thread answers in microseconds
    } catch (error) {
      throw fromNative(error)
    }
  }
}

/** The same members as {@link Transaction}, synchronous, for `env.transactionSync(fn)`. */
export class TransactionSync {
  readonly #native: NativeExclusive
  readonly #cursors = new TxnCursors()
  #ended = false
  #nested = 0

  /** @internal Use `env.transactionSync(fn)`. */
  constructor(native: NativeExclusive) {
    this.#native = native
  }

  /** The value of `key` in `db`, as this transaction sees it (`defaultValue` if absent). */
  get<K, V>(db: Database<K, V>, key: Input<K>): V | undefined
  get<K, V, D>(db: Database<K, V>, key: Input<K>, defaultValue: D): V | D
  get<K, V>(db: Database<K, V>, key: Input<K>, defaultValue?: unknown): unknown {
    return this.#run(() => steps.get(db, key, defaultValue))
  }
  /** {@link Database.getManySync} as this transaction sees it. */
  getMany<K, V>(db: Database<K, V>, keys: Iterable<Input<K>>): (V | undefined)[] {
    return this.#run(() => steps.getMany(db, keys))
  }
  /** Whether `key` is in `db`, as this transaction sees it. */
  has<K, V>(db: Database<K, V>, key: Input<K>): boolean {
    return this.#run(() => steps.has(db, key))
  }
  /** {@link Database.put} in this transaction: `false` where `options` (`ifValue` too) refused the write. */
  put<K, V>(db: Database<K, V>, key: Input<K>, value: Input<V>, options?: PutOptions & IfValueOptions<Input<V>>): boolean {
    return this.#run(() => steps.put(db, key, value, options))
  }
  /** {@link Database.putMany} in this transaction: how many entries were written. */
  putMany<K, V>(db: Database<K, V>, entries: Iterable<PutEntry<Input<K>, Input<V>>>, options?: PutOptions): number {
    const list = Array.from(iterable(entries)) // encoded again if its structures were taken
    return this.#run(() => steps.putMany(db, list, options))
  }
  /** {@link Database.delete} in this transaction: whether it deleted (`false` also when `ifValue` did not match). */
  delete<K, V>(db: Database<K, V>, key: Input<K>, options?: IfValueOptions<Input<V>>): boolean
  /** On a dupSort database: deletes the one pair `key`/`value` in this transaction. */
  delete<K, V>(db: Database<K, V>, key: Input<K>, value: Input<V>): boolean
  delete<K, V>(db: Database<K, V>, key: Input<K>, second?: unknown): boolean {
    return this.#run(() => steps.delete(db, key, second))
  }
  /** {@link Database.deleteMany} in this transaction: how many keys existed. */
  deleteMany<K, V>(db: Database<K, V>, keys: Iterable<Input<K>>): number {
    return this.#run(() => steps.deleteMany(db, keys))
  }
  /** {@link Database.replace} in this transaction: the value replaced. */
  replace<K, V>(db: Database<K, V>, key: Input<K>, value: Input<V>): V | undefined {
    return this.#run(() => steps.replace(db, key, value))
  }
  /** {@link Database.pop} in this transaction: the value deleted. */
  pop<K, V>(db: Database<K, V>, key: Input<K>): V | undefined {
    return this.#run(() => steps.pop(db, key))
  }
  /** {@link Database.drop} in this transaction: empties `db`, or with `delete: true` removes it. */
  drop<K, V>(db: Database<K, V>, options?: { delete?: boolean }): void {
    this.#run(() => steps.drop(db, options))
  }

  /** A cursor over `db` in this transaction. */
  cursor<K, V>(db: Database<K, V>): CursorSync<K, V> {
    this.#check()
    return new CursorSync(db, (batch) => {
      this.#check()
      return this.#exec(batch)
    }, this.#cursors)
  }

  /** Runs `fn` in a nested transaction; a throw undoes only what it did. */
  nested<T>(fn: (txn: TransactionSync) => T): T {
    this.#check()
    this.#call(() => this.#native.nested('begin'))
    this.#nested++
    let result: T
    try {
      result = fn(this)
    } catch (error) {
      this.#nested--
      this.#call(() => this.#native.nested('abort'))
      this.#cursors.writes++ // its writes are undone
      throw error
    }
    this.#nested--
    this.#call(() => this.#native.nested('commit'))
    return result
  }

  /** @internal Commits or aborts. */
  end(commit: boolean): void {
    checkCommit(commit)
    this.#check()
    this.#ended = true
    this.#call(() => this.#native.end(commit))
  }

  #check(): void {
    if (this.#ended) throw new ClosedError('transaction')
  }

  #run<T>(make: () => Step<T>): T {
    this.#check()
    for (;;) {
      const step = make()
      const results = this.#exec(packStep(step))
      if (lost(step, results)) continue
      return step.read(results)
    }
  }

  /** Runs a batch; after a write, the cursors read their entries again. */
  #exec(batch: Buffer): Result[] {
    const results = this.#call(() => this.#native.exec(batch))
    if (writes(batch)) this.#cursors.writes++
    return results
  }

  #call<T>(fn: () => T): T {
    try {
      return fn()
    } catch (error) {
      throw fromNative(error)
    }
  }
}
