// lmdb-napi/level beyond what abstract-level's suite asks (level-suite.test.ts
// runs that): where its entries live in LMDB, a shared environment, the
// snapshot of a read, and that the main entry never loads abstract-level.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { errors, open } from 'lmdb-napi'
import * as esm from 'lmdb-napi/level'
import { LmdbLevel } from 'lmdb-napi/level'
import { b, failure, tempDir } from './helpers.js'

const require = createRequire(import.meta.url)

describe('entry point', () => {
  it('require and import give the same class', () => {
    const cjs = require('lmdb-napi/level') as typeof esm
    expect(Object.keys(cjs).sort()).toEqual(Object.keys(esm).sort())
    expect(cjs.LmdbLevel).toBe(esm.LmdbLevel)
  })

  it('the main entry does not load abstract-level', () => {
    const probe = (entry: string) =>
      spawnSync(
        process.execPath,
        ['-e', `require(${JSON.stringify(entry)}); console.log(Object.keys(require.cache).some((f) => f.includes('abstract-level')))`],
        { cwd: tempDir(), encoding: 'utf8' },
      )
    const root = join(import.meta.dirname, '..')
    const main = probe(root)
    expect(main.stderr).toBe('')
    expect(main.stdout.trim()).toBe('false')
    // and the probe sees it when it is loaded
    expect(probe(join(root, 'dist', 'level', 'index.js')).stdout.trim()).toBe('true')
  })
})

describe('where the entries are', () => {
  it('a path: an environment of its own, the main database, closed with the level', async () => {
    const dir = tempDir()
    const db = new LmdbLevel<string, { born: number }>(dir, { valueEncoding: 'json' })
    await db.put('ada', { born: 1815 })
    expect(await db.get('ada')).toEqual({ born: 1815 })
    await db.close()
    expect(existsSync(join(dir, 'data.mdb'))).toBe(true)

    // each key behind one 0x00 byte, so that the empty key can be stored too
    await using env = open(dir)
    expect(await env.defaultDb.keys().toArray()).toEqual([b('\0ada')])
  })

  it('a shared environment and a named database: the environment stays open', async () => {
    await using env = open(tempDir())
    const other = env.openDb('other', { keyCoder: 'string', valueCoder: 'string' })
    await other.put('x', 'y')
    const db = new LmdbLevel(env, { name: 'level' })
    const users = db.sublevel('users')
    await db.batch([
      { type: 'put', key: '', value: 'empty key' },
      { type: 'put', key: 'k', value: 'v' },
      { type: 'put', key: 'ada', value: 'Lovelace', sublevel: users },
    ])
    expect(await db.keys().all()).toEqual(['', '!users!ada', 'k'])
    expect(await users.iterator().all()).toEqual([['ada', 'Lovelace']])
    await db.close()
    expect(env.closed).toBe(false)
    expect(await other.get('x')).toBe('y')
    expect((await env.databases()).sort()).toEqual(['level', 'other'])
    const raw = env.openDb('level', { keyCoder: 'string', valueCoder: 'string' })
    expect(await raw.get('\0k')).toBe('v')
    // open again, on the same environment
    await db.open()
    expect(await db.get('k')).toBe('v')
    await db.close()
  })

  it('the main database beside named ones: only its own entries are seen and cleared', async () => {
    await using env = open(tempDir())
    const db = new LmdbLevel(env)
    await db.put('a', '1')
    // the record naming this database goes into the main one
    await env.openDb('named').put(b('x'), b('y'))
    expect(await db.iterator().all()).toEqual([['a', '1']])
    expect(await db.keys({ reverse: true }).all()).toEqual(['a'])
    await db.clear()
    expect(await db.keys().all()).toEqual([])
    expect(await env.databases()).toEqual(['named'])
    await db.close()
  })

  it('createIfMissing and errorIfExists apply to the named database in a shared environment', async () => {
    await using env = open(tempDir())
    const missing = new LmdbLevel(env, { name: 'nope', createIfMissing: false })
    const error = (await failure(() => missing.open())) as Error & { cause: Error }
    expect(error).toMatchObject({ code: 'LEVEL_DATABASE_NOT_OPEN' })
    expect(error.cause.message).toMatch(/'nope' does not exist/)
    expect(await env.databases()).toEqual([])

    await new LmdbLevel(env, { name: 'made' }).open()
    const again = new LmdbLevel(env, { name: 'made', errorIfExists: true })
    expect(((await failure(() => again.open())) as Error & { cause: Error }).cause.message).toMatch(/'made' exists/)
  })

  it('a closed environment: opening fails with its ClosedError, and calls after it close reject', async () => {
    const closed = open(tempDir())
    await closed.close()
    const error = (await failure(() => new LmdbLevel(closed).open())) as Error & { cause: Error }
    expect(error).toMatchObject({ code: 'LEVEL_DATABASE_NOT_OPEN' })
    expect(error.cause).toBeInstanceOf(errors.ClosedError)

    const env = open(tempDir())
    const db = new LmdbLevel(env, { name: 'level' })
    await db.put('a', '1')
    await env.close()
    expect(await failure(() => db.get('a'))).toBeInstanceOf(errors.ClosedError)
    expect(await failure(() => db.put('a', '2'))).toBeInstanceOf(errors.ClosedError)
    // an iterator is made (no throw), and its first read rejects
    const iterator = db.keys()
    expect(await failure(() => iterator.next())).toBeInstanceOf(errors.ClosedError)
    await iterator.close()
    await db.close()
  })

  it('refuses a location that is neither a path nor an environment, a bad name, and open() options with an environment', async () => {
    expect(() => new LmdbLevel(42 as unknown as string)).toThrow(TypeError)
    expect(() => new LmdbLevel('')).toThrow(TypeError)
    expect(() => new LmdbLevel(tempDir(), { name: 7 as unknown as string })).toThrow(TypeError)
    await using env = open(tempDir())
    expect(() => new LmdbLevel(env, { env: { mapSize: 1 << 20 } })).toThrow(/for a path/)
  })

  it('a key longer than LMDB takes is refused, and nothing of its batch is written', async () => {
    const db = new LmdbLevel(tempDir())
    await db.put('kept', 'x')
    const long = 'k'.repeat(600)
    expect(await failure(() => db.batch([{ type: 'put', key: 'a', value: '1' }, { type: 'put', key: long, value: '2' }]))).toMatchObject({
      code: 'MDB_BAD_VALSIZE',
    })
    expect(await db.keys().all()).toEqual(['kept'])
    await db.close()
  })
})

