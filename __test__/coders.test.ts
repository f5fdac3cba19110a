import { describe, expect, it } from 'vitest'
import { decode, encode } from '@msgpack/msgpack'
import {
  open, errors, Coder, IdentityCoder, StringCoder, UInt16Coder, UInt32Coder, UInt64Coder, JSONCoder,
  MsgPackCoder, TextCoder, V8Coder,
} from 'lmdb-napi'
import type { CoderName, Database } from 'lmdb-napi'
import { b, tempDir } from './helpers.js'

/**
 * Runs every read and write path of `db` over `entries` (distinct keys, at
 * least 4): put, putMany, get, getSync, getMany, getManySync, has, replace,
 * pop. `norm` maps a written value to what a read gives back.
 */
async function roundTrip<K, V>(db: Database<K, V>, entries: [K, V][], norm: (v: V) => unknown = (v) => v): Promise<void> {
  expect(entries.length).toBeGreaterThanOrEqual(4)
  const half = Math.ceil(entries.length / 2)
  for (const [k, v] of entries.slice(0, half)) expect(await db.put(k, v)).toBe(true)
  expect(await db.putMany(entries.slice(half))).toBe(entries.length - half)
  expect(await db.count()).toBe(entries.length)

  const keys = entries.map(([k]) => k)
  const want = entries.map(([, v]) => norm(v))
  for (const [i, k] of keys.entries()) {
    expect(await db.get(k)).toEqual(want[i])
    expect(db.getSync(k)).toEqual(want[i])
    expect(await db.has(k)).toBe(true)
  }
  expect(await db.getMany(keys)).toEqual(want)
  expect(db.getManySync(keys)).toEqual(want)
  expect(await db.getMany([...keys].reverse())).toEqual([...want].reverse())

  // replace: stores the new value, gives back the old one
  const [k0, v0] = entries[0]
  const [, v1] = entries[1]
  expect(await db.replace(k0, v1)).toEqual(norm(v0))
  expect(await db.get(k0)).toEqual(norm(v1))
  expect(await db.replace(k0, v0)).toEqual(norm(v1))
  expect(await db.get(k0)).toEqual(norm(v0))

  // pop: deletes and gives back the value
  const [kLast, vLast] = entries[entries.length - 1]
  expect(await db.pop(kLast)).toEqual(norm(vLast))
  expect(await db.get(kLast)).toBeUndefined()
  expect(db.getSync(kLast)).toBeUndefined()
  expect(await db.has(kLast)).toBe(false)
  expect(await db.pop(kLast)).toBeUndefined()
  expect(await db.count()).toBe(entries.length - 1)
}

describe('built-in coders round-trip through a database', () => {
  it('IdentityCoder keys and values (Buffers and plain Uint8Arrays), read back as Buffers', async () => {
    await using env = open(tempDir())
    const db = env.openDb('id', { keyCoder: new IdentityCoder(), valueCoder: new IdentityCoder() })
    const entries: [Buffer, Buffer][] = [
      [b('a'), b('alpha')],
      [Buffer.from([0]), Buffer.from([0, 0, 0])],
      [Buffer.from([255, 254]), Buffer.alloc(5000, 7)],
      [b('empty value'), Buffer.alloc(0)],
      [b('ü'), Buffer.from([1, 2, 3, 255])],
    ]
    await roundTrip(db, entries)
    // a plain Uint8Array is accepted as key and value; reads give Buffers
    await db.put(new Uint8Array([9, 9]) as Buffer, new Uint8Array([1, 2]) as Buffer)
    const got = await db.get(Buffer.from([9, 9]))
    expect(Buffer.isBuffer(got)).toBe(true)
    expect(got).toEqual(Buffer.from([1, 2]))
    expect(Buffer.isBuffer(db.getSync(new Uint8Array([9, 9]) as Buffer))).toBe(true)
  })

  it('StringCoder keys and values (UTF-8), including an empty string value', async () => {
    await using env = open(tempDir())
    const db = env.openDb('s', { keyCoder: new StringCoder(), valueCoder: new StringCoder() })
    await roundTrip(db, [
      ['a', 'one'],
      ['héllo', 'wörld'],
      ['日本', '語'],
      ['emoji 🎉', '🎉'.repeat(1000)],
      ['empty', ''],
    ])
    const raw = env.openDb('s')
    expect(await raw.get(b('héllo'))).toEqual(Buffer.from('wörld', 'utf8'))
  })

  it('UInt16Coder keys and values', async () => {
    await using env = open(tempDir())
    const db = env.openDb('u16', { keyCoder: new UInt16Coder(), valueCoder: new UInt16Coder() })
    await roundTrip(db, [[0, 65535], [1, 0], [255, 256], [256, 255], [65535, 1]])
  })

  it('UInt32Coder keys and values', async () => {
    await using env = open(tempDir())
    const db = env.openDb('u32', { keyCoder: new UInt32Coder(), valueCoder: new UInt32Coder() })
    await roundTrip(db, [[0, 2 ** 32 - 1], [1, 0], [65535, 65536], [65536, 65535], [2 ** 32 - 1, 7]])
  })

  it('UInt64Coder keys and values: bigint or safe-integer number in, bigint out', async () => {
    await using env = open(tempDir())
    const db = env.openDb('u64', { keyCoder: new UInt64Coder(), valueCoder: new UInt64Coder() })
    const max = 2n ** 64n - 1n
    await roundTrip(db, [[0n, max], [1n, 0n], [2n ** 32n, 2n ** 53n + 1n], [2n ** 63n, 2n ** 63n], [max, 1n]])
    // numbers are accepted (key and value) and read back as bigint
    const n = (x: number) => x as unknown as bigint
    await db.put(n(42), n(Number.MAX_SAFE_INTEGER))
    expect(await db.get(42n)).toBe(BigInt(Number.MAX_SAFE_INTEGER))
    expect(await db.get(n(42))).toBe(BigInt(Number.MAX_SAFE_INTEGER))
    expect(typeof db.getSync(n(42))).toBe('bigint')
    expect(await db.putMany([[n(7), n(8)], [9n, n(10)]])).toBe(2)
    expect(await db.getMany([7n, n(9)])).toEqual([8n, 10n])
    expect(await db.replace(n(7), 11n)).toBe(8n)
    expect(await db.pop(7n)).toBe(11n)
  })

  it('JSONCoder keys and values (objects, arrays, strings, numbers, booleans, null)', async () => {
    await using env = open(tempDir())
    const db = env.openDb('j', { keyCoder: new JSONCoder(), valueCoder: new JSONCoder() })
    await roundTrip(db, [
      ['k', { a: 1, nested: { list: [1, 'two', null, true] } }],
      [{ id: 1 }, [1, 2, 3]],
      [[1, 'x'], 'a string with "quotes" and ünicode'],
      [42, 3.25],
      [true, false],
      [null, null],
    ])
    // a stored null reads as null, not as "absent"
    await db.put('stored null', null)
    expect(await db.get('no such key')).toBeUndefined()
    expect(await db.get('stored null')).toBeNull()
    expect(await db.get('stored null', 'default')).toBeNull()
    expect(db.getSync('stored null')).toBeNull()
  })

  it('MsgPackCoder keys and values', async () => {
    await using env = open(tempDir())
    const db = env.openDb('m', { keyCoder: new MsgPackCoder(), valueCoder: new MsgPackCoder() })
    await roundTrip(db, [
      ['k', { a: 1, b: [1, 2, { c: 'x' }], d: null }],
      [1, 'string'],
      [[1, 2], -1.5],
      [{ k: 'v' }, true],
      [300, Buffer.from([1, 2, 3])],
      [-5, 2 ** 40],
    ])
  })

  it('V8Coder keys and values', async () => {
    await using env = open(tempDir())
    const db = env.openDb('v', { keyCoder: new V8Coder(), valueCoder: new V8Coder() })
    await roundTrip(db, [
      ['k', new Map<unknown, unknown>([['a', 1], [2, 'b']])],
      [1, new Set([1, 'x'])],
      [2n, new Date(1_700_000_000_000)],
      [[1, 2], { big: 2n ** 70n }],
      [{ o: 1 }, new Float64Array([1.5, -2])],
    ])
  })
})

