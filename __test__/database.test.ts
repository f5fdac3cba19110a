import { describe, expect, it } from 'vitest'
import { open, errors, IdentityCoder, StringCoder, TextCoder, type Environment } from 'lmdb-napi'
import { activeReaders, b, bytes, tempDir } from './helpers.js'

describe('Database basics', () => {
  it('puts and gets binary values in the default database', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    expect(await db.put(b('k'), b('v'))).toBe(true)
    expect(await db.get(b('k'))).toEqual(b('v'))
    expect(await db.get(b('missing'))).toBeUndefined()
    expect(await db.get(b('missing'), 'fallback')).toBe('fallback')
    expect(db.getSync(b('k'))).toEqual(b('v'))
    expect(await db.has(b('k'))).toBe(true)
    expect(db.hasSync(b('nope'))).toBe(false)
  })

  it('rejects an empty key without writing', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    await expect(db.put(b(''), b('v'))).rejects.toBeInstanceOf(errors.BadValsizeError)
    expect(env.stat().entries).toBe(0)
  })
})

describe('get', () => {
  it('returns Buffers with the stored bytes, and undefined when absent', async () => {
    await using env = open(tempDir())
    const db = env.openDb('g')
    const value = Buffer.from([0, 1, 2, 255, 0])
    await db.put(b('k'), value)
    const got = await db.get(b('k'))
    expect(Buffer.isBuffer(got)).toBe(true)
    expect(got).toEqual(value)
    expect(await db.get(b('K'))).toBeUndefined()
  })

  it('many reads issued at once (several native reads) each settle with their own answer', async () => {
    await using env = open(tempDir(), { sync: false })
    const db = env.openDb('g', { keyCoder: 'uint32', valueCoder: 'uint32' })
    await db.putMany(Array.from({ length: 10_000 }, (_, i) => [2 * i, i] as [number, number]))
    // gets, has and small getManys interleaved, more than one piece of 4,096
    const asked = Array.from({ length: 15_000 }, (_, i) => (i * 7919) % 20_000)
    const gets = asked.map((k) => db.get(k, -1))
    const hits = asked.map((k) => db.has(k))
    const manys = asked.slice(0, 3_000).map((k) => db.getMany([k, k + 1]))
    const want = (k: number) => (k % 2 === 0 ? k / 2 : -1)
    const settled: number[] = []
    gets.forEach((get, i) => void get.then(() => settled.push(i)))
    expect(await Promise.all(gets)).toEqual(asked.map(want))
    expect(settled).toEqual(asked.map((_, i) => i)) // in the order issued, whichever batch came back first
    expect(await Promise.all(hits)).toEqual(asked.map((k) => k % 2 === 0))
    expect(await Promise.all(manys)).toEqual(asked.slice(0, 3_000).map((k) => [k, k + 1].map((x) => (x % 2 === 0 && x < 20_000 ? x / 2 : undefined))))
  })

  it('returns the default value only when the key is absent', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    await db.put(b('here'), b('value'))
    expect(await db.get(b('here'), 'dflt')).toEqual(b('value'))
    expect(await db.get(b('gone'), 'dflt')).toBe('dflt')
    expect(await db.get(b('gone'), null)).toBeNull()
    expect(await db.get(b('gone'), 0)).toBe(0)
    const sentinel = { s: 1 }
    expect(await db.get(b('gone'), sentinel)).toBe(sentinel)
  })

  it('accepts any Uint8Array as key and value', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    await db.put(new Uint8Array([1, 2, 3]) as Buffer, new Uint8Array([9, 8]) as Buffer)
    expect(await db.get(Buffer.from([1, 2, 3]))).toEqual(Buffer.from([9, 8]))
  })

  it('stores an empty value (only keys must be non-empty)', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    expect(await db.put(b('k'), b(''))).toBe(true)
    expect(await db.get(b('k'))).toEqual(b(''))
    expect(await db.has(b('k'))).toBe(true)
  })

  it('reads a large value (overflow pages) intact', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    const big = Buffer.alloc(300_000)
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff
    await db.put(b('big'), big)
    expect((await db.get(b('big')))!.equals(big)).toBe(true)
    expect(db.getSync(b('big'))!.equals(big)).toBe(true)
  })

  it('resolves many concurrent gets with their own values', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    await db.putMany(Array.from({ length: 200 }, (_, i) => [b(`k${i}`), b(`v${i}`)] as [Buffer, Buffer]))
    const got = await Promise.all(Array.from({ length: 250 }, (_, i) => db.get(b(`k${i}`))))
    got.forEach((v, i) => {
      if (i < 200) expect(v).toEqual(b(`v${i}`))
      else expect(v).toBeUndefined()
    })
  })

  it('returned values are the caller\'s to keep (not overwritten by later reads)', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    await db.put(b('a'), b('AAAA'))
    await db.put(b('b'), b('BBBB'))
    const first = await db.get(b('a'))
    const second = await db.get(b('b'))
    const again = db.getSync(b('b'))
    expect(first).toEqual(b('AAAA'))
    expect(second).toEqual(b('BBBB'))
    expect(again).toEqual(b('BBBB'))
    await db.put(b('a'), b('ZZZZ'))
    expect(first).toEqual(b('AAAA'))
  })
})

/** Waits (up to 5 s) until `env` has `count` read transactions in use. */
async function readersBackTo(env: Environment, count: number): Promise<void> {
  for (let i = 0; i < 500 && activeReaders(env) !== count; i++) await new Promise((r) => setTimeout(r, 10))
  expect(activeReaders(env)).toBe(count)
}

