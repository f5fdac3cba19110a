// Where a burst of puts issued at once spends its time, ours beside lmdb-js:
// 50,000 of the records of data.mjs put in one tick, timed in phases (the
// loop that issues them; from there until every promise has settled), and
// the heap each put still holds while it is pending (after a full GC at
// the end of the loop, in a round of its own, not timed). Each library runs
// in a child process of its own, ROUNDS times in turn; medians.
//
//   node --expose-gc benches/put-phases.mjs [ROUNDS]
//   PHASES_COLD=1: no put before the burst, so records' structures are new to it
//   LMDB_NAPI=DIR/dist/index.js: another build of ours
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { record } from './data.mjs'

const N = 50_000
const CONFIGS = {
  'ours msgpack-records': ['lmdb-napi', 'msgpack-records'],
  'lmdb-js shared structures': ['lmdb', 'shared'],
  'ours json': ['lmdb-napi', 'json'],
  'lmdb-js json': ['lmdb', 'json'],
}

async function open(lib, coder, dir) {
  if (lib === 'lmdb-napi') {
    const { open } = await import(process.env.LMDB_NAPI ?? new URL('../dist/index.js', import.meta.url).href)
    const env = open(dir, { mapSize: 4 * 1024 ** 3 })
    const db = env.openDb('objects', { keyCoder: 'string', valueCoder: coder })
    return { put: (k, v) => db.put(k, v), durable: async () => {}, close: () => env.close() }
  }
  const { open } = await import('lmdb')
  const root = open({ path: dir, mapSize: 4 * 1024 ** 3 })
  const db = root.openDB('objects', coder === 'json' ? { encoding: 'json' } : { sharedStructuresKey: Symbol.for('structures') })
  // its write promises resolve at commit, before the flush; ours once durable
  return { put: (k, v) => db.put(k, v), durable: () => root.flushed, close: () => root.close() }
}

async function child(config) {
  const [lib, coder] = CONFIGS[config]
  const keys = Array.from({ length: N }, (_, i) => `user:${String(i).padStart(8, '0')}`)
  const records = keys.map((_, i) => record(i))
  const burst = async (retained) => {
    const dir = mkdtempSync(join(tmpdir(), 'phases-'))
    const db = await open(lib, coder, dir)
    try {
      if (!process.env.PHASES_COLD) {
        await db.put('warm', records[0])
        await db.durable()
      }
      globalThis.gc()
      const heap = process.memoryUsage().heapUsed
      const t0 = process.hrtime.bigint()
      const pending = new Array(N)
      for (let i = 0; i < N; i++) pending[i] = db.put(keys[i], records[i])
      const t1 = process.hrtime.bigint()
      if (retained) globalThis.gc()
      const held = (process.memoryUsage().heapUsed - heap) / N
      await Promise.all(pending)
      await db.durable()
      const t2 = process.hrtime.bigint()
      return retained ? held : { issue: Number(t1 - t0) / N, settle: Number(t2 - t1) / N }
    } finally {
      await db.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
  await burst(false) // warms the code
  const { issue, settle } = await burst(false)
  return { issue, settle, total: issue + settle, held: await burst(true) }
}

if (process.argv[2] === '--child') {
  console.log(JSON.stringify(await child(process.argv[3])))
} else {
  const rounds = Number(process.argv[2] ?? 5)
  const configs = process.env.PHASES_CONFIGS?.split(',') ?? Object.keys(CONFIGS)
  const samples = {}
  for (let round = 0; round < rounds; round++) {
    for (const config of configs) {
      const out = execFileSync(process.execPath, ['--expose-gc', new URL(import.meta.url).pathname, '--child', config], { encoding: 'utf8' })
      for (const [k, v] of Object.entries(JSON.parse(out))) ((samples[config] ??= {})[k] ??= []).push(v)
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
  console.log(`Command: \`node --expose-gc benches/put-phases.mjs ${rounds}\`${process.env.PHASES_COLD ? ' with PHASES_COLD=1' : ''} (medians; per put).\n`)
  console.log('| config | issuing, ns | until all settled, ns | total, ns | heap held while pending, bytes |')
  console.log('|---|---:|---:|---:|---:|')
  for (const config of configs) {
    const s = samples[config]
    const [issue, settle, total, held] = [s.issue, s.settle, s.total, s.held].map((xs) => Math.round(median(xs)))
    console.log(`| ${config} | ${issue} | ${settle} | ${total} | ${held} |`)
  }
}
