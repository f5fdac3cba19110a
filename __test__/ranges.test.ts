import { execFileSync } from 'node:child_process'
import { closeSync, openSync, promises as fsp } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { open, errors, JSONCoder, StringCoder, UInt32Coder } from 'lmdb-napi'
import { b, tempDir, activeReaders } from './helpers.js'

type Opts = {
  gt?: Buffer
  gte?: Buffer
  lt?: Buffer
  lte?: Buffer
  prefix?: Buffer
  reverse?: boolean
  limit?: number
  offset?: number
}

/** What a range over `keys` must yield, computed independently on the bytes. */
function model(keys: Buffer[], o: Opts): Buffer[] {
  let out = [...keys].sort(Buffer.compare).filter((k) => {
    if (o.gt && Buffer.compare(k, o.gt) <= 0) return false
    if (o.gte && Buffer.compare(k, o.gte) < 0) return false
    if (o.lt && Buffer.compare(k, o.lt) >= 0) return false
    if (o.lte && Buffer.compare(k, o.lte) > 0) return false
    if (o.prefix && !k.subarray(0, o.prefix.length).equals(o.prefix)) return false
    return true
  })
  if (o.reverse) out.reverse()
  const offset = o.offset ?? 0
  out = out.slice(offset, o.limit === undefined ? undefined : offset + o.limit)
  return out
}

const str = (keys: Buffer[]) => keys.map((k) => k.toString('latin1'))


const pad = (i: number) => String(i).padStart(6, '0')

describe('full scans', () => {
  it('binary keys come back in byte order with their values; keys() and values() yield one side only', async () => {
    await using env = open(tempDir())
    const db = env.openDb('bin')
    const keys = [b('b'), b('a'), Buffer.from([0xff]), Buffer.from([0x00, 0x01]), b('ab'), b('B'), Buffer.from([0x80, 0x00]), b('aa')]
    await db.putMany(keys.map((k) => [k, Buffer.concat([b('v:'), k])] as [Buffer, Buffer]))
    const sorted = [...keys].sort(Buffer.compare)

    const entries = await db.range().toArray()
    expect(entries.map(([k]) => k)).toEqual(sorted)
    expect(entries.map(([, v]) => v)).toEqual(sorted.map((k) => Buffer.concat([b('v:'), k])))
    for (const [k, v] of entries) {
      expect(Buffer.isBuffer(k)).toBe(true)
      expect(Buffer.isBuffer(v)).toBe(true)
    }

    const onlyKeys = await db.keys().toArray()
    expect(onlyKeys).toEqual(sorted)
    expect(onlyKeys.every((k) => Buffer.isBuffer(k))).toBe(true)

    const onlyValues = await db.values().toArray()
    expect(onlyValues).toEqual(sorted.map((k) => Buffer.concat([b('v:'), k])))

    expect(await db.keys({ reverse: true }).toArray()).toEqual([...sorted].reverse())
  })

  it('string keys (string coder) are ordered by their UTF-8 bytes; JSON values are decoded', async () => {
    await using env = open(tempDir())
    const db = env.openDb('str', { keyCoder: 'string', valueCoder: 'json' })
    const words = ['zebra', 'apple', 'Zulu', 'é', 'éa', 'a', 'ab', '日本', '~', '10', '9', 'ä']
    for (const [i, w] of words.entries()) await db.put(w, { word: w, i, tags: [i, null, true] })
    const sorted = [...words].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))

    const entries = await db.range().toArray()
    expect(entries.map(([k]) => k)).toEqual(sorted)
    expect(entries).toEqual(sorted.map((w) => [w, { word: w, i: words.indexOf(w), tags: [words.indexOf(w), null, true] }]))
    expect(await db.keys().toArray()).toEqual(sorted)
    expect(await db.values({ reverse: true }).toArray()).toEqual(
      [...sorted].reverse().map((w) => ({ word: w, i: words.indexOf(w), tags: [words.indexOf(w), null, true] })),
    )
    // bounds are keys of the key type, compared on the encoded bytes
    expect(await db.keys({ gte: 'a', lt: 'b' }).toArray()).toEqual(['a', 'ab', 'apple'])
    expect(await db.keys({ gt: 'z' }).toArray()).toEqual(sorted.filter((w) => Buffer.compare(Buffer.from(w), Buffer.from('z')) > 0))
    expect(await db.keys({ prefix: 'é' }).toArray()).toEqual(['é', 'éa'])
  })

  it('uint32 keys come back in numeric order; compressed JSON values are decoded', async () => {
    await using env = open(tempDir())
    const db = env.openDb('u32', { keyCoder: new UInt32Coder(), valueCoder: new JSONCoder<{ n: number; s: string }>().compressed() })
    const nums = [4294967295, 0, 256, 255, 1, 65536, 10, 2, 16777216, 100000, 65535, 3000000000]
    const big = 'x'.repeat(2000)
    await db.putMany(nums.map((n) => [n, { n, s: big + n }] as [number, { n: number; s: string }]))
    const sorted = [...nums].sort((x, y) => x - y)

    const entries = await db.range().toArray()
    expect(entries.map(([k]) => k)).toEqual(sorted)
    expect(entries.map(([, v]) => v)).toEqual(sorted.map((n) => ({ n, s: big + n })))
    expect(await db.keys({ reverse: true }).toArray()).toEqual([...sorted].reverse())
    expect(await db.values({ gte: 256, lt: 65536 }).toArray()).toEqual([256, 65535].map((n) => ({ n, s: big + n })))
    expect(await db.keys({ gt: 255, lte: 100000, reverse: true }).toArray()).toEqual([100000, 65536, 65535, 256])
  })

  it('an empty database yields nothing, in either direction and with any bounds', async () => {
    await using env = open(tempDir())
    const db = env.openDb('empty')
    expect(await db.range().toArray()).toEqual([])
    expect(await db.range({ reverse: true }).toArray()).toEqual([])
    expect(await db.keys({ gte: b('a'), lt: b('z'), reverse: true }).toArray()).toEqual([])
    expect(await db.values({ prefix: b('a') }).toArray()).toEqual([])
  })

  it('toArray() equals what for await collects, for entries, keys and values', async () => {
    await using env = open(tempDir(), { sync: false })
    const db = env.openDb('t', { keyCoder: 'string', valueCoder: new JSONCoder<{ i: number }>() })
    await db.putMany(Array.from({ length: 500 }, (_, i) => [`k${pad(i)}`, { i }] as [string, { i: number }]))
    for (const options of [{}, { reverse: true }, { gte: 'k000100', lt: 'k000400', offset: 3, limit: 150 }, { prefix: 'k0001', reverse: true }]) {
      const viaLoop: [string, { i: number }][] = []
      for await (const entry of db.range(options)) viaLoop.push(entry)
      expect(await db.range(options).toArray()).toEqual(viaLoop)
      expect(viaLoop.length).toBeGreaterThan(0)

      const keys: string[] = []
      for await (const k of db.keys(options)) keys.push(k)
      expect(keys).toEqual(viaLoop.map(([k]) => k))
      expect(await db.keys(options).toArray()).toEqual(keys)

      const values: { i: number }[] = []
      for await (const v of db.values(options)) values.push(v)
      expect(values).toEqual(viaLoop.map(([, v]) => v))
      expect(await db.values(options).toArray()).toEqual(values)
    }
  })
})

