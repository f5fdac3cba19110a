import { Op, OpFlag } from './batch.js'
import { CompressedCoder, TextCoder, type Coder } from './coder.js'
import type { Input } from './coders/index.js'
import { IdentityCoder } from './coders/identity.js'
import { BadValsizeError, ClosedError, CoderError, ReadonlyError, transformNativeError } from './errors.js'
import type { Environment } from './environment.js'
import type { DbRef, NativeEnv, NativeRange, NativeRangeOptions } from './native.js'
import { checkOptions, type Rule } from './options.js'
import { checkRangeOptions, nativeRange, pair, type EntryDecoder, type RangeIterable, type RangeOptions } from './range.js'
import type { ReadAnswer, ReadQueue } from './read-queue.js'
import type { SyncReads } from './sync-reads.js'
import type { DbOptions, DbStat, PutOptions } from './types.js'
import type { Build, UnitResult, WriteQueue } from './write-queue.js'

/** @internal Key of `Database[readVia]`. */
export const readVia = Symbol('lmdb-napi.readVia')

/** @internal A database's read members over another read source (a snapshot's). */
export interface ReadVia<K, V> {
  get(key: Input<K>, defaultValue: unknown): Promise<unknown>
  getMany(keys: Iterable<Input<K>>): Promise<(V | undefined)[]>
  has(key: Input<K>): Promise<boolean>
  range(options?: RangeOptions<K>): RangeIterable<[K, V]>
}

/** @internal Key of `Database[dbFlags]`. */
export const dbFlags = Symbol('lmdb-napi.dbFlags')

/** The flags a database was created with. */
export type DbFlags = Required<Pick<DbOptions, 'dupSort' | 'dupFixed' | 'integerKey' | 'integerDup' | 'reverseKey' | 'reverseDup'>>

/** @internal Key of `Database[codec]`. */
export const codec = Symbol('lmdb-napi.codec')

/** @internal How a database's keys and values cross to native code (for transactions). */
export interface DbCodec<K, V> {
  readonly ref: DbRef
  readonly env: Environment
  writable(): void
  key(key: Input<K>): Uint8Array
  /** A key to seek from: may be empty (it comes before every key). */
  seekKey(key: Input<K>): Uint8Array
  /** A range's prefix: any length, a coder's failure a CoderError. */
  prefix(key: Input<K>): Uint8Array
  wire(): Wire<V>
  value(value: Input<V>, wire: Wire<V>): Uint8Array
  decode(answer: Buffer | Error, wire: Wire<V>): V
}

