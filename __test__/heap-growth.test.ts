// What the public API leaves on V8's heap after full collections. Each case
// runs in a process of its own started with --expose-gc
// (fixtures/heap-growth.mjs). Every async transaction used to leave a
// reaction on a promise shared by the environment (+6 MiB per 20,000).
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { tempDir } from './helpers.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/heap-growth.mjs', import.meta.url))
const MiB = 1024 * 1024
/** Seconds of the soak; set LMDB_NAPI_SOAK_SECONDS for a longer run. */
const SOAK_SECONDS = Number(process.env.LMDB_NAPI_SOAK_SECONDS ?? 20)

function run(...args: string[]) {
  const child = spawnSync(process.execPath, ['--expose-gc', FIXTURE, ...args], {
    encoding: 'utf8',
    timeout: (SOAK_SECONDS + 60) * 1000,
  })
  expect({ status: child.status, signal: child.signal, stderr: child.stderr }).toEqual({ status: 0, signal: null, stderr: '' })
  return JSON.parse(child.stdout.trim().split('\n').pop()!)
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

describe('heap after full collections', () => {
  it('20,000 empty async transactions leave less than 1 MiB', () => {
    const { before, after } = run('transactions', tempDir())
    expect(after - before).toBeLessThan(MiB)
  })

  it(`a ${SOAK_SECONDS} s soak of mixed calls does not grow over its second half`, () => {
    const { rounds, samples } = run('soak', tempDir(), String(SOAK_SECONDS)) as {
      rounds: number
      samples: { heap: number; rss: number }[]
    }
    expect(rounds).toBeGreaterThan(100)
    const second = samples.slice(Math.floor(samples.length / 2))
    expect(second.length).toBeGreaterThanOrEqual(10)
    // the medians of its first and last five samples, against a spike from a collection's timing
    const start = second.slice(0, 5)
    const end = second.slice(-5)
    expect(median(end.map((s) => s.heap)) - median(start.map((s) => s.heap))).toBeLessThan(MiB / 8)
    expect(median(end.map((s) => s.rss)) - median(start.map((s) => s.rss))).toBeLessThan(16 * MiB)
  }, (SOAK_SECONDS + 90) * 1000)
})