describe('coder names', () => {
  const cases: { name: CoderName; cls: abstract new () => Coder<any>; key: unknown; value: unknown; stored: Buffer }[] = [
    { name: 'binary', cls: IdentityCoder, key: b('k'), value: b('v'), stored: b('v') },
    { name: 'string', cls: StringCoder, key: 'kö', value: 'vö', stored: Buffer.from('vö') },
    { name: 'json', cls: JSONCoder, key: { k: 1 }, value: { v: [1] }, stored: b('{"v":[1]}') },
    { name: 'msgpack', cls: MsgPackCoder, key: 'k', value: { a: 1 }, stored: Buffer.from([0x81, 0xa1, 0x61, 0x01]) },
    { name: 'v8', cls: V8Coder, key: 'k', value: new Set([1]), stored: Buffer.from(new V8Coder().serialize(new Set([1]))) },
    { name: 'uint16', cls: UInt16Coder, key: 258, value: 513, stored: Buffer.from([2, 1]) },
    { name: 'uint32', cls: UInt32Coder, key: 258, value: 0x01020304, stored: Buffer.from([1, 2, 3, 4]) },
    { name: 'uint64', cls: UInt64Coder, key: 258n, value: 0x0102030405060708n, stored: Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]) },
  ]

  for (const c of cases) {
    it(`'${c.name}' opens the matching coder for keys and values`, async () => {
      await using env = open(tempDir())
      const db = env.openDb('named', { keyCoder: c.name, valueCoder: c.name }) as unknown as Database<unknown, unknown>
      expect(db.keyCoder).toBeInstanceOf(c.cls)
      expect(db.valueCoder).toBeInstanceOf(c.cls)
      await db.put(c.key, c.value)
      expect(await db.get(c.key)).toEqual(c.value)
      expect(db.getSync(c.key)).toEqual(c.value)
      const raw = env.openDb('named')
      expect(raw.valueCoder).toBeInstanceOf(IdentityCoder)
      const keyBytes = Buffer.from(new (c.cls as new () => Coder<unknown>)().serialize(c.key))
      expect(await raw.get(keyBytes)).toEqual(c.stored)
    })
  }

  it('an unknown coder name throws TypeError from openDb', async () => {
    await using env = open(tempDir())
    expect(() => env.openDb('x', { valueCoder: 'yaml' as CoderName })).toThrow(TypeError)
  })
})

describe('reassigning coders on an open database', () => {
  it('valueCoder and keyCoder can be replaced; reads and writes use the new coders', async () => {
    await using env = open(tempDir())
    const db = env.openDb('r', { keyCoder: new StringCoder(), valueCoder: new StringCoder() })
    await db.put('greeting', 'héllo')

    const view = db as unknown as Database<string, Buffer>
    view.valueCoder = new IdentityCoder()
    expect(db.valueCoder).toBeInstanceOf(IdentityCoder)
    const rawValue = await view.get('greeting')
    expect(Buffer.isBuffer(rawValue)).toBe(true)
    expect(rawValue).toEqual(Buffer.from('héllo', 'utf8'))
    expect(view.getSync('greeting')).toEqual(Buffer.from('héllo', 'utf8'))

    // write raw bytes, then read them as JSON after another reassignment
    await view.put('doc', b('{"n":1}'))
    const asJson = db as unknown as Database<string, unknown>
    asJson.valueCoder = new JSONCoder()
    expect(await asJson.get('doc')).toEqual({ n: 1 })

    // the key coder too: the string key 'greeting' is the bytes 'greeting'
    const rawKeys = db as unknown as Database<Buffer, unknown>
    rawKeys.keyCoder = new IdentityCoder()
    rawKeys.valueCoder = new StringCoder()
    expect(await rawKeys.get(b('greeting'))).toBe('héllo')
    await expect(rawKeys.get('greeting' as unknown as Buffer)).rejects.toBeInstanceOf(errors.CoderError)

    // back to the original coders
    db.keyCoder = new StringCoder()
    db.valueCoder = new StringCoder()
    expect(await db.get('greeting')).toBe('héllo')
  })
})