describe('getMany', () => {
  it('returns values in input order with undefined where absent', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    await db.putMany([
      [b('a'), b('1')],
      [b('c'), b('3')],
      [b('e'), b('5')],
    ])
    expect(await db.getMany([b('e'), b('b'), b('a'), b('c'), b('zz'), b('a')])).toEqual([
      b('5'),
      undefined,
      b('1'),
      b('3'),
      undefined,
      b('1'),
    ])
    expect(await db.getMany([])).toEqual([])
  })

  it('accepts any iterable of keys', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    await db.put(b('x'), b('X'))
    await db.put(b('y'), b('Y'))
    function* keys() {
      yield b('y')
      yield b('nope')
      yield b('x')
    }
    expect(await db.getMany(keys())).toEqual([b('Y'), undefined, b('X')])
    expect(await db.getMany(new Set([b('x')]))).toEqual([b('X')])
  })

  it('reads one snapshot: never sees half of an atomic write', async () => {
    await using env = open(tempDir(), { sync: false })
    const db = env.defaultDb
    const keys = Array.from({ length: 20 }, (_, i) => b(`key${i}`))
    await db.putMany(keys.map((k) => [k, b('0')] as [Buffer, Buffer]))
    const seen: string[][] = []
    const writes: Promise<number>[] = []
    const reads: Promise<void>[] = []
    for (let round = 1; round <= 150; round++) {
      writes.push(db.putMany(keys.map((k) => [k, b(String(round))] as [Buffer, Buffer])))
      reads.push(db.getMany(keys).then((vals) => void seen.push(vals.map((v) => v!.toString()))))
      // let the writer and the reader pool interleave
      if (round % 10 === 0) await new Promise((r) => setImmediate(r))
    }
    await Promise.all([...writes, ...reads])
    expect(seen).toHaveLength(150)
    for (const vals of seen) expect(new Set(vals).size).toBe(1)
  })

  describe('of more keys than one native read takes (a pipeline over one snapshot)', () => {
    const N = 30_000 // several pieces of 4,096
    const key = (i: number) => `k${String(i).padStart(6, '0')}`

    it('returns every value in input order, undefined where absent, through coders', async () => {
      await using env = open(tempDir(), { sync: false })
      const db = env.openDb('many', { keyCoder: 'string', valueCoder: 'json' })
      await db.putMany(Array.from({ length: N }, (_, i) => [key(i), { i }] as [string, { i: number }]))
      // shuffled, with absent keys and repeats spread through every piece
      const asked = Array.from({ length: N + 5_000 }, (_, j) => (j % 7 === 3 ? `absent${j}` : key((j * 7919) % N)))
      const got = await db.getMany(asked)
      expect(got).toHaveLength(asked.length)
      asked.forEach((k, j) => expect(got[j], k).toEqual(k.startsWith('absent') ? undefined : { i: Number(k.slice(1)) }))
      expect(await db.getMany(new Set(asked.slice(0, 9_000)))).toEqual(got.slice(0, 9_000))
    })

    it('reads the snapshot of the call, whatever commits while it runs', async () => {
      await using env = open(tempDir(), { sync: false })
      const db = env.openDb('many', { keyCoder: 'string', valueCoder: 'string' })
      const keys = Array.from({ length: N }, (_, i) => key(i))
      await db.putMany(keys.map((k) => [k, 'old'] as [string, string]))
      for (let round = 0; round < 3; round++) {
        const reading = db.getMany(keys)
        // commits as the read goes on: the last keys are read well after this lands
        const writes = [db.put(keys[N - 1], 'new'), db.put(keys[N >> 1], 'new'), db.put(keys[0], 'new')]
        const got = await reading
        await Promise.all(writes)
        expect(got.filter((v) => v !== 'old')).toEqual([])
        await db.putMany([keys[0], keys[N >> 1], keys[N - 1]].map((k) => [k, 'old'] as [string, string]))
      }
    })

    it('rejects for a bad key in a later piece, and gives its reader slot back', async () => {
      await using env = open(tempDir())
      const db = env.openDb('many', { keyCoder: 'string' })
      await db.put('a', b('A'))
      const before = activeReaders(env)
      const keys = Array.from({ length: N }, (_, i) => (i === N - 10 ? '' : 'a'))
      await expect(db.getMany(keys)).rejects.toBeInstanceOf(errors.BadValsizeError)
      const wrongType = [...Array<string>(N).fill('a'), 42 as unknown as string]
      await expect(db.getMany(wrongType)).rejects.toBeInstanceOf(errors.CoderError)
      // the piece read while the bad one was packed still holds the snapshot until it is done
      await readersBackTo(env, before)
      expect((await db.getMany(Array<string>(N).fill('a'))).every((v) => v!.equals(b('A')))).toBe(true)
      await readersBackTo(env, before)
    })

    it('rejects with ClosedError when the environment closes mid-way', async () => {
      const env = open(tempDir(), { sync: false })
      const db = env.openDb('many', { keyCoder: 'string' })
      await db.putMany(Array.from({ length: N }, (_, i) => [key(i), b('v')] as [string, Buffer]))
      const reading = db.getMany(Array.from({ length: N }, (_, i) => key(i)))
      const closing = env.close()
      await expect(reading).rejects.toBeInstanceOf(errors.ClosedError)
      await closing
    })

    it('in a snapshot, reads that snapshot', async () => {
      await using env = open(tempDir(), { sync: false })
      const db = env.openDb('many', { keyCoder: 'string', valueCoder: 'string' })
      const keys = Array.from({ length: N }, (_, i) => key(i))
      await db.putMany(keys.map((k) => [k, 'before'] as [string, string]))
      using snap = env.snapshot()
      await db.putMany(keys.map((k) => [k, 'after'] as [string, string]))
      expect(new Set(await snap.getMany(db, keys))).toEqual(new Set(['before']))
      expect(new Set(await db.getMany(keys))).toEqual(new Set(['after']))
    })
  })

  it('getManySync returns the same as getMany', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    await db.put(b('a'), b('1'))
    await db.put(b('b'), b('2'))
    const keys = [b('b'), b('q'), b('a')]
    expect(db.getManySync(keys)).toEqual([b('2'), undefined, b('1')])
    expect(db.getManySync(keys)).toEqual(await db.getMany(keys))
    expect(db.getManySync([])).toEqual([])
  })
  it('keeps values from large reads intact while later reads reuse the memory of others', async () => {
    // large batches and range chunks fill buffers given back by earlier ones
    await using env = open(tempDir(), { sync: false })
    const db = env.defaultDb
    const keys = Array.from({ length: 10_000 }, (_, i) => b(`k${String(i).padStart(6, '0')}`))
    const value = (i: number) => Buffer.alloc(100, i % 251)
    await db.putMany(keys.map((k, i) => [k, value(i)]))
    const kept = await db.getMany(keys.slice(0, 4096))
    const scanned: Buffer[] = []
    await db.range().forEach(([, v]) => void scanned.push(v))
    const keptFromScan = scanned.filter((_, i) => i % 97 === 0)
    for (let round = 0; round < 4; round++) {
      await db.putMany(keys.map((k, i) => [k, value(i + round + 1)]))
      await db.getMany(keys)
      await db.range().forEach(() => undefined)
      await new Promise(setImmediate) // where the finalizers of dropped buffers run
    }
    kept.forEach((v, i) => expect(v).toEqual(value(i)))
    keptFromScan.forEach((v, j) => expect(v).toEqual(value(j * 97)))
  })
})

