// Instructions a getSync, a put or a scanned entry costs, ours beside
// lmdb-js, counted by callgrind (valgrind) rather than timed: the count
// does not move with the machine's load, so a change of a few percent
// shows. Each library runs in a child under callgrind twice, once doing
// OPS operations and once none; the difference over OPS is the cost of
// one (all threads: for puts, the writer's share is printed apart). Needs
// valgrind; ~2 minutes a child.
//
//   node benches/instructions.mjs [getSync|put|scan] [json|msgpack-records] [OPS]
//   (scan: OPS entries read by full scans of the 10,000 stored, `for…of`)
//   node benches/instructions.mjs --child LIB CODER OP OPS   (what runs under callgrind)
//   LMDB_NAPI=DIR/dist/index.js: another build of ours
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { record } from './data.mjs'

const here = new URL('.', import.meta.url).pathname
const KEYS = 60_000
const WARM = 10_000

async function open(lib, coder, dir) {
  if (lib === 'lmdb-napi') {
    const { open } = await import(process.env.LMDB_NAPI ?? new URL('../dist/index.js', import.meta.url).href)
    const env = open(dir, { mapSize: 1 << 30 })
    const db = env.openDb('objects', { keyCoder: 'string', valueCoder: coder })
    const scan = () => {
      let n = 0
      for (const [, v] of db.rangeSync()) n += v.id >= 0 ? 1 : 0
      return n
    }
    return { put: (k, v) => db.put(k, v), getSync: (k) => db.getSync(k), scan, durable: async () => {}, close: () => env.close() }
  }
  const { open } = await import('lmdb')
  const root = open({ path: dir, mapSize: 1 << 30 })
  const db = root.openDB('objects', coder === 'json' ? { encoding: 'json' } : { sharedStructuresKey: Symbol.for('structures') })
  const scan = () => {
    let n = 0
    for (const { value } of db.getRange({})) n += value.id >= 0 ? 1 : 0
    return n
  }
  return { put: (k, v) => db.put(k, v), getSync: (k) => db.get(k), scan, durable: () => root.flushed, close: () => root.close() }
}

async function child(lib, coder, op, ops) {
  const keys = Array.from({ length: KEYS }, (_, i) => `user:${String(i).padStart(8, '0')}`)
  const records = keys.map((_, i) => record(i))
  const dir = mkdtempSync(join(tmpdir(), 'instructions-'))
  try {
    const db = await open(lib, coder, dir)
    // the same warm-up whatever OPS is: bursts of 1,000 puts, then reads of them
    for (let b = 0; b < WARM; b += 1000) {
      await Promise.all(keys.slice(b, b + 1000).map((k, i) => db.put(k, records[b + i])))
      await db.durable()
    }
    let seen = 0
    for (let i = 0; i < WARM; i++) seen += db.getSync(keys[i]).id === i ? 1 : 0
    if (op === 'put') {
      await Promise.all(keys.slice(WARM, WARM + ops).map((k, i) => db.put(k, records[WARM + i])))
      await db.durable()
    } else if (op === 'scan') {
      // whole scans of the WARM entries
      for (let n = 0; n < ops; n += WARM) seen += db.scan()
    } else {
      for (let i = 0; i < ops; i++) seen += db.getSync(keys[(i * 7919) % WARM]).id >= 0 ? 1 : 0
    }
    if (seen !== WARM + (op === 'put' ? 0 : ops)) throw new Error('a value read back wrong')
    await db.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Instructions per thread of one child under callgrind, the busiest first. */
function counted(lib, coder, op, ops) {
  const out = mkdtempSync(join(tmpdir(), 'callgrind-'))
  try {
    const args = ['--tool=callgrind', '--separate-threads=yes', `--callgrind-out-file=${out}/cg`, process.execPath, '--predictable', `${here}instructions.mjs`, '--child', lib, coder, op, String(ops)]
    execFileSync('valgrind', args, { stdio: ['ignore', 'ignore', 'pipe'] })
    return readdirSync(out)
      .map((f) => Number(/^summary: (\d+)/m.exec(readFileSync(join(out, f), 'utf8'))?.[1] ?? 0))
      .sort((a, b) => b - a)
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
}

if (process.argv[2] === '--child') {
  const [lib, coder, op, ops] = process.argv.slice(3)
  await child(lib, coder, op, Number(ops))
} else {
  const [op = 'getSync', coder = 'json', ops = op === 'put' ? '40000' : '50000'] = process.argv.slice(2)
  const theirs = coder === 'msgpack-records' ? 'shared' : coder
  console.log(`Command: \`node benches/instructions.mjs ${op} ${coder} ${ops}\` (instructions per ${op}, callgrind; ${ops} against none)\n`)
  console.log('| library | all threads | JavaScript thread | the rest |')
  console.log('|---|---:|---:|---:|')
  for (const [lib, c] of [['lmdb-napi', coder], ['lmdb', theirs]]) {
    const [some, none] = [counted(lib, c, op, Number(ops)), counted(lib, c, op, 0)]
    const sum = (xs) => xs.reduce((a, b) => a + b, 0)
    const per = (a, b) => (Math.round((a - b) / Number(ops)) || 0).toLocaleString('en-US')
    // the JavaScript thread does the most work in both
    console.log(`| ${lib} | ${per(sum(some), sum(none))} | ${per(some[0], none[0])} | ${per(sum(some) - some[0], sum(none) - none[0])} |`)
  }
}
