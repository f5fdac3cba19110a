import { describe, expect, it } from 'vitest'
import { open, errors, JSONCoder, StringCoder, UInt32Coder } from 'lmdb-napi'
import type { Environment, Snapshot } from 'lmdb-napi'
import { b, tempDir, activeReaders } from './helpers.js'


type Doc = { n: number; tag?: string }

function setup(env: Environment) {
  const db = env.openDb('docs', { keyCoder: new StringCoder(), valueCoder: new JSONCoder<Doc>() })
  const other = env.openDb('other', { keyCoder: new UInt32Coder(), valueCoder: 'string' })
  return { db, other }
}

describe('a snapshot is a moment', () => {
  it('later put, delete, putMany and drop are visible through the db but not through the snapshot', async () => {
    await using env = open(tempDir())
    const { db, other } = setup(env)
    await db.putMany([
      ['a', { n: 1 }],
      ['b', { n: 2 }],
      ['c', { n: 3 }],
    ])
    await other.putMany([
      [1, 'one'],
      [2, 'two'],
    ])
    const raw = env.openDb('docs') // the same database through the binary coder

    const snap = env.snapshot()
    expect(snap.closed).toBe(false)

    await db.put('a', { n: 10 })
    await db.delete('b')
    await db.putMany([
      ['d', { n: 4 }],
      ['e', { n: 5 }],
    ])
    await other.drop()

    // the database shows the new state
    expect(await db.get('a')).toEqual({ n: 10 })
    expect(await db.has('b')).toBe(false)
    expect(await db.getMany(['a', 'b', 'd'])).toEqual([{ n: 10 }, undefined, { n: 4 }])
    expect(await db.keys().toArray()).toEqual(['a', 'c', 'd', 'e'])
    expect(await other.count()).toBe(0)
    expect(await other.get(1)).toBeUndefined()

    // the snapshot shows the old one, through every read member
    expect(await snap.get(db, 'a')).toEqual({ n: 1 })
    expect(await snap.get(db, 'b')).toEqual({ n: 2 })
    expect(await snap.get(db, 'd')).toBeUndefined()
    expect(await snap.get(db, 'd', 'fallback')).toBe('fallback')
    expect(await snap.get(db, 'a', 'fallback')).toEqual({ n: 1 })
    expect(await snap.has(db, 'b')).toBe(true)
    expect(await snap.has(db, 'e')).toBe(false)
    expect(await snap.getMany(db, ['a', 'b', 'd', 'c'])).toEqual([{ n: 1 }, { n: 2 }, undefined, { n: 3 }])
    expect(await snap.range(db).toArray()).toEqual([
      ['a', { n: 1 }],
      ['b', { n: 2 }],
      ['c', { n: 3 }],
    ])
    expect(await snap.range(db, { reverse: true, gt: 'a' }).toArray()).toEqual([
      ['c', { n: 3 }],
      ['b', { n: 2 }],
    ])
    expect(await snap.range(db, { prefix: 'b' }).toArray()).toEqual([['b', { n: 2 }]])
    expect(await snap.range(db, { offset: 1, limit: 1 }).toArray()).toEqual([['b', { n: 2 }]])
    // the dropped database, as it was
    expect(await snap.get(other, 1)).toBe('one')
    expect(await snap.getMany(other, [2, 1, 3])).toEqual(['two', 'one', undefined])
    expect(await snap.range(other).toArray()).toEqual([
      [1, 'one'],
      [2, 'two'],
    ])
    // another handle on the same database reads the same moment, in its own coder
    expect(await snap.get(raw, b('a'))).toEqual(Buffer.from('{"n":1}'))

    // reads of several databases in one tick, all in the snapshot
    expect(await Promise.all([snap.get(db, 'c'), snap.get(other, 2), snap.has(db, 'e'), snap.getMany(db, ['b'])])).toEqual([
      { n: 3 },
      'two',
      false,
      [{ n: 2 }],
    ])

    snap.close()
    expect(snap.closed).toBe(true)
  })

  it('a snapshot range reads the snapshot across chunks while entries are deleted and added', async () => {
    await using env = open(tempDir(), { sync: false })
    const { db } = setup(env)
    const keys = Array.from({ length: 3000 }, (_, i) => `k${String(i).padStart(5, '0')}`)
    await db.putMany(keys.map((k, n) => [k, { n }] as [string, Doc]))
    using snap = env.snapshot()
    await db.deleteMany(keys.filter((_, i) => i % 3 === 0))
    await db.putMany(keys.map((k) => [`${k}+`, { n: -1 }] as [string, Doc]))

    const seen: string[] = []
    for await (const [k, v] of snap.range(db)) {
      seen.push(k)
      if (seen.length === 1) await db.drop()
      expect(v.n).toBe(keys.indexOf(k))
    }
    expect(seen).toEqual(keys)
    // and the iteration left the snapshot usable
    expect(await snap.get(db, keys[0])).toEqual({ n: 0 })
    expect(await snap.range(db, { reverse: true, limit: 2 }).toArray()).toEqual([
      [keys[2999], { n: 2999 }],
      [keys[2998], { n: 2998 }],
    ])
    expect(await db.count()).toBe(0)
  })

  it('keys, values and getSync read the snapshot, with the range options of the database', async () => {
    await using env = open(tempDir())
    const { db } = setup(env)
    await db.putMany([
      ['a', { n: 1 }],
      ['b', { n: 2 }],
      ['c', { n: 3 }],
    ])
    using snap = env.snapshot()
    await db.putMany([
      ['a', { n: 10 }],
      ['aa', { n: 11 }],
    ])
    await db.delete('c')
    expect(await snap.keys(db).toArray()).toEqual(['a', 'b', 'c'])
    expect(await snap.keys(db, { gt: 'a', reverse: true }).toArray()).toEqual(['c', 'b'])
    expect(await snap.values(db, { prefix: 'a' }).toArray()).toEqual([{ n: 1 }])
    expect(await snap.values(db, { limit: 2, offset: 1 }).toArray()).toEqual([{ n: 2 }, { n: 3 }])
    expect(snap.getSync(db, 'a')).toEqual({ n: 1 })
    expect(snap.getSync(db, 'c')).toEqual({ n: 3 })
    expect(snap.getSync(db, 'aa')).toBeUndefined()
    expect(db.getSync('a')).toEqual({ n: 10 })
    snap.close()
    expect(() => snap.getSync(db, 'a')).toThrow(errors.ClosedError)
    await expect(snap.keys(db).toArray()).rejects.toThrow(errors.ClosedError)
  })
})

