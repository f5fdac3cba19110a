import { spawnSync } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { setThreadPoolSize, threadPoolSize } from 'lmdb-napi'
import { tempDir } from './helpers.js'

const fixture = fileURLToPath(new URL('./fixtures/thread-pool.mjs', import.meta.url))

/** Runs a mode of the fixture in a child process (libuv's default pool of four threads). */
function child(mode: string, env: Record<string, string> = {}, flags: string[] = []) {
  const { UV_THREADPOOL_SIZE: _uv, LMDB_NAPI_THREADS: _threads, ...inherited } = process.env
  const run = spawnSync(process.execPath, [...flags, fixture, tempDir(), mode], { encoding: 'utf8', timeout: 60_000, env: { ...inherited, ...env } })
  expect(run.signal, `${mode}: ${run.stderr}`).toBeNull()
  expect(run.status, `${mode}: ${run.stderr}`).toBe(0)
  return run.stdout.trim()
}

describe.skipIf(process.platform !== 'linux')('the pool of its own', () => {
  it('reads while libuv’s four threads are all stuck', () => {
    // on libuv's pool, the reads waited behind the four opens of the FIFO for ever
    expect(child('libuv-full')).toBe('read key0000007 1000 1000 1000')
  }, 70_000)

  it('lets a crypto call through while many reads are in flight, and reads on none of libuv’s threads', () => {
    const report = JSON.parse(child('pbkdf2-first', { LMDB_NAPI_THREADS: '2' }, ['--single-threaded']))
    // on libuv's pool, the reads' CPU time was its threads', and the hash waited behind the pieces queued before it
    expect(report, JSON.stringify(report)).toMatchObject({ first: 'pbkdf2', poolBusier: true })
  }, 70_000)

  it('exits with reads and range chunks in flight', () => {
    expect(child('exit')).toBe('exiting')
  }, 70_000)

  it('terminates a worker with reads and range chunks in flight, and goes on reading', () => {
    expect(child('worker')).toBe('terminated, then read key0000003')
  }, 70_000)
})

describe.skipIf(process.platform !== 'linux')('the pool’s size', () => {
  it('is the number of cores, at least 2, by default; fixed at the first async call', () => {
    const size = Math.max(2, availableParallelism())
    const report = JSON.parse(child('size'))
    expect(report).toMatchObject({ before: size, threadsBefore: 0, set: size, after: size, threadsAfter: size })
    expect(report.refused).toBe(`RangeError: setThreadPoolSize: lmdb-napi's thread pool has already started with ${size} threads; it cannot have ${size + 1}`)
    // a worker shares the pool: it sees its size, and cannot change it
    expect(report.worker).toEqual({ size, refused: 'RangeError' })
  }, 70_000)

  it('is LMDB_NAPI_THREADS when set', () => {
    expect(JSON.parse(child('size', { LMDB_NAPI_THREADS: '3' }))).toMatchObject({ before: 3, after: 3, threadsAfter: 3 })
  }, 70_000)

  it('is what setThreadPoolSize asked for before the start, over LMDB_NAPI_THREADS', () => {
    const report = JSON.parse(child('size', { LMDB_NAPI_THREADS: '3', SET_SIZE: '5' }))
    expect(report).toMatchObject({ before: 3, set: 5, after: 5, threadsAfter: 5 })
    expect(report.worker).toEqual({ size: 5, refused: 'RangeError' })
  }, 70_000)

  it('ignores a LMDB_NAPI_THREADS that is not a size', () => {
    const size = Math.max(2, availableParallelism())
    for (const bad of ['0', 'many', '-2', '100000']) expect(JSON.parse(child('size', { LMDB_NAPI_THREADS: bad })).after, bad).toBe(size)
  }, 70_000)

  it('refuses what is not an integer from 1 to 1024', () => {
    for (const bad of [0, -1, 1.5, 1025, Number.NaN]) expect(() => setThreadPoolSize(bad), String(bad)).toThrow(RangeError)
    expect(() => setThreadPoolSize('4' as unknown as number)).toThrow(TypeError)
    expect(() => setThreadPoolSize(threadPoolSize())).not.toThrow()
  })
})
