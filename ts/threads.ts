/**
 * The size of lmdb-napi's own thread pool, where every async read, range
 * chunk, statistics call and compression runs (never libuv's pool, which
 * Node's `fs`, `dns.lookup`, `crypto` and `zlib` share).
 */
import { requestThreadPoolSize, threadPool } from './native.js'

/** The most threads {@link setThreadPoolSize} accepts. */
const MAX_THREADS = 1024

/**
 * Sets the number of threads of lmdb-napi's pool. The pool is one per
 * process, shared by every environment and worker thread, and starts with
 * the first async call of any of them; its size is fixed then: this
 * function's last value if it was called before, else the environment
 * variable `LMDB_NAPI_THREADS`, else the number of cores (at least 2).
 *
 * After the pool has started, asking for the size it has does nothing and
 * asking for another throws a `RangeError` (so two workers that ask for
 * different sizes learn it: the first to read wins).
 *
 * @param threads - an integer from 1 to 1024.
 * @throws TypeError when `threads` is not a number; RangeError when it is
 * not an integer from 1 to 1024, or when the pool runs with another size.
 */
export function setThreadPoolSize(threads: number): void {
  if (typeof threads !== 'number') throw new TypeError(`setThreadPoolSize: threads must be a number, got ${typeof threads}`)
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new RangeError(`setThreadPoolSize: threads must be an integer from 1 to ${MAX_THREADS}, got ${threads}`)
  }
  const size = requestThreadPoolSize(threads)
  if (size !== threads) {
    throw new RangeError(`setThreadPoolSize: lmdb-napi's thread pool has already started with ${size} threads; it cannot have ${threads}`)
  }
}

/**
 * The number of threads of lmdb-napi's pool: the size it runs with, or,
 * before its start, the size it would start with now.
 */
export function threadPoolSize(): number {
  return threadPool().size
}