describe('closing a snapshot', () => {
  it('reads issued in the same tick still resolve when close() is called synchronously after them', async () => {
    await using env = open(tempDir())
    const { db, other } = setup(env)
    await db.putMany([
      ['a', { n: 1 }],
      ['b', { n: 2 }],
    ])
    await other.put(7, 'seven')
    const snap = env.snapshot()
    await db.put('a', { n: 100 }) // after the snapshot: must not be seen
    await other.delete(7)

    const inFlight = Promise.all([
      snap.get(db, 'a'),
      snap.getMany(db, ['a', 'b', 'zz']),
      snap.has(db, 'b'),
      snap.has(db, 'zz'),
      snap.get(other, 7),
      snap.get(db, 'missing', 0),
    ])
    snap.close()
    expect(snap.closed).toBe(true)
    await expect(inFlight).resolves.toEqual([{ n: 1 }, [{ n: 1 }, { n: 2 }, undefined], true, false, 'seven', 0])

    // reads after close reject
    await expect(snap.get(db, 'a')).rejects.toBeInstanceOf(errors.ClosedError)
    await expect(snap.getMany(db, ['a'])).rejects.toBeInstanceOf(errors.ClosedError)
    await expect(snap.has(db, 'a')).rejects.toBeInstanceOf(errors.ClosedError)
    await expect(snap.range(db).toArray()).rejects.toBeInstanceOf(errors.ClosedError)
    // close is idempotent
    expect(() => snap.close()).not.toThrow()
    expect(snap.closed).toBe(true)
    // and the reader slot is free
    expect(activeReaders(env)).toBe(0)
  })

  it('reads issued after close() reject even in the same tick', async () => {
    await using env = open(tempDir())
    const { db } = setup(env)
    await db.put('a', { n: 1 })
    const snap = env.snapshot()
    const before = snap.get(db, 'a')
    snap.close()
    const [after, afterMany] = await Promise.allSettled([snap.get(db, 'a'), snap.getMany(db, ['a'])])
    await expect(before).resolves.toEqual({ n: 1 })
    expect(after.status === 'rejected' && after.reason).toBeInstanceOf(errors.ClosedError)
    expect(afterMany.status === 'rejected' && afterMany.reason).toBeInstanceOf(errors.ClosedError)
  })

  it('snapshot reads never throw synchronously, even when closed', async () => {
    await using env = open(tempDir())
    const { db } = setup(env)
    const snap = env.snapshot()
    snap.close()
    let p!: Promise<unknown>
    expect(() => {
      p = snap.get(db, 'a')
    }).not.toThrow()
    await expect(p).rejects.toBeInstanceOf(errors.ClosedError)
    // a bad key rejects too, without throwing
    const open2 = env.snapshot()
    let q!: Promise<unknown>
    expect(() => {
      q = open2.get(db, 42 as unknown as string)
    }).not.toThrow()
    await expect(q).rejects.toBeInstanceOf(errors.CoderError)
    open2.close()
  })

  it('closing a snapshot in the middle of one of its ranges neither crashes nor hangs nor yields wrong data', async () => {
    await using env = open(tempDir(), { sync: false })
    const { db } = setup(env)
    const N = 20_000
    await db.putMany(Array.from({ length: N }, (_, n) => [`k${String(n).padStart(6, '0')}`, { n }] as [string, Doc]))
    const snap = env.snapshot()
    await db.put('k000001', { n: -1 })
    let at = 0
    let failure: unknown
    try {
      for await (const [k, v] of snap.range(db)) {
        expect(k).toBe(`k${String(at).padStart(6, '0')}`)
        expect(v.n).toBe(at)
        at++
        if (at === 1) snap.close()
      }
    } catch (error) {
      failure = error
    }
    if (failure !== undefined) expect(failure).toBeInstanceOf(errors.ClosedError)
    else expect(at).toBe(N)
    expect(snap.closed).toBe(true)
    expect(activeReaders(env)).toBe(0)
    expect(await db.get('k000001')).toEqual({ n: -1 })
  })

  it('the ClosedError of a closed snapshot says it is the snapshot, whichever layer notices', async () => {
    await using env = open(tempDir(), { sync: false })
    const { db } = setup(env)
    await db.putMany(Array.from({ length: 1000 }, (_, n) => [`k${String(n).padStart(6, '0')}`, { n }] as [string, Doc]))
    const snap = env.snapshot()
    const it = snap.range(db)[Symbol.asyncIterator]()
    await it.next()
    snap.close()
    // checked in JavaScript
    const early = await snap.get(db, 'k000000').catch((e: unknown) => e)
    expect(early).toBeInstanceOf(errors.ClosedError)
    expect((early as Error).message).toMatch(/snapshot/)
    // noticed by native code when the range fetches its next chunk
    let late: unknown
    try {
      for (;;) if ((await it.next()).done) break
    } catch (error) {
      late = error
    }
    expect(late).toBeInstanceOf(errors.ClosedError)
    expect((late as Error).message).toMatch(/snapshot/)
    expect(env.closed).toBe(false)
  })

  it('`using` closes the snapshot at the end of the block', async () => {
    await using env = open(tempDir())
    const { db } = setup(env)
    await db.put('a', { n: 1 })
    let kept: Snapshot | undefined
    {
      using snap = env.snapshot()
      kept = snap
      expect(snap.closed).toBe(false)
      expect(activeReaders(env)).toBe(1)
      await db.put('a', { n: 2 })
      expect(await snap.get(db, 'a')).toEqual({ n: 1 })
    }
    expect(kept.closed).toBe(true)
    expect(activeReaders(env)).toBe(0)
    await expect(kept.get(db, 'a')).rejects.toBeInstanceOf(errors.ClosedError)
    expect(await db.get('a')).toEqual({ n: 2 })
  })

  it('a block left by a throw closes its snapshot too', async () => {
    await using env = open(tempDir())
    const { db } = setup(env)
    let kept: Snapshot | undefined
    await expect(
      (async () => {
        using snap = env.snapshot()
        kept = snap
        await snap.get(db, 'a')
        throw new Error('boom')
      })(),
    ).rejects.toThrow('boom')
    expect(kept?.closed).toBe(true)
    expect(activeReaders(env)).toBe(0)
  })
})

