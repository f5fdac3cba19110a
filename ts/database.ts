import { Op } from './batch.js'
import type { Coder } from './coder.js'
import type { Input } from './coders/index.js'
import * as reads from './db-reads.js'
import type { AbortOptions } from './abort.js'
import { DbEncoding, dropFlags, encoding, giveBack, lastEnsures, pack, packEntries, packUnit, putEntry, putFlags, type Encoded, type EnvLink } from './encoding.js'
import { fromNative } from './native-error.js'
import type { Environment } from './environment.js'
import type { DbRef, NativeRange, NativeRangeOptions } from './native.js'
import { isAsyncIterable, iterable } from './options.js'
import type { RangeIterable, RangeIterableSync, RangeOptions } from './range.js'
import type { DbStat, IfValueOptions, PutEntry, PutOptions } from './types.js'
import { count, IN_PARTS, type Again, type Build, type Resend, type UnitResult } from './write-queue.js'

/**
 * One database of an environment, seen through a key coder and a value
 * coder. Obtain it from `env.openDb()` or `env.defaultDb`.
 *
 * Every method that touches data is async and never throws synchronously:
 * bad input rejects (before anything is written). Writes resolve after
 * their transaction has committed (and synced, unless `sync: false`).
 *
 * @example
 * const users = env.openDb('users', { keyCoder: 'string', valueCoder: 'string' })
 * await users.put('ada', 'Lovelace')
 * await users.get('ada') // 'Lovelace'
 */
export class Database<K = Buffer, V = Buffer> {
  /** The database's name; `null` for the default database. */
  readonly name: string | null
  /** The environment the database belongs to. */
  readonly env: Environment
  /** Serializes keys; may be replaced on an open database. */
  keyCoder: Coder<K>
  /** Serializes values; may be replaced on an open database. */
  valueCoder: Coder<V>
  /** @internal How keys and values cross to native code. */
  readonly [encoding]: DbEncoding<K, V>
  readonly #enc: DbEncoding<K, V>
  /** Sends a put of a run again (see `write-queue.ts`). */
  readonly #resend: Resend = (key, value) => this.put(key as Input<K>, value as Input<V>)
  /** Opens this database's native ranges. */
  readonly #opener = (options: NativeRangeOptions): NativeRange => this.#enc.link.native.range(this.#enc.ref.dbi, this.#enc.ref.gen, options)

  /** @internal Use `env.openDb()`. */
  constructor(env: Environment, link: EnvLink, name: string | null, ref: DbRef, keyCoder: Coder<K>, valueCoder: Coder<V>) {
    this.env = env
    this.name = name
    this.keyCoder = keyCoder
    this.valueCoder = valueCoder
    this.#enc = this[encoding] = new DbEncoding(this, link, ref)
  }

