import { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { open } from 'lmdb-napi'
import { tempDir } from './helpers.js'

function fixture(name: string): URL {
  return new URL(`./fixtures/${name}`, import.meta.url)
}

function exitOf(worker: Worker): Promise<number> {
  return new Promise((resolve, reject) => {
    worker.once('exit', resolve)
    worker.once('error', reject)
  })
}

describe('worker threads', () => {
  it('share the native environment with the main thread and exit cleanly', async () => {
    const dir = tempDir()
    await using env = open(dir)
    const db = env.openDb('shared', { keyCoder: 'string', valueCoder: 'string' })
    await db.put('from-main', 'hi')
    await env.setMapSize(48 * 1024 * 1024)
    const worker = new Worker(fixture('worker.mjs'), { workerData: { dir } })
    const message = new Promise((resolve) => worker.once('message', resolve))
    const [reply, code] = await Promise.all([message, exitOf(worker)])
    expect(code).toBe(0)
    // the worker saw the main thread's map size: one MDB_env, not two
    expect(reply).toEqual({ seen: 'hi', seenSync: 'hi', mapSize: 48 * 1024 * 1024 })
    expect(db.getSync('from-main')).toBe('hi') // the worker's sync reads were its own
    expect(await db.get('from-worker')).toBe('hello')
  })

  it('terminated inside a write transaction, gives the writer back to the other threads', async () => {
    const dir = tempDir()
    await using env = open(dir)
    const db = env.openDb('shared')
    await db.put(Buffer.from('k'), Buffer.from('v'))
    const worker = new Worker(fixture('txn-worker.mjs'), { workerData: { dir } })
    await new Promise((resolve) => worker.once('message', resolve))
    const blocked = db.put(Buffer.from('from-main'), Buffer.from('waits'))
    await worker.terminate()
    // the worker's transaction is aborted with it; the main thread's write goes on
    expect(await blocked).toBe(true)
    expect(await db.get(Buffer.from('from-worker'))).toBeUndefined()
    expect(await db.get(Buffer.from('from-main'))).toEqual(Buffer.from('waits'))
  })

  it('can be terminated mid-operation without harming the process or the data', async () => {
    const dir = tempDir()
    const env = open(dir, { mapSize: 4 * 1024 * 1024 })
    const db = env.openDb('busy')
    for (let round = 0; round < 3; round++) {
      const worker = new Worker(fixture('busy-worker.mjs'), { workerData: { dir } })
      await new Promise((resolve) => worker.once('message', resolve))
      await new Promise((resolve) => setTimeout(resolve, 50))
      await worker.terminate()
    }
    // the environment is still usable from this thread, and the worker's
    // released handles let it close and reopen
    expect(await db.count()).toBeGreaterThan(0)
    await db.put(Buffer.from('after'), Buffer.from('ok'))
    expect(await db.get(Buffer.from('after'))).toEqual(Buffer.from('ok'))
    await env.close()
    // Had a terminated worker leaked its handle, the native environment would
    // still be open with its old map size; a fresh open takes the new one.
    await using fresh = open(dir, { mapSize: 8 * 1024 * 1024 })
    expect(fresh.info().mapSize).toBe(8 * 1024 * 1024)
  })

  it('sync reads of one stretch of synchronous code share a snapshot; the next stretch sees later commits', async () => {
    const dir = tempDir()
    await using env = open(dir)
    const db = env.openDb('stretch', { keyCoder: 'string', valueCoder: 'string' })
    await db.put('k', 'old')
    const flag = new Int32Array(new SharedArrayBuffer(4))
    const worker = new Worker(fixture('stretch-writer.mjs'), { workerData: { dir, flag: flag.buffer } })
    const exited = exitOf(worker)
    await new Promise((resolve) => worker.once('message', resolve))

    expect(db.getSync('k')).toBe('old')
    Atomics.store(flag, 0, 1)
    Atomics.notify(flag, 0)
    expect(Atomics.wait(flag, 0, 1, 10_000)).not.toBe('timed-out') // the worker has committed
    expect(db.getSync('k')).toBe('old') // the same stretch: the same snapshot
    expect(db.getManySync(['k'])).toEqual(['old'])
    await null // the stretch ends when the microtasks run
    expect(db.getSync('k')).toBe('new')
    expect(await exited).toBe(0)
  })
})
