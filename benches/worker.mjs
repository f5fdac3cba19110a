// One library, one run: times every workload on the same seeded data and
// prints the results as JSON. Run by run.mjs in a child process of its own,
// so no library's memory or threads weigh on another's numbers.
//
//   node --expose-gc worker.mjs <library> <N> <seed>
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Packr } from 'msgpackr'
import { record } from './data.mjs'

const [library, nArg, seedArg] = process.argv.slice(2)
const N = Number(nArg)
const SEED = Number(seedArg)

/** xorshift32: the same data for every library of a run. */
function rng(seed) {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 4294967296
  }
}
const random = rng(SEED)
const bytes = (n) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)))
const keys = Array.from({ length: N }, () => bytes(16))
const values = Array.from({ length: N }, () => bytes(100))
const order = keys.map((_, i) => i).sort(() => random() - 0.5) // random read order
const records = keys.map((_, i) => record(i))
const standardMsgpack = new Packr({ useRecords: false })

/** Each library behind one shape; `undefined` where it has no such operation. */
const adapters = {
  async 'lmdb-napi'(dir) {
    const { open } = await import('lmdb-napi')
    const env = open(dir, { mapSize: 4 * 1024 ** 3 })
    const db = env.openDb('bench')
    const json = env.openDb('json', { valueCoder: 'json' })
    const msgpack = env.openDb('msgpack', { valueCoder: 'msgpack' })
    return {
      put: (k, v) => db.put(k, v),
      putMany: (entries) => db.putMany(entries),
      get: (k) => db.get(k),
      getSync: (k) => db.getSync(k),
      getMany: (ks) => db.getMany(ks),
      scan: async () => {
        let n = 0
        for await (const [k] of db.range()) n += k.length > 0 ? 1 : 0
        return n
      },
      scanEach: async () => {
        let n = 0
        await db.range().forEach(([k]) => {
          n += k.length > 0 ? 1 : 0
        })
        return n
      },
      json: { put: (k, v) => json.put(k, v), get: (k) => json.get(k) },
      msgpack: { put: (k, v) => msgpack.put(k, v), get: (k) => msgpack.get(k) },
      close: () => env.close(),
    }
  },
  async lmdb(dir) {
    const { open } = await import('lmdb')
    const root = open({ path: dir, mapSize: 4 * 1024 ** 3 })
    const db = root.openDB('bench', { keyEncoding: 'binary', encoding: 'binary' })
    const json = root.openDB('json', { keyEncoding: 'binary', encoding: 'json' })
    const msgpack = root.openDB('msgpack', { keyEncoding: 'binary' }) // lmdb-js's default encoding
    return {
      put: (k, v) => db.put(k, v),
      putMany: (entries) => db.transaction(() => entries.forEach(([k, v]) => db.put(k, v))),
      get: (k) => db.getAsync(k),
      getSync: (k) => db.get(k),
      getMany: (ks) => db.getMany(ks),
      scan: async () => {
        let n = 0
        for (const { key } of db.getRange({})) n += key.length > 0 ? 1 : 0
        return n
      },
      scanEach: async () => {
        let n = 0
        db.getRange({}).forEach(({ key }) => {
          n += key.length > 0 ? 1 : 0
        })
        return n
      },
      json: { put: (k, v) => json.put(k, v), get: (k) => json.getAsync(k) },
      msgpack: { put: (k, v) => msgpack.put(k, v), get: (k) => msgpack.getAsync(k) },
      // Its write promises resolve at commit, before the disk flush
      // (overlappingSync, its default off Windows); ours resolve once durable.
      durable: () => root.flushed,
      close: () => root.close(),
    }
  },
  async 'classic-level'(dir) {
    const { ClassicLevel } = await import('classic-level')
    const db = new ClassicLevel(join(dir, 'level'), { keyEncoding: 'view', valueEncoding: 'view' })
    const json = db.sublevel('json', { keyEncoding: 'view', valueEncoding: 'json' })
    const packed = db.sublevel('msgpack', { keyEncoding: 'view', valueEncoding: 'view' })
    await db.open()
    const asBuffer = (v) => (v === undefined ? undefined : Buffer.from(v.buffer, v.byteOffset, v.byteLength))
    return {
      put: (k, v) => db.put(k, v),
      putMany: (entries) => db.batch(entries.map(([key, value]) => ({ type: 'put', key, value }))),
      get: async (k) => asBuffer(await db.get(k)),
      getMany: async (ks) => (await db.getMany(ks)).map(asBuffer),
      scan: async () => {
        let n = 0
        for await (const k of db.keys()) n += k.length > 0 ? 1 : 0
        return n
      },
      json: { put: (k, v) => json.put(k, v), get: (k) => json.get(k) },
      msgpack: {
        put: (k, v) => packed.put(k, standardMsgpack.pack(v)),
        get: async (k) => standardMsgpack.unpack(await packed.get(k)),
      },
      close: () => db.close(),
    }
  },
  async 'better-sqlite3'(dir) {
    const { default: Database } = await import('better-sqlite3')
    const sql = new Database(join(dir, 'bench.sqlite'))
    sql.pragma('journal_mode = WAL')
    for (const t of ['kv', 'json', 'msgpack']) sql.exec(`CREATE TABLE ${t} (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID`)
    const stmts = (t) => ({ put: sql.prepare(`INSERT OR REPLACE INTO ${t} VALUES (?, ?)`), get: sql.prepare(`SELECT v FROM ${t} WHERE k = ?`).pluck() })
    const kv = stmts('kv')
    const js = stmts('json')
    const mp = stmts('msgpack')
    const putMany = sql.transaction((entries) => entries.forEach(([k, v]) => kv.put.run(k, v)))
    // better-sqlite3 is synchronous only: its "async" rows are the same calls
    return {
      put: async (k, v) => kv.put.run(k, v),
      putMany: async (entries) => putMany(entries),
      get: async (k) => kv.get.get(k),
      getSync: (k) => kv.get.get(k),
      scan: async () => {
        let n = 0
        for (const k of sql.prepare('SELECT k FROM kv ORDER BY k').pluck().iterate()) n += k.length > 0 ? 1 : 0
        return n
      },
      json: { put: async (k, v) => js.put.run(k, JSON.stringify(v)), get: async (k) => JSON.parse(js.get.get(k)) },
      msgpack: { put: async (k, v) => mp.put.run(k, standardMsgpack.pack(v)), get: async (k) => standardMsgpack.unpack(mp.get.get(k)) },
      close: async () => sql.close(),
    }
  },
}

