// Conditional writes: put and delete with `ifValue`, in putMany entries,
// env.batch operations and transactions; the check compares encoded bytes
// and runs on the writer, in the transaction of the write, so processes
// racing compare-and-swap increments lose none.
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { open, errors, JSONCoder, MsgPackCoder } from 'lmdb-napi'
import { failure, tempDir } from './helpers.js'
import { runTogether } from './together.js'

describe('put and delete with ifValue', () => {
  it('write only when the stored value is ifValue, resolving whether they wrote', async () => {
    await using env = open(tempDir())
    const db = env.openDb('c', { keyCoder: 'string', valueCoder: 'string' })
    await db.put('k', 'one')
    expect(await db.put('k', 'two', { ifValue: 'zero' })).toBe(false)
    expect(await db.get('k')).toBe('one')
    expect(await db.put('k', 'two', { ifValue: 'one' })).toBe(true)
    expect(await db.get('k')).toBe('two')
    expect(await db.delete('k', { ifValue: 'one' })).toBe(false)
    expect(await db.get('k')).toBe('two')
    expect(await db.delete('k', { ifValue: 'two' })).toBe(true)
    expect(await db.has('k')).toBe(false)
    // a condition on an absent key holds only for "absent"
    expect(await db.put('k', 'three', { ifValue: '' })).toBe(false)
    expect(await db.has('k')).toBe(false)
  })

  it('ifValue: undefined given as a property means "only if absent"; no property means no condition', async () => {
    await using env = open(tempDir())
    const db = env.openDb('c', { keyCoder: 'string', valueCoder: 'string' })
    expect(await db.put('k', 'first', { ifValue: undefined })).toBe(true)
    expect(await db.put('k', 'second', { ifValue: undefined })).toBe(false)
    expect(await db.get('k')).toBe('first')
    expect(await db.put('k', 'second', {})).toBe(true)
    expect(await db.get('k')).toBe('second')
    // nothing to delete where the key must be absent
    expect(await db.delete('k', { ifValue: undefined })).toBe(false)
    expect(await db.get('k')).toBe('second')
    expect(await db.delete('k', {})).toBe(true)
    // an empty value is there: it is not an absence
    await db.put('e', '')
    expect(await db.put('e', 'x', { ifValue: undefined })).toBe(false)
    expect(await db.put('e', 'x', { ifValue: '' })).toBe(true)
  })

  it('compares the bytes the value coder makes, not the values', async () => {
    await using env = open(tempDir())
    for (const coder of [new JSONCoder<object>(), new MsgPackCoder<object>()]) {
      const db = env.openDb(coder.name, { keyCoder: 'string', valueCoder: coder })
      await db.put('doc', { a: 1, b: [2, 3] })
      // equal as objects, but another key order encodes to other bytes
      expect(await db.put('doc', { v: 2 }, { ifValue: { b: [2, 3], a: 1 } })).toBe(false)
      // another object that encodes to the same bytes matches
      expect(await db.put('doc', { v: 2 }, { ifValue: { a: 1, b: [2, 3] } })).toBe(true)
      expect(await db.get('doc')).toEqual({ v: 2 })
    }
  })

  it('compares a compressed value as it was before compression', async () => {
    await using env = open(tempDir())
    const db = env.openDb('z', { keyCoder: 'string', valueCoder: new JSONCoder<string[]>().compressed() })
    const long = Array.from({ length: 500 }, () => 'compressible')
    await db.put('k', long)
    expect(await db.put('k', ['short'], { ifValue: long })).toBe(true)
    expect(await db.put('k', ['again'], { ifValue: long })).toBe(false)
    expect(await db.get('k')).toEqual(['short'])
  })

  it('checks in the order issued: conditional writes of one tick see each other', async () => {
    await using env = open(tempDir())
    const db = env.openDb('c', { keyCoder: 'string', valueCoder: 'uint32' })
    const results = await Promise.all([
      db.put('n', 1, { ifValue: undefined }),
      db.put('n', 9, { ifValue: undefined }),
      db.put('n', 2, { ifValue: 1 }),
      db.put('n', 3, { ifValue: 1 }),
      db.delete('n', { ifValue: 2 }),
      db.put('n', 4, { ifValue: undefined }),
    ])
    expect(results).toEqual([true, false, true, false, true, true])
    expect(await db.get('n')).toBe(4)
  })
})

