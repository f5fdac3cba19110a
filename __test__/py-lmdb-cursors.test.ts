/**
 * Cursor and dupSort results as LMDB and py-lmdb give them: each test names
 * the py-lmdb case (its tests/cursor_test.py, txn_test.py, crash_test.py)
 * or documented behaviour it mirrors, translated to this API.
 */
import { describe, expect, it } from 'vitest'
import { open, errors, StringCoder } from 'lmdb-napi'
import type { Database, Environment } from 'lmdb-napi'
import { tempDir } from './helpers.js'

/** a..e with values A..E. */
async function letters(env: Environment): Promise<Database<string, string>> {
  const db = env.openDb('letters', { keyCoder: 'string', valueCoder: 'string' })
  await db.putMany(['a', 'b', 'c', 'd', 'e'].map((k) => [k, k.toUpperCase()]))
  return db
}

/** k → 1, 2, 3 and m → 1 in a dupSort database. */
async function dups(env: Environment): Promise<Database<string, string>> {
  const d = env.openDb('dups', { keyCoder: 'string', valueCoder: 'string', dupSort: true })
  await d.putMany([['k', '1'], ['k', '2'], ['k', '3'], ['m', '1']])
  return d
}

async function entries<K, V>(env: Environment, db: Database<K, V>): Promise<[K, V][]> {
  using snap = env.snapshot()
  const out: [K, V][] = []
  for await (const entry of snap.range(db)) out.push(entry)
  return out
}

describe('Cursor.pop(key) (py-lmdb Cursor.pop)', () => {
  it('returns the value it deletes and stands after it: replace(c) then pop(d) gives D', async () => {
    await using env = open(tempDir())
    const db = await letters(env)
    await env.transaction(async (txn) => {
      const c = txn.cursor(db)
      expect(await c.replace('c', 'C2')).toBe('C')
      expect(await c.pop('d')).toBe('D')
      expect(c.item).toEqual(['e', 'E'])
      expect(await txn.get(db, 'c')).toBe('C2')
      expect(await txn.has(db, 'd')).toBe(false)
      // an absent key: nothing deleted, no position (py-lmdb: item() is empty)
      expect(await c.pop('zz')).toBeUndefined()
      expect(c.item).toBeUndefined()
    })
    expect(await entries(env, db)).toEqual([['a', 'A'], ['b', 'B'], ['c', 'C2'], ['e', 'E']])
  })

  it('the same in transactionSync', async () => {
    await using env = open(tempDir())
    const db = await letters(env)
    env.transactionSync((txn) => {
      const c = txn.cursor(db)
      expect(c.replace('c', 'C2')).toBe('C')
      expect(c.pop('d')).toBe('D')
      expect(c.item).toEqual(['e', 'E'])
      expect(c.pop('e')).toBe('E')
      expect(c.item).toBeUndefined() // nothing after it
      expect(c.pop('zz')).toBeUndefined()
    })
    expect(await entries(env, db)).toEqual([['a', 'A'], ['b', 'B'], ['c', 'C2']])
  })

  it('pop() with no key returns the value stored now, not the one the cursor read before txn.put', async () => {
    await using env = open(tempDir())
    const db = await letters(env)
    await env.transaction(async (txn) => {
      const c = txn.cursor(db)
      expect(await c.seek('b')).toBe(true)
      await txn.put(db, 'b', 'B2')
      expect(await c.pop()).toBe('B2')
      expect(c.item).toEqual(['c', 'C'])
    })
    env.transactionSync((txn) => {
      const c = txn.cursor(db)
      expect(c.seek('c')).toBe(true)
      txn.put(db, 'c', 'C2')
      expect(c.pop()).toBe('C2')
      expect(c.item).toEqual(['d', 'D'])
    })
    expect(await entries(env, db)).toEqual([['a', 'A'], ['d', 'D'], ['e', 'E']])
  })

  it('pops through a compressed value coder, returning the value decompressed', async () => {
    await using env = open(tempDir())
    const db = env.openDb('z', { keyCoder: 'string', valueCoder: new StringCoder().compressed({ algorithm: 'zstd' }) })
    const long = 'compressible '.repeat(500)
    await db.putMany([['a', long + 'a'], ['b', long + 'b']])
    await env.transaction(async (txn) => {
      const c = txn.cursor(db)
      expect(await c.first()).toBe(true)
      expect(await c.pop()).toBe(long + 'a')
      expect(await c.pop('b')).toBe(long + 'b')
    })
    expect(await db.count()).toBe(0)
  })
})