describe('what a read sees', () => {
  it('a read does not see a write issued after it, though the pool is slow to read', async () => {
    const dir = tempDir()
    const db = new LmdbLevel(dir, { env: { sync: false } })
    await db.put('k', 'v0')
    // large reads of another database of the environment keep the thread pool busy,
    // so the level's reads wait there while its writes commit
    await using env = open(dir)
    const other = env.openDb('other', { keyCoder: 'uint32' })
    const numbers = Array.from({ length: 20_000 }, (_, i) => i)
    await other.putMany(numbers.map((i) => [i, Buffer.alloc(64)]))
    for (let round = 0; round < 10; round++) {
      const busy = [other.getMany(numbers), other.getMany(numbers), other.getMany(numbers)]
      const reads = Promise.all([db.get('k'), db.getMany(['k', 'new']), db.has('new'), db.hasMany(['new'])])
      await db.batch().put('k', `v${round + 1}`).put('new', 'x').write()
      expect(await reads).toEqual([`v${round}`, [`v${round}`, undefined], false, [false]])
      await Promise.all([...busy, db.del('new')])
    }
    await db.close()
  })

  it('writes made to wait for earlier reads keep the order they were issued in, and close() waits for them', async () => {
    const dir = tempDir()
    const db = new LmdbLevel(dir, { env: { sync: false } })
    await db.put('k', '0')
    let last = 0
    for (let round = 0; round < 50; round++) {
      const calls: Promise<unknown>[] = []
      for (let step = 0; step < 20; step++) {
        // reads, puts and batches mixed at random, some after an await
        const pick = (round * 31 + step * 17) % 5
        if (pick === 0) calls.push(db.get('k'))
        else if (pick === 1) calls.push(db.put('k', String(++last)))
        else if (pick === 2) calls.push(db.batch([{ type: 'put', key: 'k', value: String(++last) }]))
        else if (pick === 3) calls.push(db.getMany(['k']))
        else await calls.at(-1)
      }
      await Promise.all(calls)
      expect(await db.get('k')).toBe(String(last))
    }
    // a write issued once the reads are over, while one made to wait for them still waits
    const read = db.get('k')
    const first = db.put('k', 'first')
    await read
    await Promise.all([first, db.put('k', 'second')])
    expect(await db.get('k')).toBe('second')

    void db.get('k')
    void db.put('after', 'close')
    await db.close()
    await db.open()
    expect(await db.get('after')).toBe('close')
    await db.close()
  })

  it('an explicit snapshot is an lmdb-napi snapshot, closed with it', async () => {
    const db = new LmdbLevel(tempDir())
    await db.put('a', '1')
    const snapshot = db.snapshot()
    await db.put('a', '2')
    expect(db.getSync('a', { snapshot })).toBe('1')
    expect(snapshot.snapshot.closed).toBe(false)
    await snapshot.close()
    expect(snapshot.snapshot.closed).toBe(true)
    await db.close()
  })
})