  /** The value of `key`, or `defaultValue` (`undefined` unless given) when absent. */
  get(key: Input<K>): Promise<V | undefined>
  get<D>(key: Input<K>, defaultValue: D): Promise<V | D>
  get(key: Input<K>, defaultValue?: unknown): Promise<unknown> {
    return reads.get(this.#enc, this.#enc.link.reads, key, defaultValue)
  }

  /**
   * The values of `keys` in input order (`undefined` where absent), read in
   * one snapshot. `signal` aborts it (see {@link AbortOptions}).
   */
  getMany(keys: Iterable<Input<K>>, options?: AbortOptions): Promise<(V | undefined)[]> {
    return reads.getMany(this.#enc, this.#enc.link.reads, keys, options)
  }

  /** Whether `key` is present. */
  has(key: Input<K>): Promise<boolean> {
    return reads.has(this.#enc, this.#enc.link.reads, key)
  }

  /**
   * `get` on the calling thread: no hop to the pool, but it blocks for the
   * read. The sync reads of one stretch of synchronous code read one
   * snapshot; commits of other threads show from the next stretch on.
   */
  getSync(key: Input<K>): V | undefined {
    const enc = this.#enc
    const wire = enc.wire()
    const text = enc.keyText(key)
    const sync = enc.link.sync
    const keyLength = text === undefined ? sync.key(enc.key(key)) : sync.keyText(text)
    if (wire.textOut !== undefined) {
      const value = sync.text(enc.ref, keyLength, wire.codec)
      return value === undefined ? undefined : enc.decodeText(value, wire.textOut)
    }
    const len = sync.get(enc.ref, keyLength, wire.codec)
    return len < 0 ? undefined : enc.decodeIn(sync.block, sync.found, len, wire)
  }

  /** `getMany` on the calling thread. */
  getManySync(keys: Iterable<Input<K>>): (V | undefined)[] {
    const enc = this.#enc
    const wire = enc.wire()
    const encoded = Array.from(iterable(keys), (k) => enc.key(k))
    return enc.link.reads.readSync(Op.Get, enc.ref, encoded, wire.codec).map((answer) => (answer === undefined ? undefined : enc.decode(answer, wire)))
  }

  /** `has` on the calling thread. */
  hasSync(key: Input<K>): boolean {
    return reads.found(this.#enc.link.reads.readSync(Op.Has, this.#enc.ref, [this.#enc.key(key)]))
  }

  /**
   * The entries in key order (or reversed), over one snapshot taken when the
   * iteration starts. `for await` over it, or `toArray()`. Breaking out
   * releases the snapshot at once.
   *
   * @example
   * for await (const [key, value] of db.range({ gte: 'a', lt: 'b', limit: 10 })) console.log(key, value)
   */
  range(options: RangeOptions<K> = {}): RangeIterable<[K, V]> {
    return reads.range(this.#enc, options, this.#opener, 'entries')
  }

  /** The keys of `range(options)`; values are not read. */
  keys(options: RangeOptions<K> = {}): RangeIterable<K> {
    return reads.range(this.#enc, options, this.#opener, 'keys')
  }

  /** The values of `range(options)`. */
  values(options: RangeOptions<K> = {}): RangeIterable<V> {
    return reads.range(this.#enc, options, this.#opener, 'values')
  }

  /**
   * `range(options)` for synchronous code: `for…of`, `toArray()`,
   * `forEach()`. It reads one snapshot, a chunk at a time, on this thread;
   * `break` gives the snapshot back at once.
   *
   * @example
   * for (const [key, value] of db.rangeSync({ prefix: 'user:' })) console.log(key, value)
   */
  rangeSync(options: RangeOptions<K> = {}): RangeIterableSync<[K, V]> {
    return reads.rangeSync(this.#enc, options, this.#opener, 'entries')
  }

  /** `keys(options)` for synchronous code. */
  keysSync(options: RangeOptions<K> = {}): RangeIterableSync<K> {
    return reads.rangeSync(this.#enc, options, this.#opener, 'keys')
  }

  /** `values(options)` for synchronous code. */
  valuesSync(options: RangeOptions<K> = {}): RangeIterableSync<V> {
    return reads.rangeSync(this.#enc, options, this.#opener, 'values')
  }

  /** Every value of `key`, in order (dupSort databases; otherwise its one value). */
  async getDuplicates(key: Input<K>): Promise<V[]> {
    return this.values({ gte: key, lte: key }).toArray()
  }

  /** How many values `key` has (dupSort databases; otherwise 0 or 1). */
  async countDuplicates(key: Input<K>): Promise<number> {
    return this.env.read(async (snapshot) => {
      const cursor = snapshot.cursor(this)
      return (await cursor.seek(key)) ? cursor.countDuplicates() : 0
    })
  }

  /**
   * Stores `value` under `key`. Resolves `false` when `noOverwrite` (or
   * `noDupData`) found the key (or pair) present, or when the key's value
   * was not `ifValue` (see {@link IfValueOptions}), else `true`.
   * Puts without options issued one after another to this database (values
   * up to 16 KiB, not dupSort) share one promise and commit or fail together;
   * bad input still rejects alone, before it joins them.
   *
   * @example
   * // compare and swap: a counter no concurrent writer can skip
   * let n = await counters.get('hits')
   * while (!(await counters.put('hits', (n ?? 0) + 1, { ifValue: n }))) n = await counters.get('hits')
   */
  put(key: Input<K>, value: Input<V>, options?: PutOptions & IfValueOptions<Input<V>>): Promise<boolean> {
    // not `async`: the hot path makes one promise, not two (still never throws)
    try {
      const enc = this.#enc
      const op = options === undefined ? enc.put(key, value, 0, undefined, true) : enc.put(key, value, putFlags(options, true), enc.expected(options), true)
      const writes = enc.link.writes
      const sent = plain(op) && !enc.dupSort() ? writes.put(op, enc.structures() && this.#resend, key, value) : (writes.op(op, op.ensures && putAgain(this, key, value, options)) as Promise<boolean>)
      giveBack(op) // packed at once: nothing was encoded since
      return sent
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * Stores every entry in one transaction: all or nothing. Resolves with how
   * many were written (entries skipped by `noOverwrite`, or whose own
   * condition failed, do not count). An entry `[key, value, { ifValue }]` is
   * written only if its condition holds (see {@link IfValueOptions}); the
   * others are written regardless. An async iterable is read to its end
   * first; the write keeps its place in the order of writes meanwhile (later
   * writes wait behind it).
   */
  async putMany(entries: Iterable<PutEntry<Input<K>, Input<V>>> | AsyncIterable<PutEntry<Input<K>, Input<V>>>, options?: PutOptions): Promise<number> {
    const enc = this.#enc
    enc.writable()
    const flags = putFlags(options)
    if (isAsyncIterable(entries)) {
      const encoded: Encoded[] = []
      const writes = enc.link.writes
      const place = writes.reserve()
      // kept for encoding again, should shared structures need it (records)
      const pairs: PutEntry<Input<K>, Input<V>>[] = []
      try {
        for await (const entry of entries) {
          encoded.push(putEntry(enc, entry, flags))
          pairs.push(entry)
        }
        enc.writable() // the environment may have closed meanwhile
      } catch (error) {
        writes.cancel(place)
        throw error
      }
      if (encoded.length === 0) {
        writes.cancel(place)
        return 0
      }
      const build: Build = (b, unit) => {
        packUnit(b, unit, encoded)
        return lastEnsures(encoded)
      }
      return count(await writes.fill(place, build, () => this.#putEntries(pairs, flags)))
    }
    // a copy: the entries are those of the call, whatever happens to the array after it
    const list = Array.isArray(entries) ? entries.slice() : Array.from(iterable(entries))
    if (list.length === 0) return 0
    return count(await this.#putEntries(list, flags))
  }

  /**
   * A `putMany` of `entries` packed as they are encoded; sent again, encoded
   * anew, if its shared structures were taken by another writer (see
   * `write-queue.ts`).
   */
  #putEntries(entries: readonly PutEntry<Input<K>, Input<V>>[], flags: number): Promise<UnitResult> {
    const writes = this.#enc.link.writes
    const again = () => this.#putEntries(entries, flags)
    // in key order, the writer may start before the packing ends; else it
    // gains more from the whole unit, which it applies in key order
    const inParts = entries.length >= IN_PARTS && this.#enc.ascending(entries) ? writes.sendInParts((b, part) => packEntries(b, 0, this.#enc, entries, flags, part), again) : undefined
    return inParts ?? writes.unit((b, unit) => packEntries(b, unit, this.#enc, entries, flags), again)
  }

  /**
   * Deletes `key` (all its values). Resolves whether anything was deleted:
   * `false` also when the key's value was not `ifValue` (see
   * {@link IfValueOptions}; with `ifValue: undefined` nothing is there to
   * delete). On a dupSort database the second argument is instead a value:
   * only that pair is deleted, and `ifValue` is not available.
   */
  delete(key: Input<K>, options?: IfValueOptions<Input<V>>): Promise<boolean>
  /** On a dupSort database: deletes the one pair `key`/`value`. */
  delete(key: Input<K>, value: Input<V>): Promise<boolean>
  delete(key: Input<K>, second?: unknown): Promise<boolean> {
    try {
      return this.#enc.link.writes.op(this.#enc.deleteWith(key, second)) as Promise<boolean>
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Deletes every key in one transaction; resolves with how many existed. */
  async deleteMany(keys: Iterable<Input<K>>): Promise<number> {
    const enc = this.#enc
    enc.writable()
    const encoded = Array.from(iterable(keys), (k) => enc.delete(k))
    if (encoded.length === 0) return 0
    return count(
      await enc.link.writes.unit((b, unit) => {
        for (const op of encoded) pack(b, unit, op)
      }),
    )
  }

  /** Stores `value` and resolves with the value it replaced (`undefined` if none). */
  async replace(key: Input<K>, value: Input<V>): Promise<V | undefined> {
    return this.#enc.decodeUnit(await this.#replaced(key, value), this.#enc.wire())
  }

  #replaced(key: Input<K>, value: Input<V>): Promise<UnitResult> {
    const op = this.#enc.replace(key, value)
    return this.#unit(op, () => this.#replaced(key, value))
  }

  /** Deletes `key` and resolves with its value (`undefined` if absent); of a dupSort database, its first value only. */
  async pop(key: Input<K>): Promise<V | undefined> {
    return this.#enc.decodeUnit(await this.#unit(this.#enc.pop(key)), this.#enc.wire())
  }

  /**
   * Empties the database. With `delete: true` a named database is removed
   * too, and this handle (and every other on it) rejects with `BadDbiError`
   * until the database is opened again. The default database keeps the
   * records of the named databases.
   */
  async drop(options?: { delete?: boolean }): Promise<void> {
    await this.#unit(this.#enc.drop(dropFlags(options)))
  }

  /**
   * Number of entries (key/value pairs, duplicates included). With range
   * options (bounds, `prefix`, `reverse`, `limit`, `offset`), how many
   * `range(options)` would give, counted natively without reading them out.
   */
  async count(options?: RangeOptions<K>): Promise<number> {
    if (options === undefined) return (await this.stat()).entries
    const { dbi, gen } = this.#enc.ref
    try {
      return await reads.count(this.#enc, options, (o) => this.#enc.link.native.countRange(dbi, gen, o))
    } catch (error) {
      throw fromNative(error)
    }
  }

  /** `mdb_stat` of this database. */
  async stat(): Promise<DbStat> {
    const enc = this.#enc
    enc.open()
    try {
      return await enc.link.native.dbStat(enc.ref.dbi, enc.ref.gen)
    } catch (error) {
      throw fromNative(error)
    }
  }

  /** `again`: how to send it again if it carries shared structures (see `write-queue.ts`). */
  #unit(op: Encoded, again?: Again): Promise<UnitResult> {
    return this.#enc.link.writes.unit((b, unit) => pack(b, unit, op), again)
  }
}

/**
 * A put that may join a run of others (see `write-queue.ts`): no flags, no
 * condition, and a value small enough that a put too large for the map fails
 * on its own. On a dupSort database a value can also be too large for LMDB:
 * its puts never join a run.
 */
function plain(op: Encoded): boolean {
  if (op.flags !== 0 || op.expect !== undefined) return false
  const { value } = op
  const bytes = typeof value === 'string' ? value.length * 3 : op.valueEnd !== undefined ? op.valueEnd - op.valueStart! : (value?.length ?? 0)
  return bytes <= RUN_VALUE
}

/** The largest value a put of a run may have: more than a few pages is worth a promise of its own. */
const RUN_VALUE = 16 * 1024

/**
 * How a put that carries shared structures is sent again (see
 * `write-queue.ts`). A function of its own: a closure made inside `put`
 * would have every put allocate the variables it captures (~65 bytes).
 */
function putAgain<K, V>(db: Database<K, V>, key: Input<K>, value: Input<V>, options: (PutOptions & IfValueOptions<Input<V>>) | undefined): Again {
  return () => db.put(key, value, options)
}