describe('bounds', () => {
  const stored = ['b', 'ba', 'bb', 'd', 'da', 'db', 'f', 'h', 'j', 'jj'].map(b)
  // probes: below everything, on keys, between keys, above everything
  const probes = ['a', 'b', 'ba', 'bz', 'c', 'd', 'd\x00', 'db', 'e', 'j', 'jj', 'jk', 'z'].map(b)

  it('every combination of a lower bound (none/gt/gte) and an upper bound (none/lt/lte), forward and reverse', async () => {
    await using env = open(tempDir())
    const db = env.openDb('bounds')
    await db.putMany(stored.map((k) => [k, Buffer.concat([k, b('!')])] as [Buffer, Buffer]))
    const lowers: Opts[] = [{}, ...probes.map((p) => ({ gt: p })), ...probes.map((p) => ({ gte: p }))]
    const uppers: Opts[] = [{}, ...probes.map((p) => ({ lt: p })), ...probes.map((p) => ({ lte: p }))]
    const failures: string[] = []
    let checked = 0
    for (const lower of lowers) {
      for (const upper of uppers) {
        for (const reverse of [false, true]) {
          const options: Opts = { ...lower, ...upper, reverse }
          const want = str(model(stored, options))
          const got = str(await db.keys(options).toArray())
          checked++
          if (JSON.stringify(got) !== JSON.stringify(want)) {
            failures.push(`${JSON.stringify(Object.fromEntries(Object.entries(options).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('latin1') : v])))}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`)
          }
        }
      }
    }
    expect(checked).toBe(27 * 27 * 2)
    expect(failures).toEqual([])
  })

  it('entries (not only keys) respect the bounds, and values stay paired with their keys', async () => {
    await using env = open(tempDir())
    const db = env.openDb('bounds')
    await db.putMany(stored.map((k) => [k, Buffer.concat([k, b('!')])] as [Buffer, Buffer]))
    const entries = await db.range({ gt: b('ba'), lte: b('f'), reverse: true }).toArray()
    expect(entries.map(([k, v]) => [k.toString(), v.toString()])).toEqual([
      ['f', 'f!'],
      ['db', 'db!'],
      ['da', 'da!'],
      ['d', 'd!'],
      ['bb', 'bb!'],
    ])
    expect(await db.values({ gte: b('c'), lt: b('e') }).toArray()).toEqual([b('d!'), b('da!'), b('db!')])
  })

  it('empty ranges: lower bound at or above the upper one, and bounds that match no key', async () => {
    await using env = open(tempDir())
    const db = env.openDb('bounds')
    await db.putMany(stored.map((k) => [k, k] as [Buffer, Buffer]))
    for (const reverse of [false, true]) {
      expect(await db.keys({ gt: b('d'), lt: b('d'), reverse }).toArray()).toEqual([])
      expect(await db.keys({ gte: b('d'), lt: b('d'), reverse }).toArray()).toEqual([])
      expect(await db.keys({ gt: b('d'), lte: b('d'), reverse }).toArray()).toEqual([])
      expect(await db.keys({ gte: b('f'), lte: b('d'), reverse }).toArray()).toEqual([])
      expect(await db.keys({ gt: b('h'), lt: b('b'), reverse }).toArray()).toEqual([])
      expect(await db.keys({ gt: b('db'), lt: b('f'), reverse }).toArray()).toEqual([])
      expect(await db.keys({ gte: b('c'), lte: b('cz'), reverse }).toArray()).toEqual([])
      expect(await db.keys({ gt: b('jj'), reverse }).toArray()).toEqual([])
      expect(await db.keys({ lt: b('b'), reverse }).toArray()).toEqual([])
      expect(await db.range({ gt: b('z'), reverse }).toArray()).toEqual([])
      // a range exactly one key wide
      expect(str(await db.keys({ gte: b('d'), lte: b('d'), reverse }).toArray())).toEqual(['d'])
    }
  })
})

