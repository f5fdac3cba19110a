import { describe, expect, it } from 'vitest'
import { open, errors, type RangeOptions } from 'lmdb-napi'
import { activeReaders, tempDir } from './helpers.js'

describe('synchronous ranges', () => {
  it('give what the async forms give, for every option, across chunks, on plain and dupSort databases', async () => {
    await using env = open(tempDir(), { sync: false, maxDbs: 2 })
    const plain = env.openDb('plain', { keyCoder: 'string', valueCoder: 'json' })
    const dups = env.openDb('dups', { keyCoder: 'string', valueCoder: 'string', dupSort: true })
    const keys = Array.from({ length: 10_000 }, (_, i) => `k${String(i).padStart(5, '0')}`)
    await plain.putMany(keys.map((k, i) => [k, { i }]))
    await dups.putMany(keys.slice(0, 500).flatMap((k) => [[k, 'a'], [k, 'b']] as [string, string][]))
    const cases: RangeOptions<string>[] = [
      {},
      { reverse: true },
      { gte: 'k00100', lt: 'k02500' },
      { gt: 'k00100', lte: 'k02500', reverse: true },
      { prefix: 'k001' },
      { prefix: 'k099', reverse: true },
      { offset: 10, limit: 1500 },
      { gte: 'k01000', offset: 5, limit: 3, reverse: true },
      { gt: 'k99999' },
    ]
    for (const db of [plain, dups] as const) {
      for (const options of cases) {
        const label = `${db.name} ${JSON.stringify(options)}`
        const range = db as typeof plain
        expect(range.rangeSync(options).toArray(), label).toEqual(await range.range(options).toArray())
        expect(range.keysSync(options).toArray(), label).toEqual(await range.keys(options).toArray())
        expect(range.valuesSync(options).toArray(), label).toEqual(await range.values(options).toArray())
      }
    }
    const seen: string[] = []
    plain.keysSync({ limit: 3 }).forEach((k) => seen.push(k))
    expect(seen).toEqual(['k00000', 'k00001', 'k00002'])
  })

  it('give their snapshot back at once on break, and sees commits only in a new iteration', async () => {
    await using env = open(tempDir(), { sync: false })
    const db = env.openDb('s', { keyCoder: 'string', valueCoder: 'string' })
    await db.putMany(Array.from({ length: 5000 }, (_, i) => [`k${String(i).padStart(4, '0')}`, 'v']))
    const range = db.keysSync()
    let n = 0
    for (const _key of range) {
      if (++n === 1) expect(activeReaders(env)).toBe(1) // the iteration's snapshot
      if (n === 100) break
    }
    expect(activeReaders(env)).toBe(0)
    await db.put('k9999', 'new')
    expect(range.toArray().at(-1)).toBe('k9999') // each iteration takes a snapshot of its own
  })

  it('fail as their async forms do: bad options, a closed environment', async () => {
    const env = open(tempDir())
    const db = env.openDb('s', { keyCoder: 'string', valueCoder: 'string' })
    expect(() => db.rangeSync({ limit: -1 }).toArray()).toThrow(RangeError)
    expect(() => db.rangeSync({ nope: 1 } as RangeOptions<string>).toArray()).toThrow(TypeError)
    await env.close()
    expect(() => db.rangeSync().toArray()).toThrow(errors.ClosedError)
  })
})
