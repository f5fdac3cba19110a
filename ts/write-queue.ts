/**
 * Gathers the writes issued in one tick into one batch for the writer
 * thread. Each public call (a `put`, a whole `putMany`) is one *unit*: it
 * commits or fails as a whole, and settles its own promise. The writer may
 * commit several batches in one transaction (group commit).
 *
 * A tick that issues many writes sends them in parts (`PART`) as it
 * goes: the writer applies each part while this thread packs the next, and
 * commits them all once the tick's last part is in.
 *
 * Writes take effect in the order they were issued. A `putMany` fed by an
 * async iterable cannot pack its operations at once, so it *reserves* its
 * place: what is issued after it waits (already packed) until it is filled
 * or cancelled, then goes out behind it.
 *
 * A unit whose values may use shared structures not yet known to be stored
 * (records) *carries* them (`Ensures`, packed with it): once it commits
 * they are; if it failed because another writer stored other structures
 * under their ids first, the coder now has the stored ones, and the unit is
 * encoded anew and sent again (`Again`). Its promise is the one every unit
 * has: a tick of such writes costs no promise more.
 *
 * A large `putMany` in key order goes in parts of its own, in a write
 * transaction of its own (`sendInParts`), so that the writer applies it
 * while it is still being packed.
 *
 * Plain puts to one database issued one after another (no options, small
 * values: see `Database.put`) form a *run*: one unit, one promise, as
 * lmdb-js's puts share their batch's. They were checked before they joined
 * it; what could still fail in LMDB (the map full without `autoGrow`, a
 * disk error) fails them together. A run carries its shared structures
 * once, and keeps its puts' keys and values to send them again.
 */
import { BatchBuilder } from './batch.js'
import { pack, packEnsures, type Encoded } from './encoding.js'
import { ClosedError } from './errors.js'
import { fromNative } from './native-error.js'
import type { DbRef, NativeEnv } from './native.js'
import type { Ensures } from './structures.js'

/** What a unit resolved with natively: a flag, a count or a previous value. */
export type UnitResult = boolean | number | Buffer | null

/** Sends a unit again, encoded anew (see the module doc). */
export type Again = () => Promise<UnitResult>

/** What a batch resolves with natively: one result per unit (an error's text for a unit that failed alone). */
type Results = Uint8Array | (UnitResult | Error)[]

/**
 * Units packed together, to be sent as one batch. Every unit's promise
 * follows the one promise of its batch (`done`): a unit costs one `then`,
 * not a promise with its own resolving functions and a record to keep them.
 */
interface Segment {
  builder: BatchBuilder
  units: number
  done: Promise<Results>
  /** Settles `done` with the native batch's promise. */
  follow(sent: Promise<Results>): void
  /**
   * Each unit's `then` on `done`: the reactions to one promise run in the
   * order they were added, and each unit adds one, in unit order, so the
   * n-th call picks unit n's result. One function per batch, not per unit.
   */
  pick(results: Results): UnitResult | Promise<UnitResult>
  /** By unit, what the units carrying shared structures carry, and how each is sent again. */
  ensures?: (Ensures | undefined)[]
  again?: (Again | undefined)[]
  /** The run still open, always the segment's last unit (see the module doc). */
  run?: Run
}

/** Sends one put of a run again (see `Run`). */
export type Resend = (key: unknown, value: unknown) => Promise<unknown>

/** Plain puts packed as one unit; see the module doc. */
interface Run {
  unit: number
  promise: Promise<true>
  /** The database its puts go to: one only, so that a database deleted under it fails no other's puts. */
  ref: DbRef
  /** How its puts are sent again, given a database whose values may use shared structures. */
  resend: Resend | undefined
  /** The structures it carries: the latest of its puts', which cover the earlier. */
  ensures: Ensures | undefined
  /**
   * With `resend`: its puts' keys and values, in turn, in chunks of `KEPT`
   * filled in place (an array grown by `push` leaves its old copies behind,
   * ~50 bytes a put), and how much of the last chunk is filled. Its first
   * chunk comes with it: an empty `[]` holds small integers until the
   * first chunk goes in, and V8 threw away the code optimized for it then.
   */
  kept: unknown[][]
  filled: number
}

/** Keys and values a chunk of `Run.kept` holds. */
const KEPT = 512

/** A place held in the order of writes; see the module doc. */
export interface Reservation {
  filled?: Segment
  cancelled: boolean
}

type Slot = Segment | Reservation

