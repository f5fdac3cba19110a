// Objects side by side: ~214-byte records (benches/data.mjs) through
// lmdb-napi's object coders and lmdb-js's matching encodings, each in a
// child process of its own, RUNS times in turn. Prints medians and the
// ratios ours ÷ theirs for each pair.
//
//   node benches/objects.mjs [N] [RUNS]
//   node benches/objects.mjs --child <config> <N> [op]   (one config; one op when profiling)
//   OBJECTS_WARM=1: one put before the timed ones, so records' structures are
//   stored before the burst (else its every put carries them: see RESULTS.md)
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { record } from './data.mjs'

const here = new URL('.', import.meta.url).pathname

/** Each config: a library and its object encoding. */
const CONFIGS = {
  'ours msgpack-records': ['lmdb-napi', 'msgpack-records'],
  'lmdb-js shared structures': ['lmdb', 'shared'],
  'ours json': ['lmdb-napi', 'json'],
  'lmdb-js json': ['lmdb', 'json'],
  'ours msgpack': ['lmdb-napi', 'msgpack'],
  'lmdb-js msgpack': ['lmdb', 'msgpack'],
}
/** The rows, and which config is compared with which. */
const OPS = [
  ['put', 'individual puts, issued at once'],
  ['putMany', 'putMany (one transaction)'],
  ['getSync', 'getSync, random order'],
  ['get', 'gets issued at once'],
  ['getMany', 'getMany'],
  ['scan', 'full scan, `for…of` (ours: `rangeSync`)'],
  ['scanAwait', 'full scan, ours `for await` (lmdb-js: `for…of`)'],
]
const PAIRS = [
  ['ours msgpack-records', 'lmdb-js shared structures'],
  ['ours json', 'lmdb-js json'],
  ['ours msgpack', 'lmdb-js msgpack'],
]

async function open(lib, coder, dir) {
  if (lib === 'lmdb-napi') {
    // this tree's build, unless LMDB_NAPI names another
    const { open } = await import(process.env.LMDB_NAPI ?? new URL('../dist/index.js', import.meta.url).href)
    const env = open(dir, { mapSize: 4 * 1024 ** 3 })
    const db = env.openDb('objects', { keyCoder: 'string', valueCoder: coder })
    return {
      put: (k, v) => db.put(k, v),
      putMany: (entries) => db.putMany(entries),
      getSync: (k) => db.getSync(k),
      get: (k) => db.get(k),
      getMany: (ks) => db.getMany(ks),
      scan: async () => {
        let n = 0
        for (const [, v] of db.rangeSync()) n += v.id >= 0 ? 1 : 0
        return n
      },
      scanAwait: async () => {
        let n = 0
        for await (const [, v] of db.range()) n += v.id >= 0 ? 1 : 0
        return n
      },
      close: () => env.close(),
    }
  }
  const { open } = await import('lmdb')
  const root = open({ path: dir, mapSize: 4 * 1024 ** 3 })
  const options = coder === 'json' ? { encoding: 'json' } : coder === 'shared' ? { sharedStructuresKey: Symbol.for('structures') } : {}
  const db = root.openDB('objects', options)
  return {
    put: (k, v) => db.put(k, v),
    putMany: (entries) => db.transaction(() => entries.forEach(([k, v]) => db.put(k, v))),
    getSync: (k) => db.get(k),
    get: (k) => db.getAsync(k),
    getMany: (ks) => db.getMany(ks),
    scan: async () => {
      let n = 0
      for (const { value } of db.getRange({})) n += value.id >= 0 ? 1 : 0
      return n
    },
    // it has no async iterator: its synchronous one stands in
    scanAwait: async () => {
      let n = 0
      for (const { value } of db.getRange({})) n += value.id >= 0 ? 1 : 0
      return n
    },
    // its write promises resolve at commit, before the flush; ours once durable
    durable: () => root.flushed,
    close: () => root.close(),
  }
}

/** V8's sampling profiler around one timed op (objects-profile.mjs reads what it writes). */
const profiler = {
  session: undefined,
  async start() {
    this.session = new Session()
    this.session.connect()
    await this.session.post('Profiler.enable')
    await this.session.post('Profiler.setSamplingInterval', { interval: 100 })
    await this.session.post('Profiler.start')
  },
  async stop(file) {
    const { profile } = await this.session.post('Profiler.stop')
    writeFileSync(file, JSON.stringify(profile))
    this.session.disconnect()
  },
}

