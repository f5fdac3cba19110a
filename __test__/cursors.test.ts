import { describe, expect, it } from 'vitest'
import { open, errors, JSONCoder, StringCoder, UInt32Coder } from 'lmdb-napi'
import type { Cursor, CursorSync, Environment } from 'lmdb-napi'
import { NativeUInt32Coder, tempDir } from './helpers.js'

type Doc = { n: number; tag?: string }

const DOCS: [number, Doc][] = [
  [1, { n: 1 }],
  [2, { n: 2, tag: 'two' }],
  [10, { n: 10 }],
  [300, { n: 300 }],
  [70000, { n: 70000, tag: 'big' }],
]

async function plain(env: Environment) {
  const db = env.openDb('plain', { keyCoder: new UInt32Coder(), valueCoder: new JSONCoder<Doc>() })
  // inserted out of order: the big-endian coder keeps numeric order
  await db.putMany([DOCS[3], DOCS[0], DOCS[4], DOCS[2], DOCS[1]])
  return db
}

async function dups(env: Environment) {
  const d = env.openDb('d', { keyCoder: 'string', valueCoder: 'string', dupSort: true })
  await d.putMany([
    ['a', '3'],
    ['a', '1'],
    ['a', '2'],
    ['b', 'x'],
    ['c', 'q'],
    ['c', 'p'],
  ])
  return d
}

async function walk<K, V>(c: Cursor<K, V>, reverse = false): Promise<[K, V][]> {
  const out: [K, V][] = []
  for (let ok = await (reverse ? c.last() : c.first()); ok; ok = await (reverse ? c.prev() : c.next())) out.push(c.item!)
  return out
}

function walkSync<K, V>(c: CursorSync<K, V>): [K, V][] {
  const out: [K, V][] = []
  for (let ok = c.first(); ok; ok = c.next()) out.push(c.item!)
  return out
}

describe('snapshot cursor over a plain database', () => {
  it('first/last/next/prev walk every entry in both directions, decoded by the db’s coders', async () => {
    await using env = open(tempDir())
    const db = await plain(env)
    using snap = env.snapshot()
    const c = snap.cursor(db)
    expect(c.key).toBeUndefined()
    expect(c.value).toBeUndefined()
    expect(c.item).toBeUndefined()

    expect(await walk(c)).toEqual(DOCS)
    expect(await walk(c, true)).toEqual([...DOCS].reverse())

    expect(await c.first()).toBe(true)
    expect(c.key).toBe(1)
    expect(typeof c.key).toBe('number')
    expect(c.value).toEqual({ n: 1 })
    expect(await c.next()).toBe(true)
    expect(c.item).toEqual([2, { n: 2, tag: 'two' }])
    expect(await c.prev()).toBe(true)
    expect(c.key).toBe(1)
    expect(await c.last()).toBe(true)
    expect(c.item).toEqual([70000, { n: 70000, tag: 'big' }])
    expect(await c.prev()).toBe(true)
    expect(c.key).toBe(300)
  })

  it('seek finds a key exactly; seekRange the first key at or after it', async () => {
    await using env = open(tempDir())
    const db = await plain(env)
    using snap = env.snapshot()
    const c = snap.cursor(db)

    expect(await c.seek(10)).toBe(true)
    expect(c.item).toEqual([10, { n: 10 }])
    expect(await c.next()).toBe(true)
    expect(c.key).toBe(300)

    expect(await c.seek(11)).toBe(false)
    expect(c.key).toBeUndefined()
    expect(c.item).toBeUndefined()

    expect(await c.seekRange(11)).toBe(true)
    expect(c.item).toEqual([300, { n: 300 }])
    expect(await c.seekRange(300)).toBe(true)
    expect(c.key).toBe(300)
    expect(await c.seekRange(0)).toBe(true)
    expect(c.key).toBe(1)
    expect(await c.seekRange(70001)).toBe(false)
    expect(c.item).toBeUndefined()
    expect(await c.seek(70000)).toBe(true)
    expect(c.value).toEqual({ n: 70000, tag: 'big' })
    // on a plain database each key has one value
    expect(await c.countDuplicates()).toBe(1)
  })

  it('sees the snapshot, not later writes', async () => {
    await using env = open(tempDir())
    const db = await plain(env)
    using snap = env.snapshot()
    const c = snap.cursor(db)
    await db.put(5, { n: 5 })
    await db.delete(300)
    expect((await walk(c)).map(([k]) => k)).toEqual([1, 2, 10, 300, 70000])
    expect(await c.seek(5)).toBe(false)
    using later = env.snapshot()
    expect((await walk(later.cursor(db))).map(([k]) => k)).toEqual([1, 2, 5, 10, 70000])
  })

  it('every move on an empty database resolves false', async () => {
    await using env = open(tempDir())
    const db = env.openDb('empty', { keyCoder: 'string', valueCoder: 'string' })
    using snap = env.snapshot()
    const c = snap.cursor(db)
    for (const move of [() => c.first(), () => c.last(), () => c.next(), () => c.prev(), () => c.seek('a'), () => c.seekRange('a')]) {
      expect(await move()).toBe(false)
      expect(c.item).toBeUndefined()
    }
    expect(await c.countDuplicates()).toBe(0)

    const d = env.openDb('emptydups', { keyCoder: 'string', valueCoder: 'string', dupSort: true })
    using snap2 = env.snapshot()
    const e = snap2.cursor(d)
    for (const move of [
      () => e.first(), () => e.firstDup(), () => e.lastDup(), () => e.nextDup(), () => e.prevDup(),
      () => e.nextNoDup(), () => e.prevNoDup(), () => e.seekDup('a', '1'), () => e.seekRangeDup('a', '1'),
    ]) {
      expect(await move()).toBe(false)
      expect(e.key).toBeUndefined()
    }
  })
})

