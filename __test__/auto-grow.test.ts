import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { open, errors, type Database, type Environment } from 'lmdb-napi'
import { b, rounds, tempDir } from './helpers.js'

const KiB = 1024
const MiB = 1024 * KiB
// 16 values of 64 KiB: about 1 MiB a transaction, on overflow pages
const VALUES = 16
const VALUE = 64 * KiB

const key = (txn: number, i: number): Buffer => b(`t${String(txn).padStart(5, '0')}-${String(i).padStart(2, '0')}`)
const value = (txn: number, i: number, size = VALUE): Buffer => Buffer.alloc(size, (txn * VALUES + i) % 251)

/** The bytes the data spans: every page up to the last one in use. */
function used(env: Environment): number {
  return (env.info().lastPgno + 1) * env.stat().psize
}

async function readsBack(db: Database<Buffer, Buffer>, txns: number): Promise<void> {
  for (let t = 0; t < txns; t++) {
    const values = await db.getMany(Array.from({ length: VALUES }, (_, i) => key(t, i)))
    values.forEach((v, i) => expect(v?.equals(value(t, i)), `value ${t}-${i}`).toBe(true))
  }
}

const WRITER = fileURLToPath(new URL('./fixtures/auto-grow-writer.mjs', import.meta.url))
const run = promisify(execFile)

const TXNS = rounds(200, 1000)
const timeout = rounds(60_000, 0)

