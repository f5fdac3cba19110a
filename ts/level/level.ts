import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { AbstractLevel, type AbstractDatabaseOptions } from 'abstract-level'
import { Environment, errors, open, type BatchOp, type Database, type EnvOptions, type Snapshot } from '../index.js'
import { LevelIterator, LevelKeyIterator, LevelValueIterator, RangeReader } from './iterators.js'
import { LevelKeyCoder, rangeOf, type LevelRange } from './keys.js'
import { LmdbLevelSnapshot } from './snapshot.js'
import { ReadFence } from './read-fence.js'

/** Options of {@link LmdbLevel}: abstract-level's, and where in LMDB the data goes. */
export interface LmdbLevelOptions<K, V> extends AbstractDatabaseOptions<K, V> {
  /** The named LMDB database to keep the entries in. @default the environment's main database */
  name?: string | undefined
  /** Options of `open()` for the environment at the path (refused with an `Environment`, which is open already). */
  env?: EnvOptions | undefined
}

/** What abstract-level hands the private methods along with their arguments. */
interface ReadOptions {
  snapshot?: unknown
}
interface OpenOptions {
  createIfMissing: boolean
  errorIfExists: boolean
}
interface BatchOperation {
  type: 'put' | 'del'
  key: Buffer
  value?: Buffer
}
type IteratorOptions = LevelRange & ReadOptions & { signal?: AbortSignal }

/**
 * What this backend supports, as abstract-level's suite reads it (it runs
 * the tests of each feature claimed here). abstract-level adds deferred
 * open, its events and the encodings it transcodes into buffers.
 */
const MANIFEST = {
  encodings: { buffer: true },
  implicitSnapshots: true,
  explicitSnapshots: true,
  permanence: true,
  seek: true,
  createIfMissing: true,
  errorIfExists: true,
  has: true,
  getSync: true,
  signals: { iterators: true },
}

/** Keys deleted per write transaction by `clear()`. */
const CLEAR_CHUNK = 10_000

/**
 * An [abstract-level](https://github.com/Level/abstract-level) database kept
 * in one LMDB database: a drop-in for `classic-level` and the modules built
 * on abstract-level (sublevels, hooks, encodings). Give it a path, where it
 * opens (and creates) an environment of its own, or an open
 * {@link Environment} it shares and leaves open; `name` picks a named
 * database, else the main one is used.
 *
 * @example
 * const db = new LmdbLevel('./data', { valueEncoding: 'json' })
 * await db.put('ada', { born: 1815 })
 * await db.get('ada') // { born: 1815 }
 * await db.close()
 */
export class LmdbLevel<KDefault = string, VDefault = string> extends AbstractLevel<Buffer, KDefault, VDefault> {
  /** The path, or the environment, given to the constructor. */
  readonly location: string | Environment
  readonly #name: string | undefined
  readonly #envOptions: EnvOptions
  readonly #fence = new ReadFence()
  #env: Environment | undefined
  #db: Database | undefined

  constructor(location: string | Environment, options: LmdbLevelOptions<KDefault, VDefault> = {}) {
    if (!(location instanceof Environment) && (typeof location !== 'string' || location === '')) {
      throw new TypeError('LmdbLevel needs a path or an open Environment')
    }
    if (options === null || typeof options !== 'object') throw new TypeError('LmdbLevel: options must be an object')
    const { name, env: envOptions = {}, ...rest } = options
    if (name !== undefined && (typeof name !== 'string' || name === '')) throw new TypeError('LmdbLevel: name must be a non-empty string')
    if (envOptions === null || typeof envOptions !== 'object') throw new TypeError('LmdbLevel: env must be an object of open() options')
    if (location instanceof Environment && options.env !== undefined) {
      throw new TypeError('LmdbLevel: env (options of open()) is for a path; the Environment given is open already')
    }
    super(MANIFEST, rest)
    this.location = location
    this.#name = name
    this.#envOptions = envOptions
  }

  /**
   * A read view of the database as it is now, for `{ snapshot }` in reads,
   * iterators and `clear`: an lmdb-napi snapshot (see {@link LmdbLevelSnapshot}).
   * Close it when done.
   */
  override snapshot(options?: object): LmdbLevelSnapshot {
    return super.snapshot(options) as LmdbLevelSnapshot
  }