describe('unpositioned cursors', () => {
  it('a failed step leaves the cursor unpositioned; stepping on stays past the end', async () => {
    await using env = open(tempDir())
    const db = await plain(env)
    using snap = env.snapshot()
    const c = snap.cursor(db)
    expect(await c.last()).toBe(true)
    expect(await c.next()).toBe(false)
    expect(c.key).toBeUndefined()
    expect(c.value).toBeUndefined()
    expect(c.item).toBeUndefined()
    expect(await c.next()).toBe(false)
    expect(c.item).toBeUndefined()

    expect(await c.first()).toBe(true)
    expect(await c.prev()).toBe(false)
    expect(c.item).toBeUndefined()
  })

  it('countDuplicates() of a cursor left unpositioned by a failed step is 0', async () => {
    await using env = open(tempDir())
    const db = await plain(env)
    const d = await dups(env)
    using snap = env.snapshot()
    const c = snap.cursor(db)
    expect(await c.last()).toBe(true)
    expect(await c.countDuplicates()).toBe(1)
    expect(await c.next()).toBe(false)
    expect(c.item).toBeUndefined()
    expect.soft(await c.countDuplicates()).toBe(0)

    const e = snap.cursor(d)
    expect(await e.seek('a')).toBe(true)
    expect(await e.countDuplicates()).toBe(3)
    expect(await e.prevDup()).toBe(false)
    expect(e.item).toBeUndefined()
    expect.soft(await e.countDuplicates()).toBe(0)
  })

  it('prev() after a failed next() lands on the entry before the last, next() after a failed prev() on the second (py-lmdb IteratorTest, LMDB MDB_PREV from past the end)', async () => {
    await using env = open(tempDir())
    const db = await plain(env)
    using snap = env.snapshot()
    for (const c of [snap.cursor(db)]) {
      expect(await c.last()).toBe(true)
      expect(await c.next()).toBe(false)
      expect(await c.next()).toBe(false) // still past the end
      expect(await c.prev()).toBe(true)
      expect(c.item).toEqual([300, { n: 300 }]) // LMDB: the cursor stayed on the last entry and stepped back from it

      expect(await c.first()).toBe(true)
      expect(await c.prev()).toBe(false)
      expect(await c.next()).toBe(true)
      expect(c.item).toEqual([2, { n: 2, tag: 'two' }])
    }

    // the same for the duplicates of a key
    const d = await dups(env)
    using snap2 = env.snapshot()
    const e = snap2.cursor(d)
    expect(await e.seek('a')).toBe(true)
    expect(await e.lastDup()).toBe(true)
    expect(e.item).toEqual(['a', '3'])
    expect(await e.nextDup()).toBe(false)
    expect(await e.prevDup()).toBe(true)
    expect(e.item).toEqual(['a', '2'])
    expect(await e.firstDup()).toBe(true)
    expect(await e.prevDup()).toBe(false)
    expect(await e.nextDup()).toBe(true)
    expect(e.item).toEqual(['a', '2'])
    expect(await e.last()).toBe(true)
    expect(await e.next()).toBe(false)
    expect(await e.prevNoDup()).toBe(true)
    expect(e.item).toEqual(['b', 'x'])
  })

  it('the same steps in transactionSync (py-lmdb IteratorTest)', async () => {
    await using env = open(tempDir())
    const db = env.openDb('s', { keyCoder: 'string', valueCoder: 'string' })
    await db.putMany(['a', 'b', 'c', 'd', 'e'].map((k) => [k, k.toUpperCase()]))
    env.transactionSync((txn) => {
      const c = txn.cursor(db)
      expect(c.last()).toBe(true)
      expect(c.next()).toBe(false)
      expect(c.prev()).toBe(true)
      expect(c.item).toEqual(['d', 'D'])
      expect(c.first()).toBe(true)
      expect(c.prev()).toBe(false)
      expect(c.next()).toBe(true)
      expect(c.item).toEqual(['b', 'B'])
    })
  })

  it('next() after a failed nextDup() goes to the next key', async () => {
    await using env = open(tempDir())
    const d = await dups(env)
    using snap = env.snapshot()
    const c = snap.cursor(d)
    expect(await c.seek('a')).toBe(true)
    expect(await c.nextDup()).toBe(true)
    expect(await c.nextDup()).toBe(true)
    expect(c.item).toEqual(['a', '3'])
    expect(await c.nextDup()).toBe(false)
    expect(c.key).toBeUndefined()
    expect(c.item).toBeUndefined()
    expect(await c.next()).toBe(true)
    expect(c.item).toEqual(['b', 'x'])
    // the same from the one value of 'b'
    expect(await c.nextDup()).toBe(false)
    expect(await c.next()).toBe(true)
    expect(c.item).toEqual(['c', 'p'])
  })

  it('a failed seek forgets the position: next() starts at the first entry, prev() at the last', async () => {
    await using env = open(tempDir())
    const db = await plain(env)
    using snap = env.snapshot()
    const c = snap.cursor(db)
    expect(await c.seek(10)).toBe(true)
    expect(await c.seek(11)).toBe(false)
    expect(c.item).toBeUndefined()
    expect(await c.next()).toBe(true)
    expect(c.key).toBe(1)

    expect(await c.seek(300)).toBe(true)
    expect(await c.seekRange(80000)).toBe(false)
    expect(await c.prev()).toBe(true)
    expect(c.key).toBe(70000)

    // a fresh cursor is unpositioned the same way
    const fresh = snap.cursor(db)
    expect(await fresh.next()).toBe(true)
    expect(fresh.key).toBe(1)
    const fresh2 = snap.cursor(db)
    expect(await fresh2.prev()).toBe(true)
    expect(fresh2.key).toBe(70000)
  })
})

