import { describe, expect, it } from 'vitest'
import { open, errors, Coder, IdentityCoder } from 'lmdb-napi'
import { b, bytes, tempDir } from './helpers.js'

const MiB = 1024 * 1024

/** Strings as UTF-8, each handed to `hook` before it is encoded (a coder whose own code does something). */
class Hooked extends Coder<string> {
  readonly #hook: (value: string) => void
  constructor(hook: (value: string) => void) {
    super()
    this.#hook = hook
  }
  serialize(value: string): Uint8Array {
    this.#hook(value)
    return Buffer.from(value)
  }
  deserialize(bytes: Buffer): string {
    return bytes.toString()
  }
}

/** `count` entries of `size`-byte values, keys `${prefix}${i}`. */
function entries(prefix: string, count: number, size: number, fill = 7): [Buffer, Buffer][] {
  const value = bytes(size, fill)
  return Array.from({ length: count }, (_, i) => [b(`${prefix}${String(i).padStart(6, '0')}`), value])
}

describe('group commit', () => {
  it('commits 10,000 puts issued at once in far fewer than 10,000 transactions', async () => {
    await using env = open(tempDir())
    const db = env.openDb('gc')
    await db.put(b('warm-up'), b('1'))
    const before = env.info().lastTxnid
    const results = await Promise.all(
      Array.from({ length: 10_000 }, (_, i) => db.put(b(`key${i}`), b(`value${i}`))),
    )
    expect(results).toHaveLength(10_000)
    expect(results.every((r) => r === true)).toBe(true)
    const after = env.info().lastTxnid
    expect(after).toBeGreaterThan(before)
    expect(after - before).toBeLessThan(100)
    expect(await db.count()).toBe(10_001)
    expect(await db.get(b('key0'))).toEqual(b('value0'))
    expect(await db.get(b('key9999'))).toEqual(b('value9999'))
  })

  it('a tick of large values goes out in several parts, committed together, every byte intact', async () => {
    await using env = open(tempDir())
    const db = env.openDb('parts')
    const value = (round: number, i: number) => bytes(1000, (round * 31 + i) & 0xff)
    for (let round = 0; round < 3; round++) {
      // ~1 MB in one tick: several parts, each copied into a pooled buffer
      const before = env.info().lastTxnid
      const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => db.put(b(`k${i}`), value(round, i))))
      expect(results.every((r) => r === true)).toBe(true)
      expect(env.info().lastTxnid - before).toBeLessThanOrEqual(2)
      const got = await db.getMany(Array.from({ length: 1000 }, (_, i) => b(`k${i}`)))
      expect(got.every((v, i) => v?.equals(value(round, i)))).toBe(true)
    }
  })

  it('every write resolves only after it is committed (visible to a new read)', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    const checks = Array.from({ length: 50 }, (_, i) =>
      db.put(b(`k${i}`), b(`v${i}`)).then(async () => {
        expect(db.getSync(b(`k${i}`))).toEqual(b(`v${i}`))
        expect(await db.get(b(`k${i}`))).toEqual(b(`v${i}`))
      }),
    )
    await Promise.all(checks)
  })

  it('mixes puts, deletes, replaces and putManys of one tick with their own results', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    await db.put(b('existing'), b('old'))
    const [p1, d1, d2, r1, m1, pop1, n1] = await Promise.all([
      db.put(b('a'), b('1')),
      db.delete(b('existing')),
      db.delete(b('missing')),
      db.replace(b('a'), b('2')),
      db.putMany([
        [b('x'), b('X')],
        [b('y'), b('Y')],
      ]),
      db.pop(b('x')),
      db.put(b('a'), b('3'), { noOverwrite: true }),
    ])
    expect(p1).toBe(true)
    expect(d1).toBe(true)
    expect(d2).toBe(false)
    expect(r1).toEqual(b('1'))
    expect(m1).toBe(2)
    expect(pop1).toEqual(b('X'))
    expect(n1).toBe(false)
    expect(await db.getMany([b('a'), b('existing'), b('x'), b('y')])).toEqual([b('2'), undefined, undefined, b('Y')])
  })
})