describe('prefix', () => {
  const stored = [
    b('ap'),
    b('app'),
    b('apple'),
    b('application'),
    b('apply'),
    b('apt'),
    b('aq'),
    b('b'),
    Buffer.from([0xfe, 0xff]),
    Buffer.from([0xff]),
    Buffer.from([0xff, 0x00]),
    Buffer.from([0xff, 0xff]),
    Buffer.from([0xff, 0xff, 0x01]),
    Buffer.from([0xff, 0xff, 0xff, 0xff]),
  ]
  const prefixes = [b('ap'), b('app'), b('appl'), b('apple'), b('apz'), b('z'), b('0'), Buffer.from([0xfe]), Buffer.from([0xff]), Buffer.from([0xff, 0xff]), Buffer.from([0xff, 0xff, 0xff])]
  const extras: Opts[] = [
    {},
    { gte: b('apple') },
    { gt: b('apple') },
    { lt: b('apply') },
    { lte: b('apply') },
    { gt: b('a'), lt: b('b') },
    { gte: b('app'), lte: b('apt') },
    { gt: b('b') },
    { lt: b('ap') },
    { gte: Buffer.from([0xff, 0x00]) },
    { lt: Buffer.from([0xff, 0xff, 0x01]) },
    { limit: 2 },
    { offset: 1 },
    { offset: 1, limit: 1 },
  ]

  it('prefix alone and with bounds, limit and offset, forward and reverse (including 0xff prefixes)', async () => {
    await using env = open(tempDir())
    const db = env.openDb('prefix')
    await db.putMany(stored.map((k) => [k, Buffer.concat([b('='), k])] as [Buffer, Buffer]))
    const failures: string[] = []
    for (const prefix of prefixes) {
      for (const extra of extras) {
        for (const reverse of [false, true]) {
          const options: Opts = { ...extra, prefix, reverse }
          const want = model(stored, options)
          const got = await db.range(options).toArray()
          const ok =
            JSON.stringify(got.map(([k]) => k.toString('hex'))) === JSON.stringify(want.map((k) => k.toString('hex'))) &&
            got.every(([k, v]) => v.equals(Buffer.concat([b('='), k])))
          if (!ok) {
            failures.push(
              `${JSON.stringify(Object.fromEntries(Object.entries(options).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('hex') : v])))}: got ${JSON.stringify(got.map(([k]) => k.toString('hex')))}, want ${JSON.stringify(want.map((k) => k.toString('hex')))}`,
            )
          }
        }
      }
    }
    expect(failures).toEqual([])
  })

  it('concrete prefix cases', async () => {
    await using env = open(tempDir())
    const db = env.openDb('prefix')
    await db.putMany(stored.map((k) => [k, k] as [Buffer, Buffer]))
    expect(str(await db.keys({ prefix: b('app') }).toArray())).toEqual(['app', 'apple', 'application', 'apply'])
    expect(str(await db.keys({ prefix: b('app'), reverse: true }).toArray())).toEqual(['apply', 'application', 'apple', 'app'])
    expect(str(await db.keys({ prefix: b('app'), gt: b('app'), lt: b('apply') }).toArray())).toEqual(['apple', 'application'])
    expect(await db.keys({ prefix: b('nothing') }).toArray()).toEqual([])
    expect(await db.keys({ prefix: b('nothing'), reverse: true }).toArray()).toEqual([])
    expect((await db.keys({ prefix: Buffer.from([0xff]) }).toArray()).map((k) => k.toString('hex'))).toEqual(['ff', 'ff00', 'ffff', 'ffff01', 'ffffffff'])
    expect((await db.keys({ prefix: Buffer.from([0xff, 0xff]), reverse: true }).toArray()).map((k) => k.toString('hex'))).toEqual(['ffffffff', 'ffff01', 'ffff'])
    expect((await db.keys({ prefix: Buffer.from([0xff, 0xff]), reverse: true, limit: 1, offset: 1 }).toArray()).map((k) => k.toString('hex'))).toEqual(['ffff01'])
  })

  it('string prefix is encoded by the key coder', async () => {
    await using env = open(tempDir())
    const db = env.openDb('sp', { keyCoder: new StringCoder(), valueCoder: 'string' })
    await db.putMany([
      ['user:1', 'a'],
      ['user:2', 'b'],
      ['user;0', 'c'],
      ['use', 'd'],
      ['users', 'e'],
    ])
    expect(await db.range({ prefix: 'user:' }).toArray()).toEqual([
      ['user:1', 'a'],
      ['user:2', 'b'],
    ])
    expect(await db.values({ prefix: 'user', reverse: true }).toArray()).toEqual(['e', 'c', 'b', 'a'])
  })
})

