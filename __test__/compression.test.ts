import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  open, errors, Coder, CompressedCoder, IdentityCoder, StringCoder, JSONCoder, MsgPackCoder, V8Coder,
} from 'lmdb-napi'
import type { CompressionOptions, Database } from 'lmdb-napi'
import { b, tempDir } from './helpers.js'

type Algorithm = NonNullable<CompressionOptions['algorithm']>

/** The stored header byte of each algorithm (zlib with its length: 4); zstd is the default. */
const HEADER: Record<Algorithm, number> = { zlib: 4, zstd: 2, lz4: 3 }

const settings: { label: string; options: CompressionOptions | undefined; header: number }[] = [
  { label: 'default options', options: undefined, header: HEADER.zstd },
  { label: 'zlib', options: { algorithm: 'zlib' }, header: HEADER.zlib },
  { label: 'zlib level 9', options: { algorithm: 'zlib', level: 9 }, header: HEADER.zlib },
  { label: 'zlib level 1', options: { algorithm: 'zlib', level: 1 }, header: HEADER.zlib },
  { label: 'zstd', options: { algorithm: 'zstd' }, header: HEADER.zstd },
  { label: 'zstd level 19', options: { algorithm: 'zstd', level: 19 }, header: HEADER.zstd },
  { label: 'zstd level -5', options: { algorithm: 'zstd', level: -5 }, header: HEADER.zstd },
  { label: 'lz4', options: { algorithm: 'lz4' }, header: HEADER.lz4 },
]

/** A JSON string value whose JSON text is exactly `n` bytes. */
const jsonOfLength = (n: number): string => 'a'.repeat(n - 2)

function bigDoc(bytes: number): { rows: { id: number; name: string; tags: string[] }[] } {
  const rows = []
  let size = 0
  for (let id = 0; size < bytes; id++) {
    const row = { id, name: `row number ${id}`, tags: ['alpha', 'beta', 'gamma'] }
    size += JSON.stringify(row).length + 1
    rows.push(row)
  }
  return { rows }
}

const SMALL: unknown[] = [0, '', null, true, {}, [], 'x', { a: 1 }]
const SIZED: [string, unknown][] = [
  ['63 bytes', jsonOfLength(63)],
  ['64 bytes', jsonOfLength(64)],
  ['65 bytes', jsonOfLength(65)],
  ['10 KB', bigDoc(10_000)],
  ['1 MB', bigDoc(1_000_000)],
]

/** Every read and write path of a compressed value database. */
async function roundTrip(db: Database<string, unknown>, values: [string, unknown][]): Promise<void> {
  const half = Math.ceil(values.length / 2)
  for (const [k, v] of values.slice(0, half)) await db.put(k, v)
  expect(await db.putMany(values.slice(half))).toBe(values.length - half)
  const keys = values.map(([k]) => k)
  const want = values.map(([, v]) => v)
  for (const [k, v] of values) {
    expect(await db.get(k), k).toEqual(v)
    expect(db.getSync(k), k).toEqual(v)
  }
  expect(await db.getMany(keys)).toEqual(want)
  expect(db.getManySync(keys)).toEqual(want)
  // replace and pop hand back the previous (decompressed) value
  for (let i = 0; i < values.length; i++) {
    const [k, v] = values[i]
    const next = values[(i + 1) % values.length][1]
    expect(await db.replace(k, next), k).toEqual(v)
  }
  for (let i = 0; i < values.length; i++) {
    const [k] = values[i]
    expect(await db.pop(k), k).toEqual(values[(i + 1) % values.length][1])
  }
  expect(await db.count()).toBe(0)
}