describe('runs of plain puts', () => {
  it('plain puts of one tick to one database share a promise; options, another database, a large value or a dupSort database give one of its own', async () => {
    await using env = open(tempDir())
    const db = env.openDb('r')
    const other = env.openDb('o')
    const dups = env.openDb('d', { dupSort: true })
    const run = [db.put(b('a'), b('1')), db.put(b('b'), b('2'))]
    const flagged = db.put(b('c'), b('3'), { noOverwrite: true })
    const after = db.put(b('d'), b('4'))
    const elsewhere = other.put(b('a'), b('1'))
    const large = db.put(b('e'), bytes(64 * 1024))
    const dupA = dups.put(b('k'), b('1'))
    const dupB = dups.put(b('k'), b('2'))
    expect(run[0]).toBe(run[1])
    expect(new Set([run[0], flagged, after, elsewhere, large]).size).toBe(5)
    expect(dupA).not.toBe(dupB)
    expect(await Promise.all([...run, flagged, after, elsewhere, large, dupA, dupB])).toEqual(Array(8).fill(true))
    expect(await db.getMany([b('a'), b('b'), b('c'), b('d')])).toEqual([b('1'), b('2'), b('3'), b('4')])
    expect(await dups.getDuplicates(b('k'))).toEqual([b('1'), b('2')])
  })

  it('on a dupSort database each put settles alone: a value over maxKeySize() rejects, the puts around it commit', async () => {
    await using env = open(tempDir())
    const dups = env.openDb('d', { dupSort: true })
    const results = await Promise.allSettled([dups.put(b('k'), b('1')), dups.put(b('k'), bytes(env.maxKeySize() + 1)), dups.put(b('k'), b('2'))])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(errors.BadValsizeError)
    expect(await dups.getDuplicates(b('k'))).toEqual([b('1'), b('2')])
  })

  it('a coder that puts while it encodes: both puts, the inner and the outer, store what they were given', async () => {
    await using env = open(tempDir())
    const log = env.openDb('log', { keyCoder: 'string', valueCoder: 'string' })
    // each value encoded after a put of its length to `log` (another database, another run)
    const db = env.openDb('db', { keyCoder: 'string', valueCoder: new Hooked((value) => void log.put(`length of ${value}`, String(value.length))) })
    await Promise.all([db.put('a', 'one'), db.put('b', 'three'), log.put('plain', 'p')])
    expect(db.getSync('a')).toBe('one')
    expect(db.getSync('b')).toBe('three')
    expect(log.rangeSync().toArray()).toEqual([
      ['length of one', '3'],
      ['length of three', '5'],
      ['plain', 'p'],
    ])
  })

  it('puts the map cannot hold reject with their run, whole: each put is stored or rejected, never both', async () => {
    await using env = open(tempDir(), { mapSize: MiB, autoGrow: false, sync: false })
    const db = env.openDb('full')
    const other = env.openDb('other')
    // ~2.4 MB of small values in one tick: parts, each a run, until the map is full
    const issued = entries('k', 300, 8 * 1024).map(([key, value]) => ({ key, sent: db.put(key, value) }))
    const small = other.put(b('small'), b('s'))
    const settled = await Promise.allSettled(issued.map(({ sent }) => sent))
    expect(await small).toBe(true)
    const stored = await db.getMany(issued.map(({ key }) => key))
    const rejected = settled.filter((r) => r.status === 'rejected')
    expect(rejected.length).toBeGreaterThan(0)
    expect(rejected.length).toBeLessThan(issued.length)
    for (const r of rejected) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(errors.MapFullError)
    settled.forEach((r, i) => expect(stored[i] !== undefined).toBe(r.status === 'fulfilled'))
    // puts sharing a promise share its outcome: runs are whole
    expect(new Set(issued.map(({ sent }) => sent)).size).toBeLessThan(issued.length / 10)
  })
})

