import { describe, expect, it } from 'vitest'
import { open, errors, type Database, type Environment } from 'lmdb-napi'
import { b, failure, tempDir } from './helpers.js'

describe('a deleted database', () => {
  const k = b('k')
  const calls: [string, (db: Database<Buffer, Buffer>, env: Environment) => unknown][] = [
    ['get', (db) => db.get(k)],
    ['getSync', (db) => db.getSync(k)],
    ['has', (db) => db.has(k)],
    ['getMany', (db) => db.getMany([k])],
    ['getDuplicates', (db) => db.getDuplicates(k)],
    ['countDuplicates', (db) => db.countDuplicates(k)],
    ['range', (db) => db.range().toArray()],
    ['keys', (db) => db.keys({ limit: 1 }).toArray()],
    ['values', (db) => db.values({ reverse: true }).toArray()],
    ['count', (db) => db.count()],
    ['stat', (db) => db.stat()],
    ['snapshot get', (db, env) => env.read((s) => s.get(db, k))],
    ['snapshot range', (db, env) => env.read((s) => s.range(db).toArray())],
    ['snapshot cursor', (db, env) => env.read((s) => s.cursor(db).first())],
    ['transaction get', (db, env) => env.transaction((t) => t.get(db, k))],
    ['transaction range', (db, env) => env.transaction((t) => t.range(db).toArray())],
    ['transactionSync get', (db, env) => env.transactionSync((t) => t.get(db, k))],
    ['put', (db) => db.put(k, b('v'))],
  ]
  it.each(calls)('%s rejects with BadDbiError, with no raw native text', async (_, call) => {
    await using env = open(tempDir())
    const db = env.openDb('gone', { dupSort: true })
    await db.put(k, b('v'))
    await db.drop({ delete: true })
    const error = await failure(() => call(db, env))
    expect(error).toBeInstanceOf(errors.BadDbiError)
    expect((error as Error).message).not.toMatch(/^\[/)
  })
})

describe('a closed environment', () => {
  it('path throws ClosedError, as every other member does', async () => {
    const dir = tempDir()
    const env = open(dir)
    expect(env.path).toContain('lmdb-napi-test-')
    await env.close()
    expect(() => env.path).toThrow(errors.ClosedError)
  })
})
