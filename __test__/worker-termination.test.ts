import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { rounds, tempDir } from './helpers.js'

const fixture = fileURLToPath(new URL('./fixtures/termination-rounds.mjs', import.meta.url))
const ROUNDS = rounds(50, 1000)
const SEED = Number(process.env.LMDB_NAPI_SEED ?? Math.floor(Math.random() * 2 ** 31))

describe('workers terminated mid-flight', () => {
  it(
    `${ROUNDS} rounds of every kind of work, inside transactions too: no crash, no stuck writer, no reader slot kept (seed ${SEED})`,
    () => {
      // the rounds run in a process of their own: a crash is its signal, not a lost vitest worker
      const r = spawnSync(process.execPath, [fixture, tempDir(), String(ROUNDS), String(SEED)], {
        encoding: 'utf8',
        timeout: ROUNDS * 3_000,
      })
      const seed = `seed ${SEED} (LMDB_NAPI_SEED=${SEED} repeats it)`
      expect(r.signal, `${seed}\n${r.stderr}`).toBeNull()
      expect(r.status, `${seed}\n${r.stderr}`).toBe(0)
      const report = JSON.parse(r.stdout)
      expect(report.rounds, seed).toBe(ROUNDS)
      // no call failed but as documented, and nothing waited for ever
      expect(report.bad, seed).toEqual([])
      expect(report.stuck, seed).toEqual([])
      // a worker made to close its environment under its work: every loop met ClosedError and ended
      for (const round of report.closeRounds) expect(round, seed).toMatchObject({ closed: round.loops, ended: true })
      // the reader table is no fuller than at the start, but for this thread's own slot
      expect(report.end.active, seed).toBe(report.start.active)
      expect(report.end.all, seed).toBeLessThanOrEqual(report.start.all + 1)
      // the data is there, and no handle outlived its worker (a fresh open took the new map size)
      expect(report.mainWritesKept, seed).toBe(ROUNDS)
      expect(report.countAfterReopen, seed).toBe(report.count)
      expect(report.reopenedMapSize, seed).toBe(128 * 1024 * 1024)
    },
    ROUNDS * 3_000 + 10_000,
  )
})