describe('limit and offset', () => {
  it('limit and offset, forward and reverse, with bounds and prefix; offset past the end; limit 0', async () => {
    await using env = open(tempDir())
    const db = env.openDb('lo', { keyCoder: 'string', valueCoder: 'string' })
    const keys = Array.from({ length: 30 }, (_, i) => `${i % 2 === 0 ? 'e' : 'o'}${pad(i)}`)
    await db.putMany(keys.map((k) => [k, k.toUpperCase()] as [string, string]))
    const sorted = [...keys].sort()
    const cases: { o: Record<string, unknown>; want: string[] }[] = [
      { o: { limit: 3 }, want: sorted.slice(0, 3) },
      { o: { offset: 28 }, want: sorted.slice(28) },
      { o: { offset: 5, limit: 4 }, want: sorted.slice(5, 9) },
      { o: { reverse: true, limit: 3 }, want: [...sorted].reverse().slice(0, 3) },
      { o: { reverse: true, offset: 2, limit: 2 }, want: [...sorted].reverse().slice(2, 4) },
      { o: { prefix: 'o', offset: 3, limit: 2 }, want: sorted.filter((k) => k.startsWith('o')).slice(3, 5) },
      { o: { prefix: 'e', reverse: true, offset: 1, limit: 3 }, want: sorted.filter((k) => k.startsWith('e')).reverse().slice(1, 4) },
      { o: { gte: 'e000010', lt: 'o', offset: 1, limit: 100 }, want: sorted.filter((k) => k >= 'e000010' && k < 'o').slice(1) },
      { o: { offset: 30 }, want: [] },
      { o: { offset: 1000 }, want: [] },
      { o: { offset: 1000, reverse: true }, want: [] },
      { o: { limit: 0 }, want: [] },
      { o: { limit: 0, reverse: true }, want: [] },
      { o: { limit: 1000 }, want: sorted },
      { o: { offset: 0, limit: 30 }, want: sorted },
      { o: { prefix: 'x', limit: 5 }, want: [] },
    ]
    for (const { o, want } of cases) {
      expect(await db.keys(o).toArray(), JSON.stringify(o)).toEqual(want)
      expect(await db.values(o).toArray(), JSON.stringify(o)).toEqual(want.map((k) => k.toUpperCase()))
    }
  })
})

describe('large ranges', () => {
  it('20,000 entries come back complete and in order, both directions, across chunk boundaries', async () => {
    await using env = open(tempDir(), { sync: false })
    const db = env.openDb('big', { keyCoder: 'uint32', valueCoder: new JSONCoder<{ i: number }>() })
    const N = 20_000
    // inserted out of order
    const order = Array.from({ length: N }, (_, i) => (i * 7919) % N)
    await db.putMany(order.map((i) => [i * 3, { i }] as [number, { i: number }]))

    let expected = 0
    for await (const [k, v] of db.range()) {
      expect(k).toBe(expected * 3)
      expect(v.i).toBe(expected)
      expected++
    }
    expect(expected).toBe(N)

    const back = await db.range({ reverse: true }).toArray()
    expect(back.length).toBe(N)
    back.forEach(([k, v], j) => {
      if (k !== (N - 1 - j) * 3 || v.i !== N - 1 - j) throw new Error(`reverse entry ${j} is ${k}`)
    })

    const keys = await db.keys().toArray()
    expect(keys).toEqual(Array.from({ length: N }, (_, i) => i * 3))
    const values = await db.values({ reverse: true }).toArray()
    expect(values.map((v) => v.i)).toEqual(Array.from({ length: N }, (_, i) => N - 1 - i))

    // offset and limit that cross several chunks, both directions
    expect(await db.keys({ offset: 5000, limit: 10_000 }).toArray()).toEqual(Array.from({ length: 10_000 }, (_, i) => (5000 + i) * 3))
    expect(await db.keys({ reverse: true, offset: 70, limit: 5000 }).toArray()).toEqual(Array.from({ length: 5000 }, (_, i) => (N - 1 - 70 - i) * 3))
    expect(await db.keys({ gt: 3 * 100, lte: 3 * 15_000, reverse: true }).toArray()).toEqual(
      Array.from({ length: 14_900 }, (_, i) => (15_000 - i) * 3),
    )
  })
})

