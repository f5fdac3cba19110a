// Times the public API beside the raw native binding it calls, so the cost
// of the TypeScript layer shows. Run: node benches/layers.mjs [N]
// (after `npm install`). Medians of 5 runs; ops/s.
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open } from 'lmdb-napi'

const require = createRequire(import.meta.url)
const { NativeEnv } = require('../index.js')

const N = Number(process.argv[2] ?? 100_000)
const RUNS = 5
const dir = mkdtempSync(join(tmpdir(), 'lmdb-napi-bench-'))
const keys = Array.from({ length: N }, (_, i) => Buffer.from(`key${String(i).padStart(10, '0')}`))
const value = Buffer.alloc(100, 7)

/** A read batch in the wire format of crates/core/src/batch.rs. */
function readBatch(db, ks) {
  const buf = Buffer.alloc(ks.reduce((n, k) => n + 24 + k.length, 0))
  let at = 0
  for (const k of ks) {
    buf[at] = 1 // GET
    buf.writeUInt32LE(db.dbi, at + 8)
    buf.writeUInt32LE(db.gen, at + 12)
    buf.writeUInt32LE(k.length, at + 16)
    buf.writeUInt32LE(0xffffffff, at + 20)
    k.copy(buf, at + 24)
    at += 24 + k.length
  }
  return buf
}

async function median(fn) {
  const rates = []
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint()
    await fn()
    rates.push(N / (Number(process.hrtime.bigint() - t0) / 1e9))
  }
  rates.sort((a, b) => a - b)
  return rates[RUNS >> 1]
}

const env = open(dir, { sync: false })
const db = env.defaultDb
await db.putMany(keys.map((k) => [k, value]))
const native = NativeEnv.open(dir)
const ref = native.openDb(null, null, false)

const rows = [
  ['getSync (public)', await median(() => { for (const k of keys) db.getSync(k) })],
  ['readSync, one key per call (raw)', await median(() => { for (const k of keys) native.readSync(readBatch(ref, [k])) })],
  ['getMany (public)', await median(() => db.getMany(keys))],
  ['read, one batch (raw)', await median(() => native.read(readBatch(ref, keys)))],
  ['get, all issued at once (public)', await median(() => Promise.all(keys.map((k) => db.get(k))))],
]
console.log(`N = ${N}, median of ${RUNS} runs, ${process.version}`)
for (const [name, rate] of rows) console.log(`${name.padEnd(36)} ${Math.round(rate).toLocaleString('en-US').padStart(12)} ops/s`)

await native.close()
await env.close()
rmSync(dir, { recursive: true, force: true })