/**
 * A part of a tick's writes (see the module doc) closes at this many units
 * or this many bytes, whichever comes first. The tick's last part is
 * applied only once the tick has ended, so the smaller parts are, the
 * sooner the tick commits; and native code copies a part into one of its
 * pooled buffers, which are at most 1 MiB.
 */
const PART = 4096
const PART_BYTES = 256 * 1024

/**
 * Packs one unit's operations, given its unit number, and answers the
 * shared structures it carries, if any. Whatever it packed before it
 * threw is dropped.
 */
export type Build = (builder: BatchBuilder, unit: number) => Ensures | void

/**
 * Packs a unit sent in parts (`WriteQueue.sendInParts`) as unit 0, calling
 * `part` after each operation: it sends what is packed once that is a part's worth.
 */
export type BuildInParts = (builder: BatchBuilder, part: () => void) => Ensures | void

/**
 * A `putMany` of at least this many entries in key order goes in parts
 * (see `WriteQueue.sendInParts`): packing that many takes long enough for
 * the writer's share to matter, more than a transaction's begin and commit.
 */
export const IN_PARTS = 8192

export class WriteQueue {
  readonly #native: NativeEnv
  readonly #slots: Slot[] = []
  readonly #spare: BatchBuilder[] = []
  #scheduled = false

  constructor(native: NativeEnv) {
    this.#native = native
  }

  /**
   * Queues one unit behind everything issued before it; one whose `build`
   * answers ensures it carried is sent `again` if they lost to another
   * writer's. If `build` throws, nothing of the unit is queued.
   */
  unit(build: Build, again?: Again): Promise<UnitResult> {
    const last = this.#slots.at(-1)
    const open = last !== undefined && 'builder' in last ? last : undefined
    const full = open !== undefined && this.#full(open)
    const segment = open !== undefined && !full ? open : this.#segment()
    let sent
    try {
      sent = this.#add(segment, build, again)
    } catch (error) {
      if (segment !== open) this.#spare.push(segment.builder)
      throw error
    }
    if (segment !== open) {
      // as in `#last`, but only now that the unit is packed
      if (full) {
        this.#send(open, true)
        this.#slots.pop()
      }
      this.#slots.push(segment)
    }
    return sent
  }

  /**
   * Queues a unit of one operation (the common `put`/`delete`), packed at
   * once with no closure to call; `again` as for `unit`, if it carries ensures.
   */
  op(op: Encoded, again?: Again): Promise<UnitResult> {
    if (op.ensures && again === undefined) throw new TypeError(NO_AGAIN)
    const segment = this.#last()
    if (segment.run) closeRun(segment, segment.run)
    const unit = segment.units++
    pack(segment.builder, unit, op)
    if (op.ensures) carry(segment, unit, op.ensures, again!)
    this.#schedule()
    return segment.done.then(segment.pick)
  }

  /**
   * Queues a plain put (see the module doc): into the run the last segment
   * ends with, if its puts are sent again the same way, else into a new run.
   * `resend` is given for a database whose values may use shared structures:
   * then the run keeps `key` and `value`.
   */
  put(op: Encoded, resend: Resend | undefined, key: unknown, value: unknown): Promise<true> {
    const segment = this.#last()
    let run = segment.run
    if (run === undefined || run.ref !== op.ref || run.resend !== resend || !covers(run.ensures, op.ensures)) {
      if (run !== undefined) closeRun(segment, run)
      run = openRun(segment, op.ref, resend)
    }
    segment.builder.pushOp(run.unit, op)
    if (op.ensures !== undefined) run.ensures = op.ensures
    if (resend !== undefined) keep(run, key, value)
    this.#schedule()
    return run.promise
  }