describe('env.read', () => {
  it('returns what fn returns and closes the snapshot afterwards', async () => {
    await using env = open(tempDir())
    const { db } = setup(env)
    await db.putMany([
      ['a', { n: 1 }],
      ['b', { n: 2 }],
    ])
    let kept: Snapshot | undefined
    const result = await env.read(async (snap) => {
      kept = snap
      expect(snap.closed).toBe(false)
      const first = await snap.get(db, 'a')
      await db.put('a', { n: 99 })
      await db.delete('b')
      const [a, bb] = await Promise.all([snap.get(db, 'a'), snap.get(db, 'b')])
      return { first, a, bb, all: await snap.range(db).toArray() }
    })
    expect(result).toEqual({
      first: { n: 1 },
      a: { n: 1 },
      bb: { n: 2 },
      all: [
        ['a', { n: 1 }],
        ['b', { n: 2 }],
      ],
    })
    expect(kept?.closed).toBe(true)
    expect(activeReaders(env)).toBe(0)
    await expect(kept!.get(db, 'a')).rejects.toBeInstanceOf(errors.ClosedError)
    // a fn that is not async works too
    expect(await env.read(() => 42)).toBe(42)
  })

  it('closes the snapshot when fn throws or rejects, and rethrows the same error', async () => {
    await using env = open(tempDir())
    const { db } = setup(env)
    await db.put('a', { n: 1 })
    const failure = new Error('from fn')
    let kept: Snapshot | undefined
    await expect(
      env.read(async (snap) => {
        kept = snap
        await snap.get(db, 'a')
        throw failure
      }),
    ).rejects.toBe(failure)
    expect(kept?.closed).toBe(true)

    let keptSync: Snapshot | undefined
    const syncFailure = new TypeError('sync throw')
    await expect(
      env.read((snap) => {
        keptSync = snap
        throw syncFailure
      }),
    ).rejects.toBe(syncFailure)
    expect(keptSync?.closed).toBe(true)
    expect(activeReaders(env)).toBe(0)
    // the environment works on
    expect(await env.read((snap) => snap.get(db, 'a'))).toEqual({ n: 1 })
  })

  it('rejects with ClosedError once the environment is closed', async () => {
    const env = open(tempDir())
    await env.close()
    let called = false
    await expect(
      env.read(async () => {
        called = true
      }),
    ).rejects.toBeInstanceOf(errors.ClosedError)
    expect(called).toBe(false)
  })
})

