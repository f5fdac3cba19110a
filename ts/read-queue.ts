/**
 * Gathers the reads issued in one tick into one native task: one trip to
 * the thread pool and one read transaction serve them all, and the values
 * come back end to end in one buffer.
 */
import * as awake from './awake.js'
import { BatchBuilder, Op } from './batch.js'
import { abortable } from './abort.js'
import { fromNative } from './native-error.js'
import type { DbRef, ReadResult } from './native.js'
import { view } from './view.js'

/** What runs read batches: the environment (a fresh snapshot per batch) or a snapshot. */
export interface ReadSource {
  read(batch: Uint8Array): Promise<ReadResult>
  readSync(batch: Uint8Array): ReadResult
  /**
   * Sources whose batches all read one snapshot, each until its `close()`:
   * one, or two with a read transaction each, whose reads may run at once.
   */
  pinned(): PinnedSource[]
}

export interface PinnedSource {
  read(batch: Uint8Array): Promise<ReadResult>
  close(): void
}

/**
 * Keys per native read when one call reads more than this: the next piece
 * is packed, and the last one decoded, while native code reads.
 */
const PIECE = 4096

/**
 * A read's answer: the value's bytes (empty for a `has` that found the key),
 * `undefined` when absent, or the error of that one read (a damaged
 * compressed value, a deleted database).
 */
export type ReadAnswer = Buffer | undefined | Error

/**
 * What a read's promise resolves with, out of its batch's answers: a
 * function of its one answer (a throw rejects it), or a count of answers
 * it resolves with as an array.
 */
type Take = ((answer: ReadAnswer) => unknown) | number

/** Reads per slice (see `Slice`). */
const SLICE = 1024

/**
 * Reads issued one after another in a batch, whose promises all follow one
 * promise (`done`): a read costs one `then`, not a promise with its own
 * resolving functions and a record to keep them, and far less for the
 * collector to copy while a tick issues thousands.
 */
class Slice {
  readonly takes: Take[] = []
  readonly done: Promise<ReadAnswer[]>
  resolve!: (answers: ReadAnswer[]) => void
  reject!: (error: unknown) => void
  #next = 0
  /** Where the next read's answers start in the batch's. */
  #at: number

  constructor(start: number) {
    this.#at = start
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
  }

  /**
   * Each read's `then` on `done`: the reactions to one promise run in the
   * order they were added, and each read adds one, so the n-th call is
   * read n's.
   */
  readonly pick = (answers: ReadAnswer[]): unknown => {
    const take = this.takes[this.#next++]
    const at = this.#at
    if (typeof take === 'number') {
      this.#at += take
      return answers.slice(at, at + take)
    }
    this.#at += 1
    return take(answers[at])
  }
}

export class ReadQueue {
  readonly #native: ReadSource
  readonly #builder = new BatchBuilder()
  readonly #syncBuilder = new BatchBuilder()
  /** The slices of the batch being packed (its answers are one per operation packed). */
  #slices: Slice[] = []
  /** Batches sent, oldest first, until their reads are settled or handed to `settle`. */
  readonly #sent: Sent[] = []
  #scheduled = false

  constructor(native: ReadSource) {
    this.#native = native
  }

  /**
   * Queues reads of `keys` (encoded) in `db`; resolves with one answer per
   * key. `codec` says the values are stored compressed (decompressed natively).
   */
  read(kind: Op.Get | Op.Has, db: DbRef, keys: Uint8Array[], codec = 0): Promise<ReadAnswer[]> {
    for (const key of keys) this.#builder.push(kind, 0, 0, db, key, undefined, codec)
    return this.#queued(keys.length, keys.length) as Promise<ReadAnswer[]>
  }

  /**
   * Queues one read whose promise resolves with `take(answer)` (a throw
   * rejects it): one promise per `get`, where `read` and an `await` make two.
   */
  one(kind: Op.Get | Op.Has, db: DbRef, key: Uint8Array, codec: number, take: (answer: ReadAnswer) => unknown): Promise<unknown> {
    this.#builder.push(kind, 0, 0, db, key, undefined, codec)
    return this.#queued(take, 1)
  }

  /**
   * The tick's reads go when the microtasks run, or as soon as they fill a
   * piece: then the pool reads them while this thread is still issuing the
   * rest (each piece reads a snapshot taken after its reads were issued).
   */
  #queued(take: Take, answers: number): Promise<unknown> {
    let slice = this.#slices.at(-1)
    if (slice === undefined || slice.takes.length >= SLICE) {
      slice = new Slice(this.#builder.size - answers) // this read's operations are packed already
      this.#slices.push(slice)
    }
    slice.takes.push(take)
    const read = slice.done.then(slice.pick)
    if (this.#builder.size >= PIECE) {
      this.flush()
    } else if (!this.#scheduled) {
      this.#scheduled = true
      queueMicrotask(() => this.flush())
    }
    return read
  }