/** What a database needs of its environment. @internal */
export interface EnvLink {
  readonly native: NativeEnv
  readonly reads: ReadQueue
  readonly sync: SyncReads
  readonly writes: WriteQueue
  readonly maxKeySize: number
  readonly readonly: boolean
  readonly closed: boolean
}

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
  readonly #link: EnvLink
  readonly #ref: DbRef
  #wireOf: { coder: Coder<V>; wire: Wire<V> } | undefined

  /** @internal Use `env.openDb()`. */
  constructor(env: Environment, link: EnvLink, name: string | null, ref: DbRef, keyCoder: Coder<K>, valueCoder: Coder<V>) {
    this.env = env
    this.#link = link
    this.name = name
    this.#ref = ref
    this.keyCoder = keyCoder
    this.valueCoder = valueCoder
  }

  /** The value of `key`, or `defaultValue` (`undefined` unless given) when absent. */
  get(key: Input<K>): Promise<V | undefined>
  get<D>(key: Input<K>, defaultValue: D): Promise<V | D>
  get(key: Input<K>, defaultValue?: unknown): Promise<unknown> {
    return this.#get(this.#link.reads, key, defaultValue)
  }

  /** The values of `keys` in input order (`undefined` where absent), read in one snapshot. */
  getMany(keys: Iterable<Input<K>>): Promise<(V | undefined)[]> {
    return this.#getMany(this.#link.reads, keys)
  }

  /** Whether `key` is present. */
  has(key: Input<K>): Promise<boolean> {
    return this.#has(this.#link.reads, key)
  }

  /**
   * `get` on the calling thread: no hop to the pool, but it blocks for the
   * read. The sync reads of one stretch of synchronous code read one
   * snapshot; commits of other threads show from the next stretch on.
   */
  getSync(key: Input<K>): V | undefined {
    const wire = this.#wire()
    const bytes = this.#link.sync.get(this.#ref, this.#key(key), wire.codec)
    return bytes === null ? undefined : this.#decode(bytes, wire)
  }

  /** `getMany` on the calling thread. */
  getManySync(keys: Iterable<Input<K>>): (V | undefined)[] {
    const wire = this.#wire()
    const encoded = Array.from(iterable(keys), (k) => this.#key(k))
    return this.#decodeAll(this.#link.reads.readSync(Op.Get, this.#ref, encoded, wire.codec), wire)
  }

  /** `has` on the calling thread. */
  hasSync(key: Input<K>): boolean {
    return found(this.#link.reads.readSync(Op.Has, this.#ref, [this.#key(key)]))
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
    return this.#range(options, (o) => this.#link.native.range(this.#ref.dbi, this.#ref.gen, o), 'entries')
  }

  /** The keys of `range(options)`; values are not read. */
  keys(options: RangeOptions<K> = {}): RangeIterable<K> {
    return this.#range(options, (o) => this.#link.native.range(this.#ref.dbi, this.#ref.gen, o), 'keys')
  }

  /** The values of `range(options)`. */
  values(options: RangeOptions<K> = {}): RangeIterable<V> {
    return this.#range(options, (o) => this.#link.native.range(this.#ref.dbi, this.#ref.gen, o), 'values')
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

  /** @internal The flags LMDB created the database with (for the command line's dump). */
  [dbFlags](): DbFlags {
    this.#open()
    try {
      const f = this.#link.native.dbFlags(this.#ref.dbi, this.#ref.gen)
      return {
        dupSort: f.dupSort === true,
        dupFixed: f.dupFixed === true,
        integerKey: f.integerKey === true,
        integerDup: f.integerDup === true,
        reverseKey: f.reverseKey === true,
        reverseDup: f.reverseDup === true,
      }
    } catch (error) {
      throw transformNativeError(error)
    }
  }

  /** @internal The encoding and decoding of this database (for transactions). */
  [codec](): DbCodec<K, V> {
    return {
      ref: this.#ref,
      env: this.env,
      writable: () => this.#writable(),
      key: (key) => this.#key(key),
      seekKey: (key) => this.#key(key, true),
      prefix: (key) => this.#serialize(this.keyCoder, key as K),
      wire: () => this.#wire(),
      value: (value, wire) => this.#value(value, wire),
      decode: (answer, wire) => this.#decode(answer, wire),
    }
  }

  /** @internal The read members through another read source (a snapshot). */
  [readVia](
    reads: ReadQueue,
    open: (ref: DbRef, options: NativeRangeOptions) => NativeRange,
    check: () => void,
  ): ReadVia<K, V> {
    return {
      get: (key, defaultValue) => this.#get(reads, key, defaultValue),
      getMany: (keys) => this.#getMany(reads, keys),
      has: (key) => this.#has(reads, key),
      range: (options = {}) => this.#range(options, (o) => open(this.#ref, o), 'entries', check),
    }
  }

  #get(reads: ReadQueue, key: Input<K>, defaultValue: unknown): Promise<unknown> {
    // not `async`: one promise per get (it still never throws)
    try {
      const wire = this.#wire()
      const k = this.#key(key)
      // without a default (the common case) one function serves every get
      const take =
        defaultValue === undefined
          ? (wire.take ??= (answer) => (answer === undefined ? undefined : this.#decode(answer, wire)))
          : (answer: ReadAnswer) => (answer === undefined ? defaultValue : this.#decode(answer, wire))
      return reads.one(Op.Get, this.#ref, k, wire.codec, take)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  async #getMany(reads: ReadQueue, keys: Iterable<Input<K>>): Promise<(V | undefined)[]> {
    const wire = this.#wire()
    // a copy: the keys are those of the call, whatever happens to the array after it
    const list: Input<K>[] = Array.isArray(keys) ? keys.slice() : Array.from(iterable(keys))
    return reads.many(
      this.#ref,
      list,
      (key) => this.#key(key),
      wire.codec,
      (answer) => (answer === undefined ? undefined : this.#decode(answer, wire)),
    )
  }

  async #has(reads: ReadQueue, key: Input<K>): Promise<boolean> {
    return found(await reads.read(Op.Has, this.#ref, [this.#key(key)]))
  }

  #range(options: RangeOptions<K>, open: RangeOpener, shape: 'entries', check?: () => void): RangeIterable<[K, V]>
  #range(options: RangeOptions<K>, open: RangeOpener, shape: 'keys', check?: () => void): RangeIterable<K>
  #range(options: RangeOptions<K>, open: RangeOpener, shape: 'values', check?: () => void): RangeIterable<V>
  #range(options: RangeOptions<K>, open: RangeOpener, shape: string, check = () => this.#open()): RangeIterable<unknown> {
    // Options are encoded and coders chosen when an iteration starts, so bad options reject it.
    const start = () => {
      this.#open()
      const wire = this.#wire()
      return { native: open(this.#rangeOptions(options, wire, shape)), decode: this.#entryDecoder(shape, wire) }
    }
    return nativeRange(start, check)
  }

  /** What a range yields per entry. Raw bytes skip the coders: a scan's cost is per entry. */
  #entryDecoder(shape: string, wire: Wire<V>): EntryDecoder<unknown> {
    const rawKeys = Object.getPrototypeOf(this.keyCoder) === IdentityCoder.prototype
    const rawValues = Object.getPrototypeOf(wire.coder) === IdentityCoder.prototype
    const key = rawKeys ? (bytes?: Buffer) => bytes : (bytes?: Buffer) => this.#decodeKey(bytes as Buffer)
    const value = rawValues ? (bytes?: Buffer) => bytes : (bytes?: Buffer) => this.#decode(bytes as Buffer, wire)
    if (shape === 'keys') return (k) => key(k)
    if (shape === 'values') return (_, v) => value(v)
    if (rawKeys && rawValues) return pair
    return (k, v) => pair(key(k), value(v))
  }

  #rangeOptions(options: RangeOptions<K>, wire: Wire<V>, shape: string): NativeRangeOptions {
    checkRangeOptions(options)
    const bound = (k: Input<K> | undefined) => (k === undefined ? undefined : Buffer.from(this.#key(k)))
    return {
      gt: bound(options.gt),
      gte: bound(options.gte),
      lt: bound(options.lt),
      lte: bound(options.lte),
      prefix: options.prefix === undefined ? undefined : Buffer.from(this.#serialize(this.keyCoder, options.prefix as K)),
      reverse: options.reverse === true,
      limit: options.limit,
      offset: options.offset,
      keys: shape !== 'values',
      values: shape !== 'keys',
      codec: wire.codec,
    }
  }

  /**
   * Stores `value` under `key`. Resolves `false` when `noOverwrite` (or
   * `noDupData`) found the key (or pair) present, else `true`.
   */
  put(key: Input<K>, value: Input<V>, options?: PutOptions): Promise<boolean> {
    // not `async`: the hot path makes one promise, not two (still never throws)
    try {
      this.#writable()
      const wire = this.#wire()
      const k = this.#key(key)
      const v = wire.text ? this.#text(wire.text, value as V) : this.#value(value, wire)
      return this.#link.writes.op(Op.Put, putFlags(options), this.#ref, k, v, wire.codec, wire.level) as Promise<boolean>
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * Stores every entry in one transaction: all or nothing. Resolves with how
   * many were written (entries skipped by `noOverwrite` do not count). An
   * async iterable is read to its end first; the write keeps its place in
   * the order of writes meanwhile (later writes wait behind it).
   */
  async putMany(entries: Iterable<[Input<K>, Input<V>]> | AsyncIterable<[Input<K>, Input<V>]>, options?: PutOptions): Promise<number> {
    this.#writable()
    const wire = this.#wire()
    const flags = putFlags(options)
    const encoded: [Uint8Array, Uint8Array][] = []
    const build: Build = (b, unit) => {
      for (const [k, v] of encoded) b.push(Op.Put, flags, unit, this.#ref, k, v, wire.codec, wire.level)
    }
    if (isAsyncIterable(entries)) {
      const writes = this.#link.writes
      const place = writes.reserve()
      try {
        for await (const [k, v] of entries) encoded.push([this.#key(k), this.#value(v, wire)])
        this.#writable() // the environment may have closed meanwhile
      } catch (error) {
        writes.cancel(place)
        throw error
      }
      if (encoded.length === 0) {
        writes.cancel(place)
        return 0
      }
      return count(await writes.fill(place, build))
    }
    for (const [k, v] of iterable(entries)) encoded.push([this.#key(k), this.#value(v, wire)])
    if (encoded.length === 0) return 0
    return count(await this.#link.writes.unit(build))
  }

  /**
   * Deletes `key` (all its values); with `value` on a dupSort database, only
   * that pair. Resolves whether anything was deleted.
   */
  delete(key: Input<K>, value?: Input<V>): Promise<boolean> {
    try {
      this.#writable()
      const wire = this.#wire()
      const k = this.#key(key)
      const v = value === undefined ? undefined : this.#value(value, wire)
      return this.#link.writes.op(Op.Delete, 0, this.#ref, k, v, wire.codec, wire.level) as Promise<boolean>
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Deletes every key in one transaction; resolves with how many existed. */
  async deleteMany(keys: Iterable<Input<K>>): Promise<number> {
    this.#writable()
    const encoded = Array.from(iterable(keys), (k) => this.#key(k))
    if (encoded.length === 0) return 0
    return count(
      await this.#link.writes.unit((b, unit) => {
        for (const k of encoded) b.push(Op.Delete, 0, unit, this.#ref, k)
      }),
    )
  }

  /** Stores `value` and resolves with the value it replaced (`undefined` if none). */
  async replace(key: Input<K>, value: Input<V>): Promise<V | undefined> {
    this.#writable()
    const wire = this.#wire()
    const k = this.#key(key)
    const v = this.#value(value, wire)
    const result = await this.#link.writes.unit((b, unit) => b.push(Op.Replace, 0, unit, this.#ref, k, v, wire.codec, wire.level))
    return this.#decodeUnit(result, wire)
  }

  /** Deletes `key` and resolves with its value (`undefined` if absent); of a dupSort database, its first value only. */
  async pop(key: Input<K>): Promise<V | undefined> {
    this.#writable()
    const wire = this.#wire()
    const k = this.#key(key)
    const result = await this.#link.writes.unit((b, unit) => b.push(Op.Pop, 0, unit, this.#ref, k, undefined, wire.codec))
    return this.#decodeUnit(result, wire)
  }

  /**
   * Empties the database. With `delete: true` a named database is removed
   * too, and this handle (and every other on it) rejects with `BadDbiError`
   * until the database is opened again. The default database keeps the
   * records of the named databases.
   */
  async drop(options?: { delete?: boolean }): Promise<void> {
    this.#writable()
    const flags = dropFlags(options)
    await this.#link.writes.unit((b, unit) => b.push(Op.Drop, flags, unit, this.#ref, EMPTY))
  }

  /** Number of entries (key/value pairs, duplicates included). */
  async count(): Promise<number> {
    return (await this.stat()).entries
  }

  /** `mdb_stat` of this database. */
  async stat(): Promise<DbStat> {
    this.#open()
    try {
      return await this.#link.native.dbStat(this.#ref.dbi, this.#ref.gen)
    } catch (error) {
      throw transformNativeError(error)
    }
  }

  #open(): void {
    if (this.#link.closed) throw new ClosedError()
  }

  #writable(): void {
    this.#open()
    if (this.#link.readonly) throw new ReadonlyError('the environment is read-only')
  }

  #key(key: Input<K>, emptyAllowed = false): Uint8Array {
    this.#open()
    const bytes = this.#serialize(this.keyCoder, key as K)
    if (bytes.length === 0 && !emptyAllowed) throw new BadValsizeError('a key cannot be empty')
    if (bytes.length > this.#link.maxKeySize) {
      throw new BadValsizeError(`a key of ${bytes.length} bytes is longer than maxKeySize() (${this.#link.maxKeySize})`)
    }
    return bytes
  }

  /**
   * How values cross to native code: a compressed coder's inner coder makes
   * the bytes here, and the compression runs natively, off this thread.
   */
  #wire(): Wire<V> {
    // made again only when `valueCoder` was replaced: this runs on every call
    const coder = this.valueCoder
    if (this.#wireOf?.coder !== coder) {
      const wire: Wire<V> =
        coder instanceof CompressedCoder
          ? { coder: coder.inner, codec: coder.algorithm, level: coder.level }
          : { coder, codec: 0, level: 0 }
      if (wire.coder instanceof TextCoder && wire.coder.serialize === TextCoder.prototype.serialize) wire.text = wire.coder
      this.#wireOf = { coder, wire }
    }
    return this.#wireOf.wire
  }

  #value(value: Input<V>, wire: Wire<V>): Uint8Array {
    return this.#serialize(wire.coder, value as V, this.valueCoder)
  }

  /** A text coder's string for `value`, packed as UTF-8 by the batch builder. */
  #text(coder: TextCoder<V>, value: V): string {
    let text: unknown
    try {
      text = coder.serializeText(value)
    } catch (error) {
      throw new CoderError(this.valueCoder.name, this.name, error)
    }
    if (typeof text !== 'string') {
      throw new CoderError(this.valueCoder.name, this.name, new TypeError('serializeText() must return a string'))
    }
    return text
  }

  /** `named` is the coder errors name (the compressed one, not its inner coder); looked up only on failure. */
  #serialize<T>(coder: Coder<T>, value: T, named: Coder<unknown> = coder): Uint8Array {
    let bytes: unknown
    try {
      bytes = coder.serialize(value)
    } catch (error) {
      throw new CoderError(named.name, this.name, error)
    }
    if (!(bytes instanceof Uint8Array)) {
      throw new CoderError(named.name, this.name, new TypeError('serialize() must return a Uint8Array'))
    }
    return bytes
  }

  #decodeKey(bytes: Buffer): K {
    try {
      return this.keyCoder.deserialize(bytes)
    } catch (error) {
      throw new CoderError(this.keyCoder.name, this.name, error)
    }
  }

  #decode(answer: Buffer | Error, wire: Wire<V>): V {
    if (answer instanceof Error) {
      // a stored value that native code could not decompress is the coder's failure
      throw answer instanceof CoderError ? new CoderError(this.valueCoder.name, this.name, answer.cause) : answer
    }
    try {
      return wire.coder.deserialize(answer)
    } catch (error) {
      throw new CoderError(this.valueCoder.name, this.name, error)
    }
  }

  #decodeAll(answers: ReadAnswer[], wire: Wire<V>): (V | undefined)[] {
    return answers.map((answer) => (answer === undefined ? undefined : this.#decode(answer, wire)))
  }

  #decodeUnit(result: UnitResult, wire: Wire<V>): V | undefined {
    return result instanceof Uint8Array ? this.#decode(result as Buffer, wire) : undefined
  }
}

const EMPTY = new Uint8Array(0)

type RangeOpener = (options: NativeRangeOptions) => NativeRange

/** See `Database.#wire`. @internal */
export interface Wire<V> {
  coder: Coder<V>
  codec: number
  level: number
  /** The coder, when it is a text coder whose stored form is `serializeText`'s: `put` packs the string itself. */
  text?: TextCoder<V>
  /** A `get`'s value out of its answer, made once. */
  take?: (answer: ReadAnswer) => V | undefined
}

/** A `has` answer: found, absent, or the read's error. */
function found([answer]: ReadAnswer[]): boolean {
  if (answer instanceof Error) throw answer
  return answer !== undefined
}

export function isAsyncIterable<T>(value: Iterable<T> | AsyncIterable<T>): value is AsyncIterable<T> {
  return typeof (value as AsyncIterable<T>)?.[Symbol.asyncIterator] === 'function'
}

/** `value` if it is iterable; else a TypeError (Array.from would take `42` as empty). */
export function iterable<T>(value: Iterable<T>): Iterable<T> {
  if (typeof value?.[Symbol.iterator] !== 'function') throw new TypeError('expected an iterable')
  return value
}

const PUT_OPTIONS: { readonly [K in keyof PutOptions]-?: Rule } = { noOverwrite: 'boolean', append: 'boolean', noDupData: 'boolean' }

/** The wire flags of checked put options (of `put`, `putMany`, cursors' `put`). */
export function putFlags(options: PutOptions | undefined): number {
  if (options === undefined) return 0 // the hot path
  checkOptions('put()', options, PUT_OPTIONS)
  return (
    (options.noOverwrite ? OpFlag.NoOverwrite : 0) |
    (options.append ? OpFlag.Append : 0) |
    (options.noDupData ? OpFlag.NoDupData : 0)
  )
}

/** A unit of one operation answers `true`/`false`; of several, a count. */
export function count(result: UnitResult): number {
  return typeof result === 'boolean' ? Number(result) : (result as number)
}

/** The wire flags of checked `drop()` options. */
export function dropFlags(options: { delete?: boolean } | undefined): number {
  return checkOptions('drop()', options, { delete: 'boolean' }).delete ? OpFlag.DeleteDb : 0
}
