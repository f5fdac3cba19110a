/**
 * Cursors (py-lmdb's, async): a position in one database of a snapshot or a
 * write transaction, moved one step per call. The cursor remembers the raw
 * key and value it stands on; each move runs natively from there (see
 * `crates/core/src/cursor.rs`), so it stays right while the transaction
 * writes. `key`, `value` and `item` decode the current entry.
 */
import type { Input } from './coders/index.js'
import { BatchBuilder, Op } from './batch.js'
import type { Database } from './database.js'
import { encodingOf, keyBytes, pack as packOp, putFlags, valueBytes, type DbEncoding } from './encoding.js'
import { ClosedError, CoderError } from './errors.js'
import { fromNative } from './native-error.js'
import { checkOptions } from './options.js'
import type { PutOptions } from './types.js'
import type { UnitResult } from './write-queue.js'

/** @internal The moves, as `cursor::moves` in the core (held to them by a test). */
export enum Move {
  First = 0,
  Last = 1,
  Next = 2,
  Prev = 3,
  Seek = 4,
  SeekRange = 5,
  FirstDup = 6,
  LastDup = 7,
  NextDup = 8,
  PrevDup = 9,
  NextNoDup = 10,
  PrevNoDup = 11,
  SeekDup = 12,
  SeekRangeDup = 13,
  Count = 14,
  Current = 15,
  /** The exact pair on a dupSort database, else the key. */
  SeekDupOrKey = 16,
}

/** What one unit of a batch gave: a result, a failure (message or error), or nothing. */
type Answer = UnitResult | Error | undefined
/** Runs one batch in the cursor's transaction; one answer per unit. */
export type Runner = (batch: Buffer) => Promise<Answer[]>
/** The same, synchronously. */
export type RunnerSync = (batch: Buffer) => Answer[]

function pack(key: Uint8Array, value: Uint8Array = EMPTY): Buffer {
  const out = Buffer.allocUnsafe(4 + key.length + value.length)
  out.writeUInt32LE(key.length, 0)
  out.set(key, 4)
  out.set(value, 4 + key.length)
  return out
}

const EMPTY = new Uint8Array(0)

/** Whether a batch writes: each member packs operations of one kind, a cursor's write comes first. */
export function writes(batch: Uint8Array): boolean {
  const kind = batch[0]
  return kind !== undefined && kind !== Op.Get && kind !== Op.Has && kind !== Op.Cursor
}

/**
 * @internal The cursors of one write transaction. A write changes the value
 * a cursor stands on or deletes its entry, so the entry is read again after
 * each write, as py-lmdb does ("must refresh key and value following
 * mutation"): for the async cursors at once, in one batch; for the sync
 * ones when they are next read.
 */
export class TxnCursors {
  /** How many writes the transaction made. */
  writes = 0
  readonly #live = new Set<Position<unknown, unknown>>()

  /** @internal */
  add(at: Position<unknown, unknown>): void {
    this.#live.add(at)
  }

  /** @internal */
  delete(at: Position<unknown, unknown>): void {
    this.#live.delete(at)
  }

  /** After a write: the entries of the positioned async cursors, read again. */
  async refresh(run: Runner): Promise<void> {
    this.writes++
    const on = [...this.#live].filter((at) => at.on)
    if (on.length === 0) return
    const b = new BatchBuilder()
    on.forEach((at, unit) => at.pushCurrent(b, unit))
    // the write itself succeeded: a failed re-read leaves the cursors as they were
    const answers = await run(b.take()).catch(() => [])
    on.forEach((at, i) => at.reland(answers[i]))
  }
}

/** Where a cursor stands, and the encoding of its database; packs its batches. */
class Position<K, V> {
  readonly enc: DbEncoding<K, V>
  readonly db: Database<K, V>
  /** The write transaction's cursors (none for a snapshot's), and its write count when this entry was read. */
  readonly group: TxnCursors | undefined
  seen = 0
  /** The last entry stood on: moves start from it. */
  key: Buffer | undefined
  value: Buffer | undefined
  /**
   * Whether the cursor stands on that entry. A step that finds nothing
   * (past the end, no more duplicates) leaves it unpositioned but keeps the
   * entry, as LMDB does, so the next step goes from there; a failed seek
   * forgets it.
   */
  on = false
  closed = false

  constructor(db: Database<K, V>, group?: TxnCursors) {
    this.db = db
    this.enc = encodingOf(db)
    this.group = group
  }

  #builder(): BatchBuilder {
    if (this.closed) throw new ClosedError('cursor')
    return new BatchBuilder()
  }

