// Isolation from Node's own users of libuv's pool: the latency of
// `crypto.pbkdf2` (1,000 iterations) and of `fs.promises.readFile` of a small
// file, idle and while a database reads, for each library that reads
// asynchronously; each library in a child process per `UV_THREADPOOL_SIZE`
// (libuv's default of 4, and 64). Loads: 8 `getMany` calls of 4,096 keys kept
// in flight, and 100,000 `get` calls issued at once (again and again).
//
//   node benches/isolation.mjs [--write]    (npm run bench runs it with --write)
//   ISOLATION_LIBS=lmdb-napi node benches/isolation.mjs   (one library only)
//   ISOLATION_ROUNDS=3 (the default): rounds of lmdb-napi's two pool sizes
// Prints a Markdown table: median and p99 in ms, and the slowdown of each
// probe's median under load over its idle median; --write also puts it in
// its section of RESULTS.md.
import { execFileSync } from 'node:child_process'
import { pbkdf2, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const N = 100_000
const SAMPLES = Number(process.env.ISOLATION_SAMPLES ?? 100)
const ROUNDS = Number(process.env.ISOLATION_ROUNDS ?? 3)
// ISOLATION_LIBS=lmdb-napi (a comma-separated list) runs fewer of them
const LIBS = process.env.ISOLATION_LIBS?.split(',') ?? ['lmdb-napi', 'lmdb', 'classic-level']
const POOLS = ['default', '64']
const here = new URL('.', import.meta.url).pathname

async function library(name, dir) {
  if (name === 'lmdb-napi') {
    const { open } = await import('lmdb-napi')
    const env = open(dir, { mapSize: 1024 ** 3 })
    const db = env.defaultDb
    return { putMany: (e) => db.putMany(e), get: (k) => db.get(k), getMany: (ks) => db.getMany(ks), close: () => env.close() }
  }
  if (name === 'lmdb') {
    const { open } = await import('lmdb')
    const root = open({ path: dir, mapSize: 1024 ** 3, keyEncoding: 'binary', encoding: 'binary' })
    return {
      putMany: (e) => root.transaction(() => e.forEach(([k, v]) => root.put(k, v))),
      get: (k) => root.getAsync(k),
      getMany: (ks) => root.getMany(ks),
      close: () => root.close(),
    }
  }
  const { ClassicLevel } = await import('classic-level')
  const db = new ClassicLevel(join(dir, 'level'), { keyEncoding: 'view', valueEncoding: 'view' })
  await db.open()
  return {
    putMany: (e) => db.batch(e.map(([key, value]) => ({ type: 'put', key, value }))),
    get: (k) => db.get(k),
    getMany: (ks) => db.getMany(ks),
    close: () => db.close(),
  }
}

const probes = {
  pbkdf2: () => new Promise((resolve, reject) => pbkdf2('password', 'salt', 1000, 32, 'sha256', (e) => (e ? reject(e) : resolve()))),
  readFile: (file) => readFile(file),
}

/** Up to `SAMPLES` latencies of `probe` (at least 10, at most 5 s of them), one after the other, in ms: median and p99. */
async function measure(probe) {
  const times = []
  const until = performance.now() + 5000
  for (let i = 0; i < SAMPLES && (i < 10 || performance.now() < until); i++) {
    const start = process.hrtime.bigint()
    await probe()
    times.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  times.sort((a, b) => a - b)
  return { median: times[times.length >> 1], p99: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))], n: times.length }
}

async function child(lib) {
  const dir = mkdtempSync(join(tmpdir(), 'lmdb-napi-isolation-'))
  const file = join(dir, 'small.txt')
  writeFileSync(file, randomBytes(512))
  const db = await library(lib, dir)
  const keys = Array.from({ length: N }, () => randomBytes(16))
  for (let i = 0; i < N; i += 10_000) await db.putMany(keys.slice(i, i + 10_000).map((k) => [k, randomBytes(100)]))
  const pick = (n) => Array.from({ length: n }, () => keys[Math.floor(Math.random() * N)])
  const loads = {
    idle: null,
    '8 getMany of 4,096 keys': (stopped) => Array.from({ length: 8 }, async () => { while (!stopped()) await db.getMany(pick(4096)) }),
    '100,000 gets at once': (stopped) => [(async () => { while (!stopped()) await Promise.all(keys.map((k) => db.get(k))) })()],
  }
  const out = {}
  for (const [load, start] of Object.entries(loads)) {
    let stop = false
    const running = start ? start(() => stop) : []
    await new Promise((resolve) => setTimeout(resolve, 100)) // the load under way
    for (const [name, probe] of Object.entries(probes)) out[`${load}|${name}`] = await measure(() => probe(file))
    stop = true
    await Promise.all(running)
  }
  await db.close()
  rmSync(dir, { recursive: true, force: true })
  return out
}