describe('has', () => {
  it('tells present from absent keys, async and sync', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    expect(await db.has(b('k'))).toBe(false)
    expect(db.hasSync(b('k'))).toBe(false)
    await db.put(b('k'), b(''))
    expect(await db.has(b('k'))).toBe(true)
    expect(db.hasSync(b('k'))).toBe(true)
    await db.delete(b('k'))
    expect(await db.has(b('k'))).toBe(false)
    expect(db.hasSync(b('k'))).toBe(false)
  })
})

describe('put', () => {
  it('overwrites by default and resolves true', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    expect(await db.put(b('k'), b('one'))).toBe(true)
    expect(await db.put(b('k'), b('two'))).toBe(true)
    expect(await db.get(b('k'))).toEqual(b('two'))
    expect(await db.count()).toBe(1)
  })

  it('noOverwrite resolves false and keeps the old value', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    expect(await db.put(b('k'), b('old'), { noOverwrite: true })).toBe(true)
    expect(await db.put(b('k'), b('new'), { noOverwrite: true })).toBe(false)
    expect(await db.get(b('k'))).toEqual(b('old'))
    expect(await db.put(b('k'), b('new'), { noOverwrite: false })).toBe(true)
    expect(await db.get(b('k'))).toEqual(b('new'))
  })

  it('noOverwrite in the same tick: the first put wins, the second resolves false', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    const [first, second] = await Promise.all([
      db.put(b('k'), b('first'), { noOverwrite: true }),
      db.put(b('k'), b('second'), { noOverwrite: true }),
    ])
    expect(first).toBe(true)
    expect(second).toBe(false)
    expect(await db.get(b('k'))).toEqual(b('first'))
  })

  it('append accepts keys in increasing order', async () => {
    await using env = open(tempDir())
    const db = env.openDb('log')
    for (const k of ['a', 'b', 'c', 'd']) expect(await db.put(b(k), b(k.toUpperCase()), { append: true })).toBe(true)
    expect(await db.getMany(['a', 'b', 'c', 'd'].map(b))).toEqual(['A', 'B', 'C', 'D'].map(b))
    expect(await db.count()).toBe(4)
  })

  it('append with an out-of-order key rejects with KeyExistsError and writes nothing', async () => {
    await using env = open(tempDir())
    const db = env.openDb('log')
    await db.put(b('m'), b('1'), { append: true })
    const err = await db.put(b('c'), b('2'), { append: true }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(errors.KeyExistsError)
    expect(err).toBeInstanceOf(errors.LmdbError)
    expect((err as InstanceType<typeof errors.KeyExistsError>).code).toBe('MDB_KEYEXIST')
    expect((err as InstanceType<typeof errors.KeyExistsError>).errno).toBe(-30799)
    expect(await db.get(b('c'))).toBeUndefined()
    expect(await db.get(b('m'))).toEqual(b('1'))
    expect(await db.count()).toBe(1)
    // the database keeps working
    expect(await db.put(b('z'), b('3'), { append: true })).toBe(true)
    expect(await db.count()).toBe(2)
  })
})

