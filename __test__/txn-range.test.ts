import { expect, it } from 'vitest'
import { open } from 'lmdb-napi'
import { tempDir } from './helpers.js'

it('txn.range gives what db.range gives, for every option, across chunks, and sees the transaction’s writes', async () => {
  await using env = open(tempDir(), { sync: false })
  const db = env.openDb('r', { keyCoder: 'string', valueCoder: 'json' })
  const keys = Array.from({ length: 3000 }, (_, i) => `k${String(i).padStart(5, '0')}`)
  await db.putMany(keys.map((k, i) => [k, i]))
  const cases = [
    {},
    { reverse: true },
    { gte: 'k00100', lt: 'k02500' },
    { gt: 'k00100', lte: 'k02500', reverse: true },
    { prefix: 'k001' },
    { prefix: 'k029', reverse: true },
    { offset: 10, limit: 1500 },
    { gte: 'k01000', offset: 5, limit: 3, reverse: true },
    { gt: 'k99999' },
    { lt: 'a' },
  ]
  await env.transaction(async (txn) => {
    for (const options of cases) {
      expect(await txn.range(db, options).toArray(), JSON.stringify(options)).toEqual(await db.range(options).toArray())
    }
    await txn.put(db, 'k00000x', -1)
    await txn.delete(db, 'k00001')
    const head = (await txn.range(db, { limit: 3 }).toArray()).map(([k]) => k)
    expect(head).toEqual(['k00000', 'k00000x', 'k00002'])
  })
})