if (process.argv[2] === '--child') {
  console.log(JSON.stringify(await child(process.argv[3])))
} else {
  const rows = []
  // lmdb-napi's target compares two slowdowns, each a ratio to an idle median
  // of under a millisecond that moves between processes on a shared machine:
  // its two pool sizes run ROUNDS times, alternating, and the medians over
  // the rounds are kept.
  const rounds = (lib) => (lib === 'lmdb-napi' ? ROUNDS : 1)
  const runs = {}
  for (const lib of LIBS) {
    for (let round = 0; round < rounds(lib); round++) {
      for (const pool of POOLS) {
        const env = { ...process.env }
        delete env.UV_THREADPOOL_SIZE
        if (pool !== 'default') env.UV_THREADPOOL_SIZE = pool
        process.stderr.write(`isolation: ${lib}, UV_THREADPOOL_SIZE=${pool}, round ${round + 1}... `)
        const out = execFileSync(process.execPath, [new URL(import.meta.url).pathname, '--child', lib], { cwd: here, env, encoding: 'utf8' })
        const result = JSON.parse(out.trim().split('\n').at(-1))
        ;(runs[`${lib}|${pool}`] ??= []).push(result)
        process.stderr.write(`${JSON.stringify(result)}\n`)
      }
    }
  }
  const middle = (xs) => xs.toSorted((a, b) => a - b)[xs.length >> 1]
  /** Over the rounds of `lib` with `pool`: the median of a probe's median or p99, and of its slowdown under `load`. */
  const stat = (lib, pool, key, field) => middle(runs[`${lib}|${pool}`].map((r) => r[key][field]))
  const slowdown = (lib, pool, load, probe) =>
    middle(runs[`${lib}|${pool}`].map((r) => r[`${load}|${probe}`].median / r[`idle|${probe}`].median))
  const f = (x) => x.toFixed(2)
  rows.push(`Probes, ${SAMPLES} each (fewer when they took over 5 s, at least 10), one after the other: \`crypto.pbkdf2\` (1,000 iterations, sha256) and \`fs.promises.readFile\` of a 512-byte file; ${N.toLocaleString('en-US')} entries (16-byte keys, 100-byte values). Median / p99 in ms, and the slowdown (median under load ÷ median idle). lmdb-napi's rows: the medians of ${ROUNDS} rounds, its two pool sizes alternating.`)
  rows.push('')
  rows.push('| library | UV_THREADPOOL_SIZE | load | pbkdf2 median / p99 | slowdown | readFile median / p99 | slowdown |')
  rows.push('|---|---|---|---:|---:|---:|---:|')
  for (const lib of LIBS) {
    for (const pool of POOLS) {
      for (const load of ['idle', '8 getMany of 4,096 keys', '100,000 gets at once']) {
        const cells = ['pbkdf2', 'readFile'].map((p) => {
          const key = `${load}|${p}`
          const slow = load === 'idle' ? '' : `${slowdown(lib, pool, load, p).toFixed(1)}×`
          return `${f(stat(lib, pool, key, 'median'))} / ${f(stat(lib, pool, key, 'p99'))} | ${slow}`
        })
        rows.push(`| ${lib} | ${pool} | ${load} | ${cells.join(' | ')} |`)
      }
    }
  }
  // lmdb-napi's target: its pbkdf2 slowdown with libuv's default pool at most 1.5× that with 64 threads
  if (runs['lmdb-napi|default']) {
    rows.push('')
    for (const load of ['8 getMany of 4,096 keys', '100,000 gets at once']) {
      const ratio = slowdown('lmdb-napi', 'default', load, 'pbkdf2') / slowdown('lmdb-napi', '64', load, 'pbkdf2')
      rows.push(`lmdb-napi, ${load}: pbkdf2 slowdown with the default pool ÷ with 64 threads = ${ratio.toFixed(2)} (target ≤ 1.5).`)
    }
  }
  const table = rows.join('\n')
  console.log(table)
  if (process.argv.includes('--write')) {
    const file = `${here}RESULTS.md`
    const BEGIN = '<!-- isolation: written by benches/isolation.mjs -->'
    const END = '<!-- end isolation -->'
    const text = readFileSync(file, 'utf8')
    const section = `${BEGIN}\nCommand: \`node benches/isolation.mjs --write\` (part of \`npm run bench\`), Node ${process.version}.\n\n${table}\n${END}`
    writeFileSync(file, text.includes(BEGIN)
      ? text.slice(0, text.indexOf(BEGIN)) + section + text.slice(text.indexOf(END) + END.length)
      : `${text.trimEnd()}\n\n## Isolation from libuv's pool (latest \`npm run bench\`)\n\n${section}\n`)
    console.log(`\nwrote ${file}`)
  }
}