describe('putMany', () => {
  it('writes a sync iterable (array) and returns the count', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    const n = await db.putMany([
      [b('a'), b('1')],
      [b('b'), b('2')],
      [b('c'), b('3')],
    ])
    expect(n).toBe(3)
    expect(await db.getMany([b('a'), b('b'), b('c')])).toEqual([b('1'), b('2'), b('3')])
  })

  it('writes a generator', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    function* gen(): Generator<[Buffer, Buffer]> {
      for (let i = 0; i < 50; i++) yield [b(`g${i}`), b(`v${i}`)]
    }
    expect(await db.putMany(gen())).toBe(50)
    expect(await db.count()).toBe(50)
    expect(await db.get(b('g49'))).toEqual(b('v49'))
  })

  it('writes an async generator', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    async function* gen(): AsyncGenerator<[Buffer, Buffer]> {
      for (let i = 0; i < 20; i++) {
        if (i % 5 === 0) await new Promise((r) => setTimeout(r, 1))
        yield [b(`a${i}`), b(`v${i}`)]
      }
    }
    expect(await db.putMany(gen())).toBe(20)
    expect(await db.count()).toBe(20)
    expect(await db.get(b('a7'))).toEqual(b('v7'))
  })

  it('writes a Map and Map.entries()', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    const map = new Map<Buffer, Buffer>([
      [b('m1'), b('x')],
      [b('m2'), b('y')],
    ])
    expect(await db.putMany(map)).toBe(2)
    const other = new Map<Buffer, Buffer>([[b('m3'), b('z')]])
    expect(await db.putMany(other.entries())).toBe(1)
    expect(await db.getMany([b('m1'), b('m2'), b('m3')])).toEqual([b('x'), b('y'), b('z')])
  })

  it('returns 0 for no entries', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    expect(await db.putMany([])).toBe(0)
    async function* none(): AsyncGenerator<[Buffer, Buffer]> {}
    expect(await db.putMany(none())).toBe(0)
    expect(await db.count()).toBe(0)
  })

  it('with noOverwrite skips present keys and does not count them', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    await db.put(b('a'), b('old'))
    await db.put(b('c'), b('old'))
    const n = await db.putMany(
      [
        [b('a'), b('new')],
        [b('b'), b('new')],
        [b('c'), b('new')],
        [b('d'), b('new')],
      ],
      { noOverwrite: true },
    )
    expect(n).toBe(2)
    expect(await db.getMany([b('a'), b('b'), b('c'), b('d')])).toEqual([b('old'), b('new'), b('old'), b('new')])
  })

  it('with append writes in-order entries', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    const entries = Array.from({ length: 100 }, (_, i) => [b(`k${String(i).padStart(3, '0')}`), b(`${i}`)] as [Buffer, Buffer])
    expect(await db.putMany(entries, { append: true })).toBe(100)
    expect(await db.count()).toBe(100)
  })

  it('is atomic: an empty key among the entries rejects and writes nothing', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    await expect(
      db.putMany([
        [b('a'), b('1')],
        [b(''), b('2')],
        [b('c'), b('3')],
      ]),
    ).rejects.toBeInstanceOf(errors.BadValsizeError)
    expect(await db.getMany([b('a'), b('c')])).toEqual([undefined, undefined])
    expect(await db.count()).toBe(0)
  })

  it('is atomic: a non-Buffer value among the entries rejects with CoderError and writes nothing', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    await expect(
      db.putMany([
        [b('a'), b('1')],
        [b('b'), 'not a buffer' as unknown as Buffer],
        [b('c'), b('3')],
      ]),
    ).rejects.toBeInstanceOf(errors.CoderError)
    expect(await db.count()).toBe(0)
  })

  it('is atomic with an async generator that yields a bad entry midway', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    async function* gen(): AsyncGenerator<[Buffer, Buffer]> {
      yield [b('a'), b('1')]
      await new Promise((r) => setTimeout(r, 1))
      yield [b('b'), 42 as unknown as Buffer]
      yield [b('c'), b('3')]
    }
    await expect(db.putMany(gen())).rejects.toBeInstanceOf(errors.CoderError)
    expect(await db.count()).toBe(0)
  })

  it('is atomic when LMDB itself fails midway (out-of-order append): nothing of it is written', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    await expect(
      db.putMany(
        [
          [b('b'), b('1')],
          [b('c'), b('2')],
          [b('a'), b('3')],
        ],
        { append: true },
      ),
    ).rejects.toBeInstanceOf(errors.KeyExistsError)
    expect(await db.getMany([b('a'), b('b'), b('c')])).toEqual([undefined, undefined, undefined])
    expect(await db.count()).toBe(0)
  })

  it('failing midway among a tick of writes that fills several parts, drops only itself', async () => {
    await using env = open(tempDir())
    const db = env.openDb('t', { keyCoder: 'string', valueCoder: 'json' })
    const key = (i: number) => `k${String(i).padStart(5, '0')}`
    // 4,096 puts fill a part of the tick: the putMany comes when it is full, and more puts after it
    const before = Array.from({ length: 4096 }, (_, i) => db.put(key(i), i))
    const many = db.putMany([
      [key(5000), 1],
      [key(5001), 2n as unknown as number],
      [key(5002), 3],
    ])
    const after = Array.from({ length: 100 }, (_, i) => db.put(key(6000 + i), i))
    await expect(many).rejects.toBeInstanceOf(errors.CoderError)
    expect(await Promise.all([...before, ...after])).toEqual(Array(4196).fill(true))
    expect(await db.count()).toBe(4196)
    expect(await db.getMany([key(5000), key(5002), key(4095), key(6099)])).toEqual([undefined, undefined, 4095, 99])
    // with nothing after it in its tick, the tick's writes still go out and commit
    const full = Array.from({ length: 4096 }, (_, i) => db.put(key(10000 + i), i))
    await expect(db.putMany([[key(9000), 5n as unknown as number]])).rejects.toBeInstanceOf(errors.CoderError)
    expect((await Promise.all(full)).every((written) => written)).toBe(true)
    expect(await db.count()).toBe(4196 + 4096)
  })

  it('a large first entry among many small ones does not make it reserve room for all of them at its size', async () => {
    await using env = open(tempDir(), { mapSize: 256 * 1024 * 1024 })
    const db = env.openDb('t', { keyCoder: 'uint32' })
    // 20,000 × 1 MiB would be 20 GiB, past any Buffer: only the 1 MiB is real
    const entries: [number, Buffer][] = [[0, Buffer.alloc(1024 * 1024, 1)], ...Array.from({ length: 20_000 }, (_, i): [number, Buffer] => [i + 1, Buffer.from([i & 0xff])])]
    expect(await db.putMany(entries)).toBe(20_001)
    expect((await db.get(0))?.length).toBe(1024 * 1024)
    expect(await db.get(20_000)).toEqual(Buffer.from([19_999 & 0xff]))
  })

  it('rejects when an entry is not a pair', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    await expect(db.putMany([[b('a'), b('1')], null as unknown as [Buffer, Buffer]])).rejects.toBeInstanceOf(Error)
    expect(await db.count()).toBe(0)
  })
})

describe('delete, deleteMany, replace, pop', () => {
  it('delete resolves true when the key existed, false otherwise', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    await db.put(b('k'), b('v'))
    expect(await db.delete(b('k'))).toBe(true)
    expect(await db.get(b('k'))).toBeUndefined()
    expect(await db.delete(b('k'))).toBe(false)
    expect(await db.delete(b('never'))).toBe(false)
  })

  it('deleteMany resolves how many of the keys existed', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    await db.putMany([
      [b('a'), b('1')],
      [b('b'), b('2')],
      [b('c'), b('3')],
      [b('d'), b('4')],
    ])
    expect(await db.deleteMany([b('a'), b('x'), b('c'), b('y')])).toBe(2)
    expect(await db.getMany([b('a'), b('b'), b('c'), b('d')])).toEqual([undefined, b('2'), undefined, b('4')])
    expect(await db.deleteMany([b('nothing')])).toBe(0)
    expect(await db.deleteMany([])).toBe(0)
    expect(await db.deleteMany(new Set([b('b'), b('d')]))).toBe(2)
    expect(await db.count()).toBe(0)
  })

  it('deleteMany with an empty key rejects and deletes nothing', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    await db.put(b('a'), b('1'))
    await expect(db.deleteMany([b('a'), b('')])).rejects.toBeInstanceOf(errors.BadValsizeError)
    expect(await db.get(b('a'))).toEqual(b('1'))
  })

  it('replace stores the value and returns the previous one', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    expect(await db.replace(b('k'), b('one'))).toBeUndefined()
    expect(await db.get(b('k'))).toEqual(b('one'))
    const prev = await db.replace(b('k'), b('two'))
    expect(Buffer.isBuffer(prev)).toBe(true)
    expect(prev).toEqual(b('one'))
    expect(await db.get(b('k'))).toEqual(b('two'))
  })

  it('pop deletes and returns the value, undefined when absent', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    await db.put(b('k'), b('v'))
    expect(await db.pop(b('k'))).toEqual(b('v'))
    expect(await db.has(b('k'))).toBe(false)
    expect(await db.pop(b('k'))).toBeUndefined()
    expect(await db.count()).toBe(0)
  })

  it('replace and pop through a string coder decode the previous value', async () => {
    await using env = open(tempDir())
    const db = env.openDb('s', { keyCoder: 'string', valueCoder: 'string' })
    expect(await db.replace('k', 'héllo')).toBeUndefined()
    expect(await db.replace('k', 'wörld')).toBe('héllo')
    expect(await db.pop('k')).toBe('wörld')
    expect(await db.pop('k')).toBeUndefined()
  })
})

