import { execFileSync, spawnSync } from 'node:child_process'
import { deflateSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { open, IdentityCoder } from 'lmdb-napi'
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

  it('damaged and truncated values of every header are CoderError, never a crash', () => {
    const damaged = fileURLToPath(new URL('./fixtures/damaged-values.mjs', import.meta.url))
    const r = spawnSync(process.execPath, [damaged, tempDir(), '7'], { encoding: 'utf8', timeout: 60_000 })
    expect(r.signal, r.stderr).toBeNull()
    expect(r.status, r.stderr).toBe(0)
    const tally = JSON.parse(r.stdout) as { coderError: number; sameLength: number; other: string[] }
    expect(tally.other).toEqual([])
    expect(tally.coderError + tally.sameLength).toBe(3 * 300 * 2)
    expect(tally.coderError).toBeGreaterThan(1000)
  })
})
