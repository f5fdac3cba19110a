import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { Coder } from './coder.js'
import { resolveCoder, type CoderName, type CoderNameFor, type CoderType, type IdentityCoder } from './coders/index.js'
import { Database } from './database.js'
import { encoding, encodingOf, packUnit, type EnvLink } from './encoding.js'
import { BadTxnError, ClosedError, InvalidParameterError, ReadonlyError } from './errors.js'
import { fromNative } from './native-error.js'
import { NativeEnv } from './native.js'
import { checkOptions, checkValue, iterable, MAX_DBS, MAX_MAP_SIZE, MAX_READERS, type Rule } from './options.js'
import { ReadQueue } from './read-queue.js'
import { Snapshot } from './snapshot.js'
import { SyncReads } from './sync-reads.js'
import { Transaction, TransactionSync } from './transaction.js'
import type { CopyOptions, DbOptions, EnvFlags, EnvInfo, EnvOptions, EnvStat, IfValueOptions } from './types.js'
import { count, WriteQueue } from './write-queue.js'
import { abortable, checkAbortOptions, checkSignal, type AbortOptions } from './abort.js'

/**
 * One operation of `env.batch()`. With an `ifValue` property it is a
 * conditional write (see {@link IfValueOptions}).
 */
export type BatchOp =
  | { type: 'put'; db: Database<any, any>; key: unknown; value: unknown; ifValue?: unknown }
  | { type: 'delete'; db: Database<any, any>; key: unknown; ifValue?: unknown }

/** Async transactions open on this thread, by environment path (see `transactionSync`). */
const openAsync = new Map<string, number>()
/** Sync transactions open on this thread, by environment path: one inside another would wait for itself. */
const openSync = new Set<string>()

const MAP_SIZE = { min: 1, max: MAX_MAP_SIZE }

const OPTIONS: { readonly [K in keyof EnvOptions]-?: Rule } = {
  mapSize: MAP_SIZE, autoGrow: 'boolean', maxMapSize: MAP_SIZE, subdir: 'boolean', readonly: 'boolean',
  metasync: 'boolean', sync: 'boolean', mapAsync: 'boolean', mode: { min: 0, max: 0o7777 }, create: 'boolean',
  readahead: 'boolean', writemap: 'boolean', meminit: 'boolean', maxReaders: { min: 1, max: MAX_READERS },
  maxDbs: { min: 0, max: MAX_DBS }, lock: 'boolean',
}

/**
 * Opens the LMDB environment at `path` (a directory, unless `subdir: false`).
 * Opening a path this process has open already, from any thread or worker,
 * returns a new handle on the same native environment.
 *
 * @throws {LmdbError} when LMDB cannot open it (`LockError`, `InvalidError`, …).
 * @example
 * await using env = open('/tmp/my-db', { mapSize: 64 * 1024 ** 2 })
 * await env.defaultDb.put(Buffer.from('k'), Buffer.from('v'))
 */
export function open(path: string, options: EnvOptions = {}): Environment {
  return new Environment(path, options)
}

/**
 * An open LMDB environment: a file (or directory) of databases.
 * Close it with `await env.close()` or `await using`.
 */
export class Environment {
  readonly #native: NativeEnv
  /** Its `closed` is this handle's: set by `close()`, read by every call. */
  readonly #link: EnvLink & { closed: boolean }
  #closing: Promise<void> | undefined
  /**
   * Its async transactions still open, each with the rejection of its own
   * close signal (`close()` abandons them). One signal per transaction, not
   * one shared: racing a never-settling shared promise would keep a
   * reaction on it for every transaction ever run.
   */
  readonly #transactions = new Map<Transaction, (error: Error) => void>()
  #defaultDb: Database<Buffer, Buffer> | undefined