  #here(): Uint8Array {
    return this.key === undefined ? EMPTY : pack(this.key, this.value)
  }

  /** One move from here. */
  move(move: Move, arg?: Buffer): Buffer {
    const b = this.#builder()
    b.push(Op.Cursor, move, 0, this.enc.ref, this.#here(), arg)
    return b.take()
  }

  /** A put, then a move onto what it wrote (the exact pair where the value is stored as given). */
  put(key: Input<K>, value: Input<V>, options?: PutOptions): Buffer {
    const b = this.#builder()
    const op = this.enc.put(key, value, putFlags(options))
    packOp(b, 0, op)
    // the seek needs the bytes of what a write may pack as text, or in place
    this.#standOn(b, keyBytes(op), op.codec !== 0 ? undefined : valueBytes(op))
    return b.take()
  }

  /** A delete of the current entry (or of its key's every value), then a move onto what followed. */
  delete(allValues: boolean): Buffer | undefined {
    if (!this.on || this.key === undefined) {
      if (this.closed) throw new ClosedError('cursor')
      return undefined
    }
    const b = this.#builder()
    // the raw stored value: a dupSort database deletes just this pair
    b.push(Op.Delete, 0, 0, this.enc.ref, this.key, allValues ? undefined : this.value)
    b.push(Op.Cursor, Move.Current, 1, this.enc.ref, this.#here())
    return b.take()
  }

  /**
   * A pop of `key` (its first value) then a move onto the entry after it,
   * or, with no key, of the current entry as stored now; `undefined` when
   * there is no key and no current entry.
   */
  pop(key?: Input<K>): Buffer | undefined {
    const b = this.#builder()
    const wire = this.enc.wire()
    if (key !== undefined) {
      const k = this.enc.key(key)
      b.push(Op.Pop, 0, 0, this.enc.ref, k, undefined, wire.codec)
      b.push(Op.Cursor, Move.SeekRange, 1, this.enc.ref, EMPTY, pack(k))
    } else {
      if (!this.on || this.key === undefined) return undefined
      // the raw stored value names the pair of a dupSort database
      b.push(Op.Pop, 0, 0, this.enc.ref, this.key, this.value, wire.codec)
      b.push(Op.Cursor, Move.Current, 1, this.enc.ref, this.#here())
    }
    return b.take()
  }

  /** A move onto the current entry as stored now (or the one after, when it is gone). */
  pushCurrent(b: BatchBuilder, unit: number): void {
    b.push(Op.Cursor, Move.Current, unit, this.enc.ref, this.#here())
  }

  /** Takes the answer of `pushCurrent` (a failure leaves the cursor as it was: its next move reports it). */
  reland(answer: Answer | undefined): void {
    if (answer !== undefined && !(answer instanceof Error)) this.land(answer)
  }

  /** Whether the transaction wrote since this entry was read (sync cursors re-read it then). */
  stale(): boolean {
    return this.on && this.group !== undefined && this.group.writes !== this.seen
  }

  /** A replace, then a move onto what it wrote. */
  replace(key: Input<K>, value: Input<V>): Buffer {
    const b = this.#builder()
    const op = this.enc.replace(key, value)
    packOp(b, 0, op)
    this.#standOn(b, keyBytes(op), op.codec === 0 ? valueBytes(op) : undefined)
    return b.take()
  }

  #standOn(b: BatchBuilder, key: Uint8Array, value: Uint8Array | undefined): void {
    // a dupSort database has many values under the key: stand on this one
    b.push(Op.Cursor, value === undefined ? Move.Seek : Move.SeekDupOrKey, 1, this.enc.ref, EMPTY, pack(key, value))
  }

  /** The results of a batch, failures thrown. */
  unwrap(results: Answer[]): (Buffer | null | boolean | number)[] {
    return results.map((r) => {
      if (r instanceof Error) throw fromNative(r)
      return r === undefined ? null : r
    })
  }

  /** Takes the answer of a move: stands on its entry, or (see `on`) on none. */
  land(answer: unknown, move?: Move): boolean {
    if (this.group) this.seen = this.group.writes
    if (!(answer instanceof Uint8Array)) {
      this.on = false
      if (move === undefined) this.key = this.value = undefined
      return false
    }
    const bytes = answer as Buffer
    const len = bytes.readUInt32LE(0)
    this.key = bytes.subarray(4, 4 + len)
    this.value = bytes.subarray(4 + len)
    this.on = true
    return true
  }

  count([answer]: unknown[]): number {
    return answer instanceof Uint8Array ? Number((answer as Buffer).readBigUInt64LE(0)) : 0
  }

  decodeKey(): K | undefined {
    return !this.on || this.key === undefined ? undefined : this.#key(this.key)
  }

  #key(bytes: Buffer): K {
    try {
      return this.db.keyCoder.deserialize(bytes)
    } catch (error) {
      throw new CoderError(this.db.keyCoder.name, this.db.name, error)
    }
  }

  /** The current value: the raw stored bytes, through the whole value coder. */
  decodeValue(): V | undefined {
    return !this.on || this.value === undefined ? undefined : this.enc.decode(this.value, { coder: this.db.valueCoder, codec: 0, level: 0 })
  }

  /** A value a write returned (already decompressed natively). */
  decodeStored(old: unknown): V | undefined {
    return old instanceof Uint8Array ? this.enc.decode(old as Buffer, this.enc.wire()) : undefined
  }

  arg(key: Input<K>, value?: Input<V>): Buffer {
    const wire = this.enc.wire()
    return pack(this.enc.key(key), value === undefined ? EMPTY : this.enc.value(value, wire))
  }

  /** The argument of `seekRange`: an empty key is allowed (the first entry is at or after it). */
  rangeArg(key: Input<K>): Buffer {
    return pack(this.enc.key(key, true))
  }
}

/**
 * A cursor over one database. Each move resolves whether it found an entry
 * (then `key`, `value`, `item` describe it); a move that finds none leaves
 * the cursor unpositioned, and `next()`/`prev()` from there start at the
 * first/last entry. In a write transaction it also writes (`put`, `delete`,
 * `replace`, `pop`), standing on what it wrote.
 */
export class Cursor<K, V> {
  readonly #at: Position<K, V>
  readonly #run: Runner
  readonly #writable: boolean

  /** @internal Use `snapshot.cursor(db)` or `txn.cursor(db)`. */
  constructor(db: Database<K, V>, run: Runner, group?: TxnCursors) {
    this.#at = new Position(db, group)
    this.#run = run
    this.#writable = group !== undefined
    group?.add(this.#at as Position<unknown, unknown>)
  }

  /** The current key, or `undefined` when not positioned. */
  get key(): K | undefined {
    return this.#at.decodeKey()
  }
  /** The current value, or `undefined` when not positioned. */
  get value(): V | undefined {
    return this.#at.decodeValue()
  }
  /** `[key, value]` of the current entry, or `undefined`. */
  get item(): [K, V] | undefined {
    return this.#at.on ? [this.key as K, this.value as V] : undefined
  }

  /** To the first entry (of a dupSort database: the first value of the first key). Resolves whether it found one. */
  first(): Promise<boolean> { return this.#go(Move.First) }
  /** To the last entry (of a dupSort database: the last value of the last key). Resolves whether it found one. */
  last(): Promise<boolean> { return this.#go(Move.Last) }
  /** To the next entry (the next value of a dupSort key, then the next key); from no position, the first. Resolves whether it found one. */
  next(): Promise<boolean> { return this.#go(Move.Next) }
  /** To the previous entry; from no position, the last. Resolves whether it found one. */
  prev(): Promise<boolean> { return this.#go(Move.Prev) }
  /** To the current key's first value (dupSort). Resolves whether it found one. */
  firstDup(): Promise<boolean> { return this.#go(Move.FirstDup) }
  /** To the current key's last value (dupSort). Resolves whether it found one. */
  lastDup(): Promise<boolean> { return this.#go(Move.LastDup) }
  /** To the current key's next value; finds none past its last (dupSort). Resolves whether it found one. */
  nextDup(): Promise<boolean> { return this.#go(Move.NextDup) }
  /** To the current key's previous value; finds none before its first (dupSort). Resolves whether it found one. */
  prevDup(): Promise<boolean> { return this.#go(Move.PrevDup) }
  /** To the first value of the next key, skipping the rest of this one (dupSort). Resolves whether it found one. */
  nextNoDup(): Promise<boolean> { return this.#go(Move.NextNoDup) }
  /** To the last value of the previous key (dupSort). Resolves whether it found one. */
  prevNoDup(): Promise<boolean> { return this.#go(Move.PrevNoDup) }
  /** To `key` exactly (its first value). */
  seek(key: Input<K>): Promise<boolean> { return this.#go(Move.Seek, () => this.#at.arg(key)) }
  /** To the first key ≥ `key` (an empty key: the first entry). */
  seekRange(key: Input<K>): Promise<boolean> { return this.#go(Move.SeekRange, () => this.#at.rangeArg(key)) }
  /** To the pair `key`/`value` exactly (dupSort). */
  seekDup(key: Input<K>, value: Input<V>): Promise<boolean> { return this.#go(Move.SeekDup, () => this.#at.arg(key, value)) }
  /** To `key`'s first value ≥ `value` (dupSort). */
  seekRangeDup(key: Input<K>, value: Input<V>): Promise<boolean> { return this.#go(Move.SeekRangeDup, () => this.#at.arg(key, value)) }

  /** How many values the current key has (0 when not positioned). */
  async countDuplicates(): Promise<number> {
    if (!this.#at.on) return 0
    return this.#at.count(await this.#exec(() => this.#at.move(Move.Count)))
  }

  /** Stores `value` under `key` and stands on it. Resolves as `db.put` does. */
  async put(key: Input<K>, value: Input<V>, options?: PutOptions): Promise<boolean> {
    this.#writer()
    const [written, stand] = await this.#exec(() => this.#at.put(key, value, options))
    this.#at.land(stand)
    return written as boolean
  }

  /**
   * Deletes the current entry (with `dupData`, every value of its key) and
   * stands on the entry after it. Resolves whether there was one.
   */
  async delete(options?: { dupData?: boolean }): Promise<boolean> {
    this.#writer()
    const batch = this.#at.delete(checkOptions('delete()', options, DELETE_OPTIONS).dupData === true)
    if (!batch) return false
    const [deleted, stand] = await this.#exec(() => batch)
    this.#at.land(stand)
    return deleted as boolean
  }

  /** Stores `value` under `key`, stands on it, and resolves with the value it replaced. */
  async replace(key: Input<K>, value: Input<V>): Promise<V | undefined> {
    this.#writer()
    const [old, stand] = await this.#exec(() => this.#at.replace(key, value))
    this.#at.land(stand)
    return this.#at.decodeStored(old)
  }

  /**
   * Deletes `key` (of a dupSort database its first value), stands on the
   * entry after it, and resolves with the value deleted (`undefined`, and
   * no position, when `key` is absent), as py-lmdb's `Cursor.pop(key)`.
   * With no key: the current entry (its value as stored now).
   */
  async pop(key?: Input<K>): Promise<V | undefined> {
    this.#writer()
    const batch = this.#at.pop(key)
    if (!batch) return undefined
    const [old, stand] = await this.#exec(() => batch)
    this.#at.land(old === null ? null : stand)
    return this.#at.decodeStored(old)
  }

  /** Ends the cursor; later moves reject with `ClosedError`. */
  close(): void {
    this.#at.closed = true
    this.#at.group?.delete(this.#at as Position<unknown, unknown>)
  }

  /** Throws unless the cursor belongs to a write transaction. */
  #writer(): void {
    if (!this.#writable) throw new TypeError('this cursor reads a snapshot: writes need a write transaction')
  }

  async #go(move: Move, arg?: () => Buffer): Promise<boolean> {
    const [answer] = await this.#exec(() => this.#at.move(move, arg?.()))
    return this.#at.land(answer, arg === undefined ? move : undefined)
  }

  async #exec(batch: () => Buffer): Promise<(Buffer | null | boolean | number)[]> {
    const results = await this.#run(batch())
    return this.#at.unwrap(results)
  }
}

/** The same cursor, synchronous, for `transactionSync`. */
export class CursorSync<K, V> {
  readonly #at: Position<K, V>
  readonly #run: RunnerSync

  /** @internal Use `txn.cursor(db)` in `transactionSync`. */
  constructor(db: Database<K, V>, run: RunnerSync, group: TxnCursors) {
    this.#at = new Position(db, group)
    this.#run = run
  }

  /** The current key, or `undefined` when not positioned. */
  get key(): K | undefined {
    return this.#fresh().decodeKey()
  }
  /** The current value, or `undefined` when not positioned. */
  get value(): V | undefined {
    return this.#fresh().decodeValue()
  }
  /** `[key, value]` of the current entry, or `undefined`. */
  get item(): [K, V] | undefined {
    return this.#fresh().on ? [this.key as K, this.value as V] : undefined
  }

  /** To the first entry (of a dupSort database: the first value of the first key). Whether it found one. */
  first(): boolean { return this.#go(Move.First) }
  /** To the last entry (of a dupSort database: the last value of the last key). Whether it found one. */
  last(): boolean { return this.#go(Move.Last) }
  /** To the next entry (the next value of a dupSort key, then the next key); from no position, the first. Whether it found one. */
  next(): boolean { return this.#go(Move.Next) }
  /** To the previous entry; from no position, the last. Whether it found one. */
  prev(): boolean { return this.#go(Move.Prev) }
  /** To the current key's first value (dupSort). Whether it found one. */
  firstDup(): boolean { return this.#go(Move.FirstDup) }
  /** To the current key's last value (dupSort). Whether it found one. */
  lastDup(): boolean { return this.#go(Move.LastDup) }
  /** To the current key's next value; finds none past its last (dupSort). Whether it found one. */
  nextDup(): boolean { return this.#go(Move.NextDup) }
  /** To the current key's previous value; finds none before its first (dupSort). Whether it found one. */
  prevDup(): boolean { return this.#go(Move.PrevDup) }
  /** To the first value of the next key, skipping the rest of this one (dupSort). Whether it found one. */
  nextNoDup(): boolean { return this.#go(Move.NextNoDup) }
  /** To the last value of the previous key (dupSort). Whether it found one. */
  prevNoDup(): boolean { return this.#go(Move.PrevNoDup) }
  /** To `key` exactly (its first value). Whether it found one. */
  seek(key: Input<K>): boolean { return this.#go(Move.Seek, this.#at.arg(key)) }
  /** To the first key ≥ `key` (an empty key: the first entry). Whether it found one. */
  seekRange(key: Input<K>): boolean { return this.#go(Move.SeekRange, this.#at.rangeArg(key)) }
  /** To the pair `key`/`value` exactly (dupSort). Whether it found one. */
  seekDup(key: Input<K>, value: Input<V>): boolean { return this.#go(Move.SeekDup, this.#at.arg(key, value)) }
  /** To `key`'s first value ≥ `value` (dupSort). Whether it found one. */
  seekRangeDup(key: Input<K>, value: Input<V>): boolean { return this.#go(Move.SeekRangeDup, this.#at.arg(key, value)) }

  /** How many values the current key has (0 when not positioned). */
  countDuplicates(): number {
    if (!this.#at.on) return 0
    return this.#at.count(this.#exec(this.#at.move(Move.Count)))
  }

  /** Stores `value` under `key` and stands on it; `false` where `options` refused the write. */
  put(key: Input<K>, value: Input<V>, options?: PutOptions): boolean {
    const [written, stand] = this.#exec(this.#at.put(key, value, options))
    this.#at.land(stand)
    return written as boolean
  }

  /** Deletes the current entry (with `dupData: true`, every value of its key) and stands on the one after; whether anything was deleted. */
  delete(options?: { dupData?: boolean }): boolean {
    const batch = this.#fresh().delete(checkOptions('delete()', options, DELETE_OPTIONS).dupData === true)
    if (!batch) return false
    const [deleted, stand] = this.#exec(batch)
    this.#at.land(stand)
    return deleted as boolean
  }

  /** Stores `value` under `key`, stands on it, and returns the value it replaced. */
  replace(key: Input<K>, value: Input<V>): V | undefined {
    const [old, stand] = this.#exec(this.#at.replace(key, value))
    this.#at.land(stand)
    return this.#at.decodeStored(old)
  }

  /**
   * Deletes `key` (of a dupSort database its first value), stands on the
   * entry after it, and returns the value deleted (`undefined`, and no
   * position, when `key` is absent), as py-lmdb's `Cursor.pop(key)`. With
   * no key: the current entry (its value as stored now).
   */
  pop(key?: Input<K>): V | undefined {
    const batch = this.#fresh().pop(key)
    if (!batch) return undefined
    const [old, stand] = this.#exec(batch)
    this.#at.land(old === null ? null : stand)
    return this.#at.decodeStored(old)
  }

  /** Ends the cursor; later moves throw `ClosedError`. */
  close(): void {
    this.#at.closed = true
  }

  #go(move: Move, arg?: Buffer): boolean {
    return this.#at.land(this.#exec(this.#at.move(move, arg))[0], arg === undefined ? move : undefined)
  }

  /** The position, its entry read again if the transaction wrote since. */
  #fresh(): Position<K, V> {
    if (!this.#at.stale() || this.#at.closed) return this.#at
    try {
      this.#at.reland(this.#run(this.#at.move(Move.Current))[0])
    } catch {
      // the transaction ended: the entry as last read
    }
    return this.#at
  }

  #exec(batch: Buffer): (Buffer | null | boolean | number)[] {
    return this.#at.unwrap(this.#run(batch))
  }
}

/** Options of a cursor's `delete()`. */
const DELETE_OPTIONS = { dupData: 'boolean' } as const
