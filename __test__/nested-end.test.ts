// Transactions that end while a nested one is still open, and transactionSync
// called inside itself. Each case runs in a process of its own
// (fixtures/nested-end.mjs): the bugs they guard against crashed the process
// (LMDB's child transaction freed twice) or hung it.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { tempDir } from './helpers.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/nested-end.mjs', import.meta.url))

/** Runs one scenario; its exit code, signal and the JSON line it printed. */
function run(scenario: string) {
  const child = spawnSync(process.execPath, [FIXTURE, scenario, tempDir()], { encoding: 'utf8', timeout: 20_000 })
  const line = child.stdout.trim().split('\n').pop() ?? ''
  return { status: child.status, signal: child.signal, stderr: child.stderr, result: line ? JSON.parse(line) : undefined }
}

/** The scenario exits normally (no crash, no hang) with `result`. */
function expectRun(scenario: string, result: unknown) {
  const outcome = run(scenario)
  expect({ status: outcome.status, signal: outcome.signal, stderr: outcome.stderr }).toEqual({ status: 0, signal: null, stderr: '' })
  expect(outcome.result).toEqual(result)
}

describe('a transaction that ends while a nested transaction is open', () => {
  it('its body throws: it rejects with that error, the nested call settles, nothing is written', () => {
    expectRun('throws', { outer: 'Error: body failed', nested: 'none', keys: [] })
  })

  it('close() is called: both reject with ClosedError, nothing is written, the environment reopens', () => {
    expectRun('close', { outer: 'ClosedError', nested: 'ClosedError', keys: [] })
  })

  it('close() while a nested callback never settles, awaited or left behind: all reject with ClosedError', () => {
    expectRun('closeStuck', { awaited: 'ClosedError', returned: 'ClosedError', left: 'ClosedError', keys: [] })
  })

  it('the worker running it is terminated (5 rounds): nothing is written, the environment goes on', () => {
    expectRun('worker', { rounds: Array(5).fill('in nested'), keys: [], after: '1' })
  })

  it('end(false) inside a nested callback aborts everything; later use rejects with ClosedError', () => {
    expectRun('syncEndAbort', { thrown: 'ClosedError', keys: [] })
    expectRun('asyncEndAbort', { thrown: 'ClosedError', keys: [] })
  })

  it('end(true) inside a nested callback commits everything, the nested writes included', () => {
    expectRun('syncEndCommit', { thrown: 'ClosedError', keys: ['inner', 'outer'] })
    expectRun('asyncEndCommit', { thrown: 'ClosedError', keys: ['inner', 'outer'] })
  })
})

describe('txn.nested() not awaited by the body', () => {
  it('the commit waits for it: its writes commit with the parent, it settles, close() does not hang', () => {
    expectRun('unawaited', { outer: 'none', nested: 'inner done', keys: ['inner', 'outer'] })
  })
})

describe('transactionSync inside transactionSync', () => {
  it('throws BadTxnError instead of waiting for itself (from any handle on the environment)', () => {
    expectRun('syncInSync', { outer: 'none', inner: ['BadTxnError', 'BadTxnError'], after: 'again', keys: ['outer'] })
  })
})