  /** @internal Use {@link open}. */
  constructor(path: string, options: EnvOptions) {
    if (typeof path !== 'string' || path === '') throw new TypeError('open() needs a path')
    checkOptions('open()', options, OPTIONS)
    if (options.mapSize !== undefined && options.maxMapSize !== undefined && options.mapSize > options.maxMapSize) {
      throw new RangeError(`open(): mapSize (${options.mapSize}) is above maxMapSize (${options.maxMapSize})`)
    }
    const given: Partial<EnvOptions> = {}
    for (const name of Object.keys(OPTIONS) as (keyof EnvOptions)[]) {
      if (options[name] !== undefined) (given as Record<string, unknown>)[name] = options[name]
    }
    const native = call(() => NativeEnv.open(path, given))
    this.#native = native
    const maxKeySize = this.#native.maxKeySize()
    const sync = new SyncReads(this.#native, maxKeySize)
    const reads = new ReadQueue({
      read: (batch) => native.read(batch),
      readSync: (batch) => sync.read(batch),
      pinned: () => {
        const first = native.snapshot()
        try {
          const twin = first.twin()
          return twin ? [first, twin] : [first]
        } catch (error) {
          first.close()
          throw error
        }
      },
    })
    this.#link = {
      native: this.#native,
      reads,
      sync,
      writes: new WriteQueue(this.#native),
      maxKeySize,
      // read-only if asked, or if the shared environment was opened so
      readonly: options.readonly === true || call(() => this.#native.flags()).readonly,
      // a plain field, set by `close`: a getter here left every write's check of it to a generic load
      closed: false,
    }
  }

  /** The environment's canonical path. */
  get path(): string {
    this.#open()
    return this.#native.path
  }

  /** Whether `close()` was called on this handle. */
  get closed(): boolean {
    return this.#link.closed
  }

  /**
   * Opens a database: `name` for a named one (created unless `create: false`
   * or the environment is read-only), `null` or nothing for the default one.
   * Each call returns a new handle with its own coders. The key and value
   * types follow from the coders, or may be given: `openDb<number, User>`.
   *
   * @throws {NotFoundError} when it does not exist and may not be created.
   * @example
   * const users = env.openDb('users', { keyCoder: new UInt32Coder(), valueCoder: new JSONCoder<User>() })
   * // Database<number, User>
   */
  openDb<KC extends Coder<any> | CoderName = IdentityCoder, VC extends Coder<any> | CoderName = IdentityCoder>(
    name?: string | null,
    options?: DbOptions<KC, VC>,
  ): Database<CoderType<KC>, CoderType<VC>>
  openDb<K, V>(
    name: string | null | undefined,
    options: DbOptions<Coder<K> | CoderNameFor<K>, Coder<V> | CoderNameFor<V>>,
  ): Database<K, V>
  openDb(name?: string | null, options: DbOptions = {}): Database<unknown, unknown> {
    this.#open()
    if (name !== undefined && name !== null && typeof name !== 'string') throw new TypeError('a database name is a string')
    checkOptions('openDb()', options, DB_OPTIONS)
    const keyCoder = resolveCoder(options.keyCoder)
    const valueCoder = resolveCoder(options.valueCoder)
    const flags = {
      dupSort: options.dupSort,
      dupFixed: options.dupFixed,
      integerKey: options.integerKey,
      integerDup: options.integerDup,
      reverseKey: options.reverseKey,
      reverseDup: options.reverseDup,
    }
    const ref = call(() => this.#native.openDb(name ?? null, flags, options.create ?? true))
    // a database opened after a snapshot began is not in it (LMDB): sync reads take a new one
    this.#link.sync.renew()
    const db = new Database(this, this.#link, name ?? null, ref, keyCoder, valueCoder)
    db[encoding].wire() // a records coder opens its structures' database now, not inside a transaction
    return db
  }

  /** The default (unnamed) database, with binary keys and values. */
  get defaultDb(): Database<Buffer, Buffer> {
    this.#defaultDb ??= this.openDb(null)
    return this.#defaultDb
  }

  /** Names of the named databases. */
  async databases(): Promise<string[]> {
    this.#open()
    return await callAsync(() => this.#native.databases())
  }

  /** `mdb_env_stat`: statistics of the main database. */
  stat(): EnvStat {
    this.#open()
    return call(() => this.#native.stat())
  }

  /** `mdb_env_info`: map size, last transaction id, readers, … */
  info(): EnvInfo {
    this.#open()
    return call(() => this.#native.info())
  }

  /** The environment's flags, as py-lmdb's `flags()`. */
  flags(): EnvFlags {
    this.#open()
    return call(() => this.#native.flags())
  }

  /** The largest key (and dupSort value) LMDB accepts, in bytes. */
  maxKeySize(): number {
    this.#open()
    return this.#link.maxKeySize
  }

  /** Size of the reader lock table. */
  maxReaders(): number {
    this.#open()
    return call(() => this.#native.maxReaders())
  }

  /** The reader lock table as text (`mdb_reader_list`). */
  readers(): string {
    this.#open()
    return call(() => this.#native.readers())
  }

  /** Clears reader slots left by dead processes; returns how many. */
  readerCheck(): number {
    this.#open()
    return call(() => this.#native.readerCheck())
  }

  /** Resizes the memory map (LMDB keeps it at least as large as the data). */
  async setMapSize(bytes: number): Promise<void> {
    this.#open()
    checkValue('setMapSize()', 'bytes', bytes, { min: 0, max: MAX_MAP_SIZE })
    // Decided here, not by a race with the writer beginning the transaction.
    if (openAsync.has(this.#native.path)) {
      throw new InvalidParameterError('setMapSize() cannot resize the map while a write transaction is open')
    }
    await callAsync(() => this.#native.setMapSize(bytes))
  }

  /** A consistent hot backup into the existing directory `dest` (`mdb_env_copy2`). */
  async copy(dest: string, options: CopyOptions = {}): Promise<void> {
    this.#open()
    if (typeof dest !== 'string') throw new TypeError('copy() needs a destination path')
    checkOptions('copy()', options, COPY_OPTIONS)
    const signal = checkSignal('copy()', options.signal)
    signal?.throwIfAborted()
    await abortable(callAsync(() => this.#native.copy(dest, options.compact ?? false)), signal)
  }

  /** A consistent hot backup of the data file to an open file descriptor. */
  async copyToFd(fd: number, options: CopyOptions = {}): Promise<void> {
    this.#open()
    if (!Number.isInteger(fd) || fd < 0) throw new TypeError('copyToFd() needs a file descriptor')
    checkOptions('copyToFd()', options, COPY_OPTIONS)
    const signal = checkSignal('copyToFd()', options.signal)
    signal?.throwIfAborted()
    if (process.platform === 'win32') return abortable(this.#copyToFdThroughFile(fd, options), signal)
    await abortable(callAsync(() => this.#native.copyToFd(fd, options.compact ?? false)), signal)
  }

  /**
   * `copyToFd` on Windows, where LMDB wants an OS handle and Node's file
   * descriptors belong to its own C runtime: a copy into a temporary folder,
   * then its bytes written to `fd` from where it stands, as LMDB would.
   */
  async #copyToFdThroughFile(fd: number, options: CopyOptions): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'lmdb-napi-copy-'))
    try {
      const file = join(dir, 'data.mdb')
      await this.copy(this.flags().subdir ? dir : file, options)
      await pipeline(createReadStream(file), createWriteStream('', { fd, autoClose: false }))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }

  /** Flushes buffers to disk; `force` flushes even with `sync: false`. */
  async sync(force = false): Promise<void> {
    this.#open()
    checkValue('sync()', 'force', force, 'boolean')
    await callAsync(() => this.#native.sync(force))
  }

  /**
   * Closes this handle. Work already issued finishes first (queued writes
   * commit); anything issued afterwards rejects with `ClosedError`, as does
   * a `putMany` still reading its async iterable. Idempotent. The native
   * environment closes with its last handle.
   */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#link.closed = true
      for (const [txn, reject] of this.#transactions) {
        reject(new ClosedError())
        txn.abandon()
      }
      this.#link.writes.flushAll()
      this.#link.reads.flush()
      this.#closing = callAsync(() => this.#native.close())
    }
    return this.#closing
  }

  /**
   * Runs `fn` in one write transaction across any databases. It commits when
   * `fn` resolves and every call it made on `txn` has completed, awaited or
   * not; when `fn` throws (or a commit fails) it aborts, nothing of it is
   * visible, and the error is rethrown. Writes issued before it commit
   * first; the process's other writes wait while it runs. A callback that
   * never settles keeps them waiting until `close()`, which aborts it.
   *
   * With `signal`, aborting rejects with the signal's reason and aborts the
   * transaction: nothing of it is written, and the writes behind it go on.
   *
   * @example
   * await env.transaction(async (txn) => {
   *   const balance = (await txn.get(accounts, 'ada')) ?? 0
   *   await txn.put(accounts, 'ada', balance - 10)
   *   await txn.put(ledger, Date.now(), { from: 'ada', amount: 10 })
   * })
   */
  async transaction<T>(fn: (txn: Transaction) => Promise<T> | T, options?: AbortOptions): Promise<T> {
    const signal = checkAbortOptions('transaction()', options)
    this.#writable()
    signal?.throwIfAborted()
    this.#link.writes.flush() // writes issued before it go first
    const txn = new Transaction(call(() => this.#native.beginWrite()))
    const path = this.path
    openAsync.set(path, (openAsync.get(path) ?? 0) + 1)
    let closed!: (error: Error) => void
    const whenClosed = new Promise<never>((_, reject) => (closed = reject))
    this.#transactions.set(txn, closed)
    try {
      let result: T
      try {
        // close() aborts a transaction whose callback never settles, and so does the signal
        result = await abortable(Promise.race([fn(txn), whenClosed]), signal, () => txn.abandon())
      } catch (error) {
        await txn.end(false).catch(() => {})
        throw error
      }
      await txn.end(true)
      return result
    } finally {
      this.#transactions.delete(txn)
      const left = (openAsync.get(path) ?? 1) - 1
      if (left === 0) openAsync.delete(path)
      else openAsync.set(path, left)
    }
  }

  /**
   * Runs `fn` in one write transaction on this thread, blocking it (for
   * tight read-modify-write loops). It waits for the writes issued before
   * it; commits when `fn` returns, aborts when it throws. Not allowed while
   * an async `transaction` of this environment is open on this thread,
   * inside another `transactionSync` of it, nor in a coder while it encodes
   * a large `putMany` sent in parts (each would wait for ever: `BadTxnError`).
   */
  transactionSync<T>(fn: (txn: TransactionSync) => T): T {
    this.#writable()
    const path = this.path
    if (openAsync.has(path)) {
      throw new BadTxnError('transactionSync() would wait for an open async transaction of this environment')
    }
    if (openSync.has(path)) {
      throw new BadTxnError('transactionSync() would wait for the transactionSync() it is called in')
    }
    if (this.#link.writes.inParts) {
      throw new BadTxnError('transactionSync() would wait for the large putMany whose coder calls it')
    }
    this.#link.writes.flush() // writes issued before it go first
    const txn = new TransactionSync(call(() => this.#native.exclusive()))
    openSync.add(path)
    try {
      let result: T
      try {
        result = fn(txn)
        if (result instanceof Promise) throw new TypeError('transactionSync() takes a synchronous function')
      } catch (error) {
        try {
          txn.end(false)
        } catch {
          // already ended: the first error is the one that matters
        }
        throw error
      }
      txn.end(true)
      this.#link.sync.renew()
      return result
    } finally {
      openSync.delete(path)
    }
  }

  /**
   * Applies puts and deletes across databases atomically, in one
   * transaction. Resolves with how many of them wrote: a put whose
   * `ifValue` did not match, or a delete that found nothing (or not its
   * `ifValue`), is left out and does not count; the others are applied all
   * the same. To know which ones wrote, use separate calls or a transaction.
   *
   * @example
   * await env.batch([{ type: 'put', db: users, key: 1, value: ada }, { type: 'delete', db: users, key: 2 }])
   */
  async batch(ops: BatchOp[]): Promise<number> {
    this.#writable()
    const encoded = Array.from(iterable(ops), (op) => {
      if (op === null || typeof op !== 'object') throw new TypeError('a batch operation is an object')
      const enc = encodingOf(op.db)
      // only an own `ifValue` property makes a condition: `{ ifValue: undefined }` means absent
      const expect = Object.hasOwn(op, 'ifValue') ? enc.expected(op as IfValueOptions<never>) : undefined
      if (op.type === 'put') return enc.put(op.key as never, op.value, 0, expect)
      if (op.type === 'delete') return enc.delete(op.key as never, undefined, expect)
      throw new TypeError(`unknown batch operation type '${(op as { type: unknown }).type}'`)
    })
    if (encoded.length === 0) return 0
    return count(await this.#link.writes.unit((b, unit) => packUnit(b, unit, encoded)))
  }

  /**
   * A consistent read view, taken now (its read transaction begins here).
   * Close it when done; see {@link Snapshot}.
   */
  snapshot(): Snapshot {
    this.#open()
    return new Snapshot(call(() => this.#native.snapshot()), () => this.#link.closed)
  }

  /**
   * Runs `fn` with a snapshot that is closed when `fn` settles. With
   * `signal`, aborting rejects with the signal's reason and closes the
   * snapshot at once (its reader slot goes back; reads through it reject).
   *
   * @example
   * const [a, b] = await env.read((snap) => Promise.all([snap.get(db, 'a'), snap.get(db, 'b')]))
   */
  async read<T>(fn: (snapshot: Snapshot) => Promise<T> | T, options?: AbortOptions): Promise<T> {
    const signal = checkAbortOptions('read()', options)
    signal?.throwIfAborted()
    const snapshot = this.snapshot()
    try {
      // an abort closes the snapshot at once: its reader slot goes back, later reads of `fn` reject
      return await abortable(Promise.resolve(fn(snapshot)), signal, () => snapshot.close())
    } finally {
      snapshot.close()
    }
  }

  /** `await using env = open(...)` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  #open(): void {
    if (this.#link.closed) throw new ClosedError()
  }

  #writable(): void {
    this.#open()
    if (this.#link.readonly) throw new ReadonlyError('the environment is read-only')
  }
}

const DB_OPTIONS: { readonly [K in keyof DbOptions]-?: Rule } = {
  keyCoder: 'any', valueCoder: 'any', create: 'boolean', dupSort: 'boolean', dupFixed: 'boolean',
  integerKey: 'boolean', integerDup: 'boolean', reverseKey: 'boolean', reverseDup: 'boolean',
}

const COPY_OPTIONS: { readonly [K in keyof CopyOptions]-?: Rule } = { compact: 'boolean', signal: 'any' }

/** Runs a sync native call, turning its failure into the public error. */
function call<T>(fn: () => T): T {
  try {
    return fn()
  } catch (error) {
    throw fromNative(error)
  }
}

/** Awaits a native promise, turning its rejection into the public error. */
async function callAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    throw fromNative(error)
  }
}