describe('key and value after a write (py-lmdb: "must refresh key and value following mutation")', () => {
  it('a transaction cursor reads its entry again after txn.put, txn.delete and another cursor’s writes', async () => {
    await using env = open(tempDir())
    const db = await letters(env)
    await env.transaction(async (txn) => {
      const c = txn.cursor(db)
      expect(await c.seek('b')).toBe(true)
      await txn.put(db, 'b', 'B2')
      expect(c.item).toEqual(['b', 'B2'])
      await txn.cursor(db).replace('b', 'B3')
      expect(c.value).toBe('B3')
      // its entry deleted: it stands on the one after (py-lmdb: item() is c), and next() goes on from there
      await txn.delete(db, 'b')
      expect(c.item).toEqual(['c', 'C'])
      expect(await c.next()).toBe(true)
      expect(c.key).toBe('d')
    })
  })

  it('a transaction cursor reads its entry again after a nested transaction writes, and after it is undone', async () => {
    await using env = open(tempDir())
    const db = await letters(env)
    await env.transaction(async (txn) => {
      const c = txn.cursor(db)
      expect(await c.seek('b')).toBe(true)
      await txn.nested(async (inner) => {
        await inner.put(db, 'b', 'B2')
        expect(c.value).toBe('B2')
      })
      await expect(
        txn.nested(async (inner) => {
          await inner.put(db, 'b', 'B3')
          expect(c.value).toBe('B3')
          throw new Error('undo')
        }),
      ).rejects.toThrow('undo')
      expect(c.item).toEqual(['b', 'B2'])
    })
    expect(await db.get('b')).toBe('B2')
  })

  it('a transactionSync cursor does the same, and after a nested transaction is undone', async () => {
    await using env = open(tempDir())
    const db = await letters(env)
    env.transactionSync((txn) => {
      const c = txn.cursor(db)
      expect(c.seek('b')).toBe(true)
      txn.put(db, 'b', 'B2')
      expect(c.item).toEqual(['b', 'B2'])
      expect(() =>
        txn.nested(() => {
          txn.put(db, 'b', 'B3')
          expect(c.value).toBe('B3')
          throw new Error('undo')
        }),
      ).toThrow('undo')
      expect(c.value).toBe('B2')
      txn.delete(db, 'b')
      expect(c.item).toEqual(['c', 'C'])
      expect(c.next()).toBe(true)
      expect(c.key).toBe('d')
    })
  })
})

describe('pop on a dupSort database pops the first duplicate only (py-lmdb Cursor.pop: "the first data element")', () => {
  it('db.pop, txn.pop and transactionSync pop take one value each', async () => {
    await using env = open(tempDir(), { maxDbs: 2 })
    const d = await dups(env)
    expect(await d.pop('k')).toBe('1')
    expect(await d.getDuplicates('k')).toEqual(['2', '3'])
    await env.transaction(async (txn) => {
      expect(await txn.pop(d, 'k')).toBe('2')
    })
    expect(env.transactionSync((txn) => txn.pop(d, 'k'))).toBe('3')
    expect(await d.pop('k')).toBeUndefined()
    expect(await entries(env, d)).toEqual([['m', '1']])
  })

  it('a cursor pops the value it stands on, or with a key that key’s first', async () => {
    await using env = open(tempDir(), { maxDbs: 2 })
    const d = await dups(env)
    await env.transaction(async (txn) => {
      const c = txn.cursor(d)
      expect(await c.seekDup('k', '2')).toBe(true)
      expect(await c.pop()).toBe('2')
      expect(c.item).toEqual(['k', '3'])
      expect(await c.pop('k')).toBe('1')
      expect(c.item).toEqual(['k', '3'])
    })
    env.transactionSync((txn) => {
      const c = txn.cursor(d)
      expect(c.pop('k')).toBe('3')
      expect(c.item).toEqual(['m', '1'])
    })
    expect(await entries(env, d)).toEqual([['m', '1']])
  })
})