  /**
   * Sends a unit in parts as it is packed (a large `putMany`), in a write
   * transaction of its own: the writer applies each part while this thread
   * packs the next, and the transaction commits only if every part did (a
   * part that fails fails it, whatever its end says), so the unit is still
   * all or nothing. The writes issued before it go first; `undefined` when
   * one of them still waits for its place (a reservation), and the unit is
   * to be queued as any other. While it packs, `inParts` is set: a
   * `transactionSync` there (a coder's) would wait for ever for its end.
   */
  sendInParts(build: BuildInParts, again: Again): Promise<UnitResult> | undefined {
    this.flush()
    if (this.#slots.length > 0) return undefined
    const txn = this.#native.beginWrite()
    const builder = this.#spare.pop() ?? new BatchBuilder()
    const sent: Promise<Results>[] = []
    const part = () => {
      if (builder.bytes >= PART_BYTES) sent.push(txn.exec(builder.take(), true))
    }
    let ensures
    this.#packingInParts++
    try {
      ensures = build(builder, part) ?? undefined
      sent.push(txn.exec(builder.take(), true))
    } catch (error) {
      builder.take()
      // nothing of it stays; the error is the packing's, not its parts' or end's
      for (const part of sent) part.catch(() => undefined)
      txn.end(false).catch(() => undefined)
      throw error
    } finally {
      this.#packingInParts--
      this.#spare.push(builder)
    }
    return partsResult(sent, txn.end(true), ensures, again)
  }

  /** Whether `sendInParts` is packing (a coder may start another inside it). */
  get inParts(): boolean {
    return this.#packingInParts > 0
  }

  #packingInParts = 0

  /** Holds the next place in the order of writes for a unit packed later. */
  reserve(): Reservation {
    const reservation: Reservation = { cancelled: false }
    this.#slots.push(reservation)
    return reservation
  }

  /** Packs the unit that `reservation` held a place for. */
  fill(reservation: Reservation, build: Build, again?: Again): Promise<UnitResult> {
    if (reservation.cancelled) return Promise.reject(new ClosedError())
    const segment = this.#segment()
    let sent
    try {
      sent = this.#add(segment, build, again)
    } catch (error) {
      // what waits behind the place goes out
      this.#spare.push(segment.builder)
      this.cancel(reservation)
      throw error
    }
    reservation.filled = segment
    return sent
  }

  /** Gives up a reserved place: what waited behind it goes out. */
  cancel(reservation: Reservation): void {
    reservation.cancelled = true
    this.#schedule()
  }

  /** Sends what can go now. `close` calls it after cancelling every reservation. */
  flush(): void {
    this.#scheduled = false
    while (this.#slots.length > 0) {
      const head = this.#slots[0]
      if ('builder' in head) this.#send(head, false)
      else if (head.filled) this.#send(head.filled, false)
      else if (!head.cancelled) return
      this.#slots.shift()
    }
  }

  /** For `close`: no reservation will be filled any more; send the rest. */
  flushAll(): void {
    for (const slot of this.#slots) if (!('builder' in slot) && !slot.filled) slot.cancelled = true
    this.flush()
  }

  /**
   * The segment to pack the next unit into. A full one with nothing ahead
   * of it goes out now as a part: the unit coming proves more follows, so
   * the tick's last part is always the one `flush` sends.
   */
  #last(): Segment {
    const last = this.#slots.at(-1)
    if (last !== undefined && 'builder' in last) {
      if (!this.#full(last)) return last
      this.#send(last, true)
      this.#slots.pop()
    }
    const segment = this.#segment()
    this.#slots.push(segment)
    return segment
  }

  /** Whether `last`, the last slot, is to go out as a part before another unit is packed (see `#last`). */
  #full(last: Segment): boolean {
    return this.#slots.length === 1 && (last.units >= PART || last.builder.bytes >= PART_BYTES)
  }

  #segment(): Segment {
    let follow!: (sent: Promise<Results>) => void
    const done = new Promise<Results>((resolve) => (follow = resolve))
    let next = 0
    const pick = (results: Results) => {
      const unit = next++
      const ensures = segment.ensures?.[unit]
      return ensures === undefined ? unitResult(results, unit) : carried(results, unit, ensures, segment.again![unit]!)
    }
    // `ensures` and `again` from the start: one shape for every segment, for the hot code that reads them
    const segment: Segment = { builder: this.#spare.pop() ?? new BatchBuilder(), units: 0, done, follow, pick, ensures: undefined, again: undefined, run: undefined }
    return segment
  }

  #add(segment: Segment, build: Build, again: Again | undefined): Promise<UnitResult> {
    if (segment.run) closeRun(segment, segment.run)
    const { builder } = segment
    const bytes = builder.bytes
    const ops = builder.size
    const unit = segment.units
    let ensures
    try {
      ensures = build(builder, unit)
      if (ensures && again === undefined) throw new TypeError(NO_AGAIN)
    } catch (error) {
      builder.truncate(bytes, ops)
      throw error
    }
    segment.units++
    if (ensures) carry(segment, unit, ensures, again!)
    this.#schedule()
    return segment.done.then(segment.pick)
  }

  #schedule(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    queueMicrotask(() => this.flush())
  }

  /** Sends a segment; a `part` is one with more of its tick to follow. */
  #send(segment: Segment, part: boolean): void {
    const { builder, units, follow } = segment
    if (units === 0) return
    if (segment.run) closeRun(segment, segment.run)
    let sent: Promise<Results>
    try {
      sent = this.#native.write(builder.take(), part)
    } catch (error) {
      sent = Promise.reject(error)
    }
    this.#spare.push(builder)
    follow(
      sent.catch((error: unknown) => {
        throw fromNative(error)
      }),
    )
  }
}

