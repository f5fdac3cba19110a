// Two builds of lmdb-napi side by side, to tell whether a change moved speed:
//   node benches/compare-builds.mjs OLD/dist/index.js NEW/dist/index.js [ROUNDS]
// (OLD is, say, a `git worktree` of the commit before, built with `npm run build`.)
// Each round runs each build in a child process of its own, alternating, on a
// fresh environment of 100,000 entries (16-byte random keys, 100-byte values);
// prints each workload's median per build and their ratio (new ÷ old).
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const N = 100_000

async function measure(entry) {
  const { open } = await import(pathToFileURL(resolve(entry)).href)
  const dir = mkdtempSync(join(tmpdir(), 'lmdb-napi-compare-'))
  const env = open(dir, { mapSize: 1 << 30 })
  const db = env.defaultDb
  const keys = Array.from({ length: N }, () => randomBytes(16))
  await db.putMany(keys.map((k) => [k, randomBytes(100)]))
  const shuffled = keys.map((k) => [Math.random(), k]).sort((a, b) => a[0] - b[0]).map(([, k]) => k)
  const rates = {}
  const time = async (name, count, fn) => {
    const start = process.hrtime.bigint()
    await fn()
    rates[name] = Math.round((count * 1e9) / Number(process.hrtime.bigint() - start))
  }
  // the second pass is kept: the first warms the code and the page cache
  for (let pass = 0; pass < 2; pass++) {
    await time('range scan, for await (entries/s)', N, async () => { for await (const _ of db.range()); })
    await time('range scan, forEach (entries/s)', N, () => db.range().forEach(() => {}))
    await time('getMany (keys/s)', N, () => db.getMany(shuffled))
    await time('gets issued at once (ops/s)', N, () => Promise.all(shuffled.map((k) => db.get(k))))
    await time('gets awaited one at a time (ops/s)', 10_000, async () => { for (let i = 0; i < 10_000; i++) await db.get(shuffled[i]) })
    await time('puts issued at once (ops/s)', 10_000, () => Promise.all(shuffled.slice(0, 10_000).map((k) => db.put(k, randomBytes(100)))))
  }
  await env.close()
  rmSync(dir, { recursive: true, force: true })
  return rates
}

if (process.argv[2] === '--child') {
  console.log(JSON.stringify(await measure(process.argv[3])))
} else {
  const [oldEntry, newEntry, rounds = '5'] = process.argv.slice(2)
  if (!oldEntry || !newEntry) throw new Error('usage: node benches/compare-builds.mjs OLD/dist/index.js NEW/dist/index.js [ROUNDS]')
  const runs = { old: [], new: [] }
  for (let round = 0; round < Number(rounds); round++) {
    for (const [which, entry] of [['old', oldEntry], ['new', newEntry]]) {
      const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', entry], { encoding: 'utf8' })
      runs[which].push(JSON.parse(out))
    }
  }
  const median = (values) => values.sort((a, b) => a - b)[values.length >> 1]
  console.log(`| workload | old | new | new ÷ old |\n|---|---:|---:|---:|`)
  for (const name of Object.keys(runs.old[0])) {
    const [o, n] = [median(runs.old.map((r) => r[name])), median(runs.new.map((r) => r[name]))]
    console.log(`| ${name} | ${o.toLocaleString('en')} | ${n.toLocaleString('en')} | ${(n / o).toFixed(2)} |`)
  }
}