describe('compressed JSONCoder round-trips values of every size', () => {
  for (const s of settings) {
    it(s.label, async () => {
      await using env = open(tempDir())
      const db = env.openDb('c', { keyCoder: new StringCoder(), valueCoder: new JSONCoder().compressed(s.options) })
      const values: [string, unknown][] = [
        ...SMALL.map((v, i): [string, unknown] => [`small${i}`, v]),
        ...SIZED,
      ]
      await roundTrip(db as Database<string, unknown>, values)
    })
  }

  it('MsgPackCoder, V8Coder, StringCoder and a custom coder can be compressed too', async () => {
    await using env = open(tempDir())
    class Upper extends Coder<string> {
      serialize(value: string): Uint8Array {
        return Buffer.from(value.toUpperCase())
      }
      deserialize(bytes: Buffer): string {
        return bytes.toString().toLowerCase()
      }
    }
    const doc = bigDoc(20_000)
    const cases: [string, CompressedCoder<any>, unknown][] = [
      ['msgpack', new MsgPackCoder().compressed({ algorithm: 'zstd' }), doc],
      ['v8', new V8Coder().compressed({ algorithm: 'lz4' }), new Map([['doc', doc]])],
      ['string', new StringCoder().compressed({ algorithm: 'zlib' }), 'text '.repeat(5000)],
      ['custom', new Upper().compressed(), 'shout '.repeat(5000)],
    ]
    for (const [name, coder, value] of cases) {
      const db = env.openDb<string, unknown>(name, { keyCoder: new StringCoder(), valueCoder: coder })
      await db.put('k', value)
      expect(await db.get('k'), name).toEqual(value)
      expect(db.getSync('k'), name).toEqual(value)
      const stored = (await env.openDb(name).get(b('k')))!
      expect(stored[0], name).not.toBe(0)
      expect(coder).toBeInstanceOf(CompressedCoder)
      expect(stored.length, name).toBeLessThan(coder.inner.serialize(value).length / 4)
    }
  })
})

describe('the stored form carries a header', () => {
  for (const s of settings) {
    it(`${s.label}: long values start with ${s.header} and shrink; short ones are 0 + the raw bytes`, async () => {
      await using env = open(tempDir())
      const db = env.openDb('c', { keyCoder: new StringCoder(), valueCoder: new JSONCoder().compressed(s.options) })
      const raw = env.openDb('c')

      const long = bigDoc(10_000)
      const longText = Buffer.from(JSON.stringify(long))
      await db.put('long', long)
      const stored = (await raw.get(b('long')))!
      expect(stored[0]).toBe(s.header)
      expect(stored.length).toBeLessThan(longText.length / 3)

      // 64 bytes (the threshold) of a repeated character are compressed
      await db.put('64', jsonOfLength(64))
      const at64 = (await raw.get(b('64')))!
      expect(at64[0]).toBe(s.header)
      expect(at64.length).toBeLessThan(64)

      // under 64 bytes: header 0, then exactly the JSON text
      for (const [i, value] of [...SMALL, jsonOfLength(63)].entries()) {
        await db.put(`short${i}`, value)
        const short = (await raw.get(b(`short${i}`)))!
        expect(short).toEqual(Buffer.concat([Buffer.from([0]), Buffer.from(JSON.stringify(value))]))
      }
    })
  }

  for (const algorithm of ['zlib', 'zstd', 'lz4'] as const) {
    it(`${algorithm}: incompressible random bytes are stored raw with header 0`, async () => {
      await using env = open(tempDir())
      const db = env.openDb('r', { valueCoder: new IdentityCoder().compressed({ algorithm }) })
      const raw = env.openDb('r')
      for (const size of [64, 100, 4096, 100_000]) {
        const noise = randomBytes(size)
        await db.put(b(`n${size}`), noise)
        const stored = (await raw.get(b(`n${size}`)))!
        expect(stored[0], `${size} bytes`).toBe(0)
        expect(stored.subarray(1), `${size} bytes`).toEqual(noise)
        expect(await db.get(b(`n${size}`))).toEqual(noise)
      }
      // a compressible binary value of the same sizes does get compressed
      await db.put(b('zeros'), Buffer.alloc(100_000))
      const zeros = (await raw.get(b('zeros')))!
      expect(zeros[0]).toBe(HEADER[algorithm])
      expect(zeros.length).toBeLessThan(2_000)
      expect(await db.get(b('zeros'))).toEqual(Buffer.alloc(100_000))
    })
  }

  it('values stored raw (header 0) and compressed read back alike, whoever wrote them', async () => {
    await using env = open(tempDir())
    const db = env.openDb('c', { keyCoder: new StringCoder(), valueCoder: new JSONCoder().compressed() })
    const raw = env.openDb('c')
    // a header-0 value longer than 64 bytes, written by hand
    const text = JSON.stringify({ list: Array.from({ length: 50 }, (_, i) => i) })
    await raw.put(b('hand'), Buffer.concat([Buffer.from([0]), Buffer.from(text)]))
    expect(await db.get('hand')).toEqual(JSON.parse(text))
    // values compressed by another algorithm's coder are read too (the header decides)
    for (const algorithm of ['zlib', 'zstd', 'lz4'] as const) {
      const value = bigDoc(5_000)
      await raw.put(b(algorithm), Buffer.from(new JSONCoder().compressed({ algorithm }).serialize(value)))
      expect(await db.get(algorithm), algorithm).toEqual(value)
    }
  })
})