describe('UInt16/32/64 coders: big-endian, numeric order is byte order', () => {
  it('stores big-endian bytes, as a second binary handle on the same database shows', async () => {
    await using env = open(tempDir())
    const u16 = env.openDb('ints16', { keyCoder: new UInt16Coder(), valueCoder: new UInt16Coder() })
    const u32 = env.openDb('ints32', { keyCoder: new UInt32Coder(), valueCoder: new UInt32Coder() })
    const u64 = env.openDb('ints64', { keyCoder: new UInt64Coder(), valueCoder: new UInt64Coder() })
    await u16.put(0x0102, 0xa0b0)
    await u32.put(0x01020304, 0xa0b0c0d0)
    await u64.put(0x0102030405060708n, 0xa0b0c0d0e0f01020n)
    await u64.put(5 as unknown as bigint, 2n ** 64n - 1n)

    const r16 = env.openDb('ints16')
    const r32 = env.openDb('ints32')
    const r64 = env.openDb('ints64')
    expect(await r16.get(Buffer.from([1, 2]))).toEqual(Buffer.from([0xa0, 0xb0]))
    expect(await r16.get(Buffer.from([2, 1]))).toBeUndefined()
    expect(await r32.get(Buffer.from([1, 2, 3, 4]))).toEqual(Buffer.from([0xa0, 0xb0, 0xc0, 0xd0]))
    expect(await r64.get(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]))).toEqual(
      Buffer.from([0xa0, 0xb0, 0xc0, 0xd0, 0xe0, 0xf0, 0x10, 0x20]),
    )
    expect(await r64.get(Buffer.from([0, 0, 0, 0, 0, 0, 0, 5]))).toEqual(Buffer.alloc(8, 0xff))

    // and bytes written by any big-endian writer are read back
    const be = Buffer.alloc(4)
    be.writeUInt32BE(123456789)
    await r32.put(be, be)
    expect(await u32.get(123456789)).toBe(123456789)
  })

  const orders: { name: string; coder: () => Coder<any>; values: unknown[]; smaller: unknown }[] = [
    { name: 'UInt16Coder', coder: () => new UInt16Coder(), values: [0, 1, 2, 127, 128, 255, 256, 257, 511, 4096, 65534, 65535], smaller: 256 },
    {
      name: 'UInt32Coder',
      coder: () => new UInt32Coder(),
      values: [0, 1, 255, 256, 65535, 65536, 2 ** 24 - 1, 2 ** 24, 2 ** 31, 2 ** 32 - 2, 2 ** 32 - 1],
      smaller: 65536,
    },
    {
      name: 'UInt64Coder',
      coder: () => new UInt64Coder(),
      values: [0n, 1n, 255n, 256n, 65535n, 65536n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n, 2n ** 56n, 2n ** 63n, 2n ** 64n - 1n],
      smaller: 2n ** 32n,
    },
  ]

  for (const o of orders) {
    it(`${o.name}: appending increasing integers across byte boundaries succeeds; out of order fails`, async () => {
      await using env = open(tempDir())
      const db = env.openDb<unknown, unknown>('order', { keyCoder: o.coder(), valueCoder: new StringCoder() })
      for (const v of o.values) expect(await db.put(v, `v${v}`, { append: true })).toBe(true)
      expect(await db.count()).toBe(o.values.length)
      // an append of a key smaller than the last one is refused, and writes nothing
      await expect(db.put(o.smaller, 'late', { append: true })).rejects.toBeInstanceOf(errors.KeyExistsError)
      await expect(db.put(o.values[0], 'late', { append: true })).rejects.toBeInstanceOf(errors.KeyExistsError)
      expect(await db.count()).toBe(o.values.length)
      expect(await db.get(o.smaller)).toBe(`v${o.smaller}`)
      for (const v of o.values) expect(await db.get(v)).toBe(`v${v}`)
    })
  }

  it('UInt64Coder: a number key and the equal bigint key are the same key', async () => {
    await using env = open(tempDir())
    const db = env.openDb('u64', { keyCoder: new UInt64Coder(), valueCoder: new StringCoder() })
    await db.put(2 ** 40 as unknown as bigint, 'number')
    await db.put(2n ** 40n, 'bigint')
    expect(await db.count()).toBe(1)
    expect(await db.get(2 ** 40 as unknown as bigint)).toBe('bigint')
  })

  const bad: { name: string; coder: () => Coder<any>; good: unknown; values: [unknown, typeof RangeError | typeof TypeError][] }[] = [
    {
      name: 'UInt16Coder',
      coder: () => new UInt16Coder(),
      good: 1,
      values: [[-1, RangeError], [65536, RangeError], [1.5, RangeError], [2 ** 53, RangeError], [NaN, RangeError], ['1', TypeError], [1n, TypeError]],
    },
    {
      name: 'UInt32Coder',
      coder: () => new UInt32Coder(),
      good: 1,
      values: [[-1, RangeError], [2 ** 32, RangeError], [1.5, RangeError], [2 ** 53, RangeError], [Infinity, RangeError], ['1', TypeError], [null, TypeError]],
    },
    {
      name: 'UInt64Coder',
      coder: () => new UInt64Coder(),
      good: 1n,
      values: [[-1, RangeError], [-1n, RangeError], [2n ** 64n, RangeError], [1.5, RangeError], [2 ** 53, RangeError], ['1', TypeError], [undefined, TypeError]],
    },
  ]

  for (const c of bad) {
    it(`${c.name}: out of range, non-integer, unsafe and wrong-type input rejects with CoderError and writes nothing`, async () => {
      await using env = open(tempDir())
      const asKey = env.openDb<unknown, unknown>('asKey', { keyCoder: c.coder(), valueCoder: new StringCoder() })
      const asValue = env.openDb<unknown, unknown>('asValue', { keyCoder: new StringCoder(), valueCoder: c.coder() })
      for (const [value, causeType] of c.values) {
        const label = `${typeof value} ${String(value)}`
        for (const attempt of [asKey.put(value, 'x'), asValue.put('k', value)]) {
          const err = await attempt.then(
            () => expect.fail(`${label} was accepted`),
            (e: unknown) => e,
          )
          expect(err, label).toBeInstanceOf(errors.CoderError)
          const coderError = err as InstanceType<typeof errors.CoderError>
          expect(coderError.cause, label).toBeInstanceOf(causeType)
          expect(coderError.coder).toBe(c.name)
        }
        await expect(asKey.get(value), label).rejects.toBeInstanceOf(errors.CoderError)
        expect(() => asKey.getSync(value), label).toThrow(errors.CoderError)
        await expect(asValue.putMany([['a', c.good], ['b', value]]), label).rejects.toBeInstanceOf(errors.CoderError)
        await expect(asValue.replace('k', value), label).rejects.toBeInstanceOf(errors.CoderError)
      }
      expect(await asKey.count()).toBe(0)
      expect(await asValue.count()).toBe(0)
      expect(env.stat().entries).toBe(2) // the two named databases, nothing else
    })
  }
})

