/**
 * Gathers the writes issued in one tick into one batch for the writer
 * thread. Each public call (a `put`, a whole `putMany`) is one *unit*: it
 * commits or fails as a whole, and settles its own promise. The writer may
 * commit several batches in one transaction (group commit).
 */
import { BatchBuilder } from './batch.js'
import { transformNativeError } from './errors.js'
import type { NativeEnv } from './native.js'

/** What a unit resolved with natively: a flag, a count or a previous value. */
export type UnitResult = boolean | number | Buffer | null

interface Pending {
  resolve(result: UnitResult): void
  reject(error: unknown): void
}

export class WriteQueue {
  readonly #native: NativeEnv
  readonly #builder = new BatchBuilder()
  #pending: Pending[] = []
  #scheduled = false

  constructor(native: NativeEnv) {
    this.#native = native
  }

  /**
   * Queues one unit: `build` pushes its operations with the unit number it
   * is given. Must not throw: encode and validate before calling.
   */
  unit(build: (builder: BatchBuilder, unit: number) => void): Promise<UnitResult> {
    const unit = this.#pending.length
    build(this.#builder, unit)
    return new Promise<UnitResult>((resolve, reject) => {
      this.#pending.push({ resolve, reject })
      if (!this.#scheduled) {
        this.#scheduled = true
        queueMicrotask(() => this.flush())
      }
    })
  }

  /** Sends what is queued now (also called by `close`, so accepted writes land). */
  flush(): void {
    this.#scheduled = false
    if (this.#pending.length === 0) return
    const pending = this.#pending
    this.#pending = []
    this.#native.write(this.#builder.take()).then(
      (results) => {
        for (let i = 0; i < pending.length; i++) {
          const result = results[i]
          if (typeof result === 'string') pending[i].reject(transformNativeError(result))
          else pending[i].resolve(result)
        }
      },
      (error: unknown) => {
        const failure = transformNativeError(error)
        for (const p of pending) p.reject(failure)
      },
    )
  }
}
