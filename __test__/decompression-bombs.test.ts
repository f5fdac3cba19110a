import { execFileSync } from 'node:child_process'
import { deflateSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { open, errors, IdentityCoder } from 'lmdb-napi'
import { tempDir } from './helpers.js'

const MiB = 1024 * 1024
const fixture = fileURLToPath(new URL('./fixtures/bomb-reader.mjs', import.meta.url))

describe('decompression bombs', () => {
  it('every hostile value is a CoderError on every read path, and memory stays bounded', () => {
    const out = execFileSync(process.execPath, [fixture, tempDir()], { encoding: 'utf8', timeout: 60_000 })
    const { sizes, results, peakGrowth } = JSON.parse(out) as {
      sizes: Record<string, number>
      results: Record<string, Record<string, string>>
      peakGrowth: number
    }
    // the bombs are small: 8 KB of zstd and 255 KB of zlib expand to 256 MiB
    expect(sizes['zstd recording 256 MiB']).toBeLessThan(9_000)
    expect(sizes['zlib without a length']).toBeLessThan(300_000)
    for (const [name, paths] of Object.entries(results)) {
      const want = name === 'sound' ? `value of ${MiB} bytes` : 'CODER'
      expect(paths, name).toEqual({ get: want, getSync: want, range: want, deserialize: want })
    }
    // reading them all grew the peak by at most what one 64 MiB value takes
    // (expanding each bomb whole took over 800 MiB)
    expect(peakGrowth).toBeLessThan(150 * MiB)
  })

  it('zlib values stored without a length (by 0.1.0) still read', async () => {
    await using env = open(tempDir())
    const raw = env.openDb('old')
    const db = env.openDb('old', { keyCoder: 'string', valueCoder: new IdentityCoder().compressed({ algorithm: 'zlib' }) })
    const value = Buffer.from('an old value, '.repeat(100))
    await raw.put(Buffer.from('k'), Buffer.concat([Buffer.from([1]), deflateSync(value)]))
    expect(await db.get('k')).toEqual(value)
    // and new ones record it
    await db.put('k', value)
    const stored = (await raw.get(Buffer.from('k')))!
    expect(stored[0]).toBe(4)
    expect(stored.readUInt32LE(1)).toBe(value.length)
  })

  it('a value over 64 MiB is stored raw and reads back whole', async () => {
    await using env = open(tempDir(), { mapSize: 512 * MiB })
    const raw = env.openDb('big')
    const db = env.openDb('big', { keyCoder: 'string', valueCoder: new IdentityCoder().compressed() })
    const value = Buffer.alloc(64 * MiB + 1, 3)
    await db.put('k', value)
    expect((await raw.get(Buffer.from('k')))![0]).toBe(0)
    expect((await db.get('k'))!.equals(value)).toBe(true)
  })

  it('damaged and truncated values of every header are CoderError, never a crash', async () => {
    await using env = open(tempDir(), { sync: false })
    const raw = env.openDb('d')
    const db = env.openDb('d', { keyCoder: 'string', valueCoder: new IdentityCoder().compressed() })
    const value = Buffer.from('some text that compresses, '.repeat(40))
    let seed = 7
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    for (const algorithm of ['zlib', 'zstd', 'lz4'] as const) {
      const stored = Buffer.from(new IdentityCoder().compressed({ algorithm }).serialize(value))
      for (let round = 0; round < 200; round++) {
        const bad = Buffer.from(stored.subarray(0, round % 2 ? stored.length : Math.floor(random() * stored.length)))
        for (let flips = 1 + Math.floor(random() * 4); flips > 0 && bad.length > 1; flips--) {
          bad[1 + Math.floor(random() * (bad.length - 1))] ^= 1 << Math.floor(random() * 8)
        }
        await raw.put(Buffer.from('k'), bad)
        try {
          const got = await db.get('k')
          // a flip the format cannot see (zlib's and lz4's literals, zstd without its checksum) may give other bytes of the same length
          expect(got!.length, `${algorithm} ${bad.toString('hex')}`).toBe(value.length)
        } catch (error) {
          expect(error, `${algorithm} ${bad.toString('hex')}`).toBeInstanceOf(errors.CoderError)
        }
      }
    }
  })
})
