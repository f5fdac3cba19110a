// Several processes incrementing one counter in write transactions: LMDB's
// writer lock, held across processes for the whole transaction, makes each
// read-modify-write whole, so no increment is lost.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { open } from 'lmdb-napi'
import { rounds, tempDir } from './helpers.js'

const COUNTER = fileURLToPath(new URL('./fixtures/counter.mjs', import.meta.url))
const STRESS = Boolean(process.env.LMDB_NAPI_STRESS)
const INCREMENTS = rounds(500, 5000)
const TIMEOUT = STRESS ? 0 : 90_000

/** Resolves with the next line `child` prints. */
function nextLine(child: ChildProcessWithoutNullStreams, output: { text: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const end = output.text.indexOf('\n')
      if (end === -1) return false
      const line = output.text.slice(0, end)
      output.text = output.text.slice(end + 1)
      child.stdout.off('data', check)
      child.off('close', closed)
      resolve(line)
      return true
    }
    const closed = () => {
      child.stdout.off('data', check)
      reject(new Error(`counter process ended (${child.exitCode ?? child.signalCode}) before printing a line`))
    }
    if (check()) return
    child.stdout.on('data', check)
    child.once('close', closed)
  })
}

/**
 * Starts one counter process per mode, lets them go together, and returns
 * how many increments in all read another process's write.
 */
async function countTogether(dir: string, modes: ('async' | 'sync')[]): Promise<number> {
  const children = modes.map((mode) => {
    const child = spawn(process.execPath, [COUNTER, dir, mode, String(INCREMENTS)])
    const output = { text: '' }
    const errors = { text: '' }
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output.text += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (errors.text += chunk))
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
    return { child, output, errors, exited }
  })
  try {
    const ready = await Promise.all(children.map(({ child, output }) => nextLine(child, output)))
    expect(ready).toEqual(modes.map(() => 'ready'))
    for (const { child } of children) child.stdin.write('go\n')
    const done = await Promise.all(children.map(({ child, output }) => nextLine(child, output)))
    const codes = await Promise.all(children.map(({ exited }) => exited))
    expect({ codes, errors: children.map(({ errors }) => errors.text) }).toEqual({
      codes: modes.map(() => 0),
      errors: modes.map(() => ''),
    })
    return done.reduce((sum, line) => sum + Number(/^done (\d+)$/.exec(line)?.[1] ?? NaN), 0)
  } finally {
    for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
}

async function finalCount(dir: string): Promise<number | undefined> {
  await using env = open(dir)
  return env.openDb('counter', { keyCoder: 'string', valueCoder: 'uint32', create: false }).get('count')
}

const cases: [string, ('async' | 'sync')[]][] = [
  ['env.transaction', ['async', 'async', 'async', 'async']],
  ['env.transactionSync', ['sync', 'sync', 'sync', 'sync']],
  ['2 × env.transaction and 2 × env.transactionSync', ['async', 'async', 'sync', 'sync']],
]

for (const [what, modes] of cases) {
  it(`4 processes × ${INCREMENTS} increments of one counter in ${what} end at ${4 * INCREMENTS}`, async () => {
    const dir = tempDir()
    const interleaved = await countTogether(dir, modes)
    expect(await finalCount(dir)).toBe(4 * INCREMENTS)
    // The processes did overlap: some increments read another's write.
    expect(interleaved).toBeGreaterThan(0)
  }, TIMEOUT)
}