describe('dupSort databases', () => {
  it('firstDup, lastDup, nextDup, prevDup, nextNoDup and prevNoDup move as LMDB does', async () => {
    await using env = open(tempDir())
    const d = await dups(env)
    using snap = env.snapshot()
    const c = snap.cursor(d)

    expect(await walk(c)).toEqual([
      ['a', '1'], ['a', '2'], ['a', '3'], ['b', 'x'], ['c', 'p'], ['c', 'q'],
    ])
    expect(await walk(c, true)).toEqual([
      ['c', 'q'], ['c', 'p'], ['b', 'x'], ['a', '3'], ['a', '2'], ['a', '1'],
    ])

    expect(await c.first()).toBe(true)
    expect(await c.nextDup()).toBe(true)
    expect(c.item).toEqual(['a', '2'])
    expect(await c.lastDup()).toBe(true)
    expect(c.item).toEqual(['a', '3'])
    expect(await c.prevDup()).toBe(true)
    expect(c.item).toEqual(['a', '2'])
    expect(await c.firstDup()).toBe(true)
    expect(c.item).toEqual(['a', '1'])
    expect(await c.prevDup()).toBe(false)
    expect(c.item).toBeUndefined()

    expect(await c.first()).toBe(true)
    expect(await c.nextNoDup()).toBe(true)
    expect(c.item).toEqual(['b', 'x'])
    expect(await c.nextNoDup()).toBe(true)
    expect(c.item).toEqual(['c', 'p'])
    expect(await c.nextNoDup()).toBe(false)
    expect(c.item).toBeUndefined()

    expect(await c.seek('c')).toBe(true)
    expect(c.item).toEqual(['c', 'p']) // seek stands on the key's first value
    expect(await c.prevNoDup()).toBe(true)
    expect(c.item).toEqual(['b', 'x'])
    expect(await c.prevNoDup()).toBe(true)
    expect(c.item).toEqual(['a', '3']) // the previous key's last value
    expect(await c.prevNoDup()).toBe(false)

    // firstDup / lastDup need a position
    expect(await c.seek('nope')).toBe(false)
    expect(await c.firstDup()).toBe(false)
    expect(await c.lastDup()).toBe(false)
  })

  it('seekDup, seekRangeDup and countDuplicates', async () => {
    await using env = open(tempDir())
    const d = await dups(env)
    using snap = env.snapshot()
    const c = snap.cursor(d)

    expect(await c.seekDup('a', '2')).toBe(true)
    expect(c.item).toEqual(['a', '2'])
    expect(await c.nextDup()).toBe(true)
    expect(c.value).toBe('3')
    expect(await c.seekDup('a', '9')).toBe(false)
    expect(c.item).toBeUndefined()
    expect(await c.seekDup('zz', '1')).toBe(false)

    expect(await c.seekRangeDup('a', '15')).toBe(true) // '1' < '15' < '2'
    expect(c.item).toEqual(['a', '2'])
    expect(await c.seekRangeDup('c', 'p')).toBe(true)
    expect(c.item).toEqual(['c', 'p'])
    expect(await c.seekRangeDup('a', '4')).toBe(false)
    expect(c.item).toBeUndefined()
    expect(await c.seekRangeDup('bb', 'a')).toBe(false)

    expect(await c.seek('a')).toBe(true)
    expect(await c.countDuplicates()).toBe(3)
    expect(await c.seek('b')).toBe(true)
    expect(await c.countDuplicates()).toBe(1)
    expect(await c.seekDup('c', 'q')).toBe(true)
    expect(await c.countDuplicates()).toBe(2)
    expect(await c.seek('zz')).toBe(false)
    expect(await c.countDuplicates()).toBe(0)
  })

  it('db.getDuplicates, countDuplicates, delete(key, value), put with noDupData, count()', async () => {
    await using env = open(tempDir())
    const d = await dups(env)

    expect(await d.getDuplicates('a')).toEqual(['1', '2', '3'])
    expect(await d.getDuplicates('b')).toEqual(['x'])
    expect(await d.getDuplicates('zz')).toEqual([])
    expect(await d.countDuplicates('a')).toBe(3)
    expect(await d.countDuplicates('c')).toBe(2)
    expect(await d.countDuplicates('zz')).toBe(0)
    expect(await d.count()).toBe(6) // pairs, not keys
    expect(await d.get('a')).toBe('1') // the first value

    expect(await d.delete('a', '2')).toBe(true)
    expect(await d.getDuplicates('a')).toEqual(['1', '3'])
    expect(await d.delete('a', 'nope')).toBe(false)
    expect(await d.delete('zz', '1')).toBe(false)
    expect(await d.count()).toBe(5)

    expect(await d.put('a', '1', { noDupData: true })).toBe(false)
    expect(await d.put('a', '4', { noDupData: true })).toBe(true)
    expect(await d.getDuplicates('a')).toEqual(['1', '3', '4'])
    // a plain put of an existing pair adds nothing
    expect(await d.put('a', '3')).toBe(true)
    expect(await d.countDuplicates('a')).toBe(3)

    // delete without a value takes every value of the key
    expect(await d.delete('c')).toBe(true)
    expect(await d.getDuplicates('c')).toEqual([])
    expect(await d.count()).toBe(4)
    expect(await d.range().toArray()).toEqual([
      ['a', '1'], ['a', '3'], ['a', '4'], ['b', 'x'],
    ])
  })

  it('dupFixed opens and sorts fixed-size values', async () => {
    await using env = open(tempDir())
    const f = env.openDb('fixed', { keyCoder: 'string', valueCoder: 'string', dupSort: true, dupFixed: true })
    await f.putMany([
      ['k', 'dd'], ['k', 'bb'], ['k', 'cc'], ['k', 'aa'], ['j', 'zz'],
    ])
    expect(await f.getDuplicates('k')).toEqual(['aa', 'bb', 'cc', 'dd'])
    expect(await f.countDuplicates('k')).toBe(4)
    expect(await f.count()).toBe(5)
    using snap = env.snapshot()
    const c = snap.cursor(f)
    expect(await c.seek('k')).toBe(true)
    expect(await c.lastDup()).toBe(true)
    expect(c.item).toEqual(['k', 'dd'])
    expect(await c.prevDup()).toBe(true)
    expect(c.value).toBe('cc')
    expect(await c.seekDup('k', 'bb')).toBe(true)
    expect(await f.delete('k', 'bb')).toBe(true)
    expect(await f.getDuplicates('k')).toEqual(['aa', 'cc', 'dd'])
  })

  it('reverseDup compares values from their last byte backwards', async () => {
    await using env = open(tempDir())
    const r = env.openDb('rev', { keyCoder: 'string', valueCoder: 'string', dupSort: true, reverseDup: true })
    await r.putMany([['k', 'ab'], ['k', 'zz'], ['k', 'ca'], ['k', 'ba'], ['k', 'a']])
    expect(await r.getDuplicates('k')).toEqual(['a', 'ba', 'ca', 'ab', 'zz'])
    using snap = env.snapshot()
    const c = snap.cursor(r)
    expect(await c.seek('k')).toBe(true)
    expect(c.value).toBe('a')
    expect(await c.lastDup()).toBe(true)
    expect(c.value).toBe('zz')
    expect(await c.seekRangeDup('k', 'b')).toBe(true) // 'b' sorts after every value ending in 'a'
    expect(c.value).toBe('ab')

    // the same values without the flag sort from the first byte
    const plainDups = env.openDb('fwd', { keyCoder: 'string', valueCoder: 'string', dupSort: true })
    await plainDups.putMany([['k', 'ab'], ['k', 'zz'], ['k', 'ca'], ['k', 'ba'], ['k', 'a']])
    expect(await plainDups.getDuplicates('k')).toEqual(['a', 'ab', 'ba', 'ca', 'zz'])
  })

  it('integerDup with 4-byte native-endian unsigned values sorts numerically', async () => {
    await using env = open(tempDir())
    const values = [256, 1, 65536, 2, 3, 4294967295, 16777216]
    const ints = env.openDb('ints', {
      keyCoder: 'string',
      valueCoder: new NativeUInt32Coder(),
      dupSort: true,
      dupFixed: true,
      integerDup: true,
    })
    await ints.putMany(values.map((v) => ['k', v] as [string, number]))
    expect(await ints.getDuplicates('k')).toEqual([1, 2, 3, 256, 65536, 16777216, 4294967295])
    using snap = env.snapshot()
    const c = snap.cursor(ints)
    expect(await c.seekRangeDup('k', 100)).toBe(true)
    expect(c.value).toBe(256)
    expect(await c.nextDup()).toBe(true)
    expect(c.value).toBe(65536)
    expect(await c.seekDup('k', 3)).toBe(true)
    expect(await c.countDuplicates()).toBe(7)

    // without integerDup and dupFixed, integerDup alone still orders numerically
    const intsOnly = env.openDb('ints2', { keyCoder: 'string', valueCoder: new NativeUInt32Coder(), dupSort: true, integerDup: true })
    await intsOnly.putMany(values.map((v) => ['k', v] as [string, number]))
    expect(await intsOnly.getDuplicates('k')).toEqual([1, 2, 3, 256, 65536, 16777216, 4294967295])

    // the same bytes in a plain dupSort database sort bytewise, which differs on a little-endian machine
    const bytewise = env.openDb('bytes', { keyCoder: 'string', valueCoder: new NativeUInt32Coder(), dupSort: true })
    await bytewise.putMany(values.map((v) => ['k', v] as [string, number]))
    const stored = await bytewise.getDuplicates('k')
    const byBytes = [...values].sort((x, y) => Buffer.compare(new NativeUInt32Coder().serialize(x), new NativeUInt32Coder().serialize(y)) as number)
    expect(stored).toEqual(byBytes)
  })
})

