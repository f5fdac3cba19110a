/**
 * Reads on the calling thread. The sync reads of one stretch of synchronous
 * code share a snapshot, taken by the first and ended when the microtasks
 * next run or a `transactionSync` commits: a read pays for no read
 * transaction of its own, and no commit that this thread could have seen
 * is missed (none settles inside a stretch).
 *
 * `get` passes its key and takes its value through one scratch buffer, so
 * the native call takes numbers only and the value is copied once, into a
 * `Buffer` from Node's pool.
 */
import { transformNativeError } from './errors.js'
import type { DbRef, NativeEnv, ReadResult } from './native.js'

/** Values up to about this size come back through the scratch buffer. */
const SCRATCH_SIZE = 64 * 1024

export class SyncReads {
  readonly #native: NativeEnv
  readonly #scratch: Buffer
  #inStretch = false
  readonly #endStretch = () => {
    this.#inStretch = false
    this.#native.endTick()
  }

  constructor(native: NativeEnv, maxKeySize: number) {
    this.#native = native
    this.#scratch = Buffer.allocUnsafeSlow(SCRATCH_SIZE + maxKeySize)
    native.useScratch(this.#scratch)
  }

  /** One value's bytes, or `null`. `key` is already checked by its database. */
  get(db: DbRef, key: Uint8Array, codec: number): Buffer | null {
    this.#enter()
    const scratch = this.#scratch
    scratch.set(key)
    let len
    try {
      len = this.#native.getScratch(db.dbi, db.gen, key.length, codec)
      if (len < 0) return null
      // too big for the scratch buffer: the same snapshot, the value copied natively
      if (key.length + len > scratch.length) return this.#native.getSync(db.dbi, db.gen, key, codec)
    } catch (error) {
      throw transformNativeError(error)
    }
    const value = Buffer.allocUnsafe(len)
    scratch.copy(value, 0, key.length, key.length + len)
    return value
  }

  /** A read batch (see `batch.ts`) in the stretch's snapshot. */
  read(batch: Uint8Array): ReadResult {
    this.#enter()
    return this.#native.readSync(batch)
  }

  /** A synchronous commit happened: later reads must see it. */
  committed(): void {
    if (this.#inStretch) this.#native.endTick()
  }

  #enter(): void {
    if (!this.#inStretch) {
      this.#inStretch = true
      queueMicrotask(this.#endStretch)
    }
  }
}
