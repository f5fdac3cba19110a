// Several processes incrementing one counter in write transactions: LMDB's
// writer lock, held across processes for the whole transaction, makes each
// read-modify-write whole, so no increment is lost.
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { open } from 'lmdb-napi'
import { rounds, tempDir } from './helpers.js'
import { runTogether } from './together.js'

const COUNTER = fileURLToPath(new URL('./fixtures/counter.mjs', import.meta.url))
const STRESS = Boolean(process.env.LMDB_NAPI_STRESS)
const INCREMENTS = rounds(500, 5000)
const TIMEOUT = STRESS ? 0 : 90_000

async function finalCount(dir: string): Promise<number | undefined> {
  await using env = open(dir)
  return env.openDb('counter', { keyCoder: 'string', valueCoder: 'uint32', create: false }).get('count')
}

const cases: [string, string[]][] = [
  ['env.transaction', ['async', 'async', 'async', 'async']],
  ['env.transactionSync', ['sync', 'sync', 'sync', 'sync']],
  ['2 × env.transaction and 2 × env.transactionSync', ['async', 'async', 'sync', 'sync']],
]

for (const [what, modes] of cases) {
  it(`4 processes × ${INCREMENTS} increments of one counter in ${what} end at ${4 * INCREMENTS}`, async () => {
    const dir = tempDir()
    const interleaved = await runTogether(COUNTER, dir, modes, INCREMENTS)
    expect(await finalCount(dir)).toBe(4 * INCREMENTS)
    // The processes did overlap: some increments read another's write.
    expect(interleaved).toBeGreaterThan(0)
  }, TIMEOUT)
}