describe('cursors in env.transaction', () => {
  it('see the transaction’s own writes; put/delete/replace/pop stand where documented; effects commit', async () => {
    await using env = open(tempDir())
    const db = env.openDb('t', { keyCoder: 'string', valueCoder: 'string' })
    await db.putMany([['a', '1'], ['c', '3'], ['e', '5'], ['g', '7']])

    await env.transaction(async (txn) => {
      await txn.put(db, 'b', '2')
      await txn.delete(db, 'e')
      const c = txn.cursor(db)
      expect(await walk(c)).toEqual([['a', '1'], ['b', '2'], ['c', '3'], ['g', '7']])

      // put stands on what it wrote
      expect(await c.put('d', '4')).toBe(true)
      expect(c.item).toEqual(['d', '4'])
      expect(await c.prev()).toBe(true)
      expect(c.key).toBe('c')
      expect(await c.next()).toBe(true)
      expect(c.key).toBe('d')
      expect(await c.next()).toBe(true)
      expect(c.key).toBe('g')
      expect(await c.put('a', 'nope', { noOverwrite: true })).toBe(false)
      expect(await txn.get(db, 'a')).toBe('1')

      // delete removes the current entry and stands on the next
      expect(await c.seek('a')).toBe(true)
      expect(await c.delete()).toBe(true)
      expect(c.item).toEqual(['b', '2'])
      expect(await txn.has(db, 'a')).toBe(false)
      expect(await c.prev()).toBe(false) // nothing before 'b' any more

      // replace returns the old value and stands on the new one
      expect(await c.replace('c', '33')).toBe('3')
      expect(c.item).toEqual(['c', '33'])
      expect(await c.replace('f', '6')).toBeUndefined()
      expect(c.item).toEqual(['f', '6'])

      // pop deletes the current entry, returns its value, and stands on the next
      expect(await c.seek('c')).toBe(true)
      expect(await c.pop()).toBe('33')
      expect(c.item).toEqual(['d', '4'])

      // deleting the last entry leaves the cursor unpositioned
      expect(await c.seek('g')).toBe(true)
      expect(await c.delete()).toBe(true)
      expect(c.item).toBeUndefined()
      // delete/pop with no current entry do nothing
      expect(await c.delete()).toBe(false)
      expect(await c.pop()).toBeUndefined()

      // a second cursor and txn.range see all of it
      expect(await walk(txn.cursor(db))).toEqual([['b', '2'], ['d', '4'], ['f', '6']])
      expect(await txn.range(db).toArray()).toEqual([['b', '2'], ['d', '4'], ['f', '6']])
      // outside, nothing yet
      expect(await db.range().toArray()).toEqual([['a', '1'], ['c', '3'], ['e', '5'], ['g', '7']])
    })

    expect(await db.range().toArray()).toEqual([['b', '2'], ['d', '4'], ['f', '6']])
  })

  it('on a dupSort database: delete() takes one pair, { dupData: true } every value of the key, put stands on its pair', async () => {
    await using env = open(tempDir())
    const d = await dups(env)

    await env.transaction(async (txn) => {
      const c = txn.cursor(d)
      expect(await c.seekDup('a', '2')).toBe(true)
      expect(await c.delete()).toBe(true)
      expect(c.item).toEqual(['a', '3'])
      expect(await txn.getMany(d, ['a'])).toEqual(['1'])
      expect(await c.countDuplicates()).toBe(2)

      // put on a dupSort db stands on exactly the pair it wrote
      expect(await c.put('a', '25')).toBe(true)
      expect(c.item).toEqual(['a', '25'])
      expect(await c.prevDup()).toBe(true)
      expect(c.value).toBe('1')
      expect(await c.nextDup()).toBe(true)
      expect(c.value).toBe('25')
      expect(await c.nextDup()).toBe(true)
      expect(c.value).toBe('3')
      expect(await c.put('a', '1', { noDupData: true })).toBe(false)

      // dupData: every value of 'c' goes, the cursor stands on the next key (none here)
      expect(await c.seekDup('c', 'q')).toBe(true)
      expect(await c.delete({ dupData: true })).toBe(true)
      expect(c.item).toBeUndefined()
      expect(await txn.has(d, 'c')).toBe(false)

      // dupData from the middle of 'a': all of 'a' goes, it stands on 'b'
      expect(await c.seekDup('a', '25')).toBe(true)
      expect(await c.delete({ dupData: true })).toBe(true)
      expect(c.item).toEqual(['b', 'x'])
      expect(await walk(c)).toEqual([['b', 'x']])
    })

    expect(await d.range().toArray()).toEqual([['b', 'x']])
    expect(await d.count()).toBe(1)
  })

  it('cursor writes of a transaction that aborts are not visible', async () => {
    await using env = open(tempDir())
    const db = env.openDb('t', { keyCoder: new StringCoder(), valueCoder: new JSONCoder<Doc>() })
    await db.putMany([['a', { n: 1 }], ['b', { n: 2 }]])
    const err = new Error('abort')
    await expect(
      env.transaction(async (txn) => {
        const c = txn.cursor(db)
        await c.put('z', { n: 26 })
        expect(await c.first()).toBe(true)
        await c.delete()
        await c.replace('b', { n: 20 })
        expect(await walk(c)).toEqual([['b', { n: 20 }], ['z', { n: 26 }]])
        throw err
      }),
    ).rejects.toBe(err)
    expect(await db.range().toArray()).toEqual([['a', { n: 1 }], ['b', { n: 2 }]])
  })

  it('a cursor in a nested transaction sees the parent’s writes; its writes undo with a failing nested transaction', async () => {
    await using env = open(tempDir())
    const db = env.openDb('t', { keyCoder: 'string', valueCoder: 'string' })
    await env.transaction(async (txn) => {
      await txn.put(db, 'p', 'parent')
      await txn
        .nested(async (child) => {
          const c = child.cursor(db)
          expect(await c.seek('p')).toBe(true)
          await c.put('q', 'child')
          throw new Error('undo')
        })
        .catch(() => {})
      const c = txn.cursor(db)
      expect(await walk(c)).toEqual([['p', 'parent']])
    })
    expect(await db.range().toArray()).toEqual([['p', 'parent']])
  })
})

