// Counting a range natively (db.count(range)) beside iterating its keys
// (db.keys(range)), on 1,000,000 entries: the count reads no key out.
//   node benches/count.mjs [N]
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open } from '../dist/index.js'

const N = Number(process.argv[2] ?? 1_000_000)
const RUNS = 5
const dir = mkdtempSync(join(tmpdir(), 'lmdb-napi-count-'))
const env = open(dir, { mapSize: 4 * 2 ** 30, sync: false })
const db = env.openDb('count', { keyCoder: 'uint32', valueCoder: 'binary' })
const value = Buffer.alloc(8)
for (let from = 0; from < N; from += 100_000) {
  await db.putMany(Array.from({ length: Math.min(100_000, N - from) }, (_, i) => [from + i, value]))
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
async function time(fn) {
  const ms = []
  let result
  for (let run = 0; run < RUNS; run++) {
    const start = process.hrtime.bigint()
    result = await fn()
    ms.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  return { ms: median(ms), result }
}

const rows = []
for (const [name, range] of [['the whole database', {}], ['the middle half', { gte: N / 4, lt: (3 * N) / 4 }]]) {
  const counted = await time(() => db.count(range))
  const iterated = await time(async () => {
    let n = 0
    await db.keys(range).forEach(() => n++)
    return n
  })
  if (counted.result !== iterated.result) throw new Error(`count ${counted.result} ≠ keys ${iterated.result}`)
  rows.push(`| ${name} (${counted.result.toLocaleString('en-US')} entries) | ${counted.ms.toFixed(1)} | ${iterated.ms.toFixed(1)} | ${(iterated.ms / counted.ms).toFixed(1)}× |`)
}
await env.close()
rmSync(dir, { recursive: true, force: true })
console.log(`N = ${N.toLocaleString('en-US')}, medians of ${RUNS}; Node ${process.version}\n`)
console.log('| range | count(range), ms | keys(range).forEach, ms | count is faster by |')
console.log('|---|---:|---:|---:|')
for (const row of rows) console.log(row)