describe('compression saves space', () => {
  it('2,000 compressible ~2 KB values take well under half the pages', async () => {
    const value = (i: number) => ({
      id: i,
      kind: 'measurement',
      readings: Array.from({ length: 60 }, (_, j) => ({ sensor: `sensor-${j % 6}`, ok: true })),
      note: 'the same note again and again. '.repeat(8),
    })
    expect(JSON.stringify(value(0)).length).toBeGreaterThan(1_800)
    expect(JSON.stringify(value(0)).length).toBeLessThan(3_000)
    const entries = Array.from({ length: 2_000 }, (_, i): [string, unknown] => [`key${String(i).padStart(5, '0')}`, value(i)])

    async function pagesWith(coder: Coder<unknown>): Promise<number> {
      await using env = open(tempDir())
      const db = env.openDb('space', { keyCoder: new StringCoder(), valueCoder: coder })
      expect(await db.putMany(entries)).toBe(entries.length)
      expect(await db.get('key01234')).toEqual(value(1234))
      const stat = await db.stat()
      expect(stat.entries).toBe(entries.length)
      return stat.leafPages + stat.overflowPages + stat.branchPages
    }
    const plain = await pagesWith(new JSONCoder())
    const compressed = await pagesWith(new JSONCoder().compressed())
    const lz4 = await pagesWith(new JSONCoder().compressed({ algorithm: 'lz4' }))
    expect(plain).toBeGreaterThan(1_000)
    expect(compressed).toBeLessThan(plain / 2)
    expect(compressed).toBeLessThan(plain / 5)
    expect(lz4).toBeLessThan(plain / 2)
  })
})