describe('drop', () => {
  it('drop() empties the database but keeps it', async () => {
    await using env = open(tempDir())
    const db = env.openDb('d')
    await db.putMany([
      [b('a'), b('1')],
      [b('b'), b('2')],
    ])
    await db.drop()
    expect(await db.count()).toBe(0)
    expect(await db.get(b('a'))).toBeUndefined()
    expect(await env.databases()).toContain('d')
    // still usable
    expect(await db.put(b('c'), b('3'))).toBe(true)
    expect(await db.get(b('c'))).toEqual(b('3'))
  })

  it('drop({ delete: true }) removes a named database; the old handle rejects with BadDbiError', async () => {
    await using env = open(tempDir())
    const gone = env.openDb('gone')
    const kept = env.openDb('kept')
    await gone.put(b('a'), b('1'))
    await kept.put(b('a'), b('2'))
    expect((await env.databases()).sort()).toEqual(['gone', 'kept'])
    await gone.drop({ delete: true })
    expect(await env.databases()).toEqual(['kept'])
    await expect(gone.get(b('a'))).rejects.toBeInstanceOf(errors.BadDbiError)
    await expect(gone.put(b('a'), b('x'))).rejects.toBeInstanceOf(errors.BadDbiError)
    await expect(gone.count()).rejects.toBeInstanceOf(errors.BadDbiError)
    expect(() => gone.getSync(b('a'))).toThrow(errors.BadDbiError)
    // the failed put did not recreate it
    expect(await env.databases()).toEqual(['kept'])
    expect(await kept.get(b('a'))).toEqual(b('2'))
    // opening it again creates a new, empty database
    const again = env.openDb('gone')
    expect(await again.count()).toBe(0)
    expect(await again.get(b('a'))).toBeUndefined()
    expect(await env.databases()).toContain('gone')
  })

  it('drop({ delete: true }) invalidates every handle on that database', async () => {
    await using env = open(tempDir())
    const one = env.openDb('x')
    const two = env.openDb('x', { valueCoder: 'string' })
    await one.put(b('k'), b('v'))
    await one.drop({ delete: true })
    await expect(two.get(b('k'))).rejects.toBeInstanceOf(errors.BadDbiError)
  })

  it('defaultDb.drop() empties the default database but keeps the named databases and their data', async () => {
    await using env = open(tempDir())
    const named = env.openDb('named')
    const other = env.openDb('other', { keyCoder: 'string', valueCoder: 'string' })
    await named.put(b('n'), b('data'))
    await other.put('o', 'more')
    const main = env.defaultDb
    await main.putMany([
      [b('a'), b('1')],
      [b('zzz'), b('2')],
    ])
    await main.drop()
    expect(await main.get(b('a'))).toBeUndefined()
    expect(await main.get(b('zzz'))).toBeUndefined()
    expect((await env.databases()).sort()).toEqual(['named', 'other'])
    expect(await named.get(b('n'))).toEqual(b('data'))
    expect(await other.get('o')).toBe('more')
    // the named databases still accept writes, and reopen by name
    expect(await named.put(b('n2'), b('x'))).toBe(true)
    expect(await env.openDb('named').count()).toBe(2)
  })

  it('defaultDb.drop({ delete: true }) rejects and keeps everything', async () => {
    await using env = open(tempDir())
    const named = env.openDb('named')
    await named.put(b('n'), b('1'))
    await env.defaultDb.put(b('k'), b('v'))
    await expect(env.defaultDb.drop({ delete: true })).rejects.toBeInstanceOf(errors.LmdbError)
    expect(await env.defaultDb.get(b('k'))).toEqual(b('v'))
    expect(await env.databases()).toEqual(['named'])
    expect(await named.get(b('n'))).toEqual(b('1'))
  })

  it('drop() of a large database in the same tick as other writes', async () => {
    await using env = open(tempDir(), { sync: false })
    const db = env.openDb('big')
    await db.putMany(Array.from({ length: 2000 }, (_, i) => [b(`k${i}`), bytes(100)] as [Buffer, Buffer]))
    const dropped = db.drop()
    const put = db.put(b('after'), b('1'))
    await Promise.all([dropped, put])
    expect(await db.count()).toBe(1)
    expect(await db.get(b('after'))).toEqual(b('1'))
  })
})

describe('count and stat', () => {
  it('count() follows puts and deletes', async () => {
    await using env = open(tempDir())
    const db = env.openDb('c')
    expect(await db.count()).toBe(0)
    await db.putMany(Array.from({ length: 37 }, (_, i) => [b(`k${i}`), b('v')] as [Buffer, Buffer]))
    expect(await db.count()).toBe(37)
    await db.put(b('k0'), b('again'))
    expect(await db.count()).toBe(37)
    await db.delete(b('k1'))
    expect(await db.count()).toBe(36)
  })

  it('stat() has the mdb_stat fields', async () => {
    await using env = open(tempDir())
    const db = env.openDb('s')
    const empty = await db.stat()
    expect(Object.keys(empty).sort()).toEqual(
      ['branchPages', 'depth', 'entries', 'leafPages', 'overflowPages', 'psize'].sort(),
    )
    expect(empty.entries).toBe(0)
    expect(empty.depth).toBe(0)
    expect(empty.leafPages).toBe(0)
    expect(empty.psize).toBeGreaterThanOrEqual(4096)
    expect(empty.psize & (empty.psize - 1)).toBe(0) // a power of two

    await db.putMany(Array.from({ length: 1000 }, (_, i) => [b(`key-${i}`), bytes(50)] as [Buffer, Buffer]))
    await db.put(b('huge'), bytes(3 * empty.psize))
    const st = await db.stat()
    expect(st.entries).toBe(1001)
    expect(st.depth).toBeGreaterThanOrEqual(2)
    expect(st.branchPages).toBeGreaterThanOrEqual(1)
    expect(st.leafPages).toBeGreaterThan(1)
    expect(st.overflowPages).toBeGreaterThanOrEqual(3)
    expect(st.psize).toBe(empty.psize)
    for (const v of Object.values(st)) expect(Number.isInteger(v)).toBe(true)
  })

  it('stat() of the default database matches env.stat()', async () => {
    await using env = open(tempDir())
    await env.defaultDb.putMany([
      [b('a'), b('1')],
      [b('b'), b('2')],
    ])
    expect(await env.defaultDb.stat()).toEqual(env.stat())
    expect(await env.defaultDb.count()).toBe(2)
  })
})

