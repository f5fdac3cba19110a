// MessagePack records with shared structures ('msgpack-records'): values
// name their structure by an id; structures are stored in the environment's
// 'lmdb-napi.structures' database, in the transaction of the first value
// that uses them, and writers that race for an id never mix them up.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { Packr, Unpackr } from 'msgpackr'
import { expect, expectTypeOf, it } from 'vitest'
import { MsgPackCoder, errors, open, type Database, type Environment } from 'lmdb-napi'
import { tempDir } from './helpers.js'

const WRITER = fileURLToPath(new URL('./fixtures/records-writer.mjs', import.meta.url))
const SHAPES = new URL('./fixtures/records-shapes.mjs', import.meta.url).href

const user = (i: number) => ({ id: i, name: `user ${i}`, tags: ['a', 'b'], address: { city: 'Lisbon', zip: 1000 + i } })

/** The stored structures of database `name`, in id order, as msgpackr takes them. */
const RECORDS = { keyCoder: 'string', valueCoder: 'msgpack-records' } as const

/**
 * A records handle of `name` whose coder knows the stored structures (none),
 * and whose first id another handle's coder then takes with `x` → `{ x: 1 }`:
 * its next new structure loses its id.
 */
async function staleRecords(env: Environment, name: string) {
  const stale = env.openDb(name, RECORDS)
  stale.getSync('nothing')
  await env.openDb(name, RECORDS).put('x', { x: 1 })
  return stale
}

function storedStructures(dir: string, name: string): string[][] {
  const env = open(dir, { readonly: true })
  try {
    const side = env.openDb('lmdb-napi.structures', { create: false })
    const prefix = Buffer.from(`${name}\0`)
    return side
      .rangeSync({ prefix })
      .toArray()
      .map(([, v]) => new Unpackr().unpack(v) as string[])
  } finally {
    void env.close()
  }
}

it('objects, arrays and scalars round-trip through every read path', async () => {
  await using env = open(tempDir())
  const db = env.openDb('users', { keyCoder: 'uint32', valueCoder: 'msgpack-records' })
  //    ^? Database<number, unknown>
  const values: unknown[] = [user(1), [user(2), { other: true }], 100, 64, 127, -5, 'text', null, { when: new Date(0), big: 2n ** 60n }, { x: undefined }]
  await Promise.all(values.map((v, i) => db.put(i, v)))
  await db.putMany([[100, user(100)], [101, { deep: { deeper: { deepest: [user(3)] } } }]])
  const expected = values.map((v) => (v && typeof v === 'object' && 'x' in v ? { x: null } : v))
  expect(await Promise.all(values.map((_, i) => db.get(i)))).toEqual(expected)
  expect(values.map((_, i) => db.getSync(i))).toEqual(expected)
  expect(await db.getMany([0, 100, 101])).toEqual([user(1), user(100), { deep: { deeper: { deepest: [user(3)] } } }])
  expect((await db.range({ gte: 100 }).toArray()).map(([, v]) => v)).toEqual([user(100), { deep: { deeper: { deepest: [user(3)] } } }])
  expect(await db.replace(0, user(7))).toEqual(user(1))
  expect(db.getSync(0)).toEqual(user(7))
})

it('a value is stored smaller than plain MessagePack, its structure once in lmdb-napi.structures, readable by msgpackr', async () => {
  const dir = tempDir()
  {
    await using env = open(dir)
    const db = env.openDb('users', { keyCoder: 'uint32', valueCoder: new MsgPackCoder({ records: true }) })
    await db.putMany(Array.from({ length: 50 }, (_, i) => [i, user(i)] as [number, unknown]))
    expect(await env.databases()).toContain('lmdb-napi.structures')
    const raw = env.openDb('users', { keyCoder: 'uint32' })
    const stored = raw.getSync(7)!
    expect(stored.length).toBeLessThan(new Packr({ useRecords: false }).pack(user(7)).length * 0.7)
  }
  const structures = storedStructures(dir, 'users')
  // the record's keys and its nested address's
  expect(structures).toEqual([['id', 'name', 'tags', 'address'], ['city', 'zip']])
  await using env = open(dir)
  const raw = env.openDb('users', { keyCoder: 'uint32' })
  expect(new Unpackr({ structures }).unpack(raw.getSync(7)!)).toEqual(user(7))
})

