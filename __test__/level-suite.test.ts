// abstract-level's own test suite against lmdb-napi/level, run by
// fixtures/level-suite.cjs in a child process with tape: every assertion
// passes, and the tests of every feature the manifest claims ran.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const SUITE = fileURLToPath(new URL('./fixtures/level-suite.cjs', import.meta.url))

/** The suite's TAP output and exit code. */
function runSuite(): Promise<{ tap: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SUITE], { stdio: ['ignore', 'pipe', 'pipe'] })
    let tap = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => (tap += text))
    child.stderr.setEncoding('utf8').on('data', (text: string) => (tap += text))
    child.on('error', reject)
    child.on('close', (code) => resolve({ tap, code }))
  })
}

it('passes abstract-level\'s suite: every assertion, with the tests of every feature it claims', { timeout: 400_000 }, async () => {
  const { tap, code } = await runSuite()
  const failed = tap.split('\n').filter((line) => line.startsWith('not ok'))
  expect(failed).toEqual([])
  expect(code).toBe(0)
  const count = (name: string) => Number(new RegExp(`^# ${name}\\s+(\\d+)$`, 'm').exec(tap)?.[1])
  const assertions = count('tests')
  expect(count('pass')).toBe(assertions)
  expect(tap).not.toMatch(/^# fail/m)
  expect(tap).toMatch(/^# ok$/m)
  // 5,168 assertions in 1,509 tests with abstract-level 3.1.1
  expect(assertions).toBeGreaterThanOrEqual(5_000)
  // the suite runs twice: on a database, then on a sublevel of one
  const run = tap.split('\n').filter((line) => line.startsWith('# ') && !/^# (tests|pass|fail|ok)\b/.test(line))
  expect(run.length).toBeGreaterThanOrEqual(1_400)
  const tests = new Set(run)
  // the optional parts of the suite, which run only for what the manifest claims
  for (const name of [
    'open() with createIfMissing: false',
    'open() with errorIfExists: true',
    'has() on open db',
    'simple getSync()',
    'delete key after snapshotting',
    'get() changed entry from snapshot',
    'iterator(), keys(), values() with snapshot',
    'iterator().next() with signal yields error when aborted',
    'clear() entries from snapshot',
  ]) {
    expect(tests.has(`# ${name}`), name).toBe(true)
  }
  expect([...tests].filter((line) => line.includes('seek')).length).toBeGreaterThan(20)
})
