/**
 * Native failures as public errors: the one mapping from what the binding
 * reports to the classes of `errors.ts`. The binding makes every failure of
 * its own an `Error` with two fields, `code` (the core's name: `MDB_MAP_FULL`,
 * `ENOENT`, `CLOSED`, `CODER`, `PANIC`) and `errno` (LMDB's number). Errors
 * without `errno` come from napi itself: a panic it caught on this thread
 * (`GenericFailure`) or an argument it could not convert.
 * @internal
 */
import * as errors from './errors.js'

const { ClosedError, CoderError, DiskError, LmdbError } = errors

/** The error classes by their `code`. */
const byCode = new Map<string, new (message?: string) => errors.LmdbError>(
  [
    errors.KeyExistsError, errors.NotFoundError, errors.PageNotFoundError, errors.CorruptedError, errors.PanicError,
    errors.VersionMismatchError, errors.InvalidError, errors.MapFullError, errors.DbsFullError, errors.ReadersFullError,
    errors.TlsFullError, errors.TxnFullError, errors.CursorFullError, errors.PageFullError, errors.MapResizedError,
    errors.IncompatibleError, errors.BadRslotError, errors.BadTxnError, errors.BadValsizeError, errors.BadDbiError,
    errors.ReadonlyError, errors.InvalidParameterError, errors.LockError, errors.MemoryError, DiskError,
  ].map((cls) => [cls.code, cls]),
)
byCode.set('EIO', DiskError)

/**
 * What some failures mean here, where LMDB's own text does not say. lmdb-napi
 * compiles LMDB's mdb.master line (0.9.70, lock format 2): a live environment
 * cannot be shared with programs built on LMDB 0.9.x (lock format 1), and
 * lmdb-js's own LMDB writes files of another format.
 */
const HINTS: Record<string, string> = {
  MDB_VERSION_MISMATCH:
    'Another program built on LMDB 0.9.x (py-lmdb, the mdb_* tools of lmdb-utils, …) has this environment open, with lock format 1; ' +
    "lmdb-napi's LMDB uses lock format 2. Close it there and open it here (a closed environment opens from both), " +
    'or open it from both sides with the same LMDB line.',
  MDB_INVALID:
    'If it was made by lmdb-js (npm package `lmdb`), whose LMDB writes files LMDB 0.9 cannot read, ' +
    'copy it into a new environment with `npx lmdb-napi import-lmdb-js SOURCE -e DEST`.',
  // LMDB turns a write the file system cut short into EIO: on a full disk, that is the
  // write that used up the last of the room (the ones after it get ENOSPC)
  EIO: 'LMDB reports a write cut short as EIO; the disk (or a quota) may be full',
}

/** napi's own codes for an argument it could not convert. */
const NAPI_ARGUMENT = /^(InvalidArg|\w+Expected)$/

/** A native failure (thrown, a rejection, or a failed unit's answer) as the public error. */
export function fromNative(failure: unknown): Error {
  // not the binding's (an abort's reason, say): passed on as it is
  if (!(failure instanceof Error)) return failure as Error
  const { code, errno } = failure as Error & { code?: unknown; errno?: unknown }
  const message = failure.message
  if (typeof errno !== 'number') {
    if (code === 'GenericFailure') return new LmdbError(`internal error, a panic in lmdb-napi's Rust code: ${message}`, 'PANIC')
    if (typeof code === 'string' && NAPI_ARGUMENT.test(code)) return new TypeError(message)
    return failure
  }
  if (code === 'CLOSED') return Object.assign(new ClosedError(), { message })
  // the database that called renames the coder (see `DbEncoding.decode`)
  if (code === 'CODER') return new CoderError('native decoding', undefined, new Error(message))
  const cls = typeof code === 'string' ? byCode.get(code) : undefined
  if (cls) return new cls(code as string in HINTS ? `${message}. ${HINTS[code as string]}` : message)
  return new LmdbError(message, typeof code === 'string' ? code : 'UNKNOWN', errno)
}
