/**
 * Reads on the calling thread. The sync reads of one stretch of synchronous
 * code share a snapshot, taken by the first and ended when the microtasks
 * next run or a `transactionSync` commits: a read pays for no read
 * transaction of its own, and no commit that this thread could have seen
 * is missed (none settles inside a stretch).
 *
 * `get` passes its key and takes its value through a slab: the key is
 * written at the slab's free end, native code leaves the value right after
 * it, and the caller gets a view of those bytes. The native call takes
 * numbers only, and the value is copied once. Like the pool behind
 * `Buffer.allocUnsafe`, a slab lives as long as any value read into it.
 */
import { fromNative } from './native-error.js'
import { type DbRef, type NativeEnv, type ReadResult, syncGet } from './native.js'
import { view } from './view.js'

/** The size of a slab; a key and value longer than this are copied natively instead. */
const SLAB_SIZE = 16 * 1024

export class SyncReads {
  readonly #native: NativeEnv
  /** This handle's id for `syncGet`, a plain function: far cheaper to call than a method. */
  readonly #reader: number
  readonly #slabSize: number
  #slab!: Buffer
  /** The slab's memory, for `view` (see there). */
  #slabBuffer!: ArrayBuffer
  /** Where the slab's free bytes start. */
  #at = 0
  #inStretch = false
  readonly #endStretch = () => {
    this.#inStretch = false
    this.#native.endTick()
  }

  constructor(native: NativeEnv, maxKeySize: number) {
    this.#native = native
    this.#reader = native.syncReader()
    this.#slabSize = Math.max(SLAB_SIZE, 2 * maxKeySize)
    this.#freshSlab()
  }

  /** One value's bytes, or `null`. `key` is already checked by its database. */
  get(db: DbRef, key: Uint8Array, codec: number): Buffer | null {
    this.#enter()
    if (this.#at + key.length > this.#slab.length) this.#freshSlab()
    try {
      let len = this.#scratchGet(db, key, codec)
      if (len < 0) return null
      if (this.#at + key.length + len > this.#slab.length) {
        // did not fit: too big for any slab, or for what is left of this one
        if (key.length + len > this.#slab.length) return this.#native.getSync(db.dbi, db.gen, key, codec)
        this.#freshSlab()
        len = this.#scratchGet(db, key, codec) // the same snapshot: the same value
      }
      const value = view(this.#slabBuffer, this.#slab.byteOffset + this.#at + key.length, len)
      this.#at += key.length + len
      return value
    } catch (error) {
      throw fromNative(error)
    }
  }

  #scratchGet(db: DbRef, key: Uint8Array, codec: number): number {
    this.#slab.set(key, this.#at)
    return syncGet(this.#reader, db.dbi, db.gen, this.#at, key.length, codec)
  }

  /** Values read before stay in the old slab, which lives as long as they do. */
  #freshSlab(): void {
    this.#slab = Buffer.allocUnsafeSlow(this.#slabSize)
    this.#slabBuffer = this.#slab.buffer as ArrayBuffer
    this.#at = 0
    this.#native.useScratch(this.#slab)
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