describe('forEach', () => {
  it('hands every entry over in order, as for await does, across chunks and with bounds', async () => {
    await using env = open(tempDir(), { sync: false })
    const db = env.openDb('each', { keyCoder: 'uint32', valueCoder: new JSONCoder<{ i: number }>() })
    const N = 12_000
    await db.putMany(Array.from({ length: N }, (_, i) => [(i * 7919) % N, { i: (i * 7919) % N }] as [number, { i: number }]))
    for (const options of [{}, { reverse: true }, { gte: 100, lt: 9_000, offset: 7, limit: 5_000 }]) {
      const seen: [number, { i: number }][] = []
      await db.range(options).forEach((entry) => void seen.push(entry))
      const awaited: [number, { i: number }][] = []
      for await (const entry of db.range(options)) awaited.push(entry)
      expect(seen, JSON.stringify(options)).toEqual(awaited)
    }
    let keys = 0
    await db.keys().forEach((k) => void (keys += k === keys ? 1 : 0))
    expect(keys).toBe(N)
  })

  it('a throw from the callback ends the iteration, rejects with it, and releases the read transaction', async () => {
    await using env = open(tempDir(), { sync: false })
    const db = env.openDb('each', { keyCoder: 'uint32', valueCoder: 'uint32' })
    await db.putMany(Array.from({ length: 10_000 }, (_, i) => [i, i] as [number, number]))
    await db.get(0) // let the pool make its transaction
    const before = activeReaders(env)
    let calls = 0
    const failing = db.range().forEach(([k]) => {
      calls++
      if (k === 5_000) throw new Error('enough')
    })
    await expect(failing).rejects.toThrow('enough')
    expect(calls).toBe(5_001)
    expect(activeReaders(env)).toBe(before)
  })

  it('the environment closed by the callback rejects the rest with ClosedError', async () => {
    const env = open(tempDir(), { sync: false })
    const db = env.openDb('each', { keyCoder: 'uint32', valueCoder: 'uint32' })
    await db.putMany(Array.from({ length: 10_000 }, (_, i) => [i, i] as [number, number]))
    let calls = 0
    let closing: Promise<void> | undefined
    const each = db.range().forEach(() => {
      if (++calls === 100) closing = env.close()
    })
    await expect(each).rejects.toBeInstanceOf(errors.ClosedError)
    expect(calls).toBe(100)
    await closing
  })

  it('works on a transaction’s range too (its own writes included)', async () => {
    await using env = open(tempDir())
    const db = env.openDb('each', { keyCoder: 'string', valueCoder: 'string' })
    await db.putMany([['a', '1'], ['c', '3']])
    const seen = await env.transaction(async (txn) => {
      await txn.put(db, 'b', '2')
      const out: string[] = []
      await txn.range(db).forEach(([k, v]) => void out.push(k + v))
      await expect(txn.range(db).forEach(() => { throw new Error('stop') })).rejects.toThrow('stop')
      return out
    })
    expect(seen).toEqual(['a1', 'b2', 'c3'])
  })
})

describe('a busy libuv pool', () => {
  it('does not stall a range: chunks the pool has not started on are read on this thread, in order', async () => {
    await using env = open(tempDir(), { sync: false })
    const db = env.openDb('big', { keyCoder: 'uint32' })
    const N = 20_000
    await db.putMany(Array.from({ length: N }, (_, i) => [i, b(`v${i}`)] as [number, Buffer]))
    const iterator = db.range()[Symbol.asyncIterator]()
    expect((await iterator.next()).value?.[0]).toBe(0)

    // Every pool thread blocks opening a FIFO for reading until a writer opens it.
    const fifo = join(tempDir(), 'fifo')
    execFileSync('mkfifo', [fifo])
    const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4)
    const blocked = Array.from({ length: threads }, () => fsp.open(fifo, 'r').then((fh) => fh.close()))
    try {
      const rest = (async () => {
        const keys: number[] = []
        for (let r = await iterator.next(); !r.done; r = await iterator.next()) keys.push(r.value[0])
        return keys
      })()
      const outcome = await Promise.race([rest, new Promise((resolve) => setTimeout(() => resolve('stalled'), 10_000))])
      expect(outcome).toEqual(Array.from({ length: N - 1 }, (_, i) => i + 1))
    } finally {
      closeSync(openSync(fifo, 'w')) // lets the pool threads go
      await Promise.all(blocked)
    }
  })
})

describe('one snapshot per iteration', () => {
  it('writes and deletes made during an iteration are not seen by it', async () => {
    await using env = open(tempDir(), { sync: false })
    const db = env.openDb('snap', { keyCoder: 'string', valueCoder: 'string' })
    const N = 5000
    const original = Array.from({ length: N }, (_, i) => `k${pad(i)}`)
    await db.putMany(original.map((k) => [k, `v${k}`] as [string, string]))
    await db.put('a-before', 'outside')

    const seen: [string, string][] = []
    let wrote = false
    for await (const entry of db.range({ gte: 'k', lt: 'l' })) {
      seen.push(entry)
      if (!wrote) {
        wrote = true
        // inside the range, after the current position
        await db.putMany(Array.from({ length: 200 }, (_, i) => [`k${pad(i * 20)}x`, 'new'] as [string, string]))
        await db.put('k999999', 'new')
        // outside the range
        await db.put('a-new', 'new')
        await db.put('z-new', 'new')
        // delete entries not yet read (near and far)
        await db.deleteMany(Array.from({ length: 100 }, (_, i) => `k${pad(3000 + i)}`))
        await db.delete(`k${pad(2)}`)
        await db.delete(`k${pad(N - 1)}`)
        // overwrite some not yet read
        await db.put(`k${pad(4000)}`, 'changed')
        expect(await db.get(`k${pad(2)}`)).toBeUndefined()
        expect(await db.get('k999999')).toBe('new')
      }
    }
    expect(seen.length).toBe(N)
    expect(seen).toEqual(original.map((k) => [k, `v${k}`]))
    // and a new iteration sees the new state
    const now = await db.keys({ gte: 'k', lt: 'l' }).toArray()
    expect(now.length).toBe(N + 200 + 1 - 102)
  })

  it('each for await over the same RangeIterable takes a fresh snapshot', async () => {
    await using env = open(tempDir())
    const db = env.openDb('fresh', { keyCoder: 'string', valueCoder: 'string' })
    await db.put('a', '1')
    const all = db.range()
    const keysOnly = db.keys({ reverse: true })
    const first: [string, string][] = []
    for await (const e of all) first.push(e)
    expect(first).toEqual([['a', '1']])
    expect(await keysOnly.toArray()).toEqual(['a'])

    await db.put('b', '2')
    await db.put('a', '1b')
    const second: [string, string][] = []
    for await (const e of all) second.push(e)
    expect(second).toEqual([
      ['a', '1b'],
      ['b', '2'],
    ])
    expect(await keysOnly.toArray()).toEqual(['b', 'a'])

    await db.delete('a')
    expect(await all.toArray()).toEqual([['b', '2']])
  })

  it('two iterators of one RangeIterable run independently', async () => {
    await using env = open(tempDir())
    const db = env.openDb('two', { keyCoder: 'string', valueCoder: 'string' })
    await db.putMany([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
    ])
    const r = db.keys()
    const one = r[Symbol.asyncIterator]()
    const two = r[Symbol.asyncIterator]()
    expect((await one.next()).value).toBe('a')
    expect((await one.next()).value).toBe('b')
    expect((await two.next()).value).toBe('a')
    expect((await one.next()).value).toBe('c')
    expect((await one.next()).done).toBe(true)
    expect((await two.next()).value).toBe('b')
    await two.return?.()
    expect((await two.next()).done).toBe(true)
  })
})