it('a structure is stored as the standard MessagePack of its key list, whatever the keys', async () => {
  const dir = tempDir()
  const keyLists = [
    ['a'],
    ['x'.repeat(31), 'y'.repeat(32), 'z'.repeat(255), 'w'.repeat(256), 'v'.repeat(70_000)],
    Array.from({ length: 15 }, (_, i) => `k${i}`),
    Array.from({ length: 16 }, (_, i) => `many${i}`),
    ['', 'ünïcödé', '鍵', '🔑'],
  ]
  const objects = keyLists.map((keys) => Object.fromEntries(keys.map((k, i) => [k, i])))
  {
    await using env = open(dir)
    const db = env.openDb('shapes', { keyCoder: 'uint32', valueCoder: 'msgpack-records' })
    for (const [i, value] of objects.entries()) await db.put(i, value)
    expect(objects.map((_, i) => db.getSync(i))).toEqual(objects)
  }
  await using env = open(dir, { readonly: true })
  const side = env.openDb('lmdb-napi.structures', { create: false })
  const stored = side.valuesSync({ prefix: Buffer.from('shapes\0') }).toArray()
  expect(stored.map((bytes) => Buffer.from(bytes).toString('hex'))).toEqual(keyLists.map((keys) => new Packr({ useRecords: false }).pack(keys).toString('hex')))
})

it('values of the plain msgpack coder still read back through it, and a coder name or class gives records', async () => {
  await using env = open(tempDir())
  const plain = env.openDb('plain', { keyCoder: 'string', valueCoder: 'msgpack' })
  await plain.put('u', user(1))
  const again = env.openDb('plain', { keyCoder: 'string', valueCoder: new MsgPackCoder() })
  expect(again.getSync('u')).toEqual(user(1))
  expect(new MsgPackCoder().records).toBe(false)
  expect(new MsgPackCoder({ records: true }).records).toBe(true)
  expect((env.openDb('r', { valueCoder: 'msgpack-records' }).valueCoder as MsgPackCoder).records).toBe(true)
  // plain MessagePack's map, not a record: no structure stored for it
  expect(plain.valueCoder.serialize({ a: 1 })).toEqual(Buffer.from('81a16101', 'hex'))
  expect(() => new MsgPackCoder({ records: 'yes' as never })).toThrow(TypeError)
  // typed as MsgPackCoder<T>
  interface User { id: number; name: string }
  const typed = env.openDb('typed', { keyCoder: 'string', valueCoder: new MsgPackCoder<User>({ records: true }) })
  expectTypeOf(typed).toEqualTypeOf<Database<string, User>>()
  await typed.put('ada', { id: 1, name: 'Ada' })
  expectTypeOf(typed.getSync('ada')).toEqualTypeOf<User | undefined>()
})

it('a records coder serves one database', async () => {
  await using env = open(tempDir())
  const coder = new MsgPackCoder({ records: true })
  env.openDb('one', { valueCoder: coder })
  expect(() => env.openDb('two', { valueCoder: coder })).toThrow(TypeError)
})

