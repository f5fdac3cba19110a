/**
 * Shared structures of MessagePack records (`MsgPackCoder({ records: true })`).
 * A record names its structure (its list of keys) by a small id instead of
 * repeating the keys in every value; the structures live beside the values,
 * in the environment's database `lmdb-napi.structures`, one entry per
 * structure: the database's name, a zero byte and the id (2 bytes, big-endian)
 * as the key, the standard MessagePack of the key list as the value.
 *
 * The rule that keeps every value readable: a write whose values use a
 * structure not yet known to be stored carries, at the head of its unit, an
 * `Op.Ensure` of each such structure. In the write transaction, an ensure
 * stores the structure if its id is free, passes if the same structure is
 * there, and fails the whole unit if another writer (another process) gave
 * the id to another structure first; so a value is never committed without
 * its structure, nor beside a structure that is not its own. A unit that
 * failed so is encoded again from the stored structures and sent again
 * (`write-queue.ts`). What a unit's ensures stored stays even if the rest of
 * it fails: an id once given is never given again, and a structure that no
 * value names is never read.
 *
 * Readers meeting an id they do not know read the stored structures again
 * (committed structures never change, so what they knew stays true).
 * @internal
 */
import { Packr, Unpackr } from 'msgpackr'
import type { DbRef } from './native.js'

/** Reads a stored key list (standard MessagePack). */
const plain = new Unpackr({ useRecords: false })

/**
 * The standard MessagePack of a key list, the stored form of a structure
 * (compared byte for byte by `Op.Ensure`): an array of strings, each in its
 * smallest encoding. Written here, not by msgpackr, whose one buffer may
 * hold a value just packed and not yet copied (see `packIn`).
 */
export function keyList(keys: readonly string[]): Buffer {
  const parts: Buffer[] = [head(keys.length, 0x90, 15, 0xdc)]
  for (const key of keys) {
    const text = Buffer.from(key, 'utf8')
    parts.push(text.length < 32 ? Buffer.of(0xa0 | text.length) : text.length < 0x100 ? Buffer.of(0xd9, text.length) : head(text.length, 0, -1, 0xda), text)
  }
  return Buffer.concat(parts)
}

/** A length header: `fixed | n` up to `fixedMax`, then the 16-bit form `marker`, then its 32-bit form (`marker + 1`). */
function head(n: number, fixed: number, fixedMax: number, marker: number): Buffer {
  if (n <= fixedMax) return Buffer.of(fixed | n)
  if (n < 0x10000) return Buffer.of(marker, n >> 8, n & 0xff)
  const out = Buffer.alloc(5)
  out[0] = marker + 1
  out.writeUInt32BE(n, 1)
  return out
}

/** Where a database's structures are stored. */
export interface StructureStore {
  /** The stored structures, read now (committed ones). */
  load(): string[][]
  /** The key of structure `id` in the store's database. */
  key(id: number): Uint8Array
  /** The store's database. */
  readonly ref: DbRef
}

/** The ensures a write carries: structures `from`…`from + list.length - 1`, as stored. */
export interface Ensures {
  readonly structures: Structures
  /** How many times the encoder had started again when these were made (see `conflicted`). */
  readonly generation: number
  readonly from: number
  readonly list: readonly Uint8Array[]
  /** Where they go: the store's database and each one's key. */
  readonly ref: DbRef
  readonly keys: readonly Uint8Array[]
  /** Their operations as packed once for every write that carries them (`encoding.ts`). */
  packed?: Uint8Array
}

/** msgpackr's options shared by the encoder and decoder (the `MsgPackCoder` ones, with records). */
const OPTIONS = {
  useRecords: true,
  encodeUndefinedAsNil: true,
  mapsAsObjects: true,
  int64AsType: 'auto' as 'bigint',
  maxSharedStructures: 32,
}

type StructureList = string[][] & { sharedLength?: number }

export class Structures {
  /** The structures known to be stored, by id. */
  #stored: string[][] = []
  #store: StructureStore | undefined
  #owner: unknown
  #packr!: Packr
  /** The decoders of point reads and of scans (see `unpack`). */
  #unpackr!: Unpackr
  #scanUnpackr!: Unpackr
  /** The last `ensures()` made. */
  #ensures: Ensures | undefined
  /** The store's keys by id, made once. */
  #keys: Uint8Array[] = []
  /** Set while a decoder reload added pending structures, which must not outlive the read. */
  #lent = false
  /** How many times the encoder started again from the stored structures. */
  #generation = 0

  constructor() {
    this.#reset([])
  }