describe('CompressedCoder used directly', () => {
  for (const s of settings) {
    it(`${s.label}: serialize/deserialize give the stored form the database writes`, async () => {
      await using env = open(tempDir())
      const coder = new JSONCoder().compressed(s.options)
      const db = env.openDb('c', { keyCoder: new StringCoder(), valueCoder: coder })
      const raw = env.openDb('c')
      const values: [string, unknown][] = [['small', { a: 1 }], ['63', jsonOfLength(63)], ['64', jsonOfLength(64)], ['10k', bigDoc(10_000)]]
      for (const [k, v] of values) {
        const direct = coder.serialize(v)
        expect(direct).toBeInstanceOf(Uint8Array)
        expect(coder.deserialize(Buffer.from(direct)), k).toEqual(v)
        await db.put(k, v)
        const stored = (await raw.get(b(k)))!
        expect(Buffer.from(direct), k).toEqual(stored)
        expect(coder.deserialize(stored), k).toEqual(v)
        // and what serialize made, stored by hand, the database reads
        await raw.put(b(`${k}-direct`), Buffer.from(direct))
        expect(await db.get(`${k}-direct`), k).toEqual(v)
      }
      expect(Buffer.from(coder.serialize({ a: 1 }))).toEqual(Buffer.from([0, ...Buffer.from('{"a":1}')]))
    })
  }

  it('names, algorithm numbers and option checks', () => {
    const zlib = new JSONCoder().compressed({ algorithm: 'zlib', level: 6 })
    expect(zlib.name).toBe('JSONCoder.compressed')
    expect(zlib.algorithm).toBe(1)
    expect(zlib.level).toBe(6)
    expect(zlib.inner).toBeInstanceOf(JSONCoder)
    expect(new StringCoder().compressed().algorithm).toBe(2)
    expect(new StringCoder().compressed({ algorithm: 'lz4' }).algorithm).toBe(3)
    expect(zlib).toBeInstanceOf(Coder)
    expect(() => new JSONCoder().compressed({ algorithm: 'brotli' as Algorithm })).toThrow(TypeError)
    expect(() => new JSONCoder().compressed({ level: 1.5 })).toThrow(RangeError)
  })

  it('deserialize of damaged bytes throws', () => {
    const coder = new JSONCoder().compressed()
    expect(() => coder.deserialize(Buffer.from([2, 0xff, 0xff]))).toThrow(Error)
    expect(() => coder.deserialize(Buffer.from([9, 1, 2]))).toThrow(Error)
    expect(() => coder.deserialize(Buffer.alloc(0))).toThrow(Error)
  })
})

describe('damaged stored values', () => {
  async function expectCoderError(read: Promise<unknown>, database: string | null): Promise<void> {
    const err = await read.then(
      (v) => expect.fail(`read as ${JSON.stringify(v)}`),
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(errors.CoderError)
    const coderError = err as InstanceType<typeof errors.CoderError>
    expect(coderError.database).toBe(database)
    expect(coderError.coder).toContain('JSONCoder')
  }

  it('a damaged zstd value rejects with CoderError naming the database', async () => {
    await using env = open(tempDir())
    const db = env.openDb('docs', { keyCoder: new StringCoder(), valueCoder: new JSONCoder().compressed() })
    const raw = env.openDb('docs')
    await raw.put(b('bad'), Buffer.from([2, 0xff, 0xff]))
    await db.put('good', bigDoc(5_000))

    await expectCoderError(db.get('bad'), 'docs')
    await expectCoderError(db.getMany(['good', 'bad']), 'docs')
    expect(() => db.getSync('bad')).toThrow(errors.CoderError)
    expect(() => db.getManySync(['bad'])).toThrow(errors.CoderError)
    // the good value next to it still reads
    expect(await db.get('good')).toEqual(bigDoc(5_000))
    expect(await db.has('bad')).toBe(true)
  })

  it('other damage: unknown header, truncated streams, an empty value', async () => {
    await using env = open(tempDir())
    const db = env.openDb('docs', { keyCoder: new StringCoder(), valueCoder: new JSONCoder().compressed() })
    const raw = env.openDb('docs')
    const stored = (algorithm: Algorithm) => Buffer.from(new JSONCoder().compressed({ algorithm }).serialize(bigDoc(2_000)))
    const damaged: [string, Buffer][] = [
      ['empty', Buffer.alloc(0)],
      ['unknown header', Buffer.from([9, 1, 2, 3])],
      ['zlib garbage', Buffer.from([1, 1, 2, 3])],
      ['zlib truncated', stored('zlib').subarray(0, 20)],
      ['zstd truncated', stored('zstd').subarray(0, 20)],
      ['lz4 truncated header', Buffer.from([3, 1, 0])],
      ['lz4 truncated block', stored('lz4').subarray(0, 20)],
    ]
    for (const [k, bytes] of damaged) await raw.put(b(k), bytes)
    for (const [k] of damaged) {
      await expectCoderError(db.get(k), 'docs')
      expect(() => db.getSync(k), k).toThrow(errors.CoderError)
    }
    // the default database's name is null
    const def = env.openDb(null, { keyCoder: new StringCoder(), valueCoder: new JSONCoder().compressed({ algorithm: 'lz4' }) })
    await env.defaultDb.put(b('bad'), Buffer.from([2, 0xff, 0xff]))
    await expectCoderError(def.get('bad'), null)
  })

  it('an lz4 value whose stated length disagrees with its block is rejected, not read', async () => {
    await using env = open(tempDir())
    const db = env.openDb('docs', { keyCoder: new StringCoder(), valueCoder: new JSONCoder().compressed({ algorithm: 'lz4' }) })
    const raw = env.openDb('docs')
    // header 3, stated length 1000, then an LZ4 block holding the single literal '1'
    await raw.put(b('short'), Buffer.from([3, 0xe8, 0x03, 0, 0, 0x10, 0x31]))
    // stated length 4 GiB - 1 with the same block
    await raw.put(b('huge'), Buffer.from([3, 0xff, 0xff, 0xff, 0xff, 0x10, 0x31]))
    await expectCoderError(db.get('short'), 'docs')
    await expectCoderError(db.get('huge'), 'docs')
  })

  it('an unknown algorithm name in compressed() throws TypeError', () => {
    expect(() => new JSONCoder().compressed({ algorithm: 'gzip' as Algorithm })).toThrow(TypeError)
    expect(() => new IdentityCoder().compressed({ algorithm: '' as Algorithm })).toThrow(TypeError)
  })

  it('names inherited from Object.prototype are unknown algorithms too (TypeError)', () => {
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      expect(() => new JSONCoder().compressed({ algorithm: name as Algorithm }), name).toThrow(TypeError)
    }
  })
})