  /** @internal */
  async _open(options: OpenOptions): Promise<void> {
    const given = this.location instanceof Environment ? this.location : undefined
    let envExisted = true
    if (given === undefined) {
      const path = this.location as string
      envExisted = existsSync(this.#envOptions.subdir === false ? path : join(path, 'data.mdb'))
      if (!envExisted && !options.createIfMissing) throw new errors.NotFoundError(`${path} does not exist (createIfMissing is false)`)
    }
    const env = given ?? open(this.location as string, this.#envOptions)
    try {
      const name = this.#name
      const existed = name === undefined ? envExisted : envExisted && (await env.databases()).includes(name)
      const what = name === undefined ? `the environment at ${env.path}` : `the database '${name}'`
      if (!existed && !options.createIfMissing) throw new errors.NotFoundError(`${what} does not exist (createIfMissing is false)`)
      if (existed && options.errorIfExists) throw new errors.KeyExistsError(`${what} exists (errorIfExists is true)`)
      this.#db = env.openDb(name ?? null, { keyCoder: new LevelKeyCoder() })
      this.#env = env
    } catch (error) {
      if (given === undefined) await env.close()
      throw error
    }
  }

  /** @internal */
  async _close(): Promise<void> {
    // the writes made to wait for reads are the database's work in progress too
    await this.#fence.idle()
    const env = this.#env
    this.#env = this.#db = undefined
    // an environment given to the constructor stays open: it is its owner's
    if (env !== undefined && !(this.location instanceof Environment)) await env.close()
  }

  /** @internal */
  _get(key: Buffer, options: ReadOptions): Promise<Buffer | undefined> {
    const db = this.#opened()
    return this.#read(options, (snapshot) => snapshot.get(db, key), () => db.get(key))
  }

  /** @internal */
  _getSync(key: Buffer, options: ReadOptions): Buffer | undefined {
    const db = this.#opened()
    const { snapshot } = options
    return snapshot instanceof LmdbLevelSnapshot ? snapshot.snapshot.getSync(db, key) : db.getSync(key)
  }

  /** @internal */
  _getMany(keys: Buffer[], options: ReadOptions): Promise<(Buffer | undefined)[]> {
    const db = this.#opened()
    return this.#read(options, (snapshot) => snapshot.getMany(db, keys), () => db.getMany(keys))
  }

  /** @internal */
  _has(key: Buffer, options: ReadOptions): Promise<boolean> {
    const db = this.#opened()
    return this.#read(options, (snapshot) => snapshot.has(db, key), () => db.has(key))
  }

  /** @internal */
  _hasMany(keys: Buffer[], options: ReadOptions): Promise<boolean[]> {
    const db = this.#opened()
    return this.#read(
      options,
      (snapshot) => Promise.all(keys.map((key) => snapshot.has(db, key))),
      () => Promise.all(keys.map((key) => db.has(key))),
    )
  }

  /** @internal */
  async _put(key: Buffer, value: Buffer): Promise<void> {
    const db = this.#opened()
    await this.#fence.write(() => db.put(key, value))
  }

  /** @internal */
  async _del(key: Buffer): Promise<void> {
    const db = this.#opened()
    await this.#fence.write(() => db.delete(key))
  }

  /** @internal All of them in one write transaction. */
  async _batch(operations: BatchOperation[]): Promise<void> {
    const db = this.#opened()
    const env = this.#env!
    const ops = operations.map((op): BatchOp =>
      op.type === 'put' ? { type: 'put', db, key: op.key, value: op.value } : { type: 'delete', db, key: op.key },
    )
    await this.#fence.write(() => env.batch(ops))
  }

  /**
   * @internal The keys of the range in a snapshot (the one given, else one
   * taken now), deleted a chunk per write transaction.
   */
  async _clear(options: IteratorOptions): Promise<void> {
    const db = this.#opened()
    const given = options.snapshot instanceof LmdbLevelSnapshot ? options.snapshot.snapshot : undefined
    const snapshot = given ?? this.#env!.snapshot()
    try {
      let keys: Buffer[] = []
      for await (const key of snapshot.keys(db, rangeOf(options))) {
        keys.push(key)
        if (keys.length === CLEAR_CHUNK) {
          const chunk = keys
          await this.#fence.write(() => db.deleteMany(chunk))
          keys = []
        }
      }
      if (keys.length > 0) await this.#fence.write(() => db.deleteMany(keys))
    } finally {
      if (given === undefined) snapshot.close()
    }
  }

  /** @internal */
  _snapshot(options: object): LmdbLevelSnapshot {
    return new LmdbLevelSnapshot(options, this.#envOpened().snapshot())
  }

  /** @internal */
  _iterator(options: IteratorOptions): LevelIterator {
    return new LevelIterator(this, options, this.#reader('entries', options))
  }

  /** @internal */
  _keys(options: IteratorOptions): LevelKeyIterator {
    return new LevelKeyIterator(this, options, this.#reader('keys', options))
  }

  /** @internal */
  _values(options: IteratorOptions): LevelValueIterator {
    return new LevelValueIterator(this, options, this.#reader('values', options))
  }

  #reader<S extends 'entries' | 'keys' | 'values'>(shape: S, options: IteratorOptions): RangeReader<S> {
    const db = this.#opened()
    const given = options.snapshot instanceof LmdbLevelSnapshot ? options.snapshot.snapshot : undefined
    // without one given, a snapshot of its own, taken now: later writes do not show in it
    let snapshot: Snapshot | Error
    try {
      snapshot = given ?? this.#env!.snapshot()
    } catch (error) {
      // (the environment was closed under it): the iterator's first read rejects
      snapshot = error as Error
    }
    return new RangeReader(db, snapshot, given === undefined, shape, options, options.signal ?? undefined)
  }

  /** A read in the snapshot given, else a read of the database that no later write of this one can overtake. */
  #read<R>(options: ReadOptions, inSnapshot: (snapshot: Snapshot) => Promise<R>, read: () => Promise<R>): Promise<R> {
    const { snapshot } = options
    return snapshot instanceof LmdbLevelSnapshot ? inSnapshot(snapshot.snapshot) : this.#fence.read(read)
  }

  #opened(): Database {
    if (this.#db === undefined) throw new errors.ClosedError()
    return this.#db
  }

  #envOpened(): Environment {
    if (this.#env === undefined) throw new errors.ClosedError()
    return this.#env
  }
}