  /** Binds the structures to the store of `owner` (one database); a second owner is refused. */
  bind(owner: unknown, store: () => StructureStore): void {
    if (this.#owner === owner) return
    if (this.#owner !== undefined) throw new TypeError('a records MsgPackCoder serves one database: give each its own')
    this.#owner = owner
    this.#store = store()
    this.#reset(this.#store.load())
  }

  /** `mode`: msgpackr's `encodeOptions`. */
  pack(value: unknown, mode?: number): Uint8Array {
    return this.#packr.pack(value, mode)
  }

  /**
   * What the writes encoded since the structures were last confirmed must
   * ensure, if anything: the same object while nothing changed, as every
   * write of a tick carries it until the first commit confirms it.
   */
  ensures(): Ensures | undefined {
    const upTo = this.#mine().sharedLength ?? 0
    const from = this.#stored.length
    if (upTo <= from || this.#store === undefined) return undefined
    const last = this.#ensures
    if (last?.from === from && last.list.length === upTo - from) return last
    const all = this.#mine()
    const list: Uint8Array[] = []
    const keys: Uint8Array[] = []
    for (let id = from; id < upTo; id++) {
      list.push(keyList(all[id]))
      keys.push(this.key(id))
    }
    this.#ensures = { structures: this, generation: this.#generation, from, list, ref: this.#store.ref, keys }
    return this.#ensures
  }

  /** The store's key of structure `id`. */
  key(id: number): Uint8Array {
    return (this.#keys[id] ??= this.#store!.key(id))
  }

  /** A write carrying `ensures` committed: they are stored. */
  confirm(ensures: Ensures): void {
    if (this.#stored.length !== ensures.from) return // a reload saw them already, or took another course
    for (const bytes of ensures.list) this.#stored.push(plain.unpack(bytes) as string[])
    this.#decoders(this.#stored)
  }

  /**
   * A write carrying `ensures` failed: whether another writer's structures
   * took one of their ids (then the encoder starts again from the stored
   * structures, and the write is to be encoded again). Ensures made before
   * the encoder last started again are answered yes at once: the many
   * writes that carried them are each encoded again, after one start, so
   * that the structures new to the first ones are still known to the later.
   */
  conflicted(ensures: Ensures): boolean {
    if (ensures.generation !== this.#generation) return true
    const stored = this.#store!.load()
    const theirs = ensures.list.some((bytes, i) => {
      const found = stored[ensures.from + i]
      return found !== undefined && !keyList(found).equals(bytes as Buffer)
    })
    if (theirs) this.#reset(stored)
    return theirs
  }

  /**
   * `bounds`: the part of `bytes` to read (msgpackr's `{ start, end }`); all
   * of it when absent. A `scan` decodes with a decoder of its own. msgpackr
   * compiles a reader per structure, whose object literal V8 watches: once
   * most of the objects it made outlived a young collection, it makes the
   * rest in the old generation. Values read one at a time are often kept
   * (a cache, a list of results), a scan's mostly not; with one reader for
   * both, a process that kept its point reads made every later scan fill
   * the old generation, and run about 1.5 times slower (`benches/objects.mjs`).
   */
  unpack(bytes: Uint8Array, bounds?: { start: number; end: number }, scan = false): unknown {
    try {
      return (scan ? this.#scanUnpackr : this.#unpackr).unpack(bytes, bounds)
    } finally {
      // structures of this process not yet committed helped this read only
      if (this.#lent) {
        this.#lent = false
        this.#decoders(this.#stored)
      }
    }
  }

  /** The decoder's structures when it meets an unknown id: the stored ones, then this process's pending ones. */
  #reload(): string[][] {
    const stored = this.#store?.load() ?? []
    if (stored.length > this.#stored.length) this.#learn(stored)
    const pending = this.#mine().slice(stored.length, this.#mine().sharedLength ?? 0)
    if (pending.length > 0) this.#lent = true
    return [...stored, ...pending].map((keys) => keys.slice())
  }

  /**
   * More stored structures than known. The encoder keeps its pending ones
   * only if the stored ones are they (committed meanwhile) and it has all;
   * else it starts again from the stored ones (writes in flight with other
   * pending ones fail their ensures, and are encoded again).
   */
  #learn(stored: string[][]): void {
    const mine = this.#mine()
    const length = mine.sharedLength ?? 0
    const same = (a: string[], b: string[] | undefined) => b !== undefined && a.length === b.length && a.every((k, i) => k === b[i])
    if (length >= stored.length && stored.every((keys, id) => same(keys, mine[id]))) this.#stored = stored
    else this.#reset(stored)
  }

  /** The encoder's structures: the stored ones, then those of this process not yet stored. */
  #mine(): StructureList {
    return (this.#packr as Packr & { structures: StructureList }).structures
  }

  #reset(stored: string[][]): void {
    this.#generation++
    this.#stored = stored
    this.#ensures = undefined
    this.#packr = new Packr({ ...OPTIONS, structures: stored.map((keys) => keys.slice()), saveStructures: () => true })
    this.#decoders(stored)
  }

  #decoders(stored: string[][]): void {
    this.#unpackr = this.#decoder(stored)
    this.#scanUnpackr = this.#decoder(stored)
  }

  #decoder(stored: string[][]): Unpackr {
    return new Unpackr({ ...OPTIONS, structures: stored.map((keys) => keys.slice()), getStructures: () => this.#reload() })
  }
}