async function child(config, N, only) {
  const [lib, coder] = CONFIGS[config]
  const keys = Array.from({ length: N }, (_, i) => `user:${String(i).padStart(8, '0')}`)
  const records = keys.map((_, i) => record(i))
  // a fixed shuffle: the same random order for every config
  let x = 12345
  const order = keys.map((_, i) => i).sort(() => ((x = (x * 1103515245 + 12345) >>> 0) & 0xffff) / 0x10000 - 0.5)
  const dir = mkdtempSync(join(tmpdir(), 'objects-'))
  const out = {}
  try {
    const db = await open(lib, coder, dir)
    const half = N / 2
    const timed = async (op, fn, n = N) => {
      globalThis.gc?.()
      await new Promise((resolve) => setTimeout(resolve, 100))
      const profiling = process.env.OBJECTS_PROFILE && only === op
      if (profiling) await profiler.start()
      const t0 = process.hrtime.bigint()
      const result = await fn()
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9
      if (profiling) await profiler.stop(process.env.OBJECTS_PROFILE)
      if (!only || only === op) out[op] = n / seconds
      return result
    }
    const check = (v, i) => {
      if (v?.id !== i || v.email !== records[i].email || v.address.city !== 'Lisbon') throw new Error(`${config}: wrong record ${i}`)
    }
    const durably = async (writes) => {
      await writes
      await db.durable?.()
    }
    if (process.env.OBJECTS_WARM) await db.put('warm', records[0]) // the scan counts it
    const first = () => durably(Promise.all(keys.slice(0, half).map((k, i) => db.put(k, records[i]))))
    const second = () => durably(db.putMany(keys.slice(half).map((k, i) => [k, records[half + i]])))
    // profiling one op: the writes the reads need run untimed
    if (!only || only === 'put') await timed('put', first, half)
    else if (only !== 'putMany') await first()
    if (!only || only === 'putMany') await timed('putMany', second, half)
    else if (only !== 'put') await second()
    if (only === 'put' || only === 'putMany') return out
    if (!only || only === 'getSync') (await timed('getSync', () => order.map((i) => db.getSync(keys[i])))).forEach((v, j) => check(v, order[j]))
    if (!only || only === 'get') (await timed('get', () => Promise.all(order.map((i) => db.get(keys[i]))))).forEach((v, j) => check(v, order[j]))
    if (!only || only === 'getMany') (await timed('getMany', () => db.getMany(order.map((i) => keys[i])))).forEach((v, j) => check(v, order[j]))
    for (const scan of ['scan', 'scanAwait']) {
      if (only && only !== scan) continue
      const n = await timed(scan, () => db[scan]())
      if (n !== N + (process.env.OBJECTS_WARM ? 1 : 0)) throw new Error(`${config}: scanned ${n}`)
    }
    await db.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return out
}

if (process.argv[2] === '--child') {
  const [config, n, only] = process.argv.slice(3)
  console.log(JSON.stringify(await child(config, Number(n), only)))
} else {
  const N = Number(process.argv[2] ?? 100_000)
  const RUNS = Number(process.argv[3] ?? 3)
  const configs = (process.env.OBJECTS_CONFIGS?.split(',') ?? Object.keys(CONFIGS)).filter((c) => CONFIGS[c])
  const samples = {}
  for (let run = 0; run < RUNS; run++) {
    for (const config of configs) {
      process.stderr.write(`run ${run + 1}/${RUNS}: ${config}\n`)
      const res = execFileSync(process.execPath, ['--expose-gc', `${here}objects.mjs`, '--child', config, String(N)], { cwd: here, encoding: 'utf8' })
      for (const [op, v] of Object.entries(JSON.parse(res.trim().split('\n').at(-1)))) ((samples[config] ??= {})[op] ??= []).push(v)
    }
  }
  const median = (xs) => (xs ? [...xs].sort((a, b) => a - b)[xs.length >> 1] : NaN)
  const k = (v) => (Number.isNaN(v) ? 'n/a' : v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : `${Math.round(v / 1e3)}k`)
  const pairs = PAIRS.filter(([a, b]) => configs.includes(a) && configs.includes(b))
  const lines = [`Command: \`node benches/objects.mjs ${N} ${RUNS}\` (medians of ${RUNS} runs, ops/s; ratio = ours ÷ lmdb-js).`, '']
  lines.push(`| op | ${pairs.map(([a, b]) => `${a} | ${b} | ratio`).join(' | ')} |`)
  lines.push(`|---|${pairs.map(() => '---:|---:|---:').join('|')}|`)
  for (const [op, label] of OPS) {
    const cells = pairs.map(([a, b]) => {
      const ours = median(samples[a]?.[op])
      const theirs = median(samples[b]?.[op])
      return `${k(ours)} | ${k(theirs)} | ${(ours / theirs).toFixed(2)}`
    })
    lines.push(`| ${label} | ${cells.join(' | ')} |`)
  }
  console.log(lines.join('\n'))
}