  /**
   * Reads the values of `keys` in one snapshot, and resolves with `decode`
   * of each answer, in order. More than a piece of keys run as a pipeline on
   * a snapshot of their own: the pool reads a piece per read transaction of
   * that snapshot (two, when no commit came between taking them, so two pool
   * threads read at once) while this thread encodes and packs the next and
   * decodes the last, so the call costs about the slower side, not the sum.
   * Keys are encoded piece by piece too: in random order they lie scattered
   * in memory, and touching each costs about as much as packing it.
   */
  async many<K, T>(
    db: DbRef,
    keys: readonly K[],
    encode: (key: K) => Uint8Array,
    codec: number,
    decode: (answer: ReadAnswer) => T,
    signal?: AbortSignal,
  ): Promise<T[]> {
    if (keys.length <= PIECE) return (await abortable(this.read(Op.Get, db, keys.map(encode), codec), signal)).map(decode)
    const out = new Array<T>(keys.length)
    const builder = new BatchBuilder()
    const pieces = Math.ceil(keys.length / PIECE)
    const pack = (piece: number) => {
      const to = Math.min(keys.length, (piece + 1) * PIECE)
      for (let i = piece * PIECE; i < to; i++) builder.push(Op.Get, 0, 0, db, encode(keys[i]), undefined, codec)
      return builder.take() // valid until the next push: sent before that
    }
    const first = pack(0) // bad keys in the first piece fail the call before any read
    let sources: PinnedSource[] = []
    const reading: Promise<ReadResult>[] = []
    try {
      sources = this.#native.pinned()
      const send = (packed: Uint8Array) => reading.push(sources[reading.length % sources.length].read(packed))
      send(first)
      while (reading.length < Math.min(sources.length, pieces)) send(pack(reading.length))
      for (let piece = 0; piece < pieces; piece++) {
        const next = reading.length < pieces ? pack(reading.length) : undefined
        // an abort rejects at once; pieces not yet sent are not sent
        const result = await abortable(reading[piece], signal)
        if (next) send(next) // before this piece is decoded: its source is free again
        const answers = unpack(result)
        const from = piece * PIECE
        for (let i = 0; i < answers.length; i++) out[from + i] = decode(answers[i])
      }
      return out
    } catch (error) {
      for (const read of reading) read.catch(() => undefined) // not wanted any more; a failure is this one's
      throw signal?.aborted && error === signal.reason ? error : fromNative(error)
    } finally {
      for (const source of sources) source.close() // reads in flight keep their snapshot until they finish
    }
  }

  /** The same reads on the calling thread. */
  readSync(kind: Op.Get | Op.Has, db: DbRef, keys: Uint8Array[], codec = 0): ReadAnswer[] {
    for (const key of keys) this.#syncBuilder.push(kind, 0, 0, db, key, undefined, codec)
    try {
      return unpack(this.#native.readSync(this.#syncBuilder.take()))
    } catch (error) {
      throw fromNative(error)
    }
  }

  /** Sends what is queued now. */
  flush(): void {
    this.#scheduled = false
    if (this.#slices.length === 0) return
    const slices = this.#slices
    this.#slices = []
    let sent: Promise<ReadResult>
    try {
      sent = this.#native.read(this.#builder.take())
    } catch (error) {
      sent = Promise.reject(error)
    }
    const batch: Sent = { slices, answer: undefined }
    this.#sent.push(batch)
    awake.sent()
    sent.then(
      (result) => this.#answered(batch, result),
      (error: unknown) => this.#answered(batch, fromNative(error)),
    )
  }

  /**
   * Batches run on several pool threads and may finish out of order; their
   * reads settle in the order they were issued all the same.
   */
  #answered(batch: Sent, answer: ReadResult | Error): void {
    awake.answered()
    batch.answer = answer
    while (this.#sent.length > 0 && this.#sent[0].answer !== undefined) {
      const { slices, answer } = this.#sent.shift() as Sent
      if (answer instanceof Error) for (const slice of slices) slice.reject(answer)
      else settle(slices, answer as ReadResult)
    }
  }
}

/** A batch sent, and what came back for it once it has. */
interface Sent {
  slices: Slice[]
  answer: ReadResult | Error | undefined
}

/**
 * Promises settled per turn of the event loop, by all read batches
 * together. Each settles its callers' code too (an `await` resumes), and
 * libuv runs every batch that finished meanwhile in one go: settled as they
 * came, 100,000 gets in 25 batches would hold timers and I/O back for as
 * long as all of that takes.
 */
const SETTLED_PER_TURN = 2048

/** A batch's answers not yet handed to all of its slices. */
interface Answered {
  slices: Slice[]
  /** Unpacked when its turn comes: each of many batches answered at once costs its share then. */
  result: ReadResult
  answers?: ReadAnswer[]
  /** The next slice to settle. */
  next: number
}

/** Answered batches, in the order they came back. */
const answered: Answered[] = []
/** Promises settled since the budget last restarted. */
let settledThisTurn = 0
let turnScheduled = false

function settle(slices: Slice[], result: ReadResult): void {
  answered.push({ slices, result, next: 0 })
  settleSome()
}

/**
 * Settles what this turn's budget allows, a slice at a time, oldest first
 * (their reactions run as soon as this returns); the rest goes next turn.
 */
function settleSome(): void {
  while (answered.length > 0 && settledThisTurn < SETTLED_PER_TURN) {
    const batch = answered[0]
    const slice = batch.slices[batch.next++]
    slice.resolve((batch.answers ??= unpack(batch.result)))
    settledThisTurn += slice.takes.length
    if (batch.next === batch.slices.length) answered.shift()
  }
  // The count restarts only when the budget ran out (a lone read costs no
  // extra turn): it may span several turns, so it errs on the short side.
  if (answered.length > 0 && !turnScheduled) {
    turnScheduled = true
    setImmediate(nextTurn)
  }
}

function nextTurn(): void {
  turnScheduled = false
  settledThisTurn = 0
  if (answered.length > 0) settleSome()
}

/** Splits the end-to-end values into one answer per operation. */
export function unpack({ data, lens, errors }: ReadResult): ReadAnswer[] {
  const answers = new Array<ReadAnswer>(lens.length)
  const buffer = data.buffer as ArrayBuffer
  let at = data.byteOffset
  for (let i = 0; i < lens.length; i++) {
    const len = lens[i]
    if (len < 0) {
      answers[i] = undefined
    } else {
      answers[i] = view(buffer, at, len)
      at += len
    }
  }
  for (const { index, error } of errors) answers[index] = fromNative(error)
  return answers
}