describe('conditions of putMany entries and env.batch operations', () => {
  it('putMany writes each entry whose own condition holds (and every unconditional one) and counts them', async () => {
    await using env = open(tempDir())
    const db = env.openDb('c', { keyCoder: 'string', valueCoder: 'string' })
    await db.putMany([['a', '1'], ['b', '1']])
    const written = await db.putMany([
      ['a', '2', { ifValue: '1' }],
      ['b', '2', { ifValue: 'no' }],
      ['c', '2', { ifValue: undefined }],
      ['d', '2'],
      // sees the entry before it in the same putMany
      ['c', '3', { ifValue: '2' }],
    ])
    expect(written).toBe(4)
    expect(await db.getMany(['a', 'b', 'c', 'd'])).toEqual(['2', '1', '3', '2'])
  })

  it('putMany from an async iterable carries conditions too', async () => {
    await using env = open(tempDir())
    const db = env.openDb('c', { keyCoder: 'string', valueCoder: 'string' })
    await db.put('a', 'old')
    async function* entries(): AsyncGenerator<[string, string, { ifValue?: string }]> {
      yield ['a', 'new', { ifValue: 'old' }]
      yield ['b', 'new', { ifValue: 'old' }]
    }
    expect(await db.putMany(entries())).toBe(1)
    expect(await db.getMany(['a', 'b'])).toEqual(['new', undefined])
  })

  it('env.batch applies the operations whose conditions hold and resolves how many wrote', async () => {
    await using env = open(tempDir())
    const users = env.openDb('users', { keyCoder: 'string', valueCoder: 'json' })
    const names = env.openDb('names', { keyCoder: 'string', valueCoder: 'string' })
    await users.put('ada', { age: 36 })
    await names.put('ada', 'Ada')
    const wrote = await env.batch([
      { type: 'put', db: users, key: 'ada', value: { age: 37 }, ifValue: { age: 36 } },
      { type: 'put', db: users, key: 'bob', value: { age: 1 }, ifValue: { age: 0 } },
      { type: 'delete', db: names, key: 'ada', ifValue: 'Ada' },
      { type: 'put', db: names, key: 'bob', value: 'Bob', ifValue: undefined },
      { type: 'delete', db: names, key: 'none' },
    ])
    expect(wrote).toBe(3)
    expect(await users.getMany(['ada', 'bob'])).toEqual([{ age: 37 }, undefined])
    expect(await names.getMany(['ada', 'bob'])).toEqual([undefined, 'Bob'])
  })
})

describe('conditional writes in transactions', () => {
  it('env.transaction: put and delete with ifValue compare with what the transaction sees', async () => {
    await using env = open(tempDir())
    const db = env.openDb('c', { keyCoder: 'string', valueCoder: 'uint32' })
    await db.put('n', 1)
    const seen = await env.transaction(async (txn) => {
      const results = [
        await txn.put(db, 'n', 2, { ifValue: 1 }),
        await txn.put(db, 'n', 3, { ifValue: 1 }),
        await txn.put(db, 'm', 1, { ifValue: undefined }),
        await txn.delete(db, 'm', { ifValue: 2 }),
        await txn.putMany(db, [['n', 3, { ifValue: 2 }], ['m', 9, { ifValue: 9 }]]),
      ]
      // nested: its checks see its parent's writes
      results.push(await txn.nested((inner) => inner.delete(db, 'm', { ifValue: 1 })))
      return results
    })
    expect(seen).toEqual([true, false, true, false, 1, true])
    expect(await db.getMany(['n', 'm'])).toEqual([3, undefined])
  })

  it('env.transactionSync: the same, synchronously', async () => {
    await using env = open(tempDir())
    const db = env.openDb('c', { keyCoder: 'string', valueCoder: 'uint32' })
    const seen = env.transactionSync((txn) => [
      txn.put(db, 'n', 1, { ifValue: undefined }),
      txn.put(db, 'n', 2, { ifValue: 5 }),
      txn.put(db, 'n', 2, { ifValue: 1 }),
      txn.delete(db, 'n', { ifValue: 1 }),
      txn.putMany(db, [['n', 3, { ifValue: 2 }]]),
      txn.delete(db, 'n', { ifValue: 3 }),
      txn.put(db, 'n', 4, { ifValue: undefined }),
    ])
    expect(seen).toEqual([true, false, true, false, 1, true, true])
    expect(await db.get('n')).toBe(4)
  })
})