describe('JSONCoder', () => {
  it('stores exactly JSON.stringify output', async () => {
    await using env = open(tempDir())
    const db = env.openDb('j', { keyCoder: new StringCoder(), valueCoder: new JSONCoder() })
    const raw = env.openDb('j')
    const values: unknown[] = [
      { a: 1, b: [true, null, 'x'], c: { d: 1.5e-7 } },
      [],
      {},
      'plain "quoted" \\ string\n',
      'ünïcödé ✓ 🎉',
      0,
      -12.5,
      1e21,
      null,
      true,
      { date: new Date(0), skipped: undefined, nan: NaN },
      { toJSON: () => ({ custom: true }) },
    ]
    for (const [i, value] of values.entries()) {
      await db.put(`k${i}`, value)
      expect(await raw.get(b(`k${i}`))).toEqual(Buffer.from(JSON.stringify(value), 'utf8'))
      expect(await db.get(`k${i}`)).toEqual(JSON.parse(JSON.stringify(value)))
    }
    // JSON written by anyone else is read back
    await raw.put(b('external'), b(' { "spaced" : [ 1 , 2 ] } '))
    expect(await db.get('external')).toEqual({ spaced: [1, 2] })
  })

  it('a value with no JSON form rejects with CoderError and writes nothing', async () => {
    await using env = open(tempDir())
    const db = env.openDb('j', { keyCoder: new StringCoder(), valueCoder: new JSONCoder() })
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    for (const value of [undefined, () => 1, Symbol('s'), 10n, cyclic]) {
      const err = await db.put('k', value).then(
        () => expect.fail(`${String(typeof value)} was accepted`),
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(errors.CoderError)
      expect((err as InstanceType<typeof errors.CoderError>).coder).toBe('JSONCoder')
      expect((err as InstanceType<typeof errors.CoderError>).database).toBe('j')
      expect((err as Error).cause).toBeInstanceOf(Error)
    }
    await expect(db.putMany([['a', 1], ['b', undefined]])).rejects.toBeInstanceOf(errors.CoderError)
    expect(await db.count()).toBe(0)
  })

  it('stored bytes that are not JSON make reads reject with CoderError naming JSONCoder and the database', async () => {
    await using env = open(tempDir())
    const db = env.openDb('docs', { keyCoder: new StringCoder(), valueCoder: new JSONCoder() })
    const raw = env.openDb('docs')
    await raw.put(b('bad'), b('{not json'))
    await raw.put(b('good'), b('[1]'))

    const err = await db.get('bad').then(
      () => expect.fail('read as JSON'),
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(errors.CoderError)
    const coderError = err as InstanceType<typeof errors.CoderError>
    expect(coderError.coder).toBe('JSONCoder')
    expect(coderError.database).toBe('docs')
    expect(coderError.message).toContain('JSONCoder')
    expect(coderError.message).toContain('docs')
    expect(coderError.cause).toBeInstanceOf(SyntaxError)

    expect(() => db.getSync('bad')).toThrow(errors.CoderError)
    await expect(db.getMany(['good', 'bad'])).rejects.toBeInstanceOf(errors.CoderError)
    expect(() => db.getManySync(['good', 'bad'])).toThrow(errors.CoderError)
    // the good value and has() are unaffected
    expect(await db.get('good')).toEqual([1])
    expect(await db.has('bad')).toBe(true)
    // in one tick, among gets sharing a batch: the bad one rejects alone,
    // each other gets its own value, or its own default
    const reads = await Promise.allSettled([
      db.get('good'), db.get('bad'), db.get('absent', 'dflt'), db.has('good'), db.get('absent'), db.get('good', 'unused'),
    ])
    expect(reads.map((r) => (r.status === 'fulfilled' ? r.value : r.reason.constructor))).toEqual([
      [1], errors.CoderError, 'dflt', true, undefined, [1],
    ])

    // the default database is named null in the error
    const def = env.openDb(null, { keyCoder: new StringCoder(), valueCoder: new JSONCoder() })
    await env.defaultDb.put(b('bad'), b('nope'))
    const defErr = await def.get('bad').then(
      () => expect.fail('read as JSON'),
      (e: unknown) => e,
    )
    expect(defErr).toBeInstanceOf(errors.CoderError)
    expect((defErr as InstanceType<typeof errors.CoderError>).database).toBeNull()
  })
})

describe('MsgPackCoder', () => {
  it('stores {a:1} as 81 a1 61 01', async () => {
    await using env = open(tempDir())
    const db = env.openDb('m', { keyCoder: new StringCoder(), valueCoder: new MsgPackCoder() })
    await db.put('k', { a: 1 })
    expect(await env.openDb('m').get(b('k'))).toEqual(Buffer.from([0x81, 0xa1, 0x61, 0x01]))
  })

  const samples: [string, unknown][] = [
    ['object', { a: 1, b: 'two', c: [1, 2, 3], d: { e: null } }],
    ['empty object', {}],
    ['big object', Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`key${i}`, i]))],
    ['array', [1, 'x', true, null, [2, [3]]]],
    ['empty array', []],
    ['long array', Array.from({ length: 300 }, (_, i) => i)],
    ['short string', 'hi'],
    ['empty string', ''],
    ['string of 40 bytes', 'x'.repeat(40)],
    ['string of 300 bytes', 'y'.repeat(300)],
    ['string of 70000 bytes', 'z'.repeat(70_000)],
    ['unicode string', 'ünïcödé ✓ 🎉'],
    ['zero', 0],
    ['positive fixint', 127],
    ['uint8', 200],
    ['uint16', 60_000],
    ['uint32', 4_000_000_000],
    ['negative fixint', -5],
    ['int8', -100],
    ['int16', -30_000],
    ['int32', -2_000_000_000],
    ['large safe integer', 2 ** 50],
    ['float', 1.5],
    ['negative float', -1234.5678],
    ['true', true],
    ['false', false],
    ['null', null],
    ['binary', new Uint8Array([0, 1, 2, 255])],
    ['large binary', new Uint8Array(70_000).fill(9)],
  ]

  it('values of every length up to past the small-copy limit go into a batch whole, one by one and in a putMany', async () => {
    await using env = open(tempDir())
    const db = env.openDb('m', { keyCoder: 'string', valueCoder: 'msgpack' })
    const raw = env.openDb('m')
    // 0 to 600 characters, each string different throughout: a byte out of place shows
    const value = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + ((i * 7 + n) % 26))).join('')
    const lengths = Array.from({ length: 601 }, (_, n) => n)
    await Promise.all(lengths.map((n) => db.put(`one:${n}`, value(n))))
    await db.putMany(lengths.map((n) => [`many:${n}`, value(n)] as [string, string]))
    for (const n of lengths) {
      for (const key of [`one:${n}`, `many:${n}`]) {
        expect(db.getSync(key)).toBe(value(n))
        expect(decode(raw.getSync(b(key))!)).toBe(value(n))
      }
    }
  })

  // what @msgpack/msgpack gives back: binary as Uint8Array
  const asPlain = (v: unknown): unknown => (v instanceof Uint8Array ? new Uint8Array(v) : v)

  it('values it writes are decoded by @msgpack/msgpack', async () => {
    await using env = open(tempDir())
    const db = env.openDb('m', { keyCoder: new StringCoder(), valueCoder: new MsgPackCoder() })
    const raw = env.openDb('m')
    for (const [label, value] of samples) {
      await db.put(label, value)
      const stored = (await raw.get(b(label)))!
      expect(asPlain(decode(stored)), label).toEqual(asPlain(value))
    }
    // a Date uses the standard timestamp extension
    await db.put('date', new Date(1_700_000_000_123))
    expect(decode((await raw.get(b('date')))!)).toEqual(new Date(1_700_000_000_123))
  })

  it('values @msgpack/msgpack wrote are read back', async () => {
    await using env = open(tempDir())
    const db = env.openDb('m', { keyCoder: new StringCoder(), valueCoder: new MsgPackCoder() })
    const raw = env.openDb('m')
    for (const [label, value] of samples) await raw.put(b(label), Buffer.from(encode(value)))
    await raw.put(b('date'), Buffer.from(encode(new Date(1_700_000_000_123))))
    for (const [label, value] of samples) {
      const got = await db.get(label)
      expect(asPlain(got), label).toEqual(asPlain(value))
    }
    const all = await db.getMany(samples.map(([label]) => label))
    expect(all.map(asPlain)).toEqual(samples.map(([, v]) => asPlain(v)))
    expect(await db.get('date')).toEqual(new Date(1_700_000_000_123))
  })

  it('uses the smallest standard encodings (byte-identical to @msgpack/msgpack for common values)', async () => {
    await using env = open(tempDir())
    const db = env.openDb('m', { keyCoder: new StringCoder(), valueCoder: new MsgPackCoder() })
    const raw = env.openDb('m')
    const common: unknown[] = [
      { a: 1 }, [1, 2, 3], 'hi', 'x'.repeat(40), 'y'.repeat(300), 0, 127, 200, 60_000, -5, -100, -30_000,
      1.5, true, false, null, new Uint8Array([1, 2]),
    ]
    for (const [i, value] of common.entries()) {
      await db.put(`c${i}`, value)
      expect(await raw.get(b(`c${i}`)), JSON.stringify(value)).toEqual(Buffer.from(encode(value)))
    }
  })

  it('a value MessagePack cannot hold rejects with CoderError; undecodable bytes too', async () => {
    await using env = open(tempDir())
    const db = env.openDb('m', { keyCoder: new StringCoder(), valueCoder: new MsgPackCoder() })
    for (const value of [Symbol('s'), 2n ** 64n]) {
      const err = await db.put('k', value).then(
        () => expect.fail('accepted'),
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(errors.CoderError)
      expect((err as InstanceType<typeof errors.CoderError>).coder).toBe('MsgPackCoder')
      expect((err as InstanceType<typeof errors.CoderError>).database).toBe('m')
    }
    expect(await db.count()).toBe(0)
    // a truncated map header
    await env.openDb('m').put(b('bad'), Buffer.from([0xde]))
    await expect(db.get('bad')).rejects.toBeInstanceOf(errors.CoderError)
  })
})