describe('read transaction release', () => {
  it('breaking out of for await releases the read transaction at once', async () => {
    await using env = open(tempDir(), { sync: false })
    const db = env.openDb('brk', { keyCoder: 'uint32', valueCoder: 'uint32' })
    await db.putMany(Array.from({ length: 5000 }, (_, i) => [i, i] as [number, number]))
    await db.get(0) // let the pool make its transaction

    const before = activeReaders(env)
    const numBefore = env.info().numReaders
    let n = 0
    for await (const [k] of db.range()) {
      expect(activeReaders(env)).toBe(before + 1)
      if (++n === 100) {
        expect(k).toBe(99)
        break
      }
    }
    expect(activeReaders(env)).toBe(before)

    // a throw in the loop body releases it too
    await expect(
      (async () => {
        for await (const _ of db.keys({ reverse: true })) {
          expect(activeReaders(env)).toBe(before + 1)
          throw new Error('boom')
        }
      })(),
    ).rejects.toThrow('boom')
    expect(activeReaders(env)).toBe(before)

    // so do running to the end and toArray()
    await db.values({ limit: 10 }).toArray()
    expect(activeReaders(env)).toBe(before)

    // many break-outs in a row reuse the same slots: the reader table does not grow
    for (let i = 0; i < 300; i++) {
      for await (const _ of db.range({ offset: i })) break
    }
    expect(activeReaders(env)).toBe(before)
    expect(env.info().numReaders).toBeLessThanOrEqual(numBefore + 1)
  })

  it('return() on an iterator that never started, or already ended, is harmless', async () => {
    await using env = open(tempDir())
    const db = env.openDb('ret', { keyCoder: 'string', valueCoder: 'string' })
    await db.put('a', 'b')
    const before = activeReaders(env)
    const it = db.range()[Symbol.asyncIterator]()
    expect(await it.return?.()).toEqual({ value: undefined, done: true })
    expect((await it.next()).done).toBe(true)
    const it2 = db.range()[Symbol.asyncIterator]()
    expect((await it2.next()).value).toEqual(['a', 'b'])
    expect((await it2.next()).done).toBe(true)
    expect(await it2.return?.()).toEqual({ value: undefined, done: true })
    expect(activeReaders(env)).toBe(before)
  })
})