describe('bad conditions are typed errors, and nothing is written', () => {
  it('refuses ifValue on a dupSort database, where the second argument of delete stays a value', async () => {
    await using env = open(tempDir(), { maxDbs: 2 })
    const dups = env.openDb('dups', { keyCoder: 'string', valueCoder: 'string', dupSort: true })
    await dups.putMany([['k', 'a'], ['k', 'b']])
    await expect(dups.put('k', 'c', { ifValue: 'a' })).rejects.toThrow(TypeError)
    await expect(dups.putMany([['k', 'c', { ifValue: undefined }]])).rejects.toThrow(TypeError)
    await expect(env.batch([{ type: 'delete', db: dups, key: 'k', ifValue: 'a' }])).rejects.toThrow(TypeError)
    await expect(env.transaction((txn) => txn.put(dups, 'k', 'c', { ifValue: 'a' }))).rejects.toThrow(TypeError)
    expect(() => env.transactionSync((txn) => txn.put(dups, 'k', 'c', { ifValue: 'a' }))).toThrow(TypeError)
    // delete(key, value) deletes the one pair, as before
    expect(await dups.delete('k', 'a')).toBe(true)
    expect(await dups.getDuplicates('k')).toEqual(['b'])
  })

  it('refuses a value given to delete on a database without dupSort, and unknown options', async () => {
    await using env = open(tempDir())
    const db = env.openDb('c', { keyCoder: 'string', valueCoder: 'json' })
    await db.put('k', 1)
    await expect(db.delete('k', Buffer.from('1') as never)).rejects.toThrow(TypeError)
    await expect(db.delete('k', 'x' as never)).rejects.toThrow(TypeError)
    await expect(db.delete('k', { ifValu: 1 } as never)).rejects.toThrow(/unknown delete\(\) option: ifValu/)
    await expect(db.put('k', 2, { ifValue: 1, noOverwite: true } as never)).rejects.toThrow(TypeError)
    // a putMany condition goes with its entry, not with the options of all
    await expect(db.putMany([['k', 2]], { ifValue: 1 } as never)).rejects.toThrow(TypeError)
    await expect(db.putMany([['j', 2], ['k', 2, 5 as never]])).rejects.toThrow(TypeError)
    // a cursor's put has no condition
    const refused = await failure(() => env.transaction((txn) => txn.cursor(db).put('k', 2, { ifValue: 1 } as never)))
    expect(refused).toBeInstanceOf(TypeError)
    expect(await db.getMany(['j', 'k'])).toEqual([undefined, 1])
  })

  it('an ifValue the value coder refuses is a CoderError before anything is written', async () => {
    await using env = open(tempDir())
    const db = env.openDb('c', { keyCoder: 'string', valueCoder: 'uint32' })
    await expect(db.put('k', 1, { ifValue: -1 })).rejects.toThrow(errors.CoderError)
    await expect(db.putMany([['j', 1], ['k', 1, { ifValue: 'x' as never }]])).rejects.toThrow(errors.CoderError)
    await expect(env.batch([{ type: 'put', db, key: 'j', value: 1 }, { type: 'delete', db, key: 'k', ifValue: 2 ** 40 }])).rejects.toThrow(
      errors.CoderError,
    )
    expect(await db.getMany(['j', 'k'])).toEqual([undefined, undefined])
  })
})

const CAS = fileURLToPath(new URL('./fixtures/cas-counter.mjs', import.meta.url))
const INCREMENTS = 250

const races: [string, string[]][] = [
  ['db.put', ['put', 'put', 'put', 'put']],
  ['db.put, env.batch and env.transactionSync', ['put', 'put', 'batch', 'sync']],
]

for (const [what, modes] of races) {
  it(`4 processes × ${INCREMENTS} compare-and-swap increments through ${what} end at ${4 * INCREMENTS}`, async () => {
    const dir = tempDir()
    const retried = await runTogether(CAS, dir, modes, INCREMENTS)
    await using env = open(dir)
    const db = env.openDb('counter', { keyCoder: 'string', valueCoder: 'uint32', create: false })
    expect(await db.get('count')).toBe(4 * INCREMENTS)
    // they did race: some swaps found another's write first
    expect(retried).toBeGreaterThan(0)
  }, 120_000)
}
