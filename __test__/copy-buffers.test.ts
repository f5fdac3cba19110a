import { expect, it } from 'vitest'
import { open, IdentityCoder } from 'lmdb-napi'
import { tempDir } from './helpers.js'

/*
 * This file runs twice (vitest.config.mts): as Node runs the addon, which
 * lends JavaScript the memory of large answers, and with
 * LMDB_NAPI_COPY_BUFFERS=1, the path Electron forces, where every answer is
 * copied into memory JavaScript owns. Each test checks every value, then
 * which memory it came in.
 */
const copying = process.env.LMDB_NAPI_COPY_BUFFERS === '1'

/**
 * Whether `value`'s memory is JavaScript's own. Node moves only memory it
 * owns to a new owner: transferring it detaches the original, whereas memory
 * an addon lent is copied instead, or refused. Detaches `value` (and every
 * view sharing its memory) when it is JavaScript's, so check it last.
 */
function ownedByJs(value: Uint8Array): boolean {
  const memory = value.buffer as ArrayBuffer
  try {
    structuredClone(memory, { transfer: [memory] })
  } catch {
    return false
  }
  return memory.byteLength === 0
}

/** The `i`th test value: `size` bytes that differ from every other value's. */
function valueOf(i: number, size: number): Buffer {
  const value = Buffer.allocUnsafe(size)
  for (let j = 0; j < size; j++) value[j] = (i * 31 + j) & 0xff
  return value
}

/** The indexes where `got` differs from `want` (compared bytewise: deep equality is slow on MiBs). */
function mismatches(got: (Uint8Array | undefined)[], want: (Buffer | undefined)[]): number[] {
  const differ = (g: Uint8Array | undefined, w: Buffer | undefined) => (g && w ? !w.equals(g) : g !== w)
  return Array.from({ length: Math.max(got.length, want.length) }, (_, i) => i).filter((i) => differ(got[i], want[i]))
}

const key = (i: number) => Buffer.from(`k${String(i).padStart(5, '0')}`)

it(`a large getMany (about 1 MiB of answers) brings every value whole, ${copying ? 'copied' : 'lent'}`, async () => {
  await using env = open(tempDir(), { sync: false })
  const db = env.defaultDb
  const sizes = Array.from({ length: 400 }, (_, i) => [0, 1, 100, 4096, 9000][i % 5])
  await db.putMany(sizes.map((size, i) => [key(i), valueOf(i, size)]))
  const asked = [...sizes.keys(), 400, 401].reverse() // two absent keys first
  const want = asked.map((i) => (i < 400 ? valueOf(i, sizes[i]) : undefined))
  const got = await db.getMany(asked.map(key))
  const gotSync = db.getManySync(asked.map(key))
  expect(mismatches(got, want)).toEqual([])
  expect(mismatches(gotSync, want)).toEqual([])
  expect(ownedByJs(got[2]!)).toBe(copying)
  expect(ownedByJs(gotSync[2]!)).toBe(copying)
})

it(`a range in large chunks brings every entry whole and in order, ${copying ? 'copied' : 'lent'}`, async () => {
  await using env = open(tempDir(), { sync: false })
  const db = env.defaultDb
  const count = 6000 // chunks grow to 4,096 entries: several MiB at once
  await db.putMany(Array.from({ length: count }, (_, i) => [key(i), valueOf(i, 1000 + (i % 7))]))
  const entries: [Buffer, Buffer][] = []
  for await (const entry of db.range()) entries.push(entry)
  const wanted = (from: number, to: number, step: number) =>
    Array.from({ length: Math.abs(to - from) }, (_, j) => from + j * step).map((i) => [key(i), valueOf(i, 1000 + (i % 7))])
  const want = wanted(0, count, 1)
  expect(entries.length).toBe(count)
  expect(mismatches(entries.map(([k]) => k), want.map(([k]) => k))).toEqual([])
  expect(mismatches(entries.map(([, v]) => v), want.map(([, v]) => v))).toEqual([])
  const reversed = await db.range({ reverse: true, gte: key(100) }).toArray()
  const wantReversed = wanted(count - 1, 99, -1)
  expect(reversed.length).toBe(count - 100)
  expect(mismatches(reversed.map(([k]) => k), wantReversed.map(([k]) => k))).toEqual([])
  expect(mismatches(reversed.map(([, v]) => v), wantReversed.map(([, v]) => v))).toEqual([])
  expect(ownedByJs(entries[count - 1][1])).toBe(copying)
})

it(`values a write transaction reads, and 20,000 write answers at once, come back right, ${copying ? 'copied' : 'lent'}`, async () => {
  await using env = open(tempDir(), { sync: false })
  const db = env.defaultDb
  const large = valueOf(7, 200_000)
  await db.put(key(0), large)
  await db.put(Buffer.from('empty'), Buffer.alloc(0))
  const [read, empty] = await env.transaction(async (txn) => [await txn.get(db, key(0)), await txn.get(db, Buffer.from('empty'))])
  expect(large.equals(read as Buffer)).toBe(true)
  expect(empty).toEqual(Buffer.alloc(0))
  // One tick of deletes, every other key present: one answer per delete.
  await db.putMany(Array.from({ length: 10_000 }, (_, i) => [key(2 * i), valueOf(i, 1)]))
  const deleted = await Promise.all(Array.from({ length: 20_000 }, (_, i) => db.delete(key(i))))
  expect(deleted).toEqual(Array.from({ length: 20_000 }, (_, i) => i % 2 === 0))
  expect(ownedByJs(read as Buffer)).toBe(copying)
})

it(`a compressed coder used directly decompresses into a whole value, ${copying ? 'copied' : 'lent'}`, () => {
  const coder = new IdentityCoder().compressed({ algorithm: 'zstd' })
  const value = Buffer.alloc(1 << 20, 'lmdb-napi ')
  const back = coder.deserialize(Buffer.from(coder.serialize(value)))
  expect(value.equals(back)).toBe(true)
  expect(ownedByJs(back)).toBe(copying)
})
