import { expect, it } from 'vitest'
import { open, errors } from 'lmdb-napi'
import { tempDir } from './helpers.js'

/** A small deterministic PRNG, so a failure can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed / 0x7fffffff
  }
}

it('survives random interleavings of operations, closes and reopens', async () => {
  const dir = tempDir()
  const random = prng(42)
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]
  let envs = [open(dir, { sync: false }), open(dir, { sync: false })]
  const settled: Promise<unknown>[] = []
  const allowed = (e: unknown) => {
    // Only typed errors may come out; anything else fails the test.
    if (!(e instanceof errors.ClosedError || e instanceof errors.LmdbError || e instanceof errors.CoderError)) throw e
  }
  for (let step = 0; step < 3000; step++) {
    const env = pick(envs)
    const key = Buffer.from(`k${Math.floor(random() * 50)}`)
    const r = random()
    try {
      const db = r < 0.05 ? env.openDb(`db${Math.floor(random() * 3)}`) : env.defaultDb
      const op = Math.floor(random() * 12)
      const p: Promise<unknown> | unknown =
        op === 0 ? db.put(key, Buffer.from('v'))
        : op === 1 ? db.get(key)
        : op === 2 ? db.getMany([key, key])
        : op === 3 ? db.delete(key)
        : op === 4 ? db.putMany([[key, Buffer.alloc(Math.floor(random() * 5000))]])
        : op === 5 ? db.replace(key, Buffer.from('r'))
        : op === 6 ? db.pop(key)
        : op === 7 ? db.getSync(key)
        : op === 8 ? db.put(Buffer.alloc(0), Buffer.from('bad'))
        : op === 9 ? db.put(key, 'not bytes' as unknown as Buffer)
        : op === 10 ? db.count()
        : random() < 0.2 ? env.close() : db.has(key)
      if (p instanceof Promise) settled.push(p.catch(allowed))
    } catch (e) {
      allowed(e)
    }
    if (random() < 0.05) envs = envs.map((e) => (e.closed ? open(dir, { sync: false }) : e))
  }
  await Promise.all(settled)
  for (const env of envs) await env.close()
  // afterwards the files are sound and the environment works
  await using last = open(dir)
  await last.defaultDb.put(Buffer.from('after'), Buffer.from('ok'))
  expect(await last.defaultDb.get(Buffer.from('after'))).toEqual(Buffer.from('ok'))
  expect(last.stat().entries).toBe(await last.defaultDb.count())
})

it('a database of one environment used through another is refused, not a crash', async () => {
  await using a = open(tempDir())
  await using b = open(tempDir())
  const ofA = a.defaultDb
  const named = a.openDb('x')
  await ofA.put(Buffer.from('k'), Buffer.from('v'))
  for (const db of [ofA, named]) {
    await expect(b.batch([{ type: 'put', db, key: Buffer.from('k'), value: Buffer.from('w') }])).rejects.toThrow(errors.BadDbiError)
    await expect(b.transaction((txn) => txn.get(db, Buffer.from('k')))).rejects.toThrow(errors.BadDbiError)
    const snapshot = b.snapshot()
    await expect(snapshot.get(db, Buffer.from('k'))).rejects.toThrow(errors.BadDbiError)
    snapshot.close()
  }
  expect(await ofA.get(Buffer.from('k'))).toEqual(Buffer.from('v'))
})

it('something that is not a database, given as one, is a TypeError naming it', async () => {
  await using env = open(tempDir())
  const notDb = { name: 'x' } as unknown as typeof env.defaultDb
  await expect(env.transaction((txn) => txn.get(notDb, Buffer.from('k')))).rejects.toThrow(/expected a Database of lmdb-napi, not an object/)
  expect(() => env.transactionSync((txn) => txn.get(notDb, Buffer.from('k')))).toThrow(TypeError)
  using snapshot = env.snapshot()
  await expect(snapshot.get(notDb, Buffer.from('k'))).rejects.toThrow(TypeError)
  await expect(env.batch([{ type: 'put', db: null as unknown as typeof notDb, key: Buffer.from('k'), value: Buffer.from('v') }])).rejects.toThrow(/not null/)
})