/**
 * The result of a unit sent in parts: the sum of its parts' counts once
 * its transaction committed, or the error that aborted it; sent again if
 * that was its shared structures losing their ids (see the module doc).
 */
async function partsResult(sent: Promise<Results>[], ended: Promise<void>, ensures: Ensures | undefined, again: Again): Promise<UnitResult> {
  const parts = Promise.all(sent)
  parts.catch(() => undefined) // a part's failure is the end's
  try {
    await ended
  } catch (error) {
    if (ensures?.structures.conflicted(ensures)) return again()
    throw fromNative(error)
  }
  ensures?.structures.confirm(ensures)
  let total = 0
  for (const results of await parts) total += count(unitResult(results, 0))
  return total
}

/** A unit of one operation answers `true`/`false`; of several, a count. */
export function count(result: UnitResult): number {
  return typeof result === 'boolean' ? Number(result) : (result as number)
}

/** A mistake of this library's: a write that may carry shared structures is queued without `again`. */
const NO_AGAIN = 'a unit that carries shared structures needs a way to be sent again'

/** Notes that `unit` of `segment` carries `ensures`, and how it is sent again. */
function carry(segment: Segment, unit: number, ensures: Ensures, again: Again): void {
  ;(segment.ensures ??= [])[unit] = ensures
  ;(segment.again ??= [])[unit] = again
}

/**
 * Opens a run as the next unit of `segment`. Its promise is its unit's one
 * `then` on the batch's, made now: reactions run in the order added, one per unit.
 */
function openRun(segment: Segment, ref: DbRef, resend: Resend | undefined): Run {
  const run: Run = { unit: segment.units++, promise: undefined!, ref, resend, ensures: undefined, kept: resend === undefined ? [] : [new Array(KEPT)], filled: 0 }
  run.promise = segment.done.then(segment.pick).then(yes)
  segment.run = run
  return run
}

/**
 * No more puts join `run`: the structures it carries go in behind them (the
 * core applies them first), and it is carried as any unit is.
 */
function closeRun(segment: Segment, run: Run): void {
  if (run.ensures !== undefined) {
    packEnsures(segment.builder, run.unit, run.ensures)
    carry(segment, run.unit, run.ensures, () => sendAgain(run))
  }
  segment.run = undefined
}

/** Notes a put of `run`, to send it again (see `Run.kept`). */
function keep(run: Run, key: unknown, value: unknown): void {
  if (run.filled === KEPT) {
    run.kept.push(new Array(KEPT))
    run.filled = 0
  }
  const chunk = run.kept[run.kept.length - 1]
  chunk[run.filled++] = key
  chunk[run.filled++] = value
}

/** Sends a run's puts again; consecutive ones share a promise, each awaited once. */
function sendAgain({ resend, kept, filled }: Run): Promise<true> {
  const sent = new Set<Promise<unknown>>()
  kept.forEach((chunk, c) => {
    const end = c === kept.length - 1 ? filled : KEPT
    for (let i = 0; i < end; i += 2) sent.add(resend!(chunk[i], chunk[i + 1]))
  })
  return Promise.all(sent).then(yes)
}

const yes = (): true => true

/**
 * Whether a run carrying `ensures` may take a put carrying `next`: the
 * later ensures of one encoder (same start, same generation) cover the
 * earlier. Ensures made after others were confirmed start elsewhere.
 */
function covers(ensures: Ensures | undefined, next: Ensures | undefined): boolean {
  return ensures === next || ensures === undefined || next === undefined || (ensures.from === next.from && ensures.generation === next.generation && ensures.structures === next.structures)
}

/** Unit `i`'s result, the unit having carried `ensures` (see the module doc). */
function carried(results: Results, i: number, ensures: Ensures, again: Again): UnitResult | Promise<UnitResult> {
  let result: UnitResult
  try {
    result = unitResult(results, i)
  } catch (error) {
    if (ensures.structures.conflicted(ensures)) return again()
    throw error
  }
  ensures.structures.confirm(ensures)
  return result
}

/** Unit `i`'s result out of its batch's results. */
function unitResult(results: Results, i: number): UnitResult {
  const result = results[i]
  if (results instanceof Uint8Array) return result === 1 // every unit answered a flag
  if (result instanceof Error) throw fromNative(result)
  return result as UnitResult
}