describe('write order', () => {
  it('writes issued without awaiting take effect in issue order (same tick)', async () => {
    await using env = open(tempDir(), { sync: false })
    const db = env.openDb('o', { keyCoder: 'string', valueCoder: 'string' })
    const p1 = db.put('k', '1')
    const p2 = db.put('k', '2')
    const p3 = db.delete('k')
    const p4 = db.put('k', '3')
    expect(await Promise.all([p1, p2, p3, p4])).toEqual([true, true, true, true])
    expect(await db.get('k')).toBe('3')
  })

  it('put then delete in the same tick leaves the key absent', async () => {
    await using env = open(tempDir(), { sync: false })
    const db = env.openDb('o', { keyCoder: 'string', valueCoder: 'string' })
    const p1 = db.put('k', '1')
    const p2 = db.delete('k')
    expect(await Promise.all([p1, p2])).toEqual([true, true])
    expect(await db.has('k')).toBe(false)
  })

  it('keeps issue order across ticks, batches and kinds of write', async () => {
    await using env = open(tempDir(), { sync: false })
    const db = env.openDb('o', { keyCoder: 'string', valueCoder: 'string' })
    const pending: Promise<unknown>[] = []
    pending.push(db.put('k', '1'))
    await Promise.resolve()
    pending.push(db.putMany([['k', '2'], ['j', 'x']]))
    await new Promise((r) => setImmediate(r))
    pending.push(db.delete('k'))
    pending.push(db.replace('k', '4'))
    await Promise.resolve()
    pending.push(db.put('k', '5'))
    const results = await Promise.all(pending)
    expect(results).toEqual([true, 2, true, undefined, true])
    expect(await db.get('k')).toBe('5')
  })

  it('a putMany fed by an async iterable keeps its place in issue order', async () => {
    await using env = open(tempDir(), { sync: false })
    const db = env.openDb('o', { keyCoder: 'string', valueCoder: 'string' })
    async function* one(): AsyncGenerator<[string, string]> {
      await new Promise((r) => setTimeout(r, 5))
      yield ['k', 'from putMany']
    }
    // issued first: putMany; issued second, without awaiting: put and delete
    const many = db.putMany(one())
    const put = db.put('k', 'from put')
    const many2 = db.putMany(one())
    const del = db.delete('k')
    expect(await Promise.all([many, put, many2])).toEqual([1, true, 1])
    expect(await del).toBe(true)
    expect(await db.has('k')).toBe(false)
  })

  it('the last of many overlapping writes to one key wins', async () => {
    await using env = open(tempDir(), { sync: false })
    const db = env.openDb('o', { keyCoder: 'string', valueCoder: 'string' })
    const pending: Promise<unknown>[] = []
    for (let i = 0; i < 500; i++) {
      pending.push(db.put('k', String(i)))
      if (i % 97 === 0) await Promise.resolve()
      if (i % 211 === 0) await new Promise((r) => setImmediate(r))
    }
    await Promise.all(pending)
    expect(await db.get('k')).toBe('499')
  })
})

