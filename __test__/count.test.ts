import { describe, expect, it } from 'vitest'
import { open, type RangeOptions } from 'lmdb-napi'
import { tempDir } from './helpers.js'

describe('count(range)', () => {
  it('is how many entries range(options) gives, for every option, on plain, dupSort and reverseKey databases', async () => {
    await using env = open(tempDir(), { sync: false, maxDbs: 4 })
    const plain = env.openDb('plain', { keyCoder: 'string', valueCoder: 'string' })
    const dups = env.openDb('dups', { keyCoder: 'string', valueCoder: 'string', dupSort: true })
    const rev = env.openDb('rev', { keyCoder: 'string', valueCoder: 'string', reverseKey: true })
    const keys = Array.from({ length: 1000 }, (_, i) => `k${String(i).padStart(4, '0')}`)
    await plain.putMany(keys.map((k) => [k, 'v']))
    await rev.putMany(keys.map((k) => [k, 'v']))
    await dups.putMany(keys.slice(0, 200).flatMap((k) => [[k, 'a'], [k, 'b'], [k, 'c']] as [string, string][]))
    const cases: RangeOptions<string>[] = [
      {},
      { reverse: true },
      { gte: 'k0100', lt: 'k0300' },
      { gt: 'k0100', lte: 'k0300', reverse: true },
      { prefix: 'k01' },
      { prefix: 'k09', reverse: true, limit: 7 },
      { offset: 10, limit: 25 },
      { offset: 990, limit: 25, reverse: true },
      { gte: 'z' },
      { gte: 'k0150', lte: 'k0150' },
    ]
    for (const db of [plain, dups, rev]) {
      for (const options of cases) {
        expect(await db.count(options), `${db.name} ${JSON.stringify(options)}`).toBe((await db.keys(options).toArray()).length)
      }
    }
    expect(await plain.count()).toBe(1000)
    expect(await dups.count({ gte: 'k0000', lte: 'k0000' })).toBe(3)
    await expect(plain.count({ limit: -1 })).rejects.toThrow(RangeError)
    await expect(plain.count({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' })
  })
})
