// getSync of string keys in two builds of lmdb-napi, to tell whether a change moved it:
//   node benches/compare-getsync.mjs OLD/dist/index.js NEW/dist/index.js [ROUNDS]
// Both builds run in this one process, taking turns within each round (the
// order flips every round), so the machine's drift touches both alike.
// 100,000 keys as in objects.mjs, read in random order; prints the medians
// (reads/s) per value coder and their ratio (new ÷ old).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { record } from './data.mjs'

const N = 100_000
const CODERS = ['json', 'msgpack-records', 'string']
const [oldEntry, newEntry, rounds = '7'] = process.argv.slice(2)
if (!newEntry) throw new Error('usage: node benches/compare-getsync.mjs OLD/dist/index.js NEW/dist/index.js [ROUNDS]')

const dir = mkdtempSync(join(tmpdir(), 'lmdb-napi-getsync-'))
const keys = Array.from({ length: N }, (_, i) => `user:${String(i).padStart(8, '0')}`)
const order = keys.map((k) => [Math.random(), k]).sort((a, b) => a[0] - b[0]).map(([, k]) => k)
const builds = []
for (const [name, entry] of [['old', oldEntry], ['new', newEntry]]) {
  const { open } = await import(pathToFileURL(resolve(entry)).href)
  const env = open(join(dir, name), { mapSize: 1 << 30, maxDbs: 8 })
  const dbs = {}
  for (const coder of CODERS) {
    dbs[coder] = env.openDb(coder, { keyCoder: 'string', valueCoder: coder })
    await dbs[coder].putMany(keys.map((k, i) => [k, coder === 'string' ? JSON.stringify(record(i)) : record(i)]))
  }
  builds.push({ name, env, dbs, rates: Object.fromEntries(CODERS.map((c) => [c, []])) })
}

for (let round = 0; round <= Number(rounds); round++) {
  for (const coder of CODERS) {
    for (const build of round % 2 ? [...builds].reverse() : builds) {
      const db = build.dbs[coder]
      const start = process.hrtime.bigint()
      for (const k of order) if (db.getSync(k) === undefined) throw new Error(`${build.name}: ${k} missing`)
      const ns = Number(process.hrtime.bigint() - start)
      if (round > 0) build.rates[coder].push((N * 1e9) / ns) // round 0 warms up
    }
    await new Promise((settle) => setImmediate(settle)) // ends the stretch of sync reads
  }
}

const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1]
for (const coder of CODERS) {
  const [before, after] = builds.map((b) => median(b.rates[coder]))
  console.log(`${coder.padEnd(16)} old ${Math.round(before / 1000)}k/s  new ${Math.round(after / 1000)}k/s  new ÷ old ${(after / before).toFixed(2)}`)
}
for (const { env } of builds) await env.close()
rmSync(dir, { recursive: true, force: true })