describe('a bad write rejects alone', () => {
  it('an empty key and a wrong value type reject while the others of the tick commit', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    const results = await Promise.allSettled([
      db.put(b('a'), b('1')),
      db.put(b(''), b('empty key')),
      db.put(b('b'), b('2')),
      db.put(b('c'), 'a string' as unknown as Buffer),
      db.put(b('d'), 4 as unknown as Buffer),
      db.put(b('e'), b('5')),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'rejected', 'fulfilled'])
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(errors.BadValsizeError)
    expect((results[3] as PromiseRejectedResult).reason).toBeInstanceOf(errors.CoderError)
    expect((results[4] as PromiseRejectedResult).reason).toBeInstanceOf(errors.CoderError)
    expect(await db.getMany([b('a'), b('b'), b('c'), b('d'), b('e')])).toEqual([b('1'), b('2'), undefined, undefined, b('5')])
    expect(await db.count()).toBe(3)
  })

  it('a write that LMDB refuses (out-of-order append) rejects alone; the others of its group commit', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    await db.put(b('m'), b('0'))
    const results = await Promise.allSettled([
      db.put(b('a'), b('1')),
      db.put(b('b'), b('2'), { append: true }), // 'b' < 'm': refused
      db.putMany([
        [b('x'), b('3')],
        [b('c'), b('4')], // refused, so the whole putMany is undone
      ], { append: true }),
      db.put(b('z'), b('5')),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled'])
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(errors.KeyExistsError)
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(errors.KeyExistsError)
    expect(await db.getMany([b('a'), b('b'), b('x'), b('c'), b('z'), b('m')])).toEqual([
      b('1'),
      undefined,
      undefined,
      undefined,
      b('5'),
      b('0'),
    ])
  })

  it('a write to a deleted database rejects alone', async () => {
    await using env = open(tempDir())
    const doomed = env.openDb('doomed')
    const fine = env.openDb('fine')
    await doomed.put(b('k'), b('v'))
    await doomed.drop({ delete: true })
    const results = await Promise.allSettled([fine.put(b('a'), b('1')), doomed.put(b('k'), b('v')), fine.put(b('b'), b('2'))])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(errors.BadDbiError)
    expect(await fine.count()).toBe(2)
  })
})

describe('map size', () => {
  it('autoGrow: a 1 MiB map takes ~100 MB of writes', async () => {
    await using env = open(tempDir(), { mapSize: MiB, sync: false })
    expect(env.info().mapSize).toBe(MiB)
    const db = env.defaultDb
    const value = bytes(10 * 1024, 3)
    const writes: Promise<number>[] = []
    for (let call = 0; call < 100; call++) {
      writes.push(
        db.putMany(Array.from({ length: 100 }, (_, i) => [b(`c${String(call).padStart(3, '0')}-${String(i).padStart(3, '0')}`), value])),
      )
    }
    const counts = await Promise.all(writes)
    expect(counts.every((n) => n === 100)).toBe(true)
    expect(await db.count()).toBe(10_000)
    const grown = env.info().mapSize
    expect(grown).toBeGreaterThan(100 * 1024 * 1024)
    const sample = await db.get(b('c099-099'))
    expect(sample?.equals(value)).toBe(true)
  }, 30_000)

  it('autoGrow also grows for a single put larger than the map', async () => {
    await using env = open(tempDir(), { mapSize: MiB, sync: false })
    const big = bytes(3 * MiB, 9)
    expect(await env.defaultDb.put(b('big'), big)).toBe(true)
    expect(env.info().mapSize).toBeGreaterThan(3 * MiB)
    expect((await env.defaultDb.get(b('big')))?.equals(big)).toBe(true)
  })

  it('autoGrow: false rejects a write that does not fit with MapFullError; nothing of it is visible', async () => {
    await using env = open(tempDir(), { mapSize: MiB, autoGrow: false, sync: false })
    const db = env.defaultDb
    await db.put(b('before'), b('1'))
    const err = await db.putMany(entries('big', 200, 10 * 1024)).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(errors.MapFullError)
    expect(err).toBeInstanceOf(errors.LmdbError)
    expect((err as InstanceType<typeof errors.MapFullError>).code).toBe('MDB_MAP_FULL')
    expect((err as InstanceType<typeof errors.MapFullError>).errno).toBe(-30792)
    expect(env.info().mapSize).toBe(MiB)
    expect(await db.count()).toBe(1)
    expect(await db.get(b('big000000'))).toBeUndefined()
    expect(await db.get(b('before'))).toEqual(b('1'))
    // the environment is still usable
    expect(await db.put(b('after'), b('2'))).toBe(true)
    expect(await db.get(b('after'))).toEqual(b('2'))
    expect(await db.count()).toBe(2)
  })

  it('autoGrow: false rejects an oversized put with MapFullError alone: a small put of the same tick commits', async () => {
    await using env = open(tempDir(), { mapSize: MiB, autoGrow: false, sync: false })
    const db = env.defaultDb
    const results = await Promise.allSettled([db.put(b('huge'), bytes(2 * MiB)), db.put(b('small'), b('s'))])
    expect(results[0].status).toBe('rejected')
    expect((results[0] as PromiseRejectedResult).reason).toBeInstanceOf(errors.MapFullError)
    expect(results[1]).toEqual({ status: 'fulfilled', value: true })
    expect(await db.has(b('huge'))).toBe(false)
    expect(await db.get(b('small'))).toEqual(b('s'))
    expect(await db.put(b('later'), b('l'))).toBe(true)
    expect(await db.get(b('later'))).toEqual(b('l'))
  })

  it('maxMapSize caps growth: a write beyond the cap rejects with MapFullError', async () => {
    await using env = open(tempDir(), { mapSize: MiB, maxMapSize: 4 * MiB, sync: false })
    const db = env.defaultDb
    // fits after growing within the cap
    expect(await db.putMany(entries('fit', 100, 10 * 1024))).toBe(100)
    expect(env.info().mapSize).toBeGreaterThan(MiB)
    expect(env.info().mapSize).toBeLessThanOrEqual(4 * MiB)
    // does not fit under the cap
    await expect(db.putMany(entries('over', 800, 10 * 1024))).rejects.toBeInstanceOf(errors.MapFullError)
    expect(env.info().mapSize).toBeLessThanOrEqual(4 * MiB)
    expect(await db.get(b('over000000'))).toBeUndefined()
    expect(await db.count()).toBe(100)
    expect(await db.put(b('small'), b('ok'))).toBe(true)
    expect(await db.count()).toBe(101)
  })

  it('setMapSize grows the map and the environment keeps working', async () => {
    await using env = open(tempDir(), { mapSize: MiB, autoGrow: false, sync: false })
    await expect(env.defaultDb.putMany(entries('x', 200, 10 * 1024))).rejects.toBeInstanceOf(errors.MapFullError)
    await env.setMapSize(16 * MiB)
    expect(env.info().mapSize).toBe(16 * MiB)
    expect(await env.defaultDb.putMany(entries('x', 200, 10 * 1024))).toBe(200)
  })
})

