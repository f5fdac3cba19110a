// The aiolmdb walkthrough, in TypeScript: an environment in a temp folder,
// a named and the default database, and every basic read and write.
// Run it with `npm run demo`.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open } from 'lmdb-napi'

const show = (what: string, value: unknown) => console.log(`${what.padEnd(44)} → ${JSON.stringify(value)}`)

const dir = mkdtempSync(join(tmpdir(), 'lmdb-napi-demo-'))
try {
  // aiolmdb.open(path, map_size=...): one environment, many databases
  await using env = open(dir, { mapSize: 64 * 1024 ** 2 })
  console.log(`opened ${env.path} (map ${env.info().mapSize / 1024 ** 2} MiB, max key ${env.maxKeySize()} bytes)\n`)

  // env.open_db("records") with coders; env.get_default_database()
  const records = env.openDb('records', { keyCoder: 'string', valueCoder: 'string' })
  const raw = env.defaultDb

  show(`records.put('ada', 'Lovelace')`, await records.put('ada', 'Lovelace'))
  show(`records.get('ada')`, await records.get('ada'))
  show(`records.get('grace', 'not yet')`, await records.get('grace', 'not yet'))
  show(`records.put('ada', 'Byron', { noOverwrite })`, await records.put('ada', 'Byron', { noOverwrite: true }))

  const written = await records.putMany([
    ['grace', 'Hopper'],
    ['alan', 'Turing'],
    ['edsger', 'Dijkstra'],
  ])
  show(`records.putMany(3 entries)`, written)
  show(`records.getMany(['alan', 'nobody', 'grace'])`, await records.getMany(['alan', 'nobody', 'grace']))
  show(`records.has('edsger')`, await records.has('edsger'))
  show(`records.replace('alan', 'M. Turing')`, await records.replace('alan', 'M. Turing'))
  show(`records.pop('edsger')`, await records.pop('edsger'))
  show(`records.delete('grace')`, await records.delete('grace'))
  show(`records.deleteMany(['ada', 'nobody'])`, await records.deleteMany(['ada', 'nobody']))
  show(`records.count()`, await records.count())

  // the default database holds raw bytes
  await raw.put(Buffer.from('config'), Buffer.from([1, 2, 3]))
  show(`defaultDb.getSync(b'config')`, [...(raw.getSync(Buffer.from('config')) ?? [])])

  // 1,000 puts issued at once are committed together (group commit)
  const before = env.info().lastTxnid
  await Promise.all(Array.from({ length: 1000 }, (_, i) => records.put(`user${i}`, `name${i}`)))
  show(`1,000 concurrent puts took transactions`, env.info().lastTxnid - before)

  show(`env.databases()`, await env.databases())
  await records.drop()
  show(`records.drop(); records.count()`, await records.count())
  await records.drop({ delete: true })
  show(`records.drop({ delete: true }); databases()`, await env.databases())
  show(`defaultDb.count() (kept by the drop)`, await raw.count())
} finally {
  rmSync(dir, { recursive: true, force: true })
}
console.log('\nclosed the environment and removed', dir)
