/**
 * Gathers the reads issued in one tick into one native task: one trip to
 * the libuv pool and one read transaction serve them all, and the values
 * come back end to end in one buffer.
 */
import { BatchBuilder, Op } from './batch.js'
import { transformNativeError } from './errors.js'
import type { DbRef, NativeEnv, ReadResult } from './native.js'

/** A read's answer: the value's bytes (empty for a `has` that found the key), or `undefined`. */
export type ReadAnswer = Buffer | undefined

interface Pending {
  count: number
  resolve(answers: ReadAnswer[]): void
  reject(error: unknown): void
}

export class ReadQueue {
  readonly #native: NativeEnv
  readonly #builder = new BatchBuilder()
  readonly #syncBuilder = new BatchBuilder()
  #pending: Pending[] = []
  #scheduled = false

  constructor(native: NativeEnv) {
    this.#native = native
  }

  /** Queues reads of `keys` (encoded) in `db`; resolves with one answer per key. */
  read(kind: Op.Get | Op.Has, db: DbRef, keys: Uint8Array[]): Promise<ReadAnswer[]> {
    for (const key of keys) this.#builder.push(kind, 0, 0, db, key)
    return new Promise<ReadAnswer[]>((resolve, reject) => {
      this.#pending.push({ count: keys.length, resolve, reject })
      if (!this.#scheduled) {
        this.#scheduled = true
        queueMicrotask(() => this.flush())
      }
    })
  }

  /** The same reads on the calling thread. */
  readSync(kind: Op.Get | Op.Has, db: DbRef, keys: Uint8Array[]): ReadAnswer[] {
    for (const key of keys) this.#syncBuilder.push(kind, 0, 0, db, key)
    let result: ReadResult
    try {
      result = this.#native.readSync(this.#syncBuilder.take())
    } catch (error) {
      throw transformNativeError(error)
    }
    const answers = unpack(result)
    if (result.errors.length > 0) throw transformNativeError(result.errors[0].error)
    return answers
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
      (result) => {
        const answers = unpack(result)
        const failed = new Map(result.errors.map((e) => [e.index, e.error]))
        let at = 0
        for (const p of pending) {
          const end = at + p.count
          const failure = failed.size > 0 ? firstFailure(failed, at, end) : undefined
          if (failure !== undefined) p.reject(transformNativeError(failure))
          else p.resolve(answers.slice(at, end))
          at = end
        }
      },
      (error: unknown) => {
        const failure = transformNativeError(error)
        for (const p of pending) p.reject(failure)
      },
    )
  }
}

function firstFailure(failed: Map<number, string>, from: number, to: number): string | undefined {
  for (let i = from; i < to; i++) {
    const f = failed.get(i)
    if (f !== undefined) return f
  }
  return undefined
}

/** Splits the end-to-end values into one answer per operation. */
function unpack({ data, lens }: ReadResult): ReadAnswer[] {
  const answers = new Array<ReadAnswer>(lens.length)
  let offset = 0
  for (let i = 0; i < lens.length; i++) {
    const len = lens[i]
    if (len < 0) {
      answers[i] = undefined
    } else {
      answers[i] = data.subarray(offset, offset + len)
      offset += len
    }
  }
  return answers
}