describe('misuse', () => {
  it('iterating after the environment is closed rejects with ClosedError (range() itself does not throw)', async () => {
    const env = open(tempDir())
    const db = env.openDb('m', { keyCoder: 'string', valueCoder: 'string' })
    await db.put('a', 'b')
    const made = db.range()
    await env.close()
    await expect(made.toArray()).rejects.toBeInstanceOf(errors.ClosedError)
    let after!: ReturnType<typeof db.range>
    expect(() => {
      after = db.range({ gte: 'a' })
    }).not.toThrow()
    await expect(after.toArray()).rejects.toBeInstanceOf(errors.ClosedError)
    await expect(db.keys().toArray()).rejects.toBeInstanceOf(errors.ClosedError)
    await expect(db.values().toArray()).rejects.toBeInstanceOf(errors.ClosedError)
    await expect(
      (async () => {
        for await (const _ of db.range()) throw new Error('should not yield')
      })(),
    ).rejects.toBeInstanceOf(errors.ClosedError)
  })

  it('closing the environment in the middle of an iteration makes the next step reject with ClosedError', async () => {
    const env = open(tempDir(), { sync: false })
    const db = env.openDb('mid', { keyCoder: 'uint32', valueCoder: 'uint32' })
    await db.putMany(Array.from({ length: 20_000 }, (_, i) => [i, i] as [number, number]))
    const it = db.range()[Symbol.asyncIterator]()
    expect((await it.next()).value).toEqual([0, 0])
    const closing = env.close()
    await expect(it.next()).rejects.toBeInstanceOf(errors.ClosedError)
    await closing
  })

  it('after an environment closes mid-iteration, the iteration never hangs nor yields everything, and close() completes', async () => {
    const env = open(tempDir(), { sync: false })
    const db = env.openDb('mid', { keyCoder: 'uint32', valueCoder: 'uint32' })
    await db.putMany(Array.from({ length: 20_000 }, (_, i) => [i, i] as [number, number]))
    const it = db.range()[Symbol.asyncIterator]()
    await it.next()
    const closing = env.close()
    let yielded = 1
    let failure: unknown
    try {
      for (;;) {
        const step = await it.next()
        if (step.done) break
        yielded++
      }
    } catch (error) {
      failure = error
    }
    await closing
    expect(yielded).toBeLessThan(20_000)
    expect(failure).toBeInstanceOf(errors.ClosedError)
    // once failed, the iterator stays finished
    expect((await it.next()).done).toBe(true)
  })

  it('bad options reject on iteration, not when the range is made', async () => {
    await using env = open(tempDir())
    const db = env.openDb('bad', { keyCoder: 'string', valueCoder: 'string' })
    const ints = env.openDb('badint', { keyCoder: 'uint32', valueCoder: 'string' })
    await db.put('a', 'b')
    await ints.put(1, 'one')

    const make = <T>(f: () => T): T => {
      let r!: T
      expect(() => {
        r = f()
      }).not.toThrow()
      return r
    }
    await expect(make(() => db.range({ limit: -1 })).toArray()).rejects.toBeInstanceOf(RangeError)
    await expect(make(() => db.keys({ offset: 1.5 })).toArray()).rejects.toBeInstanceOf(RangeError)
    await expect(make(() => db.values({ limit: Number.NaN })).toArray()).rejects.toBeInstanceOf(RangeError)
    await expect(make(() => db.range({ offset: -3 })).toArray()).rejects.toBeInstanceOf(RangeError)
    await expect(make(() => db.range({ gt: 42 as unknown as string })).toArray()).rejects.toBeInstanceOf(errors.CoderError)
    await expect(make(() => db.range({ prefix: 42 as unknown as string })).toArray()).rejects.toBeInstanceOf(errors.CoderError)
    await expect(make(() => db.keys({ lte: { a: 1 } as unknown as string })).toArray()).rejects.toBeInstanceOf(errors.CoderError)
    await expect(make(() => ints.range({ gte: 'one' as unknown as number })).toArray()).rejects.toBeInstanceOf(errors.CoderError)
    await expect(make(() => ints.range({ lt: -1 })).toArray()).rejects.toSatisfy(
      (e: unknown) => e instanceof errors.CoderError || e instanceof RangeError,
    )
    await expect(make(() => ints.range({ lt: 2 ** 32 })).toArray()).rejects.toSatisfy(
      (e: unknown) => e instanceof errors.CoderError || e instanceof RangeError,
    )
    // the database is fine afterwards
    expect(await db.range().toArray()).toEqual([['a', 'b']])
    expect(await ints.range().toArray()).toEqual([[1, 'one']])
  })
})

