/**
 * Reads on the calling thread. The sync reads of one stretch of synchronous
 * code share a snapshot, taken by the first and ended when the microtasks
 * next run, a `transactionSync` commits or a database is opened: a read
 * pays for no read transaction of its own, and no commit that this thread
 * could have seen is missed (none settles inside a stretch).
 *
 * A read passes its key and takes its value through a slab: the key is
 * written at the slab's free end (`key`, `keyText`), native code leaves the
 * value right after it (`get`), and the caller decodes it there (`block`,
 * `found`). The native call takes numbers only, and the value is copied
 * once. Like the pool behind `Buffer.allocUnsafe`, a slab lives as long as
 * any value read into it. A text coder's value comes back as a string made
 * natively (`text`): nothing of it stays in the slab, whose room the next
 * key takes again, still in the cache.
 */
import { checkKeySize } from './encoding.js'
import { fromNative } from './native-error.js'
import { type DbRef, type NativeEnv, type ReadResult, syncGet, syncGetText } from './native.js'
import { writeUtf8 } from './utf8.js'
import { Block } from './view.js'

/** The size of a slab; a key and value longer than this are copied natively instead. */
const SLAB_SIZE = 16 * 1024

export class SyncReads {
  readonly #native: NativeEnv
  /** This handle's id for `syncGet`, a plain function: far cheaper to call than a method. */
  readonly #reader: number
  readonly #slabSize: number
  readonly #maxKeySize: number
  #slab!: Buffer
  #slabBlock!: Block
  /** Where the last `get` left its value: in `block`, from byte `found`. */
  block!: Block
  found = 0
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
    this.#maxKeySize = maxKeySize
    this.#slabSize = Math.max(SLAB_SIZE, 2 * maxKeySize)
    this.#freshSlab()
  }

  /**
   * Puts a key at the slab's free end, for `get` or `text`; its length.
   * `key` is already checked by its database.
   */
  key(key: Uint8Array): number {
    this.#enter()
    if (this.#at + key.length > this.#slab.length) this.#freshSlab()
    this.#slab.set(key, this.#at)
    return key.length
  }

  /**
   * `key` for a key given as text (see `DbEncoding.keyText`): its UTF-8 is
   * written straight into the slab, with no `Buffer` per key. The key's
   * size is checked here, as `DbEncoding.key` checks other keys.
   */
  keyText(text: string): number {
    this.#enter()
    // a UTF-16 unit takes at most 3 bytes of UTF-8: measure only when that may not fit
    if (this.#at + 3 * text.length > this.#slab.length) {
      const size = Buffer.byteLength(text, 'utf8')
      if (size > this.#maxKeySize) checkKeySize(size, this.#maxKeySize)
      if (this.#at + size > this.#slab.length) this.#freshSlab()
    }
    const room = this.#slab.length - this.#at
    const length = writeUtf8(this.#slab, text, this.#at, room)
    checkKeySize(length, this.#maxKeySize)
    return length
  }

  /**
   * The value of the key `key` or `keyText` just put, as text (its UTF-8
   * decoded natively, for a text coder), or `undefined` when absent.
   */
  text(db: DbRef, keyLength: number, codec: number): string | undefined {
    try {
      return syncGetText(this.#reader, db.dbi, db.gen, this.#at, keyLength, codec)
    } catch (error) {
      throw fromNative(error)
    }
  }

  /**
   * The length of the value of the key `key` or `keyText` just put, the
   * value left in `block` at `found`; -1 when absent.
   */
  get(db: DbRef, keyLength: number, codec: number): number {
    try {
      let len = syncGet(this.#reader, db.dbi, db.gen, this.#at, keyLength, codec)
      if (len < 0) return -1
      if (this.#at + keyLength + len > this.#slab.length) {
        // did not fit (nothing was written): too big for any slab, or for what is left of this one
        const key = this.#slab.subarray(this.#at, this.#at + keyLength)
        if (keyLength + len > this.#slab.length) {
          const value = this.#native.getSync(db.dbi, db.gen, key, codec)
          if (value === null) return -1
          this.block = new Block(value)
          this.found = 0
          return value.length
        }
        this.#freshSlab()
        this.#slab.set(key, 0)
        len = syncGet(this.#reader, db.dbi, db.gen, 0, keyLength, codec) // the same snapshot: the same value
      }
      this.block = this.#slabBlock
      this.found = this.#at + keyLength
      this.#at += keyLength + len
      return len
    } catch (error) {
      throw fromNative(error)
    }
  }

  /** Values read before stay in the old slab, which lives as long as they do. */
  #freshSlab(): void {
    this.#slab = Buffer.allocUnsafeSlow(this.#slabSize)
    this.#slabBlock = new Block(this.#slab)
    this.#at = 0
    this.#native.useScratch(this.#slab)
  }

  /** A read batch (see `batch.ts`) in the stretch's snapshot. */
  read(batch: Uint8Array): ReadResult {
    this.#enter()
    return this.#native.readSync(batch)
  }

  /** Later reads take a new snapshot: a synchronous commit happened, or a database was opened. */
  renew(): void {
    if (this.#inStretch) this.#native.endTick()
  }

  #enter(): void {
    if (!this.#inStretch) {
      this.#inStretch = true
      queueMicrotask(this.#endStretch)
    }
  }
}