describe('durability', () => {
  it('data survives close and reopen', async () => {
    const dir = tempDir()
    {
      await using env = open(dir)
      const db = env.openDb('keep', { keyCoder: 'string', valueCoder: 'string' })
      await db.putMany([
        ['a', '1'],
        ['b', '2'],
      ])
      await env.defaultDb.put(b('main'), b('m'))
      await db.delete('b')
    }
    await using env = open(dir)
    const db = env.openDb('keep', { keyCoder: 'string', valueCoder: 'string' })
    expect(await db.get('a')).toBe('1')
    expect(await db.has('b')).toBe(false)
    expect(await env.defaultDb.get(b('main'))).toEqual(b('m'))
  })

  it('writes not awaited before close still land', async () => {
    const dir = tempDir()
    {
      const env = open(dir)
      const db = env.defaultDb
      const writes = Array.from({ length: 100 }, (_, i) => db.put(b(`k${i}`), b(`v${i}`)))
      await env.close()
      expect(await Promise.all(writes)).toEqual(Array(100).fill(true))
    }
    await using env = open(dir)
    expect(await env.defaultDb.count()).toBe(100)
    expect(await env.defaultDb.get(b('k42'))).toEqual(b('v42'))
  })

  it('a sync: false environment reads its writes, and they survive a clean close', async () => {
    const dir = tempDir()
    {
      await using env = open(dir, { sync: false })
      expect(env.flags().sync).toBe(false)
      const db = env.defaultDb
      expect(await db.put(b('k'), b('v'))).toBe(true)
      expect(await db.get(b('k'))).toEqual(b('v'))
      expect(db.getSync(b('k'))).toEqual(b('v'))
      expect(await db.putMany(entries('n', 10, 10))).toBe(10)
      expect(await db.count()).toBe(11)
      await env.sync(true)
    }
    await using env = open(dir)
    expect(await env.defaultDb.get(b('k'))).toEqual(b('v'))
    expect(await env.defaultDb.count()).toBe(11)
  })
})