describe('decompressed Buffers belong to the caller', () => {
  it('mutating one value read by getMany changes no other value, kept or stored', async () => {
    await using env = open(tempDir())
    const db = env.openDb('c', { keyCoder: new StringCoder(), valueCoder: new IdentityCoder().compressed({ algorithm: 'lz4' }) })
    const valueOf = (i: number) => Buffer.from(`value ${i} `.repeat(20 + i))
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`)
    await db.putMany(keys.map((k, i): [string, Buffer] => [k, valueOf(i)]))
    const kept = (await db.getMany(keys)) as Buffer[]
    const keptSync = db.getManySync(keys) as Buffer[]
    kept[3].fill(0)
    keptSync[4].fill(0)
    await db.putMany(keys.map((k): [string, Buffer] => [k, Buffer.alloc(500, 7)]))
    await db.getMany(keys)
    db.getManySync(keys)
    for (let i = 0; i < keys.length; i++) {
      if (i !== 3) expect(kept[i], `kept ${i}`).toEqual(valueOf(i))
      if (i !== 4) expect(keptSync[i], `keptSync ${i}`).toEqual(valueOf(i))
    }
    expect(await db.get('k3')).toEqual(Buffer.alloc(500, 7))
  })
})

describe('compressed keys', () => {
  it('a compressed key coder stores keys with the header and finds them again', async () => {
    await using env = open(tempDir())
    const db = env.openDb('k', { keyCoder: new StringCoder().compressed(), valueCoder: new StringCoder() })
    await db.put('short key', 'v1')
    const longKey = 'k'.repeat(300)
    await db.put(longKey, 'v2')
    expect(await db.get('short key')).toBe('v1')
    expect(await db.get(longKey)).toBe('v2')
    expect(await db.getMany(['short key', longKey, 'absent'])).toEqual(['v1', 'v2', undefined])
    const raw = env.openDb('k')
    expect(await raw.get(Buffer.concat([Buffer.from([0]), b('short key')]))).toEqual(b('v1'))
    expect(await db.pop(longKey)).toBe('v2')
    expect(await db.count()).toBe(1)
  })
})