describe('cursors in env.transactionSync', () => {
  it('CursorSync walks, deletes and puts', async () => {
    await using env = open(tempDir())
    const db = env.openDb('s', { keyCoder: 'string', valueCoder: 'string' })
    await db.putMany([['a', '1'], ['b', '2'], ['c', '3']])

    env.transactionSync((txn) => {
      txn.put(db, 'd', '4')
      const c = txn.cursor(db)
      expect(c.item).toBeUndefined()
      expect(walkSync(c)).toEqual([['a', '1'], ['b', '2'], ['c', '3'], ['d', '4']])
      expect(c.item).toBeUndefined()
      expect(c.prev()).toBe(true) // back from the end
      expect(c.last()).toBe(true)
      expect(c.key).toBe('d')
      expect(c.prev()).toBe(true)
      expect(c.key).toBe('c')
      expect(c.seek('b')).toBe(true)
      expect(c.delete()).toBe(true)
      expect(c.item).toEqual(['c', '3'])
      expect(c.seekRange('bb')).toBe(true)
      expect(c.key).toBe('c')
      expect(c.put('e', '5')).toBe(true)
      expect(c.item).toEqual(['e', '5'])
      expect(c.replace('a', '11')).toBe('1')
      expect(c.item).toEqual(['a', '11'])
      expect(c.pop()).toBe('11')
      expect(c.item).toEqual(['c', '3'])
      expect(c.seek('zz')).toBe(false)
      expect(c.next()).toBe(true) // a failed seek forgets: next starts at the first entry
      expect(c.key).toBe('c')
      expect(c.countDuplicates()).toBe(1)
    })
    expect(await db.range().toArray()).toEqual([['c', '3'], ['d', '4'], ['e', '5']])
  })

  it('CursorSync on a dupSort database, and an abort undoes its writes', async () => {
    await using env = open(tempDir())
    const d = await dups(env)
    env.transactionSync((txn) => {
      const c = txn.cursor(d)
      expect(c.seek('a')).toBe(true)
      expect(c.countDuplicates()).toBe(3)
      expect(c.nextDup()).toBe(true)
      expect(c.value).toBe('2')
      expect(c.delete()).toBe(true)
      expect(c.item).toEqual(['a', '3'])
      expect(c.nextNoDup()).toBe(true)
      expect(c.item).toEqual(['b', 'x'])
      expect(c.seekDup('c', 'q')).toBe(true)
      expect(c.delete({ dupData: true })).toBe(true)
    })
    expect(await d.range().toArray()).toEqual([['a', '1'], ['a', '3'], ['b', 'x']])

    expect(() =>
      env.transactionSync((txn) => {
        const c = txn.cursor(d)
        c.first()
        c.delete({ dupData: true })
        c.put('z', 'z')
        throw new Error('undo')
      }),
    ).toThrow('undo')
    expect(await d.range().toArray()).toEqual([['a', '1'], ['a', '3'], ['b', 'x']])
  })
})