describe('a large putMany goes in parts, still all or nothing', () => {
  /** `count` entries `k000000…` → `v…` (20,000 of them are several parts). */
  const many = (count: number, value = (i: number) => `v${i}`) => Array.from({ length: count }, (_, i) => [`k${String(i).padStart(6, '0')}`, value(i)] as [string, string])
  const strings = { keyCoder: 'string', valueCoder: 'string' } as const

  it('stores every entry and counts them; what is issued before and after it in the tick lands in order', async () => {
    await using env = open(tempDir())
    const db = env.openDb('m', strings)
    await db.putMany(many(5_000).map(([k]) => [k, 'old']))
    const before = db.put('k000000', 'before')
    const stored = db.putMany(many(20_000), { noOverwrite: true })
    const after = db.put('k019999', 'after')
    expect(await Promise.all([before, stored, after])).toEqual([true, 15_000, true])
    expect(db.getSync('k000000')).toBe('before')
    expect(db.getSync('k004999')).toBe('old')
    expect(db.getSync('k005000')).toBe('v5000')
    expect(db.getSync('k019999')).toBe('after')
    expect(await db.count()).toBe(20_000)
  })

  it('a part that LMDB refuses (a dupSort value over maxKeySize near the end) leaves nothing of it', async () => {
    await using env = open(tempDir())
    const db = env.openDb('m', { ...strings, dupSort: true })
    const entries = many(20_000)
    entries[19_000][1] = 'x'.repeat(env.maxKeySize() + 1)
    const failed = await db.putMany(entries).catch((e: unknown) => e)
    expect(failed).toBeInstanceOf(errors.BadValsizeError)
    expect(await db.count()).toBe(0)
    // the writer goes on
    expect(await db.putMany(many(20_000), { append: true })).toBe(20_000)
  })

  it('an entry its coder cannot encode, after parts went out, leaves nothing of it', async () => {
    await using env = open(tempDir())
    const picky = new Hooked((value) => {
      if (value === 'v15000') throw new Error('not this one')
    })
    const db = env.openDb('m', { keyCoder: 'string', valueCoder: picky })
    const failed = await db.putMany(many(20_000)).catch((e: unknown) => e)
    expect(failed).toBeInstanceOf(errors.CoderError)
    expect(await db.count()).toBe(0)
    expect(await db.putMany(many(20_000, (i) => `w${i}`))).toBe(20_000)
  })

  it('a coder that opens a transactionSync meanwhile gets BadTxnError, not a wait for ever', async () => {
    await using env = open(tempDir())
    const other = env.openDb('other', strings)
    const syncing = new Hooked((value) => {
      if (value === 'v12000') env.transactionSync((txn) => txn.put(other, 'x', 'y'))
    })
    const db = env.openDb('m', { keyCoder: 'string', valueCoder: syncing })
    const failed = await db.putMany(many(20_000)).catch((e: unknown) => e)
    expect(failed).toBeInstanceOf(errors.CoderError)
    expect((failed as Error).cause).toBeInstanceOf(errors.BadTxnError)
    expect(await db.count()).toBe(0)
    // outside a putMany's coder it is allowed as ever
    env.transactionSync((txn) => txn.put(other, 'x', 'y'))
    expect(other.getSync('x')).toBe('y')
  })

  it('a coder that sends a large putMany of its own, then opens a transactionSync: both wait for nothing', async () => {
    await using env = open(tempDir())
    const other = env.openDb('other', strings)
    let inner: Promise<number> | undefined
    const nesting = new Hooked((value) => {
      if (value === 'v12000') inner = other.putMany(many(10_000))
      if (value === 'v13000') env.transactionSync((txn) => txn.put(other, 'x', 'y'))
    })
    const db = env.openDb('m', { keyCoder: 'string', valueCoder: nesting })
    const failed = await db.putMany(many(20_000)).catch((e: unknown) => e)
    expect((failed as Error).cause).toBeInstanceOf(errors.BadTxnError)
    expect(await inner).toBe(10_000)
    expect(await db.count()).toBe(0)
    expect(await other.count()).toBe(10_000)
  })

  it('a map too small for it: MapFullError, nothing of it stored, and the map takes smaller writes after', async () => {
    await using env = open(tempDir(), { mapSize: MiB, autoGrow: false })
    const db = env.openDb('m', strings)
    const failed = await db.putMany(many(40_000, (i) => `value ${i} `.repeat(4))).catch((e: unknown) => e)
    expect(failed).toBeInstanceOf(errors.MapFullError)
    expect(await db.count()).toBe(0)
    expect(await db.putMany(many(10))).toBe(10)
  })
})

