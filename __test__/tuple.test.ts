import { describe, expect, expectTypeOf, it } from 'vitest'
import { open, errors, TupleCoder } from 'lmdb-napi'
import type { Tuple, TupleElement } from 'lmdb-napi'
import { tempDir } from './helpers.js'

/** A small deterministic PRNG, so a failure can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const RANK = { null: 0, false: 1, true: 2, number: 3, bigint: 4, string: 5, bytes: 6 }
function rank(e: TupleElement): number {
  if (e === null) return RANK.null
  if (typeof e === 'boolean') return e ? RANK.true : RANK.false
  if (typeof e === 'number') return RANK.number
  if (typeof e === 'bigint') return RANK.bigint
  if (typeof e === 'string') return RANK.string
  return RANK.bytes
}

/** Strings by code point (not UTF-16 unit, which sorts U+10000 and up before U+E000). */
function compareStrings(a: string, b: string): number {
  const x = [...a].map((c) => c.codePointAt(0)!)
  const y = [...b].map((c) => c.codePointAt(0)!)
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i]
  return x.length - y.length
}

/** The natural order the README states, written independently of the coder. */
function compareElements(a: TupleElement, b: TupleElement): number {
  const r = rank(a) - rank(b)
  if (r !== 0) return r
  if (typeof a === 'number' && typeof b === 'number') {
    if (a === b) return Object.is(a, -0) === Object.is(b, -0) ? 0 : Object.is(a, -0) ? -1 : 1
    return a < b ? -1 : 1
  }
  if (typeof a === 'bigint' && typeof b === 'bigint') return a === b ? 0 : a < b ? -1 : 1
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b)
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b)
  return 0
}

function compareTuples(a: Tuple, b: Tuple): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareElements(a[i], b[i])
    if (c !== 0) return c
  }
  return a.length - b.length
}

function randomElement(random: () => number): TupleElement {
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]
  switch (Math.floor(random() * 7)) {
    case 0:
      return pick([null, true, false])
    case 1:
      return pick([0, -0, 1, -1, 0.5, -0.5, 1e-300, -1e-300, 5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, Infinity, -Infinity, 42, 43])
    case 2:
      return (random() - 0.5) * 10 ** Math.floor(random() * 20)
    case 3: {
      const digits = Math.floor(random() * 60)
      let n = 0n
      for (let i = 0; i < digits; i++) n = n * 10n + BigInt(Math.floor(random() * 10))
      return random() < 0.5 ? -n : n
    }
    case 4: {
      const chars = ['', 'a', 'b', 'ab', '\u0000', 'a\u0000', 'é', '\uE000', '😀', 'z', 'user']
      return Array.from({ length: Math.floor(random() * 4) }, () => pick(chars)).join('')
    }
    case 5:
      return Uint8Array.from({ length: Math.floor(random() * 5) }, () => pick([0, 1, 0xff, 0x7f, 0x80]))
    default:
      return pick(['user', 'item', 42, 7n, null])
  }
}

describe('TupleCoder', () => {
  it('sorts 10,000 random tuples by their bytes exactly as by the natural order, and decodes each back', () => {
    const random = prng(20261202)
    const coder = new TupleCoder()
    const tuples: Tuple[] = Array.from({ length: 10_000 }, () =>
      Array.from({ length: Math.floor(random() * 5) }, () => randomElement(random)),
    )
    const encoded = tuples.map((t) => ({ t, bytes: Buffer.from(coder.serialize(t)) }))
    for (const { t, bytes } of encoded) expect(coder.deserialize(bytes)).toEqual(t)
    const byBytes = [...encoded].sort((a, b) => Buffer.compare(a.bytes, b.bytes))
    const natural = [...tuples].sort(compareTuples)
    // equal tuples may come in either order: compare the order, not the objects' identity
    for (let i = 0; i < natural.length; i++) expect(compareTuples(byBytes[i].t, natural[i]), `at ${i}`).toBe(0)
    // and two tuples share their bytes only when they are equal
    for (let i = 1; i < byBytes.length; i++) {
      const sameBytes = Buffer.compare(byBytes[i - 1].bytes, byBytes[i].bytes) === 0
      expect(sameBytes, `at ${i}`).toBe(compareTuples(byBytes[i - 1].t, byBytes[i].t) === 0)
    }
  })

  it('a prefix range gives exactly the keys that begin with the tuple, in order', async () => {
    await using env = open(tempDir(), { sync: false })
    const events = env.openDb('events', { keyCoder: 'tuple', valueCoder: 'json' })
    expectTypeOf(events.keyCoder).toEqualTypeOf<import('lmdb-napi').Coder<Tuple>>()
    const keys: Tuple[] = [
      ['user', 41, 5], ['user', 42], ['user', 42, 1], ['user', 42, 2], ['user', 42, 'x'], ['user', 42.5],
      ['user', 43], ['user', 420], ['user', '42'], ['users', 42, 1], ['user', 42n, 1], [null, 'user'],
    ]
    await events.putMany(keys.map((k, i) => [k, i]))
    const found = await events.keys({ prefix: ['user', 42] }).toArray()
    expect(found).toEqual([['user', 42], ['user', 42, 1], ['user', 42, 2], ['user', 42, 'x']])
    const all = await events.keys().toArray()
    expect(all).toEqual([...keys].sort(compareTuples))
    expect(await events.get(['user', 42, 2])).toBe(3)
  })

  it('refuses NaN, lone surrogates, other types and damaged bytes with CoderError', async () => {
    await using env = open(tempDir())
    const db = env.openDb('t', { keyCoder: 'tuple', valueCoder: 'string' })
    for (const bad of [[NaN], ['\uD800'], [{}], [[1]], 'not an array', [2n ** 2048n]]) {
      await expect(db.put(bad as unknown as Tuple, 'v'), String(bad)).rejects.toThrow(errors.CoderError)
    }
    const raw = env.openDb('t', { keyCoder: 'binary', valueCoder: 'string' })
    await raw.put(Buffer.from([0x10, 1, 2]), 'cut short')
    await expect(db.keys().toArray()).rejects.toThrow(errors.CoderError)
  })
})
