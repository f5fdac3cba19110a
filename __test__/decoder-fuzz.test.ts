import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { rounds, tempDir } from './helpers.js'

const fixture = fileURLToPath(new URL('./fixtures/decoder-fuzz.mjs', import.meta.url))
const VALUE_CASES = rounds(3_000, 60_000)
const KEY_CASES = rounds(600, 12_000)
const SEED = Number(process.env.LMDB_NAPI_SEED ?? 1 + Math.floor(Math.random() * (2 ** 31 - 2)))
const MiB = 1024 * 1024

describe('decoder fuzzer', () => {
  it(
    `damaged values under every coder and compression header, and damaged keys, read as a value or CoderError on every path (seed ${SEED})`,
    () => {
      // a process of its own: a crash is its signal, and its memory is the reads' alone
      const r = spawnSync(process.execPath, [fixture, tempDir(), String(VALUE_CASES), String(KEY_CASES), String(SEED)], {
        encoding: 'utf8',
        timeout: (VALUE_CASES + KEY_CASES) * 30,
        maxBuffer: 64 * MiB,
      })
      const seed = `seed ${SEED} (LMDB_NAPI_SEED=${SEED} repeats it)`
      expect(r.signal, `${seed}\n${r.stderr}`).toBeNull()
      expect(r.status, `${seed}\n${r.stderr}`).toBe(0)
      const report = JSON.parse(r.stdout)
      expect(report.cases, seed).toBe(VALUE_CASES + KEY_CASES)
      // every read gave a value or CoderError, the same on every path and as the coder's own deserialize;
      // sound values among the damaged ones read back as written
      expect(report.problems, seed).toEqual([])
      // every bomb was refused, and a bomb's expansion is cut off at 64 MiB once, not held per read
      for (const [name, bomb] of Object.entries(report.bombs)) expect(bomb, name).toMatchObject({ outcome: 'CoderError' })
      expect(report.peakGrowth, seed).toBeLessThan(200 * MiB)
      // the damage reached every decoder: each, but the ones that take any bytes, refused some
      const tallies: Record<string, { value: number; CoderError: number }> = { ...report.byCoder, ...report.byKeyCoder }
      for (const [name, tally] of Object.entries(tallies)) {
        if (name !== 'binary' && name !== 'string') expect(tally.CoderError, `${name} ${seed}`).toBeGreaterThan(0)
      }
      for (const kind of ['random', 'truncate', 'flip', 'huge', 'garbage after a header', 'damaged inside sound compression', 'huge inside sound compression']) {
        expect(report.byKind[kind], kind).toBeGreaterThan(0)
      }
    },
    (VALUE_CASES + KEY_CASES) * 30 + 10_000,
  )
})
