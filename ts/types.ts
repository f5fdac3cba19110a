/**
 * Public option and statistics shapes. Those that cross to native code as
 * they are come from the generated binding types, so they are written once,
 * in `crates/node/src/types.rs`.
 */
import type { Coder } from './coder.js'
import type { CoderName } from './coders/index.js'
import type { NativeEnvOptions, NativeFlags, NativeInfo, NativeStat } from './native.js'

/**
 * Options of `open()`; names follow py-lmdb in camelCase.
 * @interface
 */
export type EnvOptions = NativeEnvOptions
/**
 * `mdb_stat` of the environment's main database.
 * @interface
 * @property psize - The page size in bytes.
 * @property depth - The B-tree's depth (0 when empty).
 * @property branchPages - Internal (non-leaf) pages.
 * @property leafPages - Leaf pages.
 * @property overflowPages - Overflow pages (values too large for a leaf page).
 * @property entries - Records: key/value pairs, each value of a dupSort key counting once.
 */
export type EnvStat = NativeStat
/**
 * `mdb_env_info`.
 * @interface
 * @property mapAddr - The map's address when it was fixed (`MDB_FIXEDMAP`), else 0.
 * @property mapSize - The map's size in bytes.
 * @property lastPgno - The last page used.
 * @property lastTxnid - The id of the last committed transaction.
 * @property maxReaders - Slots in the reader table.
 * @property numReaders - The most reader slots used at once so far.
 */
export type EnvInfo = NativeInfo
/**
 * py-lmdb's `flags()` in camelCase: the {@link EnvOptions} of that name the
 * environment runs with.
 * @interface
 * @property subdir - `path` is a directory holding `data.mdb` and `lock.mdb`.
 * @property readonly - Opened read-only.
 * @property metasync - The meta page is flushed on commit.
 * @property sync - Data is flushed on commit.
 * @property mapAsync - With `writemap`, flushes are asynchronous.
 * @property readahead - The OS reads ahead in the map.
 * @property writemap - Writes go through a writable memory map.
 * @property meminit - Unused parts of pages are zeroed before writing.
 * @property lock - LMDB's locking is on.
 */
export type EnvFlags = NativeFlags

/** Options of `openDb`. Flags are fixed when the database is created. */
export interface DbOptions<KC = Coder<any> | CoderName, VC = Coder<any> | CoderName> {
  /** Key coder. @default IdentityCoder */
  keyCoder?: KC
  /** Value coder. @default IdentityCoder */
  valueCoder?: VC
  /** Create the database if it does not exist (and the environment is writable). @default true */
  create?: boolean
  /** A key may hold several values, kept sorted (`MDB_DUPSORT`). */
  dupSort?: boolean
  /** With `dupSort`: every value has the same size (`MDB_DUPFIXED`). */
  dupFixed?: boolean
  /** Keys are native-endian unsigned integers of one size (`MDB_INTEGERKEY`). */
  integerKey?: boolean
  /** With `dupSort`: values are native-endian unsigned integers (`MDB_INTEGERDUP`). */
  integerDup?: boolean
  /** Keys compare from their last byte to their first (`MDB_REVERSEKEY`). */
  reverseKey?: boolean
  /** With `dupSort`: values compare from their last byte to their first (`MDB_REVERSEDUP`). */
  reverseDup?: boolean
}

/** `mdb_stat` of one database: the fields of {@link EnvStat}. */
export type DbStat = EnvStat

/** Options of a single `put`. */
export interface PutOptions {
  /** Do not replace an existing value: resolve `false` instead. */
  noOverwrite?: boolean
  /**
   * Append at the end (keys must come in order, else `KeyExistsError`): fast
   * bulk loads. On a dupSort database each value goes after its key's last
   * (`MDB_APPENDDUP`): values must come in order.
   */
  append?: boolean
  /** dupSort databases: resolve `false` if this exact pair exists. */
  noDupData?: boolean
}

/**
 * The condition of a conditional write (`put`, `delete`, a `putMany` entry,
 * an `env.batch` operation, and the same in transactions): it writes only if
 * the key's stored value is `ifValue`, compared as the bytes the database's
 * value coder makes of it. `ifValue: undefined`, given as a property, means
 * "only if the key is absent". The check and the write happen in one write
 * transaction on the writer thread: no other write, of this process or
 * another, comes between them. Not on dupSort databases (a `TypeError`).
 */
export interface IfValueOptions<V> {
  /** The value the key must have for the write to happen; `undefined`: the key must be absent. */
  ifValue?: V
}

/** An entry of `putMany`: a key, its value and, for a conditional write, its condition. */
export type PutEntry<K, V> = [key: K, value: V] | [key: K, value: V, condition: IfValueOptions<V>]

/** Options of `copy` and `copyToFd`. */
export interface CopyOptions {
  /** Omit free pages and renumber, making a smaller copy (slower). */
  compact?: boolean
  /**
   * Aborting rejects the call at once with the signal's reason; a copy
   * already under way finishes in the background (LMDB cannot stop one).
   */
  signal?: AbortSignal
}
