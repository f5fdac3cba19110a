import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { open, errors } from 'lmdb-napi'
import { b, tempDir } from './helpers.js'

const MiB = 1024 * 1024
const fixture = fileURLToPath(new URL('./fixtures/map-size-failure.mjs', import.meta.url))

describe('setMapSize', () => {
  it('a size that cannot be mapped rejects and leaves the map as it was (in a child process)', () => {
    const run = spawnSync(process.execPath, [fixture, tempDir()], { encoding: 'utf8', timeout: 60_000 })
    expect(run.signal, run.stderr).toBeNull()
    expect(run.status, run.stderr).toBe(0)
    expect(JSON.parse(run.stdout)).toEqual({
      huge: 'RangeError',
      unmappable: 'MemoryError',
      sameSize: true,
      get: 'v',
      put: true,
      getAfterPut: 'v2',
      grown: 'resolved',
      mapSize: 8 * MiB,
    })
  })

  it('above maxMapSize is refused, and maxMapSize caps the default map', async () => {
    await using env = open(tempDir(), { maxMapSize: 4 * MiB })
    expect(env.info().mapSize).toBe(4 * MiB)
    await expect(env.setMapSize(8 * MiB)).rejects.toThrow(errors.InvalidParameterError)
    await env.setMapSize(2 * MiB)
    expect(env.info().mapSize).toBe(2 * MiB)
  })

  it('as the first call inside a transaction always rejects, in 100 runs out of 100', async () => {
    await using env = open(tempDir(), { mapSize: 4 * MiB })
    const db = env.openDb('d')
    const outcomes = new Map<string, number>()
    for (let i = 0; i < 100; i++) {
      await env.transaction(async (txn) => {
        const outcome = await env.setMapSize(8 * MiB).then(
          () => 'resolved',
          (error: Error) => error.constructor.name,
        )
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
        await txn.put(db, b(`k${i}`), b('v'))
      })
    }
    expect(Object.fromEntries(outcomes)).toEqual({ InvalidParameterError: 100 })
    expect(env.info().mapSize).toBe(4 * MiB)
    expect(await db.count()).toBe(100)
  })

  it('works again once the transaction has ended, and rejects ClosedError after close', async () => {
    const env = open(tempDir(), { mapSize: 4 * MiB })
    await env.transaction(async () => {
      await expect(env.setMapSize(8 * MiB)).rejects.toThrow(errors.InvalidParameterError)
    })
    await env.setMapSize(8 * MiB)
    expect(env.info().mapSize).toBe(8 * MiB)
    await env.close()
    await expect(env.setMapSize(16 * MiB)).rejects.toThrow(errors.ClosedError)
  })
})
