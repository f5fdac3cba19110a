/**
 * Gathers the reads issued in one tick into one native task: one trip to
 * the libuv pool and one read transaction serve them all, and the values
 * come back end to end in one buffer.
 */
import { BatchBuilder, Op } from './batch.js'
import { transformNativeError } from './errors.js'
import type { DbRef, ReadResult } from './native.js'
import { view } from './view.js'

/** What runs read batches: the environment (a fresh snapshot per batch) or a snapshot. */
export interface ReadSource {
  read(batch: Uint8Array): Promise<ReadResult>
  readSync(batch: Uint8Array): ReadResult
}

/**
 * A read's answer: the value's bytes (empty for a `has` that found the key),
 * `undefined` when absent, or the error of that one read (a damaged
 * compressed value, a deleted database).
 */
export type ReadAnswer = Buffer | undefined | Error

interface Pending {
  count: number
  /** For a single read: turns its answer into what the promise resolves with. */
  settle?: (answer: ReadAnswer) => unknown
  resolve(value: unknown): void
  reject(error: unknown): void
}

export class ReadQueue {
  readonly #native: ReadSource
  readonly #builder = new BatchBuilder()
  readonly #syncBuilder = new BatchBuilder()
  #pending: Pending[] = []
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
    return new Promise<ReadAnswer[]>((resolve, reject) => {
      this.#pending.push({ count: keys.length, resolve, reject })
      if (!this.#scheduled) {
        this.#scheduled = true
        queueMicrotask(() => this.flush())
      }
    })
  }

  /**
   * Queues one read whose promise resolves with `settle(answer)` (a throw
   * rejects it): one promise per `get`, where `read` and an `await` make two.
   */
  one(kind: Op.Get | Op.Has, db: DbRef, key: Uint8Array, codec: number, settle: (answer: ReadAnswer) => unknown): Promise<unknown> {
    this.#builder.push(kind, 0, 0, db, key, undefined, codec)
    return new Promise((resolve, reject) => {
      this.#pending.push({ count: 1, settle, resolve, reject })
      if (!this.#scheduled) {
        this.#scheduled = true
        queueMicrotask(() => this.flush())
      }
    })
  }

  /** The same reads on the calling thread. */
  readSync(kind: Op.Get | Op.Has, db: DbRef, keys: Uint8Array[], codec = 0): ReadAnswer[] {
    for (const key of keys) this.#syncBuilder.push(kind, 0, 0, db, key, undefined, codec)
    try {
      return unpack(this.#native.readSync(this.#syncBuilder.take()))
    } catch (error) {
      throw transformNativeError(error)
    }
  }

  /** Sends what is queued now. */
  flush(): void {
    this.#scheduled = false
    if (this.#pending.length === 0) return
    const pending = this.#pending
    this.#pending = []
    let sent: Promise<ReadResult>
    try {
      sent = this.#native.read(this.#builder.take())
    } catch (error) {
      sent = Promise.reject(error)
    }
    sent.then(
      (result) => settle(pending, unpack(result), 0, 0),
      (error: unknown) => {
        const failure = transformNativeError(error)
        for (const p of pending) p.reject(failure)
      },
    )
  }
}

/**
 * Promises settled per turn of the event loop. Each settles its callers'
 * code too (an `await` resumes), so a batch of 100,000 gets settled at once
 * would hold timers and I/O back for as long as all of that takes.
 */
const SETTLED_PER_TURN = 2048

/** Settles `pending[from..]` (whose answers start at `answers[at]`), a slice per turn. */
function settle(pending: Pending[], answers: ReadAnswer[], from: number, at: number): void {
  const end = Math.min(pending.length, from + SETTLED_PER_TURN)
  for (let i = from; i < end; i++) {
    const p = pending[i]
    if (p.settle) {
      try {
        p.resolve(p.settle(answers[at]))
      } catch (error) {
        p.reject(error)
      }
    } else {
      p.resolve(answers.slice(at, at + p.count))
    }
    at += p.count
  }
  if (end < pending.length) setImmediate(settle, pending, answers, end, at)
}

/** Splits the end-to-end values into one answer per operation. */
export function unpack({ data, lens, errors }: ReadResult): ReadAnswer[] {
  const answers = new Array<ReadAnswer>(lens.length)
  let offset = 0
  for (let i = 0; i < lens.length; i++) {
    const len = lens[i]
    if (len < 0) {
      answers[i] = undefined
    } else {
      answers[i] = view(data, offset, len)
      offset += len
    }
  }
  for (const { index, error } of errors) answers[index] = transformNativeError(error)
  return answers
}