describe('snapshots and the environment', () => {
  it('closing the environment makes snapshot reads reject with ClosedError', async () => {
    const env = open(tempDir())
    const { db, other } = setup(env)
    await db.put('a', { n: 1 })
    const snap = env.snapshot()
    const made = snap.range(db)
    expect(await snap.get(db, 'a')).toEqual({ n: 1 })
    await env.close()
    expect(snap.closed).toBe(true)
    await expect(snap.get(db, 'a')).rejects.toBeInstanceOf(errors.ClosedError)
    await expect(snap.getMany(db, ['a'])).rejects.toBeInstanceOf(errors.ClosedError)
    await expect(snap.has(other, 1)).rejects.toBeInstanceOf(errors.ClosedError)
    await expect(snap.range(db).toArray()).rejects.toBeInstanceOf(errors.ClosedError)
    await expect(made.toArray()).rejects.toBeInstanceOf(errors.ClosedError)
    expect(() => snap.close()).not.toThrow()
    expect(() => env.snapshot()).toThrow(errors.ClosedError)
  })

  it('reads issued just before the environment closes finish; the snapshot then rejects', async () => {
    const env = open(tempDir())
    const { db } = setup(env)
    await db.put('a', { n: 1 })
    const snap = env.snapshot()
    const inFlight = snap.get(db, 'a')
    const closing = env.close()
    const outcome = await inFlight.then(
      (v) => ({ v }),
      (e: unknown) => ({ e }),
    )
    // either it completed before the close, or it was refused cleanly
    if ('e' in outcome) expect(outcome.e).toBeInstanceOf(errors.ClosedError)
    else expect(outcome.v).toEqual({ n: 1 })
    await closing
    await expect(snap.get(db, 'a')).rejects.toBeInstanceOf(errors.ClosedError)
  })

  it("closing one handle rejects its snapshots even while another handle keeps the environment open", async () => {
    const dir = tempDir()
    await using keeper = open(dir)
    const one = open(dir)
    const db1 = one.openDb('docs', { keyCoder: 'string', valueCoder: 'string' })
    const db2 = keeper.openDb('docs', { keyCoder: 'string', valueCoder: 'string' })
    await db2.put('a', 'x')
    const snap1 = one.snapshot()
    const snap2 = keeper.snapshot()
    expect(await snap1.get(db1, 'a')).toBe('x')
    await one.close()
    await expect(snap1.get(db1, 'a')).rejects.toBeInstanceOf(errors.ClosedError)
    await expect(snap1.range(db1).toArray()).rejects.toBeInstanceOf(errors.ClosedError)
    expect(await snap2.get(db2, 'a')).toBe('x')
    snap2.close()
    expect(await keeper.read((s) => s.range(db2).toArray())).toEqual([['a', 'x']])
  })

  it('snapshots dropped without close() give their reader slots back (10,000 in a loop)', async () => {
    await using env = open(tempDir(), { maxReaders: 126 })
    const { db } = setup(env)
    await db.put('k', { n: 1 })
    expect(env.maxReaders()).toBe(126)
    let highest = 0
    for (let i = 0; i < 10_000; i++) {
      const s = env.snapshot()
      expect(await s.get(db, 'k')).toEqual({ n: 1 })
      if (i % 250 === 0) highest = Math.max(highest, env.info().numReaders)
    }
    highest = Math.max(highest, env.info().numReaders)
    expect(highest).toBeLessThan(100)
    // and the environment still takes new readers
    const last = env.snapshot()
    expect(await last.get(db, 'k')).toEqual({ n: 1 })
    last.close()
  })

  it('200 snapshots open at once each see their own moment', async () => {
    await using env = open(tempDir(), { maxReaders: 512, sync: false })
    const { db } = setup(env)
    await db.put('counter', { n: -1 })
    const snaps: Snapshot[] = []
    for (let i = 0; i < 200; i++) {
      snaps.push(env.snapshot())
      await db.put('counter', { n: i })
      await db.put(`key${String(i).padStart(3, '0')}`, { n: i })
    }
    expect(activeReaders(env)).toBe(200)
    const counters = await Promise.all(snaps.map((s) => s.get(db, 'counter')))
    expect(counters).toEqual(Array.from({ length: 200 }, (_, i) => ({ n: i - 1 })))
    const sizes = await Promise.all(snaps.map((s) => s.range(db, { prefix: 'key' }).toArray().then((a) => a.length)))
    expect(sizes).toEqual(Array.from({ length: 200 }, (_, i) => i))
    const has = await Promise.all(snaps.map((s, i) => s.has(db, `key${String(i).padStart(3, '0')}`)))
    expect(has.every((h) => h === false)).toBe(true)
    for (const s of snaps) s.close()
    expect(activeReaders(env)).toBe(0)
    expect(snaps.every((s) => s.closed)).toBe(true)
    expect(await db.get('counter')).toEqual({ n: 199 })
  })

  it('more live snapshots than maxReaders: env.snapshot() throws ReadersFullError, and works again once one closes', async () => {
    await using env = open(tempDir(), { maxReaders: 126 })
    const { db } = setup(env)
    await db.put('a', { n: 1 })
    const snaps: Snapshot[] = []
    let failure: unknown
    for (let i = 0; i < 200; i++) {
      try {
        snaps.push(env.snapshot())
      } catch (error) {
        failure = error
        break
      }
    }
    expect(failure).toBeInstanceOf(errors.ReadersFullError)
    expect(snaps.length).toBeGreaterThan(100)
    expect(snaps.length).toBeLessThanOrEqual(126)
    // the open ones still read
    expect(await snaps[0].get(db, 'a')).toEqual({ n: 1 })
    snaps.pop()!.close()
    const again = env.snapshot()
    expect(await again.get(db, 'a')).toEqual({ n: 1 })
    again.close()
    for (const s of snaps) s.close()
    expect(await db.get('a')).toEqual({ n: 1 })
    expect(await db.put('b', { n: 2 })).toBe(true)
  })
})