describe('autoGrow grows the map ahead of the writes', () => {
  it(`${TXNS} transactions of 1 MiB each into a 1 MiB map: none fails with MapFullError`, async () => {
    await using env = open(tempDir(), { mapSize: MiB, sync: false })
    const db = env.openDb('grow')
    for (let t = 0; t < TXNS; t++) {
      await env.transaction(async (txn) => {
        for (let i = 0; i < VALUES; i++) await txn.put(db, key(t, i), value(t, i))
      })
    }
    expect(env.info().mapSize).toBeGreaterThanOrEqual(TXNS * MiB)
    expect(await db.count()).toBe(TXNS * VALUES)
    await readsBack(db, TXNS)
  }, timeout)

  it(`and ${TXNS} of them through transactionSync`, async () => {
    await using env = open(tempDir(), { mapSize: MiB, sync: false })
    const db = env.openDb('grow')
    for (let t = 0; t < TXNS; t++) {
      env.transactionSync((txn) => {
        for (let i = 0; i < VALUES; i++) txn.put(db, key(t, i), value(t, i))
      })
    }
    expect(env.info().mapSize).toBeGreaterThanOrEqual(TXNS * MiB)
    expect(await db.count()).toBe(TXNS * VALUES)
    await readsBack(db, TXNS)
  }, timeout)

  it('a commit that leaves less than a quarter of the map free grows it before the next write', async () => {
    await using env = open(tempDir(), { mapSize: 4 * MiB, sync: false })
    const db = env.openDb('grow')
    // 3.2 MiB: fits, and leaves less than a quarter free
    await db.putMany(Array.from({ length: 50 }, (_, i): [Buffer, Buffer] => [key(0, i), value(0, i)]))
    expect(env.info().mapSize).toBe(4 * MiB)
    expect(used(env)).toBeGreaterThan(3 * MiB)
    // a write that would fit all the same finds the map grown
    await db.put(b('small'), b('s'))
    expect(env.info().mapSize).toBeGreaterThanOrEqual(2 * used(env))
  })

  it('a map opened smaller than its data gets room ahead: the first transaction fits', async () => {
    const dir = tempDir()
    {
      await using env = open(dir, { mapSize: 16 * MiB, sync: false })
      const db = env.openDb('grow')
      await db.putMany(Array.from({ length: 120 }, (_, i): [Buffer, Buffer] => [key(0, i), value(0, i)]))
    }
    await using env = open(dir, { mapSize: MiB, sync: false })
    const data = used(env)
    expect(data).toBeGreaterThan(7 * MiB)
    // LMDB alone would map exactly the data
    expect(env.info().mapSize).toBeGreaterThanOrEqual(2 * data)
    const db = env.openDb('grow')
    await env.transaction(async (txn) => {
      for (let i = 0; i < 8; i++) await txn.put(db, key(1, i), value(1, i))
    })
    expect(await db.count()).toBe(128)
  })

  it('autoGrow: false grows nothing ahead', async () => {
    await using env = open(tempDir(), { mapSize: 4 * MiB, autoGrow: false, sync: false })
    const db = env.openDb('grow')
    await db.putMany(Array.from({ length: 50 }, (_, i): [Buffer, Buffer] => [key(0, i), value(0, i)]))
    expect(used(env)).toBeGreaterThan(3 * MiB)
    for (let t = 1; t <= 3; t++) {
      await env.transaction(async (txn) => {
        await txn.put(db, key(t, 0), b('small'))
      })
    }
    env.transactionSync((txn) => txn.put(db, b('sync'), b('small')))
    await db.put(b('grouped'), b('small'))
    expect(env.info().mapSize).toBe(4 * MiB)
  })

  it('autoGrow: false and a map opened smaller than its data: no room ahead', async () => {
    const dir = tempDir()
    {
      await using env = open(dir, { mapSize: 16 * MiB, sync: false })
      const db = env.openDb('grow')
      await db.putMany(Array.from({ length: 60 }, (_, i): [Buffer, Buffer] => [key(0, i), value(0, i)]))
    }
    await using env = open(dir, { mapSize: MiB, autoGrow: false })
    expect(env.info().mapSize).toBe(used(env))
  })

  it('a read-only environment opened smaller than its data gets no room ahead', async () => {
    const dir = tempDir()
    {
      await using env = open(dir, { mapSize: 16 * MiB, sync: false })
      const db = env.openDb('grow')
      await db.putMany(Array.from({ length: 60 }, (_, i): [Buffer, Buffer] => [key(0, i), value(0, i)]))
    }
    await using env = open(dir, { mapSize: MiB, readonly: true })
    expect(env.info().mapSize).toBe(used(env))
  })

  it('a transaction that creates a database is not run again: filling the map fails it, and the map grows after', async () => {
    await using env = open(tempDir(), { mapSize: MiB, sync: false })
    const fill = async (name: string): Promise<void> =>
      env.transaction(async (txn) => {
        const db = env.openDb(name)
        for (let i = 0; i < VALUES; i++) await txn.put(db, key(0, i), value(0, i))
      })
    await expect(fill('made-inside')).rejects.toBeInstanceOf(errors.MapFullError)
    expect(env.info().mapSize).toBeGreaterThan(MiB)
    await fill('made-inside')
    expect(await env.openDb('made-inside').count()).toBe(VALUES)
  })

  it('maxMapSize caps growing ahead: past the cap a transaction that does not fit fails, and the env goes on', async () => {
    const cap = 4 * MiB
    await using env = open(tempDir(), { mapSize: MiB, maxMapSize: cap, sync: false })
    const db = env.openDb('grow')
    const committed: number[] = []
    let failure: unknown
    // half a MiB a transaction, until one does not fit under the cap
    for (let t = 0; t < 16 && failure === undefined; t++) {
      try {
        await env.transaction(async (txn) => {
          for (let i = 0; i < 8; i++) await txn.put(db, key(t, i), value(t, i))
        })
        committed.push(t)
      } catch (error) {
        failure = error
      }
    }
    expect(failure).toBeInstanceOf(errors.MapFullError)
    expect(env.info().mapSize).toBe(cap)
    expect(committed.length).toBeGreaterThanOrEqual(5)
    expect(await db.count()).toBe(committed.length * 8)
    for (const t of committed) expect((await db.get(key(t, 7)))?.equals(value(t, 7))).toBe(true)
    // what fits still commits
    await env.transaction(async (txn) => {
      await txn.put(db, b('small'), b('s'))
    })
    expect(await db.get(b('small'))).toEqual(b('s'))
    expect(env.info().mapSize).toBe(cap)
  })

  it('an environment open here opens a database, and lists them, after another process grew the map past its own', async () => {
    const dir = tempDir()
    await using env = open(dir, { mapSize: 1024 * 1024 })
    await run(process.execPath, [WRITER, dir, 'other', '12', 'async'], { timeout: timeout || undefined })
    // beginning the transaction that finds the database met MDB_MAP_RESIZED, and openDb threw it
    expect(await env.openDb('grow', { create: false }).count()).toBe(12 * VALUES)
    expect(await env.databases()).toEqual(['grow'])
  }, timeout)

  const PROCESS_TXNS = rounds(60, 300)
  it(`processes writing ${PROCESS_TXNS} transactions of 1 MiB each at once into a 1 MiB map: none fails`, async () => {
    const dir = tempDir()
    const writers = [
      ['a', 'async'],
      ['b', 'sync'],
      ['c', 'async'],
    ].map(([name, mode]) => run(process.execPath, [WRITER, dir, name, String(PROCESS_TXNS), mode], { timeout: timeout || undefined }))
    const outputs = await Promise.all(writers)
    expect(outputs.map(({ stdout }) => JSON.parse(stdout))).toEqual([{}, {}, {}])
    await using env = open(dir)
    expect(await env.openDb('grow').count()).toBe(3 * PROCESS_TXNS * VALUES)
  }, timeout)
})