/** CPU time of this (the main) thread so far, in ns (Linux: /proc, in clock ticks of 10 ms). */
function mainThreadCpu() {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10_000_000
}

/**
 * A full collection (run with --expose-gc), then a pause in which V8's
 * background threads finish sweeping what it freed: otherwise the next
 * workload's first young collection sweeps it on this thread, ~10 ms.
 */
async function collected() {
  globalThis.gc?.()
  await new Promise((resolve) => setTimeout(resolve, 100))
}

/** Times `fn` from a collected heap, so no workload pays for the garbage of the one before. */
async function timed(fn) {
  await collected()
  const t0 = process.hrtime.bigint()
  const result = await fn()
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, result }
}

function check(what, got, want) {
  if (!Buffer.isBuffer(got) && !(got instanceof Uint8Array)) throw new Error(`${library} ${what}: no value`)
  if (Buffer.compare(Buffer.from(got), want) !== 0) throw new Error(`${library} ${what}: wrong value`)
}

function checkRecord(what, got, i) {
  if (got?.id !== i || got.email !== records[i].email) throw new Error(`${library} ${what}: wrong record ${i}`)
}

const dir = mkdtempSync(join(tmpdir(), `bench-${library}-`))
const out = {}
try {
  const db = await adapters[library](dir)
  const rate = (seconds, n = N) => n / seconds

  // writes: individual puts issued at once, then one putMany into a fresh key set
  const half = N / 2
  // Writes are timed until durable: a library whose promises settle sooner is waited for.
  const durably = async (writes) => {
    await writes
    await db.durable?.()
  }
  let t = await timed(() => durably(Promise.all(keys.slice(0, half).map((k, i) => db.put(k, values[i])))))
  out.putConcurrent = rate(t.seconds, half)
  t = await timed(() => durably(db.putMany(keys.slice(half).map((k, i) => [k, values[half + i]]))))
  out.putMany = rate(t.seconds, half)

  // reads, in random order, every value checked
  t = await timed(() => Promise.all(order.map((i) => db.get(keys[i]))))
  t.result.forEach((v, j) => check('get', v, values[order[j]]))
  out.getConcurrent = rate(t.seconds)
  t = await timed(async () => {
    const got = []
    for (const i of order) got.push(await db.get(keys[i]))
    return got
  })
  t.result.forEach((v, j) => check('get one at a time', v, values[order[j]]))
  out.getSequential = rate(t.seconds)
  if (db.getSync) {
    t = await timed(() => order.map((i) => db.getSync(keys[i])))
    t.result.forEach((v, j) => check('getSync', v, values[order[j]]))
    out.getSync = rate(t.seconds)
  }
  if (db.getMany) {
    t = await timed(() => db.getMany(order.map((i) => keys[i])))
    t.result.forEach((v, j) => check('getMany', v, values[order[j]]))
    out.getMany = rate(t.seconds)
  }
  t = await timed(() => db.scan())
  if (t.result !== N) throw new Error(`${library} scan: ${t.result} entries, not ${N}`)
  out.scan = rate(t.seconds)
  if (db.scanEach) {
    t = await timed(() => db.scanEach())
    if (t.result !== N) throw new Error(`${library} scan with forEach: ${t.result} entries, not ${N}`)
    out.scanEach = rate(t.seconds)
  }

  // the event loop's p99 delay, and this thread's CPU per read, while N async
  // reads run: a 1 ms timer's lateness, sampled on every tick (a loop blocked
  // throughout gives one huge sample, which is the point)
  await collected()
  const lags = []
  let last = performance.now()
  const timer = setInterval(() => {
    const now = performance.now()
    lags.push(Math.max(0, now - last - 1))
    last = now
  }, 1)
  const cpu0 = mainThreadCpu()
  const reads = order.map((i) => db.get(keys[i]))
  await Promise.all(reads)
  const now = performance.now()
  lags.push(Math.max(0, now - last - 1)) // the stretch up to the end counts too
  clearInterval(timer)
  lags.sort((a, b) => a - b)
  out.loopP99ms = lags[Math.min(lags.length - 1, Math.floor(lags.length * 0.99))]
  out.cpuNsPerGet = (mainThreadCpu() - cpu0) / N

  // JSON and MessagePack values of ~200 bytes, through each library's own path
  const M = Math.min(N, 20_000)
  for (const kind of ['json', 'msgpack']) {
    const path = db[kind]
    t = await timed(() => durably(Promise.all(keys.slice(0, M).map((k, i) => path.put(k, records[i])))))
    out[`${kind}Put`] = rate(t.seconds, M)
    t = await timed(() => Promise.all(keys.slice(0, M).map((k) => path.get(k))))
    t.result.forEach((v, i) => checkRecord(`${kind} get`, v, i))
    out[`${kind}Get`] = rate(t.seconds, M)
  }
  await db.close()
} finally {
  rmSync(dir, { recursive: true, force: true })
}
console.log(JSON.stringify(out))
