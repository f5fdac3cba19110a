/**
 * Public option and statistics shapes. Those that cross to native code as
 * they are come from the generated binding types, so they are written once,
 * in `crates/node/src/types.rs`.
 */
import type { Coder } from './coder.js'
import type { CoderName } from './coders/index.js'
import type { NativeEnvOptions, NativeFlags, NativeInfo, NativeStat } from './native.js'

/** Options of `open()`; names follow py-lmdb in camelCase. */
export type EnvOptions = NativeEnvOptions
/** `mdb_stat` of the environment's main database. */
export type EnvStat = NativeStat
/** `mdb_env_info`. */
export type EnvInfo = NativeInfo
/** py-lmdb's `flags()` in camelCase. */
export type EnvFlags = NativeFlags

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

/** `mdb_stat` of one database: the fields of {@link EnvStat}. */
export type DbStat = EnvStat

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