it('two coders racing for the same ids in one batch: each value keeps its own structure', async () => {
  const dir = tempDir()
  await using env = open(dir)
  const handles = Array.from({ length: 3 }, () => env.openDb('race', { keyCoder: 'string', valueCoder: new MsgPackCoder({ records: true }) }))
  const shape = (h: number, i: number) => ({ [`h${h}`]: i, [`k${h}_${i % 4}`]: `${h}/${i}`, nested: { [`n${h}`]: [i] } })
  // every handle's first shapes take ids 0, 1, …: all but one lose them in the writer
  await Promise.all(
    handles.flatMap((db, h) => [
      ...Array.from({ length: 8 }, (_, i) => db.put(`${h}:${i}`, shape(h, i))),
      db.putMany(Array.from({ length: 8 }, (_, i) => [`${h}:${8 + i}`, shape(h, 8 + i)] as [string, unknown])),
    ]),
  )
  const fresh = env.openDb('race', { keyCoder: 'string', valueCoder: 'msgpack-records' })
  for (const db of [fresh, ...handles]) {
    for (const [key, value] of db.rangeSync()) {
      const [h, i] = key.split(':').map(Number)
      expect(value).toEqual(shape(h, i))
    }
  }
  expect(await fresh.count()).toBe(48)
  // each structure once
  const structures = storedStructures(dir, 'race').map((s) => s.join())
  expect(new Set(structures).size).toBe(structures.length)
})

it('the writes of a tick carry a new structure once, and store it even when the write that carried it fails', async () => {
  const dir = tempDir()
  {
    await using env = open(dir)
    const db = env.openDb('r', { keyCoder: 'string', valueCoder: 'msgpack-records' })
    await db.put('z', { other: 1 })
    // the first write with { x, y } carries it whole, and fails (an append below 'z'); the others name its ensures
    const results = await Promise.allSettled([
      db.put('a', { x: 1, y: 2 }, { append: true }),
      ...Array.from({ length: 50 }, (_, i) => db.put(`k${i}`, { x: i, y: -i })),
      db.put('n', { x: 'nested', y: { x: 0, y: 1 } }),
    ])
    expect(results[0]).toMatchObject({ status: 'rejected', reason: expect.any(errors.KeyExistsError) })
    expect(results.slice(1).every((r) => r.status === 'fulfilled' && r.value === true)).toBe(true)
    expect(await db.has('a')).toBe(false)
  }
  expect(storedStructures(dir, 'r')).toEqual([['other'], ['x', 'y']])
  // a new handle knows only what is stored
  await using env = open(dir)
  const db = env.openDb('r', { keyCoder: 'string', valueCoder: 'msgpack-records' })
  expect(db.getSync('k7')).toEqual({ x: 7, y: -7 })
  expect(await db.get('n')).toEqual({ x: 'nested', y: { x: 0, y: 1 } })
})

it('a write names no batch whose structures for another database failed: only its own can fail it', async () => {
  await using env = open(tempDir())
  const opts = { keyCoder: 'string', valueCoder: 'msgpack-records' } as const
  const stale = env.openDb('a', opts)
  const other = env.openDb('b', opts)
  stale.getSync('nothing') // its coder learns the stored structures now: none
  await env.openDb('a', opts).put('x', { x: 1 }) // another coder of 'a' takes the first id
  const results = await Promise.allSettled([
    // one unit with structures of 'a' (the stale coder's first id, taken: it fails) and of 'b'
    env.batch([
      { type: 'put', db: stale, key: 'y', value: { y: 2 } },
      { type: 'put', db: other, key: 'p', value: { p: 1 } },
    ]),
    // the same new structure of 'b': it must not carry the batch's structures of 'a' too
    other.put('q', { p: 2 }),
  ])
  expect(results[0]).toMatchObject({ status: 'rejected', reason: expect.any(errors.KeyExistsError) })
  expect(results[1]).toEqual({ status: 'fulfilled', value: true })
  expect(await other.get('q')).toEqual({ p: 2 })
})