describe('append on a dupSort database appends duplicates (py-lmdb test_dupsort_put_append, test_dupsort_putmulti_append, test_dupsort_append_uses_target_db)', () => {
  it('put, putMany and a cursor’s put append values in order; a value out of order is refused and writes nothing', async () => {
    await using env = open(tempDir(), { maxDbs: 2 })
    const d = env.openDb('dups', { keyCoder: 'string', valueCoder: 'string', dupSort: true })
    expect(await d.put('a', 'value1', { append: true })).toBe(true)
    expect(await d.putMany([['b', 'value1'], ['b', 'value2']], { append: true })).toBe(2)
    expect(await d.put('b', 'value3', { append: true })).toBe(true)
    await env.transaction(async (txn) => {
      expect(await txn.put(d, 'b', 'value4', { append: true })).toBe(true)
      expect(await txn.cursor(d).put('b', 'value5', { append: true })).toBe(true)
      expect(await txn.putMany(d, [['c', '1'], ['c', '2']], { append: true })).toBe(2)
    })
    env.transactionSync((txn) => {
      expect(txn.put(d, 'c', '3', { append: true })).toBe(true)
      expect(txn.cursor(d).put('c', '4', { append: true })).toBe(true)
    })
    await expect(d.put('b', 'value0', { append: true })).rejects.toBeInstanceOf(errors.KeyExistsError)
    await expect(d.put('b', 'value5', { append: true })).rejects.toBeInstanceOf(errors.KeyExistsError) // not after itself
    expect(await d.getDuplicates('a')).toEqual(['value1'])
    expect(await d.getDuplicates('b')).toEqual(['value1', 'value2', 'value3', 'value4', 'value5'])
    expect(await d.getDuplicates('c')).toEqual(['1', '2', '3', '4'])
  })

  it('a plain database still appends keys: a key not after the last is refused', async () => {
    await using env = open(tempDir(), { maxDbs: 2 })
    const plain = env.openDb('plain', { keyCoder: 'string', valueCoder: 'string' })
    expect(await plain.put('m', '1', { append: true })).toBe(true)
    await expect(plain.put('a', '1', { append: true })).rejects.toBeInstanceOf(errors.KeyExistsError)
    expect(await entries(env, plain)).toEqual([['m', '1']])
  })
})

describe('seeks with an empty key (py-lmdb testSetRange, testSetKey)', () => {
  it('seekRange with an empty key stands on the first entry; seek with one rejects with BadValsizeError', async () => {
    await using env = open(tempDir())
    const db = await letters(env)
    using snap = env.snapshot()
    const c = snap.cursor(db)
    expect(await c.last()).toBe(true)
    expect(await c.seekRange('')).toBe(true)
    expect(c.item).toEqual(['a', 'A'])
    await expect(c.seek('')).rejects.toBeInstanceOf(errors.BadValsizeError)

    await env.transaction(async (txn) => {
      const t = txn.cursor(db)
      expect(await t.seekRange('')).toBe(true)
      expect(t.key).toBe('a')
    })
    env.transactionSync((txn) => {
      const s = txn.cursor(db)
      expect(s.seekRange('')).toBe(true)
      expect(s.key).toBe('a')
      expect(() => s.seek('')).toThrow(errors.BadValsizeError)
    })
  })

  it('seekRange with an empty key on an empty database finds nothing', async () => {
    await using env = open(tempDir())
    const db = env.openDb('empty', { keyCoder: 'string', valueCoder: 'string' })
    using snap = env.snapshot()
    expect(await snap.cursor(db).seekRange('')).toBe(false)
  })
})
