/**
 * Error classes. Every LMDB failure is an {@link LmdbError} subclass named as
 * py-lmdb names it, with LMDB's `code` name and `errno`. This is the one place
 * where native failures become public errors.
 */

/** Base of every LMDB error: `code` is LMDB's name (`'MDB_MAP_FULL'`), `errno` its number. */
export class LmdbError extends Error {
  /** LMDB's name of the failure (`'MDB_MAP_FULL'`), or the POSIX one (`'ENOSPC'`). */
  readonly code: string
  /** LMDB's number of the failure (e.g. -30792), or the POSIX errno. */
  readonly errno: number
  constructor(message: string, code = 'UNKNOWN', errno = 0, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
    this.code = code
    this.errno = errno
  }
}

function lmdbClass(code: string, errno: number) {
  return class extends LmdbError {
    static readonly code = code
    constructor(message = code, options?: ErrorOptions) {
      super(message, code, errno, options)
    }
  }
}

/** MDB_KEYEXIST: the key/data pair already exists. */
export class KeyExistsError extends lmdbClass('MDB_KEYEXIST', -30799) {}
/** MDB_NOTFOUND: no matching key/data pair (or database) was found. */
export class NotFoundError extends lmdbClass('MDB_NOTFOUND', -30798) {}
/** MDB_PAGE_NOTFOUND: a requested page was not found (corruption). */
export class PageNotFoundError extends lmdbClass('MDB_PAGE_NOTFOUND', -30797) {}
/** MDB_CORRUPTED: the located page was of the wrong type. */
export class CorruptedError extends lmdbClass('MDB_CORRUPTED', -30796) {}
/** MDB_PANIC: an earlier fatal error left the environment unusable. */
export class PanicError extends lmdbClass('MDB_PANIC', -30795) {}
/** MDB_VERSION_MISMATCH: the environment was made by another LMDB version. */
export class VersionMismatchError extends lmdbClass('MDB_VERSION_MISMATCH', -30794) {}
/** MDB_INVALID: the file is not an LMDB file. */
export class InvalidError extends lmdbClass('MDB_INVALID', -30793) {}
/** MDB_MAP_FULL: the map is full (and `autoGrow` is off or capped). */
export class MapFullError extends lmdbClass('MDB_MAP_FULL', -30792) {}
/** MDB_DBS_FULL: `maxDbs` named databases are open already. */
export class DbsFullError extends lmdbClass('MDB_DBS_FULL', -30791) {}
/** MDB_READERS_FULL: every reader slot (`maxReaders`) is taken. */
export class ReadersFullError extends lmdbClass('MDB_READERS_FULL', -30790) {}
/** MDB_TLS_FULL: too many TLS keys in use. */
export class TlsFullError extends lmdbClass('MDB_TLS_FULL', -30789) {}
/** MDB_TXN_FULL: the transaction has too many dirty pages. */
export class TxnFullError extends lmdbClass('MDB_TXN_FULL', -30788) {}
/** MDB_CURSOR_FULL: the cursor stack is too deep (corruption). */
export class CursorFullError extends lmdbClass('MDB_CURSOR_FULL', -30787) {}
/** MDB_PAGE_FULL: a page has no more room (corruption). */
export class PageFullError extends lmdbClass('MDB_PAGE_FULL', -30786) {}
/** MDB_MAP_RESIZED: another process grew the map beyond this one's size. */
export class MapResizedError extends lmdbClass('MDB_MAP_RESIZED', -30785) {}
/** MDB_INCOMPATIBLE: the operation does not fit the database's flags. */
export class IncompatibleError extends lmdbClass('MDB_INCOMPATIBLE', -30784) {}
/** MDB_BAD_RSLOT: a reader slot was misused. */
export class BadRslotError extends lmdbClass('MDB_BAD_RSLOT', -30783) {}
/** MDB_BAD_TXN: the transaction cannot be used (it failed or ended). */
export class BadTxnError extends lmdbClass('MDB_BAD_TXN', -30782) {}
/** MDB_BAD_VALSIZE: a key is empty or too long, or a dupSort value too long. */
export class BadValsizeError extends lmdbClass('MDB_BAD_VALSIZE', -30781) {}
/** MDB_BAD_DBI: the database handle is no longer valid (its database was deleted). */
export class BadDbiError extends lmdbClass('MDB_BAD_DBI', -30780) {}
/** EACCES: a write to a read-only environment. */
export class ReadonlyError extends lmdbClass('EACCES', 13) {}
/** EINVAL: an invalid parameter. */
export class InvalidParameterError extends lmdbClass('EINVAL', 22) {}
/** EAGAIN: the lock file is held in a way that prevents opening. */
export class LockError extends lmdbClass('EAGAIN', 11) {}
/** ENOMEM: out of memory. */
export class MemoryError extends lmdbClass('ENOMEM', 12) {}
/** ENOSPC: the disk is full. */
export class DiskError extends lmdbClass('ENOSPC', 28) {}

/** Any use of a closed environment, database, transaction, snapshot or cursor. */
export class ClosedError extends Error {
  /** Always `'CLOSED'`. */
  readonly code = 'CLOSED'
  constructor(what = 'environment') {
    super(`the ${what} is closed`)
    this.name = 'ClosedError'
  }
}

/** A key or value that its coder cannot serialize, or stored bytes it cannot deserialize. */
export class CoderError extends Error {
  /** Always `'CODER'`. */
  readonly code = 'CODER'
  /** The coder's class name. */
  readonly coder: string
  /** The database's name (`null` for the default database; `undefined` for a coder used on its own). */
  readonly database: string | null | undefined
  constructor(coder: string, database: string | null | undefined, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause)
    const where = database === undefined ? '' : ` of database ${database === null ? '(default)' : `'${database}'`}`
    super(`${coder}${where}: ${detail}`, { cause })
    this.name = 'CoderError'
    this.coder = coder
    this.database = database
  }
}

const byCode = new Map<string, new (message?: string, options?: ErrorOptions) => LmdbError>(
  [
    KeyExistsError, NotFoundError, PageNotFoundError, CorruptedError, PanicError, VersionMismatchError,
    InvalidError, MapFullError, DbsFullError, ReadersFullError, TlsFullError, TxnFullError,
    CursorFullError, PageFullError, MapResizedError, IncompatibleError, BadRslotError, BadTxnError,
    BadValsizeError, BadDbiError, ReadonlyError, InvalidParameterError, LockError, MemoryError, DiskError,
  ].map((cls) => [cls.code, cls]),
)
byCode.set('EIO', DiskError)

const NATIVE = /^\[([A-Z_]+) (-?\d+)\] ([\s\S]*)$/

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

/**
 * Turns a native failure (an `Error` or its `[CODE errno] text` message) into the public error.
 * @internal
 */
export function transformNativeError(failure: unknown): Error {
  const message = failure instanceof Error ? failure.message : String(failure)
  const match = NATIVE.exec(message)
  if (!match) return failure instanceof Error ? failure : new LmdbError(message)
  const [, code, errno, text] = match
  if (code === 'CLOSED') return new ClosedError(/^(.*) is closed$/.exec(text)?.[1] ?? 'environment')
  // the database that called renames the coder (see `Database.#decode`)
  if (code === 'CODER') return new CoderError('native decoding', undefined, new Error(text))
  const cls = byCode.get(code)
  if (cls) return new cls(code in HINTS ? `${text}. ${HINTS[code]}` : text)
  return new LmdbError(text, code, Number(errno))
}