describe('sync reads', () => {
  it('getSync/getManySync/hasSync see committed writes at once', async () => {
    await using env = open(tempDir())
    const db = env.openDb('s', { keyCoder: 'string', valueCoder: 'string' })
    expect(db.getSync('a')).toBeUndefined()
    expect(db.hasSync('a')).toBe(false)
    await db.putMany([
      ['a', 'A'],
      ['b', 'B'],
    ])
    expect(db.getSync('a')).toBe('A')
    expect(db.hasSync('b')).toBe(true)
    expect(db.getManySync(['b', 'x', 'a'])).toEqual(['B', undefined, 'A'])
  })

  it('a transactionSync commit is seen by the sync reads right after it', async () => {
    await using env = open(tempDir())
    const db = env.openDb('s', { keyCoder: 'string', valueCoder: 'string' })
    await db.put('a', 'old')
    expect(db.getSync('a')).toBe('old')
    env.transactionSync((txn) => txn.put(db, 'a', 'new'))
    expect(db.getSync('a')).toBe('new')
    expect(db.getManySync(['a'])).toEqual(['new'])
  })

  it('values of every size come back whole, each in a Buffer of its own', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    const sizes = [0, 1, 100, 4095, 4096, 65_535, 65_536, 70_000, 300_000]
    await db.putMany(sizes.map((n) => [b(`k${n}`), Buffer.alloc(n, n & 0xff)] as [Buffer, Buffer]))
    const got = sizes.map((n) => db.getSync(b(`k${n}`))!)
    sizes.forEach((n, i) => expect(got[i].equals(Buffer.alloc(n, n & 0xff)), `${n} bytes`).toBe(true))
    got[2].fill(0) // a value is the caller's: changing it changes no other
    expect(got[1].equals(Buffer.alloc(1, 1))).toBe(true)
    expect(db.getSync(b('k100'))!.equals(Buffer.alloc(100, 100))).toBe(true)
  })

  it('sync reads keep every value whole across many values of mixed sizes', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    // sizes that fill a native read's memory block unevenly, and some that outgrow it
    const sizes = Array.from({ length: 400 }, (_, i) => [7, 3000, 9000, 15_000, 20_000, 150][i % 6] + i)
    await db.putMany(sizes.map((n, i) => [b(`k${i}`), Buffer.alloc(n, i & 0xff)] as [Buffer, Buffer]))
    const got = sizes.map((_, i) => db.getSync(b(`k${i}`))!)
    expect(db.getSync(b('missing'))).toBeUndefined()
    got.forEach((v, i) => expect(v.equals(Buffer.alloc(sizes[i], i & 0xff)), `value ${i}`).toBe(true))
    for (const v of got) v.fill(0xee) // each value is the caller's alone
    await null // and a later stretch reads them whole again
    sizes.forEach((n, i) => expect(db.getSync(b(`k${i}`))!.equals(Buffer.alloc(n, i & 0xff)), `again ${i}`).toBe(true))
  })

  it('a database opened amid a stretch of sync reads is read there too, not refused by the older snapshot', async () => {
    await using env = open(tempDir())
    const first = env.openDb('first', { keyCoder: 'string', valueCoder: 'string' })
    await first.put('a', 'A')
    await using other = open(env.path) // another handle creates a database with a value
    await other.openDb('later', { keyCoder: 'string', valueCoder: 'string' }).put('b', 'B')
    expect(first.getSync('a')).toBe('A') // the stretch's snapshot begins here
    const created = env.openDb('created', { keyCoder: 'string', valueCoder: 'string' })
    expect(created.getSync('x')).toBeUndefined()
    expect(created.getManySync(['x', 'y'])).toEqual([undefined, undefined])
    expect(created.rangeSync().toArray()).toEqual([])
    expect(env.openDb('later', { keyCoder: 'string', valueCoder: 'string' }).getSync('b')).toBe('B')
    expect(first.getSync('a')).toBe('A')
  })

  it('sync reads of two environments on one thread each read their own', async () => {
    await using one = open(tempDir())
    await using two = open(tempDir())
    await one.defaultDb.putMany([[b('k'), b('one')], [b('only-one'), b('1')]])
    await two.defaultDb.putMany([[b('k'), b('two')], [b('only-two'), b('2')]])
    for (let i = 0; i < 3; i++) {
      expect(one.defaultDb.getSync(b('k'))).toEqual(b('one'))
      expect(two.defaultDb.getSync(b('k'))).toEqual(b('two'))
      expect(one.defaultDb.getSync(b('only-two'))).toBeUndefined()
      expect(two.defaultDb.getSync(b('only-two'))).toEqual(b('2'))
      expect(two.defaultDb.getSync(b('only-one'))).toBeUndefined()
    }
    await one.close()
    expect(() => one.defaultDb.getSync(b('k'))).toThrow(errors.ClosedError)
    expect(two.defaultDb.getSync(b('k'))).toEqual(b('two'))
  })

  it('sync reads throw (not reject) on bad keys', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    expect(() => db.getSync(b(''))).toThrow(errors.BadValsizeError)
    expect(() => db.hasSync(b(''))).toThrow(errors.BadValsizeError)
    expect(() => db.getManySync([b('a'), b('')])).toThrow(errors.BadValsizeError)
    expect(() => db.getSync('str' as unknown as Buffer)).toThrow(errors.CoderError)
  })

  it('getSync of text keys: every script and size up to maxKeySize, checked like other keys', async () => {
    await using env = open(tempDir())
    const db = env.openDb('t', { keyCoder: 'string', valueCoder: 'string' })
    const max = env.maxKeySize()
    // ASCII, 2-, 3- and 4-byte UTF-8, lone surrogates, and keys of exactly maxKeySize bytes
    const keys = ['a', 'é', 'ключ', '鍵', '🔑x', 'a\ud800b', 'x'.repeat(max), '鍵'.repeat(Math.floor(max / 3)) + 'z'.repeat(max % 3), '🔑'.repeat(Math.floor(max / 4))]
    await db.putMany(keys.map((k, i) => [k, `v${i}:${'.'.repeat(i * 1000)}`]))
    // one long key and a one-byte value, read on and on: some read meets the end of the read buffer
    const long = '鍵'.repeat(Math.floor(max / 3))
    await db.put(long, 'L')
    for (let i = 0; i < 200; i++) expect(db.getSync(long), `read ${i}`).toBe('L')
    for (let round = 0; round < 40; round++) {
      // many reads in one stretch: the keys land anywhere in the read buffer, and past its end
      keys.forEach((k, i) => expect(db.getSync(k), `key ${i}`).toBe(`v${i}:${'.'.repeat(i * 1000)}`))
      expect(db.getSync('鍵鍵')).toBeUndefined()
    }
    expect(() => db.getSync('')).toThrow(errors.BadValsizeError)
    expect(() => db.getSync('x'.repeat(max + 1))).toThrow(/513 bytes|longer than maxKeySize/)
    expect(() => db.getSync('é'.repeat(max))).toThrow(errors.BadValsizeError) // short in characters, long in bytes
    expect(() => db.getSync('x'.repeat(100_000))).toThrow(errors.BadValsizeError)
    expect(() => db.getSync(7 as unknown as string)).toThrow(errors.CoderError)
    expect(db.getSync('a')).toBe('v0:') // a refused key spoils no later read
  })

  it('text keys are stored as their UTF-8, short or long, ASCII or not, by put, putMany and getSync alike', async () => {
    await using env = open(tempDir())
    const db = env.openDb('t', { keyCoder: 'string', valueCoder: 'string' })
    const raw = env.openDb('t')
    // around the length up to which ASCII is written by a loop, with a non-ASCII unit first, last or alone
    const keys = ['a', 'k'.repeat(19), 'k'.repeat(20), 'k'.repeat(21), 'é', 'x'.repeat(19) + 'é', 'é' + 'x'.repeat(19), '🔑', 'a\u007f', 'a\u0080', 'x'.repeat(18) + '\ud800']
    const half = keys.length >> 1
    await Promise.all(keys.slice(0, half).map((k, i) => db.put(k, `v${i}`)))
    await db.putMany(keys.slice(half).map((k, i) => [k, `v${half + i}`]))
    const stored = (await raw.keys().toArray()).map((k) => Buffer.from(k))
    expect(stored.sort(Buffer.compare)).toEqual(keys.map((k) => Buffer.from(k, 'utf8')).sort(Buffer.compare))
    keys.forEach((k, i) => expect(db.getSync(k), k).toBe(`v${i}`))
  })

  it('MessagePack values of every size up to past 512 bytes are stored as the coder encodes them', async () => {
    await using env = open(tempDir())
    const db = env.openDb('m', { keyCoder: 'string', valueCoder: 'msgpack' })
    const raw = env.openDb('m', { keyCoder: 'string' })
    // strings of n bytes: values copied into the batch by a loop (up to 512 bytes) and by `set`
    const values = Array.from({ length: 600 }, (_, n) => ({ n, s: 'x'.repeat(n) }))
    await Promise.all(values.map((v, n) => db.put(`p${n}`, v)))
    await db.putMany(values.map((v, n) => [`m${n}`, v]))
    for (const [n, v] of values.entries()) {
      expect(raw.getSync(`p${n}`), `put of ${n}`).toEqual(Buffer.from(db.valueCoder.serialize(v)))
      expect(raw.getSync(`m${n}`), `putMany of ${n}`).toEqual(Buffer.from(db.valueCoder.serialize(v)))
    }
  })

  it('getSync of text keys goes through serializeText, or serialize where a coder overrides it', async () => {
    class Lower extends TextCoder<string> {
      serializeText(value: string): string {
        return value.toLowerCase()
      }
      deserializeText(text: string): string {
        return text
      }
    }
    class Reversed extends Lower {
      override serialize(value: string): Uint8Array {
        return Buffer.from([...value].reverse().join(''))
      }
    }
    class NotText extends Lower {
      override serializeText(): string {
        return 42 as unknown as string
      }
    }
    await using env = open(tempDir())
    await env.openDb('t', { keyCoder: 'string', valueCoder: 'string' }).putMany([['abc', 'lower'], ['cba', 'reversed']])
    expect(env.openDb('t', { keyCoder: new Lower(), valueCoder: 'string' }).getSync('ABC')).toBe('lower')
    expect(env.openDb('t', { keyCoder: new Reversed(), valueCoder: 'string' }).getSync('abc')).toBe('reversed')
    expect(() => env.openDb('t', { keyCoder: new NotText(), valueCoder: 'string' }).getSync('abc')).toThrow(errors.CoderError)
  })
})