it('writes whose structure ids another coder took first are encoded again and commit, however many share them, in a transaction too', async () => {
  await using env = open(tempDir())
  const opts = { keyCoder: 'string', valueCoder: 'msgpack-records' } as const
  const staleCoder = (name: string) => {
    const db = env.openDb(name, opts)
    db.getSync('nothing') // its coder learns the stored structures now: none
    return db
  }
  const stale = staleCoder('a')
  const staleToo = staleCoder('b')
  // another coder of each database takes the first id
  await env.openDb('a', opts).put('x', { x: 1 })
  await env.openDb('b', opts).put('x', { x: 1 })
  // in a transaction: calls of one tick, two new structures behind the stolen id
  const inTxn = await env.transaction((txn) =>
    Promise.all([txn.put(stale, 'y', { y: 2 }), txn.get(stale, 'x'), txn.put(stale, 'z', { z: 3 }), txn.put(stale, 'w', { y: 4 })]),
  )
  expect(inTxn).toEqual([true, { x: 1 }, true, true])
  // puts issued at once
  expect(await Promise.all([staleToo.put('y', { y: 2 }), staleToo.put('z', { z: 3 }), staleToo.put('w', { y: 4 })])).toEqual([true, true, true])
  for (const name of ['a', 'b']) {
    const fresh = env.openDb(name, opts)
    expect(fresh.rangeSync().toArray()).toEqual([
      ['w', { y: 4 }],
      ['x', { x: 1 }],
      ['y', { y: 2 }],
      ['z', { z: 3 }],
    ])
  }
})

it('a run of a thousand puts whose structure id another coder took is sent again whole', async () => {
  await using env = open(tempDir())
  const stale = await staleRecords(env, 'a')
  const value = (i: number) => ({ i, text: `value ${i}`, nested: { even: i % 2 === 0 } })
  // one tick of plain puts: one run, kept in several chunks to be sent again
  const keys = Array.from({ length: 1000 }, (_, i) => `k${String(i).padStart(4, '0')}`)
  const results = await Promise.all(keys.map((key, i) => stale.put(key, value(i))))
  expect(results.every((r) => r === true)).toBe(true)
  const fresh = env.openDb('a', RECORDS)
  expect(await fresh.count()).toBe(1001)
  keys.forEach((key, i) => expect(fresh.getSync(key)).toEqual(value(i)))
})

it('a large putMany in parts whose structure id another coder took is encoded again and all stored', async () => {
  await using env = open(tempDir())
  const stale = await staleRecords(env, 'r')
  const value = (i: number) => ({ i, name: `entry ${i}`, nested: { odd: i % 2 === 1 } })
  // keys in order: sent in parts, in a transaction of its own
  const entries = Array.from({ length: 20_000 }, (_, i) => [`k${String(i).padStart(6, '0')}`, value(i)] as [string, unknown])
  expect(await stale.putMany(entries)).toBe(20_000)
  const fresh = env.openDb('r', RECORDS)
  expect(fresh.getSync('x')).toEqual({ x: 1 })
  expect(fresh.getSync('k000000')).toEqual(value(0))
  expect(fresh.getSync('k019999')).toEqual(value(19_999))
  expect(await fresh.count()).toBe(20_001)
})

it('transactions carry the structures of their values; an aborted one leaves none and its values none', async () => {
  const dir = tempDir()
  await using env = open(dir)
  const db = env.openDb('t', { keyCoder: 'string', valueCoder: 'msgpack-records' })
  await env.transaction(async (txn) => {
    await txn.put(db, 'a', { inTxn: 1 })
    expect(await txn.get(db, 'a')).toEqual({ inTxn: 1 })
    await txn.putMany(db, [['b', { many: 2 }], ['c', { many: 3, more: true }]])
    expect(await txn.replace(db, 'a', { replaced: true })).toEqual({ inTxn: 1 })
  })
  await expect(
    env.transaction(async (txn) => {
      await txn.put(db, 'gone', { never: 'stored' })
      throw new Error('abort')
    }),
  ).rejects.toThrow('abort')
  // the aborted transaction's structure went with it
  expect(storedStructures(dir, 't').some((s) => s.includes('never'))).toBe(false)
  env.transactionSync((txn) => {
    txn.put(db, 's', { sync: 1, keys: 2 })
    expect(txn.get(db, 's')).toEqual({ sync: 1, keys: 2 })
  })
  // another handle, knowing no structure, reads every committed value
  const fresh = env.openDb('t', { keyCoder: 'string', valueCoder: 'msgpack-records' })
  expect(fresh.rangeSync().toArray()).toEqual([
    ['a', { replaced: true }],
    ['b', { many: 2 }],
    ['c', { many: 3, more: true }],
    ['s', { sync: 1, keys: 2 }],
  ])
  // a later use of it stores it
  await db.put('later', { never: 'now stored' })
  expect(env.openDb('t', { keyCoder: 'string', valueCoder: 'msgpack-records' }).getSync('later')).toEqual({ never: 'now stored' })
})