describe('cursor misuse', () => {
  it('a cursor of a closed snapshot rejects with ClosedError', async () => {
    await using env = open(tempDir())
    const db = await plain(env)
    const snap = env.snapshot()
    const c = snap.cursor(db)
    expect(await c.first()).toBe(true)
    snap.close()
    await expect(c.next()).rejects.toBeInstanceOf(errors.ClosedError)
    await expect(c.seek(1)).rejects.toBeInstanceOf(errors.ClosedError)
    await expect(c.countDuplicates()).rejects.toBeInstanceOf(errors.ClosedError)
    expect(() => snap.cursor(db)).toThrow(errors.ClosedError)
  })

  it('a cursor after cursor.close() rejects with ClosedError', async () => {
    await using env = open(tempDir())
    const db = await plain(env)
    using snap = env.snapshot()
    const c = snap.cursor(db)
    expect(await c.first()).toBe(true)
    c.close()
    await expect(c.next()).rejects.toBeInstanceOf(errors.ClosedError)
    await expect(c.first()).rejects.toBeInstanceOf(errors.ClosedError)
    await expect(c.seekRange(5)).rejects.toBeInstanceOf(errors.ClosedError)
    // the snapshot and its other cursors go on
    expect(await snap.cursor(db).last()).toBe(true)

    // a transaction cursor too
    await env.transaction(async (txn) => {
      const tc = txn.cursor(db)
      expect(await tc.first()).toBe(true)
      tc.close()
      await expect(tc.next()).rejects.toBeInstanceOf(errors.ClosedError)
      await expect(tc.put(99, { n: 99 })).rejects.toBeInstanceOf(errors.ClosedError)
    })
    expect(await db.has(99)).toBe(false)
  })

  it('a cursor of a transaction that ended rejects with ClosedError', async () => {
    await using env = open(tempDir())
    const db = await plain(env)
    let kept!: Cursor<number, Doc>
    await env.transaction(async (txn) => {
      kept = txn.cursor(db)
      expect(await kept.first()).toBe(true)
    })
    await expect(kept.next()).rejects.toBeInstanceOf(errors.ClosedError)
    await expect(kept.first()).rejects.toBeInstanceOf(errors.ClosedError)
    await expect(kept.put(99, { n: 99 })).rejects.toBeInstanceOf(errors.ClosedError)
    await expect(kept.delete()).rejects.toBeInstanceOf(errors.ClosedError)
    expect(await db.count()).toBe(5)

    // a CursorSync of a transactionSync that ended throws ClosedError
    const useAfterEnd = () => {
      let keptSync!: CursorSync<number, Doc>
      env.transactionSync((txn) => {
        keptSync = txn.cursor(db)
        expect(keptSync.first()).toBe(true)
      })
      expect(() => keptSync.next()).toThrow(errors.ClosedError)
      expect(() => keptSync.put(99, { n: 99 })).toThrow(errors.ClosedError)
    }
    useAfterEnd()
    expect(await db.has(99)).toBe(false)
  })

  it('writes through a snapshot cursor reject with TypeError', async () => {
    await using env = open(tempDir())
    const db = await plain(env)
    using snap = env.snapshot()
    const c = snap.cursor(db)
    expect(await c.first()).toBe(true)
    await expect(c.put(99, { n: 99 })).rejects.toBeInstanceOf(TypeError)
    await expect(c.delete()).rejects.toBeInstanceOf(TypeError)
    await expect(c.replace(1, { n: 0 })).rejects.toBeInstanceOf(TypeError)
    await expect(c.pop()).rejects.toBeInstanceOf(TypeError)
    expect(await db.count()).toBe(5)
    expect(await db.get(1)).toEqual({ n: 1 })
    expect(c.key).toBe(1) // still where it was
  })

  it('cursor moves after env.close() reject with ClosedError, never a crash', async () => {
    const env = open(tempDir())
    const db = await plain(env)
    const snap = env.snapshot()
    const c = snap.cursor(db)
    expect(await c.first()).toBe(true)
    await env.close()
    await expect(c.next()).rejects.toBeInstanceOf(errors.ClosedError)
    await expect(c.last()).rejects.toBeInstanceOf(errors.ClosedError)
    await expect(c.seek(10)).rejects.toBeInstanceOf(errors.ClosedError)
    await expect(c.countDuplicates()).rejects.toBeInstanceOf(errors.ClosedError)
    // what it had read stays readable
    expect(c.item).toEqual([1, { n: 1 }])
    expect(() => snap.cursor(db)).toThrow(errors.ClosedError)
    snap.close()
    await expect(c.first()).rejects.toBeInstanceOf(errors.ClosedError)
  })
})