describe('coders', () => {
  it('StringCoder keys and values round-trip, including non-ASCII text', async () => {
    await using env = open(tempDir())
    const db = env.openDb('str', { keyCoder: 'string', valueCoder: 'string' })
    expect(await db.put('héllo', 'wörld ✓ 🚀')).toBe(true)
    expect(await db.get('héllo')).toBe('wörld ✓ 🚀')
    expect(await db.get('hello')).toBeUndefined()
    expect(await db.get('hello', 'none')).toBe('none')
    expect(await db.has('héllo')).toBe(true)
    expect(await db.putMany([['x', '1'], ['y', '']])).toBe(2)
    expect(await db.getMany(['y', 'x', 'z'])).toEqual(['', '1', undefined])
    expect(await db.replace('x', '2')).toBe('1')
    expect(await db.delete('x')).toBe(true)
    expect(await db.deleteMany(['y', 'x'])).toBe(1)
    expect(db.getSync('héllo')).toBe('wörld ✓ 🚀')
  })

  it('StringCoder instances and names are interchangeable, and keys are UTF-8 bytes', async () => {
    await using env = open(tempDir())
    const byInstance = env.openDb('s', { keyCoder: new StringCoder(), valueCoder: new StringCoder() })
    const byName = env.openDb('s', { keyCoder: 'string', valueCoder: 'string' })
    const raw = env.openDb('s')
    await byInstance.put('ключ', 'значение')
    expect(await byName.get('ключ')).toBe('значение')
    expect(await raw.get(Buffer.from('ключ', 'utf8'))).toEqual(Buffer.from('значение', 'utf8'))
  })

  it('an empty string key is rejected', async () => {
    await using env = open(tempDir())
    const db = env.openDb('s', { keyCoder: 'string', valueCoder: 'string' })
    await expect(db.put('', 'v')).rejects.toBeInstanceOf(errors.BadValsizeError)
    await expect(db.get('')).rejects.toBeInstanceOf(errors.BadValsizeError)
    expect(await db.count()).toBe(0)
  })

  it('each openDb call returns its own handle: the same database seen as binary and as string', async () => {
    await using env = open(tempDir())
    const asString = env.openDb('shared', { keyCoder: 'string', valueCoder: 'string' })
    const asBinary = env.openDb('shared')
    const asBinary2 = env.openDb('shared', { keyCoder: new IdentityCoder(), valueCoder: 'binary' })
    expect(asString).not.toBe(asBinary)
    expect(asBinary).not.toBe(asBinary2)
    expect(asString.keyCoder).toBeInstanceOf(StringCoder)
    expect(asBinary.keyCoder).toBeInstanceOf(IdentityCoder)
    expect(asBinary.valueCoder).toBeInstanceOf(IdentityCoder)
    expect(asString.name).toBe('shared')
    expect(asBinary.name).toBe('shared')
    expect(asString.env).toBe(env)

    await asString.put('k', 'text')
    const raw = await asBinary.get(b('k'))
    expect(Buffer.isBuffer(raw)).toBe(true)
    expect(raw).toEqual(b('text'))
    await asBinary.put(b('k2'), b('bytes'))
    expect(await asString.get('k2')).toBe('bytes')
    expect(await asBinary2.get(b('k2'))).toEqual(b('bytes'))
    expect(await asString.count()).toBe(2)
    expect(await asBinary.count()).toBe(2)
  })

  it('keyCoder and valueCoder are writable properties and affect only their handle', async () => {
    await using env = open(tempDir())
    const db = env.openDb('w')
    const other = env.openDb('w')
    await db.put(b('k'), b('v'))
    const anyDb = db as unknown as { keyCoder: unknown; valueCoder: unknown }
    anyDb.valueCoder = new StringCoder()
    expect(db.valueCoder).toBeInstanceOf(StringCoder)
    expect(await db.get(b('k'))).toBe('v')
    anyDb.keyCoder = new StringCoder()
    expect(await db.get('k' as unknown as Buffer)).toBe('v')
    await db.put('k2' as unknown as Buffer, 'w' as unknown as Buffer)
    // the other handle keeps its binary coders
    expect(other.keyCoder).toBeInstanceOf(IdentityCoder)
    expect(other.valueCoder).toBeInstanceOf(IdentityCoder)
    expect(await other.get(b('k2'))).toEqual(b('w'))
    // and switching back works
    anyDb.valueCoder = new IdentityCoder()
    expect(await db.get('k' as unknown as Buffer)).toEqual(b('v'))
  })

  it('defaultDb has binary coders and the null name; openDb() and openDb(null) open the default database', async () => {
    await using env = open(tempDir())
    const main = env.defaultDb
    expect(main).toBe(env.defaultDb)
    expect(main.name).toBeNull()
    expect(main.keyCoder).toBeInstanceOf(IdentityCoder)
    expect(main.valueCoder).toBeInstanceOf(IdentityCoder)
    await main.put(b('k'), b('v'))
    const viaNull = env.openDb(null, { valueCoder: 'string' })
    const viaNone = env.openDb()
    expect(viaNull.name).toBeNull()
    expect(viaNone).not.toBe(main)
    expect(await viaNull.get(b('k'))).toBe('v')
    expect(await viaNone.get(b('k'))).toEqual(b('v'))
  })
})