describe('a large tick of writes', () => {
  const N = 20_000 // ~3 MB of operations in one batch
  const key = (i: number) => Buffer.from(`k${String((i * 7919) % N).padStart(6, '0')}`)
  const value = (i: number) => Buffer.alloc(120, i & 0xff)

  it('commits every write with its own result, and a failing one rejects alone', async () => {
    await using env = open(tempDir())
    const db = env.openDb('big')
    await db.put(b('z-last'), b('x'))
    const puts = Array.from({ length: N }, (_, i) => db.put(key(i), value(i)))
    // in the middle of the tick: an append below the last key fails natively
    const bad = db.put(b('a-first'), b('x'), { append: true })
    const more = Array.from({ length: 10 }, (_, i) => db.put(b(`more${i}`), b(`${i}`)))
    await expect(bad).rejects.toThrow(errors.KeyExistsError)
    expect(await Promise.all([...puts, ...more])).toEqual(new Array(N + 10).fill(true))
    expect(await db.count()).toBe(N + 11)
    expect(await db.get(key(12_345))).toEqual(value(12_345))
    expect(await db.get(b('a-first'))).toBeUndefined()
  })

  it('a database opened and a resize asked for in the same tick work alongside its writes', async () => {
    await using env = open(tempDir())
    const db = env.openDb('big')
    const puts = Array.from({ length: N }, (_, i) => db.put(key(i), value(i)))
    const other = env.openDb('opened-mid-tick') // created by the writer thread
    const grown = env.setMapSize(64 * 1024 * 1024)
    const after = other.put(b('k'), b('v'))
    await grown
    expect(await Promise.all(puts)).toEqual(new Array(N).fill(true))
    expect(await after).toBe(true)
    expect(env.info().mapSize).toBeGreaterThanOrEqual(64 * 1024 * 1024)
  })

  it('keeps the order of writes: what is issued after it lands after it', async () => {
    await using env = open(tempDir())
    const db = env.openDb('big')
    const puts = Array.from({ length: N }, (_, i) => db.put(key(i), value(i)))
    const txn = env.transaction((t) => t.put(db, key(5), b('from the transaction')))
    await Promise.all([...puts, txn])
    expect(await db.get(key(5))).toEqual(b('from the transaction'))
  })

  it('compressed values written in a large tick read back whole', async () => {
    await using env = open(tempDir())
    const db = env.openDb('big')
    const packed = env.openDb('packed', { valueCoder: new IdentityCoder().compressed({ algorithm: 'zstd' }) })
    const puts = Array.from({ length: N }, (_, i) => db.put(key(i), value(i)))
    const text = Buffer.from('compressible '.repeat(100))
    const many = packed.putMany(Array.from({ length: 50 }, (_, i) => [b(`p${i}`), text] as [Buffer, Buffer]))
    await Promise.all([...puts, many])
    expect(await packed.get(b('p49'))).toEqual(text)
  })
})
