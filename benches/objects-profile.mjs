// Where the time of object putMany and getSync goes, ours beside lmdb-js:
// runs one op of benches/objects.mjs under V8's sampling profiler (in a child
// process per config) and sums the samples' self time by what the code does.
//
//   node benches/objects-profile.mjs [N] [op…]      (default: 100000 putMany getSync)
//   PROFILE_TOP=15 node benches/objects-profile.mjs  (also lists the hottest functions)
import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const here = new URL('.', import.meta.url).pathname
const N = process.argv[2] ?? '100000'
const ops = process.argv.length > 3 ? process.argv.slice(3) : ['putMany', 'getSync']
const configs = process.env.OBJECTS_CONFIGS?.split(',') ?? ['ours msgpack', 'ours msgpack-records', 'ours json', 'lmdb-js msgpack', 'lmdb-js shared structures', 'lmdb-js json']
const TOP = Number(process.env.PROFILE_TOP ?? 0)

/** What a function does, from its name and file. First match wins. */
const CATEGORIES = [
  // the profiler's own messages, not counted
  ['profiler', (f) => f.functionName === 'dispatch' && f.url === ''],
  ['idle', (f) => f.functionName === '(idle)'],
  ['GC', (f) => f.functionName === '(garbage collector)'],
  // msgpackr (ours loads its dist/node.cjs), JSON, the coders: putMany only encodes values, getSync only decodes
  ['values: encode or decode', (f) => /msgpackr\/|\/coders\/(json|msgpack|records)/.test(f.url) || (f.url === '' && /^(stringify|parse|utf8Slice)$/.test(f.functionName))],
  ['keys', (f) => /ordered-binary|\/coders\/string/.test(f.url)],
  ['write buffer', (f) => /dist\/(batch|encoding|write-queue)\.js|lmdb\/write\.js|node:(internal\/)?buffer/.test(f.url) || /^(utf8Write|set|copy)$/.test(f.functionName)],
  // napi functions and lmdb-js's native calls show with no file
  ['native calls', (f) => f.url === '' && !f.functionName.startsWith('(')],
  ['other library JS', (f) => /dist\/|\/lmdb\//.test(f.url)],
  ['VM, bench, other', () => true],
]

function summarize(file) {
  const { nodes, samples, timeDeltas } = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(nodes.map((n) => [n.id, n]))
  const self = new Map()
  samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (timeDeltas[i] ?? 0)))
  const cats = Object.fromEntries(CATEGORIES.map(([c]) => [c, 0]))
  const fns = new Map()
  let total = 0
  for (const [id, us] of self) {
    const f = byId.get(id).callFrame
    const [cat] = CATEGORIES.find(([, test]) => test(f))
    cats[cat] += us
    total += us
    const name = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}`
    fns.set(name, (fns.get(name) ?? 0) + us)
  }
  const busy = total - cats.idle - cats.profiler
  return { cats, busy, top: [...fns].sort((a, b) => b[1] - a[1]).slice(0, TOP) }
}

const shown = CATEGORIES.map(([c]) => c).filter((c) => c !== 'idle' && c !== 'profiler')
for (const op of ops) {
  console.log(`\n${op}, N = ${N}: share of the JS thread's busy time (idle left out)\n`)
  console.log(`| config | ops/s | ${shown.join(' | ')} |`)
  console.log(`|---|---:|${shown.map(() => '---:').join('|')}|`)
  for (const config of configs) {
    const file = join(tmpdir(), `objects-${process.pid}.cpuprofile`)
    const out = execFileSync(process.execPath, ['--expose-gc', `${here}objects.mjs`, '--child', config, N, op], {
      cwd: here,
      encoding: 'utf8',
      env: { ...process.env, OBJECTS_PROFILE: file },
    })
    const rate = JSON.parse(out.trim().split('\n').at(-1))[op]
    const { cats, busy, top } = summarize(file)
    rmSync(file, { force: true })
    console.log(`| ${config} | ${Math.round(rate / 1000)}k | ${shown.map((c) => `${Math.round((100 * cats[c]) / busy)} %`).join(' | ')} |`)
    for (const [name, us] of top) console.log(`|   ${name} | | ${Math.round((100 * us) / busy)} % |`)
  }
}