describe('V8Coder', () => {
  it('round-trips Map, Set, Date, BigInt, typed arrays and cyclic nested objects', async () => {
    await using env = open(tempDir())
    const db = env.openDb('v', { keyCoder: new StringCoder(), valueCoder: new V8Coder() })
    const cyclic: Record<string, unknown> = { name: 'root', list: [1, 2] }
    cyclic.self = cyclic
    ;(cyclic.list as unknown[]).push(cyclic)
    cyclic.child = { parent: cyclic, map: new Map([['back', cyclic]]) }

    const values: Record<string, unknown> = {
      map: new Map<unknown, unknown>([['a', 1], [2, { b: [3] }], [null, new Set(['x'])]]),
      set: new Set([1, 'two', 3n]),
      date: new Date(Date.UTC(2020, 1, 29, 12, 0, 0, 5)),
      bigint: 2n ** 100n + 7n,
      negativeBigint: -(2n ** 70n),
      u8: new Uint8Array([1, 2, 255]),
      i32: new Int32Array([-1, 2 ** 31 - 1]),
      f64: new Float64Array([Math.PI, -0, Infinity]),
      u64: new BigUint64Array([2n ** 64n - 1n]),
      nested: { a: [{ b: { c: new Map([[1, new Date(0)]]) } }], undef: undefined, nan: NaN },
      regexp: /ab+c/gi,
    }
    for (const [k, v] of Object.entries(values)) await db.put(k, v)
    await db.put('cyclic', cyclic)

    for (const [k, v] of Object.entries(values)) {
      const got = await db.get(k)
      expect(got, k).toEqual(v)
      if (v !== null && typeof v === 'object') expect(Object.getPrototypeOf(got), k).toBe(Object.getPrototypeOf(v))
    }
    expect((await db.get('bigint')) === 2n ** 100n + 7n).toBe(true)
    expect(Object.is((db.getSync('f64') as Float64Array)[1], -0)).toBe(true)
    expect(Object.hasOwn(db.getSync('nested') as object, 'undef')).toBe(true)

    const got = (await db.get('cyclic')) as Record<string, any>
    expect(got.name).toBe('root')
    expect(got.self).toBe(got)
    expect(got.list[2]).toBe(got)
    expect(got.child.parent).toBe(got)
    expect(got.child.map.get('back')).toBe(got)

    const [fromMany] = await db.getMany(['cyclic'])
    expect((fromMany as Record<string, unknown>).self).toBe(fromMany)
    expect(await db.pop('map')).toEqual(values.map)
  })

  it('a value that cannot be cloned rejects with CoderError', async () => {
    await using env = open(tempDir())
    const db = env.openDb('v', { keyCoder: new StringCoder(), valueCoder: new V8Coder() })
    for (const value of [() => 1, Symbol('s'), { f: () => 1 }]) {
      const err = await db.put('k', value).then(
        () => expect.fail('accepted'),
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(errors.CoderError)
      expect((err as InstanceType<typeof errors.CoderError>).coder).toBe('V8Coder')
      expect((err as InstanceType<typeof errors.CoderError>).database).toBe('v')
    }
    expect(await db.count()).toBe(0)
  })
})

/** Dates as 8 big-endian bytes of milliseconds since the epoch (non-negative). */
class DateCoder extends Coder<Date> {
  received: unknown[] = []
  serialize(value: Date): Uint8Array {
    if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new TypeError('expected a valid Date')
    const out = Buffer.alloc(8)
    out.writeBigUInt64BE(BigInt(value.getTime()))
    return out
  }
  deserialize(bytes: Buffer): Date {
    this.received.push(bytes)
    return new Date(Number(bytes.readBigUInt64BE(0)))
  }
}

interface Point {
  x: number
  y: number
}

/** Points as two big-endian doubles. */
class PointCoder extends Coder<Point> {
  received: unknown[] = []
  serialize(value: Point): Uint8Array {
    if (typeof value?.x !== 'number' || typeof value?.y !== 'number') throw new TypeError('expected a point')
    const out = Buffer.alloc(16)
    out.writeDoubleBE(value.x, 0)
    out.writeDoubleBE(value.y, 8)
    return out
  }
  deserialize(bytes: Buffer): Point {
    this.received.push(bytes)
    if (bytes.length !== 16) throw new RangeError(`a point is 16 bytes, not ${bytes.length}`)
    return { x: bytes.readDoubleBE(0), y: bytes.readDoubleBE(8) }
  }
}

/** Keeps every Buffer it is given and returns it as the value. */
class KeepingCoder extends Coder<Buffer> {
  kept: Buffer[] = []
  serialize(value: Buffer): Uint8Array {
    return value
  }
  deserialize(bytes: Buffer): Buffer {
    this.kept.push(bytes)
    return bytes
  }
}

describe('custom coders', () => {
  it('getSync: text values read one after another each stay whole; a text coder that keeps the bytes it is given keeps its own', async () => {
    await using env = open(tempDir())
    /** A text coder whose `deserialize` keeps the very bytes it is handed (no copy). */
    class KeepBytes extends TextCoder<Buffer | string> {
      serializeText(value: Buffer | string): string {
        return value.toString()
      }
      deserializeText(text: string): string {
        return text
      }
      override deserialize(bytes: Buffer): Buffer {
        return bytes
      }
    }
    const text = env.openDb('t', { keyCoder: 'string', valueCoder: 'json' })
    const kept = env.openDb('t', { keyCoder: 'string', valueCoder: new KeepBytes() })
    const value = (i: number) => ({ i, pad: 'x'.repeat(i % 300) })
    await text.putMany(Array.from({ length: 2000 }, (_, i) => [`k${i}`, value(i)] as [string, unknown]))
    // many reads in one stretch: far more than one slab's worth of bytes
    const read = Array.from({ length: 2000 }, (_, i) => text.getSync(`k${i}`))
    read.forEach((v, i) => expect(v).toEqual(value(i)))
    const bytes = Array.from({ length: 2000 }, (_, i) => kept.getSync(`k${i}`) as Buffer)
    bytes.forEach((v, i) => expect(JSON.parse(v.toString())).toEqual(value(i)))
  })

  it('getSync through a text coder reads what get reads: past a slab, compressed, not UTF-8; absent is undefined; text it cannot parse is a CoderError', async () => {
    await using env = open(tempDir())
    const raw = env.openDb('t')
    const json = env.openDb('t', { keyCoder: 'string', valueCoder: 'json' })
    const text = env.openDb('t', { keyCoder: 'string', valueCoder: 'string' })
    const zipped = env.openDb('z', { keyCoder: 'string', valueCoder: new JSONCoder().compressed() })
    // 80,000 bytes of UTF-8: more than a slab holds
    const big = { pad: '\u00e9'.repeat(40_000) }
    await Promise.all([json.put('big', big), zipped.put('big', big), raw.put(b('bad'), Buffer.from([0x61, 0xff, 0x62]))])
    expect(json.getSync('big')).toEqual(big)
    expect(zipped.getSync('big')).toEqual(big)
    expect(text.getSync('bad')).toBe('a\ufffdb')
    expect(text.getSync('bad')).toBe(await text.get('bad'))
    expect(json.getSync('absent')).toBeUndefined()
    expect(zipped.getSync('absent')).toBeUndefined()
    expect(() => json.getSync('bad')).toThrow(errors.CoderError)
    // the reads around a failed one are whole
    expect(text.getSync('big')).toBe(JSON.stringify(big))
  })

  it('getSync: a text coder that reads another database while it decodes keeps what it read whole', async () => {
    await using env = open(tempDir())
    const raw = env.openDb('raw')
    /** Decodes a name into the name and the bytes stored for it in `raw` (a view `getSync` hands out). */
    class WithBytes extends TextCoder<{ name: string; bytes?: Buffer }> {
      serializeText(value: { name: string }): string {
        return value.name
      }
      deserializeText(name: string): { name: string; bytes?: Buffer } {
        return { name, bytes: raw.getSync(b(name)) }
      }
    }
    const db = env.openDb('named', { keyCoder: 'string', valueCoder: new WithBytes() })
    const bytesOf = (i: number) => Buffer.alloc(100 + (i % 50), i & 0xff)
    await raw.putMany(Array.from({ length: 500 }, (_, i) => [b(`n${i}`), bytesOf(i)] as [Buffer, Buffer]))
    await db.putMany(Array.from({ length: 500 }, (_, i) => [`k${i}`, { name: `n${i}` }] as [string, { name: string }]))
    const read = Array.from({ length: 500 }, (_, i) => db.getSync(`k${i}`))
    read.forEach((v, i) => expect(v).toEqual({ name: `n${i}`, bytes: bytesOf(i) }))
  })

  it('a user Coder subclass works as key and value in every read and write path', async () => {
    await using env = open(tempDir())
    const keys = new DateCoder()
    const values = new PointCoder()
    const db = env.openDb('points', { keyCoder: keys, valueCoder: values })
    const raw = env.openDb('points')
    const d = (i: number) => new Date(1_600_000_000_000 + i * 1000)
    const p = (i: number): Point => ({ x: i + 0.5, y: -i })

    expect(await db.put(d(0), p(0))).toBe(true)
    expect(await db.put(d(0), p(0), { noOverwrite: true })).toBe(false)
    expect(await db.putMany([[d(1), p(1)], [d(2), p(2)]])).toBe(2)
    async function* more(): AsyncGenerator<[Date, Point]> {
      for (let i = 3; i < 6; i++) {
        await new Promise((r) => setImmediate(r))
        yield [d(i), p(i)]
      }
    }
    expect(await db.putMany(more())).toBe(3)
    expect(await db.count()).toBe(6)

    // the stored form is the coder's
    const keyBytes = Buffer.alloc(8)
    keyBytes.writeBigUInt64BE(BigInt(d(2).getTime()))
    expect(await raw.get(keyBytes)).toEqual(Buffer.from(values.serialize(p(2))))

    values.received.length = 0
    expect(await db.get(d(1))).toEqual(p(1))
    expect(db.getSync(d(2))).toEqual(p(2))
    expect(await db.get(d(99))).toBeUndefined()
    expect(await db.get(d(99), p(-1))).toEqual(p(-1))
    expect(await db.getMany([d(5), d(99), d(0)])).toEqual([p(5), undefined, p(0)])
    expect(db.getManySync([d(3), d(4)])).toEqual([p(3), p(4)])
    expect(values.received.length).toBe(6)
    for (const bytes of values.received) expect(Buffer.isBuffer(bytes)).toBe(true)

    expect(await db.has(d(3))).toBe(true)
    expect(db.hasSync(d(99))).toBe(false)
    expect(await db.replace(d(3), p(30))).toEqual(p(3))
    expect(await db.replace(d(50), p(50))).toBeUndefined()
    expect(await db.get(d(3))).toEqual(p(30))
    expect(await db.pop(d(4))).toEqual(p(4))
    expect(await db.pop(d(4))).toBeUndefined()
    expect(await db.delete(d(5))).toBe(true)
    expect(await db.delete(d(5))).toBe(false)
    expect(await db.deleteMany([d(0), d(1), d(99)])).toBe(2)
    expect(await db.getMany([d(0), d(1), d(2), d(3), d(4), d(5), d(50)])).toEqual([
      undefined, undefined, p(2), p(30), undefined, undefined, p(50),
    ])
    expect(await db.count()).toBe(3)

    // the key coder's failure and the value coder's failure are CoderErrors naming them
    const keyErr = await db.put(new Date(NaN), p(0)).then(() => expect.fail('accepted'), (e: unknown) => e)
    expect(keyErr).toBeInstanceOf(errors.CoderError)
    expect((keyErr as InstanceType<typeof errors.CoderError>).coder).toBe('DateCoder')
    const valueErr = await db.put(d(7), { x: 'no' } as unknown as Point).then(() => expect.fail('accepted'), (e: unknown) => e)
    expect(valueErr).toBeInstanceOf(errors.CoderError)
    expect((valueErr as InstanceType<typeof errors.CoderError>).coder).toBe('PointCoder')
    expect((valueErr as InstanceType<typeof errors.CoderError>).database).toBe('points')
    await expect(db.delete(new Date(NaN))).rejects.toBeInstanceOf(errors.CoderError)
    await expect(db.deleteMany([d(2), new Date(NaN)])).rejects.toBeInstanceOf(errors.CoderError)
    await expect(db.has(new Date(NaN))).rejects.toBeInstanceOf(errors.CoderError)
    expect(await db.count()).toBe(3)
    // a deserialize failure is a CoderError too
    await raw.put(keyBytes, b('short'))
    await expect(db.get(d(2))).rejects.toBeInstanceOf(errors.CoderError)
    await expect(db.pop(d(2))).rejects.toBeInstanceOf(errors.CoderError)
  })

  it('a custom coder that does not return a Uint8Array is a CoderError', async () => {
    await using env = open(tempDir())
    class Broken extends Coder<string> {
      serialize(value: string): Uint8Array {
        return value as unknown as Uint8Array
      }
      deserialize(bytes: Buffer): string {
        return bytes.toString()
      }
    }
    const db = env.openDb('x', { keyCoder: new StringCoder(), valueCoder: new Broken() })
    const err = await db.put('k', 'v').then(() => expect.fail('accepted'), (e: unknown) => e)
    expect(err).toBeInstanceOf(errors.CoderError)
    expect((err as InstanceType<typeof errors.CoderError>).coder).toBe('Broken')
    expect(await db.count()).toBe(0)
  })

  it('a TextCoder subclass stores the UTF-8 of serializeText, in puts of one tick and in putMany alike', async () => {
    await using env = open(tempDir())
    class Upper extends TextCoder<string> {
      serializeText(value: string): string {
        return value.toUpperCase()
      }
      deserializeText(text: string): string {
        return text.toLowerCase()
      }
    }
    const db = env.openDb('t', { keyCoder: new StringCoder(), valueCoder: new Upper() })
    const raw = env.openDb('t')
    const long = 'é✓🎉'.repeat(4000) // larger than a batch buffer's first 16 KiB, 3-4 bytes per character
    const lone = 'a\ud800b' // a lone surrogate is stored as U+FFFD, as Buffer.from stores it
    await Promise.all([db.put('long', long), db.put('lone', lone), db.put('empty', ''), db.putMany([['many', 'xy']])])
    expect(await raw.get(b('long'))).toEqual(Buffer.from(long.toUpperCase(), 'utf8'))
    expect(await raw.get(b('lone'))).toEqual(Buffer.from(lone.toUpperCase(), 'utf8'))
    expect(await raw.get(b('empty'))).toEqual(Buffer.alloc(0))
    expect(await raw.get(b('many'))).toEqual(b('XY'))
    expect(await db.get('long')).toBe(long.toLowerCase())
  })

  it('a JSONCoder subclass that overrides serialize is called through it', async () => {
    await using env = open(tempDir())
    class Tagged extends JSONCoder {
      override serialize(value: unknown): Uint8Array {
        return Buffer.concat([b('#'), super.serialize(value)])
      }
      override deserialize(bytes: Buffer): unknown {
        return super.deserialize(bytes.subarray(1))
      }
    }
    const db = env.openDb('t', { keyCoder: new StringCoder(), valueCoder: new Tagged() })
    await db.put('k', { a: 1 })
    expect(await env.openDb('t').get(b('k'))).toEqual(b('#{"a":1}'))
    expect(await db.get('k')).toEqual({ a: 1 })
  })

  it('a TextCoder whose serializeText does not return a string is a CoderError', async () => {
    await using env = open(tempDir())
    class Broken extends TextCoder<string> {
      serializeText(value: string): string {
        return value.length as unknown as string
      }
      deserializeText(text: string): string {
        return text
      }
    }
    const db = env.openDb('x', { keyCoder: new StringCoder(), valueCoder: new Broken() })
    const err = await db.put('k', 'v').then(() => expect.fail('accepted'), (e: unknown) => e)
    expect(err).toBeInstanceOf(errors.CoderError)
    expect((err as InstanceType<typeof errors.CoderError>).coder).toBe('Broken')
    expect(await db.count()).toBe(0)
  })

  it('deserialize receives Buffers the caller may keep and mutate', async () => {
    await using env = open(tempDir())
    const coder = new KeepingCoder()
    const db = env.openDb('keep', { keyCoder: new UInt32Coder(), valueCoder: coder })
    const valueOf = (i: number) => Buffer.from(`value number ${i} `.repeat((i % 5) + 1))
    const n = 200
    await db.putMany(Array.from({ length: n }, (_, i): [number, Buffer] => [i, valueOf(i)]))

    const keys = Array.from({ length: n }, (_, i) => i)
    const many = await db.getMany(keys)
    const manySync = db.getManySync(keys)
    expect(coder.kept.length).toBe(2 * n)
    const kept = coder.kept.slice()
    for (const buf of kept) expect(Buffer.isBuffer(buf)).toBe(true)
    expect(many).toEqual(keys.map(valueOf))
    expect(manySync).toEqual(keys.map(valueOf))

    // mutating one kept buffer changes nothing else
    kept[0].fill(0xee)
    kept[n + 1].fill(0xdd)
    for (let i = 0; i < 2 * n; i++) {
      if (i === 0 || i === n + 1) continue
      expect(kept[i], `buffer ${i}`).toEqual(valueOf(i % n))
    }

    // further reads and writes do not touch the kept buffers either
    await db.putMany(keys.map((i): [number, Buffer] => [i, Buffer.alloc(valueOf(i).length, 0x42)]))
    expect(await db.getMany(keys)).toEqual(keys.map((i) => Buffer.alloc(valueOf(i).length, 0x42)))
    expect(db.getManySync(keys.slice(0, 50))).toEqual(keys.slice(0, 50).map((i) => Buffer.alloc(valueOf(i).length, 0x42)))
    for (let i = 0; i < 20; i++) db.getSync(i)
    await Promise.all(keys.map((i) => db.get(i)))
    await db.deleteMany(keys.slice(100))
    await db.put(0, b('new zero'))
    for (let i = 0; i < 2 * n; i++) {
      if (i === 0 || i === n + 1) continue
      expect(kept[i], `buffer ${i} after more reads and writes`).toEqual(valueOf(i % n))
    }
    expect(kept[0]).toEqual(Buffer.alloc(valueOf(0).length, 0xee))
    expect(kept[n + 1]).toEqual(Buffer.alloc(valueOf(1).length, 0xdd))

    // and mutating them never changed what is stored
    const again = await db.getMany(keys.slice(0, 100))
    expect(again[0]).toEqual(b('new zero'))
    expect(again.slice(1)).toEqual(keys.slice(1, 100).map((i) => Buffer.alloc(valueOf(i).length, 0x42)))
  })

  it('Buffers from IdentityCoder reads may be mutated without changing the stored values', async () => {
    await using env = open(tempDir())
    const db = env.openDb('raw')
    const keys = Array.from({ length: 50 }, (_, i) => b(`key${String(i).padStart(3, '0')}`))
    await db.putMany(keys.map((k, i): [Buffer, Buffer] => [k, Buffer.alloc(100 + i, i)]))
    const values = (await db.getMany(keys)) as Buffer[]
    values[10].fill(0xff)
    const sync = db.getSync(keys[11])!
    sync.fill(0xff)
    for (let i = 0; i < keys.length; i++) {
      if (i === 10) continue
      expect(values[i]).toEqual(Buffer.alloc(100 + i, i))
    }
    expect(await db.get(keys[10])).toEqual(Buffer.alloc(110, 10))
    expect(await db.get(keys[11])).toEqual(Buffer.alloc(111, 11))
    expect(db.getSync(keys[10])).toEqual(Buffer.alloc(110, 10))
  })
})

describe('bad input', () => {
  it('a putMany of 100 entries with one bad value rejects with CoderError and writes nothing', async () => {
    await using env = open(tempDir())
    const db = env.openDb('s', { keyCoder: new StringCoder(), valueCoder: new StringCoder() })
    await db.put('existing', 'before')
    const entries = Array.from({ length: 100 }, (_, i): [string, string] => [`k${i}`, `v${i}`])
    entries[57] = ['k57', 57 as unknown as string]
    const err = await db.putMany(entries).then(() => expect.fail('accepted'), (e: unknown) => e)
    expect(err).toBeInstanceOf(errors.CoderError)
    expect((err as InstanceType<typeof errors.CoderError>).coder).toBe('StringCoder')
    expect((err as InstanceType<typeof errors.CoderError>).database).toBe('s')
    expect((err as Error).cause).toBeInstanceOf(TypeError)
    expect(await db.count()).toBe(1)
    expect(await db.get('k0')).toBeUndefined()

    // the same from an async iterable, and with one bad key
    async function* gen(): AsyncGenerator<[string, string]> {
      for (const entry of entries) yield entry
    }
    await expect(db.putMany(gen())).rejects.toBeInstanceOf(errors.CoderError)
    const badKey = entries.map(([k, v]): [string, string] => [k, v === (57 as unknown as string) ? 'ok' : v])
    badKey[99] = [{} as unknown as string, 'v99']
    await expect(db.putMany(badKey)).rejects.toBeInstanceOf(errors.CoderError)
    expect(await db.count()).toBe(1)
    expect(await db.get('existing')).toBe('before')

    // other writes issued alongside still commit
    const [bad, good] = await Promise.allSettled([db.putMany(entries), db.put('after', 'yes')])
    expect(bad.status).toBe('rejected')
    expect(good.status).toBe('fulfilled')
    expect(await db.count()).toBe(2)
  })

  const wrongTypes: { coder: () => Coder<any>; name: string; good: unknown; bad: unknown[] }[] = [
    { coder: () => new IdentityCoder(), name: 'IdentityCoder', good: b('x'), bad: ['string', 42, null, [1, 2], new ArrayBuffer(2)] },
    { coder: () => new StringCoder(), name: 'StringCoder', good: 'x', bad: [42, null, undefined, b('x'), {}] },
    { coder: () => new UInt16Coder(), name: 'UInt16Coder', good: 1, bad: ['1', null, {}, 1n] },
    { coder: () => new UInt32Coder(), name: 'UInt32Coder', good: 1, bad: ['1', null, [1], true] },
    { coder: () => new UInt64Coder(), name: 'UInt64Coder', good: 1n, bad: ['1', null, {}, true] },
    { coder: () => new JSONCoder(), name: 'JSONCoder', good: 1, bad: [undefined, () => 1, 1n] },
    { coder: () => new MsgPackCoder(), name: 'MsgPackCoder', good: 1, bad: [Symbol('x')] },
    { coder: () => new V8Coder(), name: 'V8Coder', good: 1, bad: [() => 1, Symbol('x')] },
  ]

  for (const c of wrongTypes) {
    it(`${c.name}: a value of the wrong type rejects with CoderError naming the coder and the database`, async () => {
      await using env = open(tempDir())
      const asValue = env.openDb<unknown, unknown>('values', { keyCoder: new StringCoder(), valueCoder: c.coder() })
      const asKey = env.openDb<unknown, unknown>('keys', { keyCoder: c.coder(), valueCoder: new StringCoder() })
      for (const value of c.bad) {
        const label = `${c.name} ${typeof value}`
        const attempts: [string, Promise<unknown>, string][] = [
          ['put value', asValue.put('k', value), 'values'],
          ['putMany value', asValue.putMany([['a', c.good], ['k', value]]), 'values'],
          ['replace value', asValue.replace('k', value), 'values'],
          ['put key', asKey.put(value, 'v'), 'keys'],
          ['get key', asKey.get(value), 'keys'],
          ['delete key', asKey.delete(value), 'keys'],
        ]
        for (const [what, attempt, database] of attempts) {
          const err = await attempt.then(() => expect.fail(`${label}: ${what} accepted`), (e: unknown) => e)
          expect(err, `${label}: ${what}`).toBeInstanceOf(errors.CoderError)
          const coderError = err as InstanceType<typeof errors.CoderError>
          expect(coderError.coder, `${label}: ${what}`).toBe(c.name)
          expect(coderError.database, `${label}: ${what}`).toBe(database)
          expect(coderError.message).toContain(c.name)
          expect(coderError.message).toContain(database)
          expect(coderError.cause).toBeInstanceOf(Error)
        }
      }
      expect(await asValue.count()).toBe(0)
      expect(await asKey.count()).toBe(0)
      // and the good value goes through
      await asValue.put('k', c.good)
      expect(await asValue.get('k')).toEqual(c.good)
    })
  }
})
