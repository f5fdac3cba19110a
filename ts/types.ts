/** Public option and statistics shapes. */
import type { Coder } from './coder.js'
import type { CoderName } from './coders/index.js'

/** Options of {@link open}; names follow py-lmdb in camelCase. */
export interface EnvOptions {
  /** Initial map size in bytes. @default 1 GiB */
  mapSize?: number
  /** On MDB_MAP_FULL, grow the map (doubling) and retry the write. @default true */
  autoGrow?: boolean
  /** Upper bound for `autoGrow`, in bytes. @default none */
  maxMapSize?: number
  /** `path` is a directory holding `data.mdb` and `lock.mdb`; else it is the data file. @default true */
  subdir?: boolean
  /** Open read-only: writes reject with `ReadonlyError`. @default false */
  readonly?: boolean
  /** Flush the meta page on commit. @default true */
  metasync?: boolean
  /** Flush data to disk on commit. @default true */
  sync?: boolean
  /** With `writemap`, flush asynchronously. @default false */
  mapAsync?: boolean
  /** File mode of created files. @default 0o644 */
  mode?: number
  /** Create the directory (or file) when missing. @default true */
  create?: boolean
  /** OS readahead on the map. @default true */
  readahead?: boolean
  /** Write through a writable memory map. @default false */
  writemap?: boolean
  /** Zero unused parts of pages before writing them. @default true */
  meminit?: boolean
  /** Reader slots in the lock table. @default 126 */
  maxReaders?: number
  /** Named databases the environment may have open. @default 128 */
  maxDbs?: number
  /** Use LMDB's locking (turn off only when you keep writers apart yourself). @default true */
  lock?: boolean
}

/** Options of `openDb`. Flags are fixed when the database is created. */
export interface DbOptions<KC = Coder<any> | CoderName, VC = Coder<any> | CoderName> {
  /** Key coder. @default IdentityCoder */
  keyCoder?: KC
  /** Value coder. @default IdentityCoder */
  valueCoder?: VC
  /** Create the database if it does not exist (and the environment is writable). @default true */
  create?: boolean
  dupSort?: boolean
  dupFixed?: boolean
  integerKey?: boolean
  integerDup?: boolean
  reverseKey?: boolean
  reverseDup?: boolean
}

/** `mdb_stat` of the environment's main database. */
export interface EnvStat {
  psize: number
  depth: number
  branchPages: number
  leafPages: number
  overflowPages: number
  entries: number
}

/** `mdb_stat` of one database: the fields of {@link EnvStat}. */
export type DbStat = EnvStat

/** `mdb_env_info`. */
export interface EnvInfo {
  mapAddr: number
  mapSize: number
  lastPgno: number
  lastTxnid: number
  maxReaders: number
  numReaders: number
}

/** py-lmdb's `flags()` in camelCase. */
export interface EnvFlags {
  subdir: boolean
  readonly: boolean
  metasync: boolean
  sync: boolean
  mapAsync: boolean
  readahead: boolean
  writemap: boolean
  meminit: boolean
  lock: boolean
}

/** Options of a single `put`. */
export interface PutOptions {
  /** Do not replace an existing value: resolve `false` instead. */
  noOverwrite?: boolean
  /** Append at the end (keys must come in order, else `KeyExistsError`): fast bulk loads. */
  append?: boolean
  /** dupSort databases: resolve `false` if this exact pair exists. */
  noDupData?: boolean
}

/** Options of `copy` and `copyToFd`. */
export interface CopyOptions {
  /** Omit free pages and renumber, making a smaller copy (slower). */
  compact?: boolean
}