describe('named and default databases', () => {
  it('are separate key spaces', async () => {
    await using env = open(tempDir())
    const main = env.defaultDb
    const one = env.openDb('one')
    const two = env.openDb('two')
    await main.put(b('k'), b('main'))
    await one.put(b('k'), b('one'))
    await two.put(b('k'), b('two'))
    expect(await main.get(b('k'))).toEqual(b('main'))
    expect(await one.get(b('k'))).toEqual(b('one'))
    expect(await two.get(b('k'))).toEqual(b('two'))
    await one.delete(b('k'))
    expect(await one.has(b('k'))).toBe(false)
    expect(await main.has(b('k'))).toBe(true)
    expect(await two.has(b('k'))).toBe(true)
    expect(await one.count()).toBe(0)
    expect(await two.count()).toBe(1)
  })

  it('databases() lists the named databases only', async () => {
    await using env = open(tempDir())
    expect(await env.databases()).toEqual([])
    env.openDb('alpha')
    env.openDb('beta')
    await env.defaultDb.put(b('plain-key'), b('v'))
    expect((await env.databases()).sort()).toEqual(['alpha', 'beta'])
  })

  it('openDb with create: false throws NotFoundError for a missing database', async () => {
    await using env = open(tempDir())
    expect(() => env.openDb('missing', { create: false })).toThrow(errors.NotFoundError)
    expect(await env.databases()).toEqual([])
    env.openDb('present')
    expect(env.openDb('present', { create: false }).name).toBe('present')
  })

  it('named databases and their data survive close and reopen', async () => {
    const dir = tempDir()
    {
      await using env = open(dir)
      await env.openDb('persist', { keyCoder: 'string', valueCoder: 'string' }).put('a', 'b')
    }
    await using env = open(dir)
    expect(await env.databases()).toEqual(['persist'])
    expect(await env.openDb('persist', { keyCoder: 'string', valueCoder: 'string', create: false }).get('a')).toBe('b')
  })
})