describe('decoding', () => {
  it('a value its coder cannot decode rejects the iteration with CoderError and releases the read transaction; keys() does not decode values', async () => {
    await using env = open(tempDir())
    const db = env.openDb('dec', { keyCoder: 'string', valueCoder: new JSONCoder<number>() })
    const raw = env.openDb('dec')
    await db.putMany(Array.from({ length: 10 }, (_, i) => [`k${i}`, i] as [string, number]))
    await raw.put(b('k5'), b('{not json'))
    const before = activeReaders(env)

    const seen: number[] = []
    await expect(
      (async () => {
        for await (const [, v] of db.range()) seen.push(v)
      })(),
    ).rejects.toBeInstanceOf(errors.CoderError)
    expect(seen).toEqual([0, 1, 2, 3, 4])
    expect(activeReaders(env)).toBe(before)
    await expect(db.values({ reverse: true }).toArray()).rejects.toBeInstanceOf(errors.CoderError)

    // keys only: the bad value is never decoded
    expect(await db.keys().toArray()).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}`))
    expect(await db.range({ lt: 'k5' }).toArray()).toEqual(Array.from({ length: 5 }, (_, i) => [`k${i}`, i]))
  })

  it('an iterator that failed on a bad value is finished: it yields nothing more', async () => {
    await using env = open(tempDir())
    const db = env.openDb('dec', { keyCoder: 'string', valueCoder: new JSONCoder<number>() })
    const raw = env.openDb('dec')
    await db.putMany(Array.from({ length: 10 }, (_, i) => [`k${i}`, i] as [string, number]))
    await raw.put(b('k5'), b('{not json'))
    const it = db.values()[Symbol.asyncIterator]()
    for (let i = 0; i < 5; i++) expect((await it.next()).value).toBe(i)
    await expect(it.next()).rejects.toBeInstanceOf(errors.CoderError)
    expect(await it.next()).toEqual({ value: undefined, done: true })
  })

  it('large values (overflow pages), compressed or not, come back intact', async () => {
    await using env = open(tempDir(), { sync: false })
    const plain = env.openDb('plain', { keyCoder: 'uint32' })
    const packed = env.openDb('packed', { keyCoder: 'uint32', valueCoder: new StringCoder().compressed() })
    const big = (i: number) => Buffer.alloc(150_000 + i * 1000, i % 251)
    await plain.putMany(Array.from({ length: 40 }, (_, i) => [i, big(i)] as [number, Buffer]))
    await packed.putMany(Array.from({ length: 40 }, (_, i) => [i, `${i}:` + 'abc'.repeat(50_000 + i)] as [number, string]))
    const p = await plain.range({ reverse: true }).toArray()
    expect(p.length).toBe(40)
    p.forEach(([k, v], j) => {
      expect(k).toBe(39 - j)
      expect(v.equals(big(39 - j))).toBe(true)
    })
    const c = await packed.values({ gte: 10, lt: 30 }).toArray()
    expect(c).toEqual(Array.from({ length: 20 }, (_, j) => `${10 + j}:` + 'abc'.repeat(50_000 + 10 + j)))
  })
})

describe('dupSort databases', () => {
  it('a range yields every key/value pair in order, duplicates sorted by value, forward and reverse', async () => {
    await using env = open(tempDir())
    const db = env.openDb('d', { dupSort: true, keyCoder: 'string', valueCoder: 'string' })
    const pairs: [string, string][] = [
      ['b', 'z'],
      ['a', '2'],
      ['b', 'a'],
      ['a', '1'],
      ['c', 'only'],
      ['b', 'm'],
      ['a', '10'],
    ]
    for (const [k, v] of pairs) await db.put(k, v)
    const want: [string, string][] = [
      ['a', '1'],
      ['a', '10'],
      ['a', '2'],
      ['b', 'a'],
      ['b', 'm'],
      ['b', 'z'],
      ['c', 'only'],
    ]
    expect(await db.range().toArray()).toEqual(want)
    expect(await db.range({ reverse: true }).toArray()).toEqual([...want].reverse())
    expect(await db.keys().toArray()).toEqual(want.map(([k]) => k))
    expect(await db.values({ reverse: true }).toArray()).toEqual([...want].reverse().map(([, v]) => v))
    // bounds are on keys: every duplicate of a bound key is in or out together
    expect(await db.range({ gt: 'a' }).toArray()).toEqual(want.slice(3))
    expect(await db.range({ gte: 'b', lte: 'b' }).toArray()).toEqual(want.slice(3, 6))
    expect(await db.range({ gte: 'b', lte: 'b', reverse: true }).toArray()).toEqual(want.slice(3, 6).reverse())
    expect(await db.range({ lt: 'c', reverse: true }).toArray()).toEqual(want.slice(0, 6).reverse())
    expect(await db.range({ lte: 'b', reverse: true }).toArray()).toEqual(want.slice(0, 6).reverse())
    expect(await db.range({ gt: 'a', lt: 'c', reverse: true }).toArray()).toEqual(want.slice(3, 6).reverse())
    expect(await db.range({ offset: 2, limit: 3 }).toArray()).toEqual(want.slice(2, 5))
    expect(await db.range({ reverse: true, offset: 2, limit: 3 }).toArray()).toEqual([...want].reverse().slice(2, 5))
    expect(await db.range({ prefix: 'b', reverse: true }).toArray()).toEqual(want.slice(3, 6).reverse())
  })

  it('more than a chunk of duplicates of one key come back complete, forward and reverse', async () => {
    await using env = open(tempDir(), { sync: false })
    const db = env.openDb('d', { dupSort: true, keyCoder: 'string', valueCoder: 'string' })
    const want: [string, string][] = []
    for (let i = 0; i < 5; i++) want.push(['a', `v${pad(i)}`])
    for (let i = 0; i < 1500; i++) want.push(['m', `v${pad(i)}`])
    for (let i = 0; i < 150; i++) want.push(['n', `w${pad(i)}`])
    for (let i = 0; i < 3; i++) want.push(['z', `v${pad(i)}`])
    // inserted shuffled
    const shuffled = want.map((p, i) => [p, (i * 7919) % want.length] as const).sort((x, y) => x[1] - y[1]).map(([p]) => p)
    await db.putMany(shuffled)
    expect(await db.count()).toBe(want.length)

    expect(await db.range().toArray()).toEqual(want)
    expect(await db.range({ reverse: true }).toArray()).toEqual([...want].reverse())
    expect(await db.range({ gte: 'm', lte: 'm' }).toArray()).toEqual(want.slice(5, 1505))
    expect(await db.range({ gte: 'm', lte: 'm', reverse: true }).toArray()).toEqual(want.slice(5, 1505).reverse())
    expect(await db.range({ gt: 'm' }).toArray()).toEqual(want.slice(1505))
    expect(await db.range({ lt: 'n', reverse: true }).toArray()).toEqual(want.slice(0, 1505).reverse())
    expect(await db.range({ offset: 100, limit: 1000, reverse: true }).toArray()).toEqual([...want].reverse().slice(100, 1100))
    const values: string[] = []
    for await (const v of db.values({ prefix: 'n' })) values.push(v)
    expect(values).toEqual(want.slice(1505, 1655).map(([, v]) => v))
  })
})