it('a read-only environment reads records, and another coder meeting a new structure loads it', async () => {
  const dir = tempDir()
  await using env = open(dir)
  const db = env.openDb('users', { keyCoder: 'uint32', valueCoder: 'msgpack-records' })
  await db.put(1, user(1))
  await using reader = open(dir, { readonly: true })
  const seen = reader.openDb('users', { keyCoder: 'uint32', valueCoder: 'msgpack-records', create: false })
  expect(seen.getSync(1)).toEqual(user(1))
  // a structure written after the reader loaded its own
  await db.put(2, { brand: 'new', shape: [1] })
  expect(await seen.get(2)).toEqual({ brand: 'new', shape: [1] })
  // scans decode with their own decoder, which meets the new structures too
  await db.put(4, { newer: true })
  expect(seen.rangeSync({ gte: 2 }).toArray()).toEqual([
    [2, { brand: 'new', shape: [1] }],
    [4, { newer: true }],
  ])
  await db.put(5, { newest: [true] })
  expect(await seen.values({ gte: 4 }).toArray()).toEqual([{ newer: true }, { newest: [true] }])
  expect(seen.getSync(5)).toEqual({ newest: [true] })
  const failed = await seen.put(3, user(3)).catch((e: unknown) => e)
  expect(failed).toBeInstanceOf(errors.ReadonlyError)
})

/** Runs `writers` writers at once (processes or workers); resolves with what each reported. */
async function writeTogether(dir: string, writers: number, count: number, as: 'process' | 'worker'): Promise<string[]> {
  return Promise.all(
    Array.from({ length: writers }, (_, writer) => {
      if (as === 'worker') {
        const worker = new Worker(WRITER, { workerData: { dir, writer, writers, count } })
        return new Promise<string>((resolve, reject) => {
          worker.once('message', resolve)
          worker.once('error', reject)
        })
      }
      const child = spawn(process.execPath, [WRITER, dir, String(writer), String(writers), String(count)])
      let out = ''
      let err = ''
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk))
      return new Promise<string>((resolve) => child.once('close', () => resolve(out.trim() || err)))
    }),
  )
}

it('4 processes adding structures at once: every value decodes in every process', async () => {
  const dir = tempDir()
  open(dir).openDb('objects', { valueCoder: 'msgpack-records' }).env.close()
  const reports = await writeTogether(dir, 4, 60, 'process')
  for (const report of reports) expect(report).toMatch(/^ok \d+$/)
  // and here, a process that wrote nothing
  await using env = open(dir)
  const db = env.openDb('objects', { keyCoder: 'string', valueCoder: 'msgpack-records' })
  const { valueOf } = (await import(SHAPES)) as { valueOf: (w: number, i: number) => unknown }
  const all = db.rangeSync().toArray()
  expect(all.length).toBe(240)
  for (const [key, value] of all) expect(value).toEqual(valueOf(...(key.split(':').map(Number) as [number, number])))
}, 120_000)

it('4 worker threads adding structures at once: every value decodes in every thread', async () => {
  const dir = tempDir()
  const reports = await writeTogether(dir, 4, 60, 'worker')
  for (const report of reports) expect(report).toMatch(/^ok \d+$/)
}, 120_000)
