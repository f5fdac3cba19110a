import { describe, expect, it } from 'vitest'
import { open, type Database, type RangeOptions } from 'lmdb-napi'
import { NativeUInt32Coder, tempDir } from './helpers.js'

/** txn.range and db.range agree on every case (before the transaction writes anything). */
async function agree<K, V>(db: Database<K, V>, cases: RangeOptions<K>[]): Promise<void> {
  await db.env.transaction(async (txn) => {
    for (const options of cases) {
      const label = JSON.stringify(options, (_, v) => (typeof v === 'bigint' ? String(v) : v))
      expect(await txn.range(db, options).toArray(), label).toEqual(await db.range(options).toArray())
    }
  })
}

/** Every bound, direction, limit and offset over keys a < b < c (in the database's order). */
function cases<K>(a: K, b: K, c: K): RangeOptions<K>[] {
  return [
    {},
    { reverse: true },
    { gte: a, lt: c },
    { gt: a, lte: c, reverse: true },
    { gte: b },
    { lte: b, reverse: true },
    { gt: b, reverse: true },
    { lt: b },
    { offset: 10, limit: 1500 },
    { gte: b, offset: 5, limit: 3, reverse: true },
    { gt: c },
    { lt: a },
  ]
}

describe('txn.range reads with LMDB’s own order, as db.range does', () => {
  it('string keys, across chunks, and sees the transaction’s writes', async () => {
    await using env = open(tempDir(), { sync: false })
    const db = env.openDb('r', { keyCoder: 'string', valueCoder: 'json' })
    const keys = Array.from({ length: 3000 }, (_, i) => `k${String(i).padStart(5, '0')}`)
    await db.putMany(keys.map((k, i) => [k, i]))
    await agree(db, [...cases('k00100', 'k01000', 'k02500'), { prefix: 'k001' }, { prefix: 'k029', reverse: true }])
    await env.transaction(async (txn) => {
      await txn.put(db, 'k00000x', -1)
      await txn.delete(db, 'k00001')
      const head = (await txn.range(db, { limit: 3 }).toArray()).map(([k]) => k)
      expect(head).toEqual(['k00000', 'k00000x', 'k00002'])
    })
  })

  it('reverseKey: keys compared from their last byte', async () => {
    await using env = open(tempDir(), { sync: false, maxDbs: 2 })
    const db = env.openDb('rev', { keyCoder: 'string', valueCoder: 'string', reverseKey: true })
    // the number is written backwards, so reverseKey order is numeric order
    const key = (i: number) => `${String(i).padStart(4, '0')}`.split('').reverse().join('') + '-k'
    await db.putMany(Array.from({ length: 2000 }, (_, i) => [key(i), `v${i}`]))
    const all = (await db.keys().toArray()) as string[]
    expect(all.slice(0, 3)).toEqual([key(0), key(1), key(2)]) // not the bytewise order
    await agree(db, cases(key(100), key(900), key(1500)))
  })

  it('integerKey: native-endian integers in numeric order', async () => {
    await using env = open(tempDir(), { sync: false, maxDbs: 2 })
    const db = env.openDb('int', { keyCoder: new NativeUInt32Coder(), valueCoder: 'json', integerKey: true })
    await db.putMany(Array.from({ length: 2000 }, (_, i) => [i * 300, i]))
    expect(await db.keys({ limit: 3 }).toArray()).toEqual([0, 300, 600])
    await agree(db, cases(300, 255 * 300, 1500 * 300))
  })

  it('dupSort: every value of a key in order, bounds on keys', async () => {
    await using env = open(tempDir(), { sync: false, maxDbs: 2 })
    const db = env.openDb('dup', { keyCoder: 'string', valueCoder: 'string', dupSort: true })
    const entries: [string, string][] = []
    for (let k = 0; k < 200; k++) for (let v = 0; v < 15; v++) entries.push([`k${String(k).padStart(3, '0')}`, `v${String(v).padStart(2, '0')}`])
    await db.putMany(entries)
    await agree(db, [...cases('k010', 'k100', 'k150'), { prefix: 'k01' }, { gte: 'k100', lte: 'k100' }])
  })
})
