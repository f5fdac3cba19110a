// Calls issued at once inside a write transaction: 20,000 puts of the
// records of data.mjs, on a fresh environment each round, timed from the
// transaction's start to its commit. Ours: `env.transaction` with the calls
// issued without awaiting (they travel to the writer as one batch a tick),
// and `env.transactionSync`. lmdb-js: `db.transaction(fn)`, whose callback
// is synchronous. Each config in a child process of its own, ROUNDS times
// in turn; medians.
//
//   node benches/txn-calls.mjs [ROUNDS]
//   LMDB_NAPI=DIR/dist/index.js: another build of ours
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { record } from './data.mjs'

const N = 20_000
const CONFIGS = ['ours env.transaction', 'ours env.transactionSync', 'lmdb-js db.transaction']

async function opener(config) {
  if (config.startsWith('ours')) {
    const { open } = await import(process.env.LMDB_NAPI ?? new URL('../dist/index.js', import.meta.url).href)
    return (dir) => {
      const env = open(dir, { mapSize: 1 << 30 })
      const db = env.openDb('objects', { keyCoder: 'string', valueCoder: 'msgpack' })
      const run =
        config === 'ours env.transaction'
          ? (keys, values) => env.transaction((txn) => Promise.all(keys.map((k, i) => txn.put(db, k, values[i]))))
          : async (keys, values) => env.transactionSync((txn) => keys.forEach((k, i) => txn.put(db, k, values[i])))
      return { run, close: () => env.close() }
    }
  }
  const { open } = await import('lmdb')
  return (dir) => {
    const root = open({ path: dir, mapSize: 1 << 30 })
    const db = root.openDB('objects', {})
    // its promise resolves at commit, before the flush; ours once durable
    const run = async (keys, values) => {
      await db.transaction(() => keys.forEach((k, i) => db.put(k, values[i])))
      await root.flushed
    }
    return { run, close: () => root.close() }
  }
}

async function child(config) {
  const keys = Array.from({ length: N }, (_, i) => `user:${String(i).padStart(8, '0')}`)
  const values = keys.map((_, i) => record(i))
  const make = await opener(config)
  const rates = []
  for (let round = 0; round < 4; round++) {
    const dir = mkdtempSync(join(tmpdir(), 'txn-calls-'))
    const { run, close } = make(dir)
    const t0 = process.hrtime.bigint()
    await run(keys, values)
    if (round > 0) rates.push(N / (Number(process.hrtime.bigint() - t0) / 1e9)) // the first warms the code
    await close()
    rmSync(dir, { recursive: true, force: true })
  }
  return rates.sort((a, b) => a - b)[1]
}

if (process.argv[2] === '--child') {
  console.log(JSON.stringify(await child(process.argv[3])))
} else {
  const rounds = Number(process.argv[2] ?? 3)
  const samples = {}
  for (let round = 0; round < rounds; round++) {
    for (const config of CONFIGS) {
      const out = execFileSync(process.execPath, [new URL(import.meta.url).pathname, '--child', config], { encoding: 'utf8' })
      ;(samples[config] ??= []).push(JSON.parse(out.trim().split('\n').at(-1)))
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
  console.log(`Command: \`node benches/txn-calls.mjs ${rounds}\` (medians; puts per second, ${N} in one transaction).\n`)
  console.log('| config | puts/s | µs a put |\n|---|---:|---:|')
  for (const config of CONFIGS) {
    const rate = median(samples[config])
    console.log(`| ${config} | ${Math.round(rate / 1000)}k | ${(1e6 / rate).toFixed(1)} |`)
  }
}
