/**
 * lmdb-napi: LMDB for Node.js through a Rust core. Every data method is
 * async (reads and writes run off the JavaScript thread) unless its name
 * ends in `Sync`.
 */
export { open, Environment } from './environment.js'
export type { BatchOp } from './environment.js'
export { Transaction, TransactionSync } from './transaction.js'
export { Database } from './database.js'
export { setThreadPoolSize, threadPoolSize } from './threads.js'
export { Snapshot } from './snapshot.js'
export { Cursor, CursorSync } from './cursor.js'
export { RangeIterable, RangeIterableSync } from './range.js'
export type { RangeOptions } from './range.js'
export type { AbortOptions } from './abort.js'
export { Coder, CompressedCoder, TextCoder } from './coder.js'
export type { CompressionOptions } from './coder.js'
export {
  IdentityCoder, JSONCoder, MsgPackCoder, StringCoder, TupleCoder, UInt16Coder, UInt32Coder, UInt64Coder, V8Coder,
} from './coders/index.js'
export type { CoderName, CoderNameFor, CoderType, Input, MsgPackOptions, Tuple, TupleElement } from './coders/index.js'
export type {
  CopyOptions, DbOptions, DbStat, EnvFlags, EnvInfo, EnvOptions, EnvStat, IfValueOptions, PutEntry, PutOptions,
} from './types.js'
import * as errors from './errors.js'
/**
 * The error classes: `import { errors } from 'lmdb-napi'`, then
 * `err instanceof errors.MapFullError`. Every LMDB failure is an
 * {@link errors.LmdbError} subclass, with LMDB's name as `code`.
 */
export { errors }
