import { describe, expect, it } from 'vitest'
import { open, errors, JSONCoder, StringCoder, UInt32Coder } from 'lmdb-napi'
import type { Database, Environment, Transaction, TransactionSync } from 'lmdb-napi'
import { b, tempDir } from './helpers.js'

type Doc = { n: number; tag?: string }

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** `promise`'s outcome, or 'timeout' after `ms` (so a deadlock fails the test instead of hanging it). */
function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms))),
  ])
}

/** Whether `promise` has settled yet (after letting pending callbacks run). */
function tracker(promise: Promise<unknown>): { settled: boolean } {
  const state = { settled: false }
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  )
  return state
}


/** A promise and the function that resolves it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void
  const promise = new Promise<void>((resolve) => (open = resolve))
  return { promise, open }
}

function setup(env: Environment) {
  const docs = env.openDb('docs', { keyCoder: new StringCoder(), valueCoder: new JSONCoder<Doc>() })
  const nums = env.openDb('nums', { keyCoder: new UInt32Coder(), valueCoder: 'string' })
  const raw = env.defaultDb
  return { docs, nums, raw }
}

describe('env.transaction', () => {
  it('spans several databases with different coders, sees its own writes, and commits returning fn’s value', async () => {
    await using env = open(tempDir())
    const { docs, nums, raw } = setup(env)
    await docs.put('old', { n: 0 })

    const result = await env.transaction(async (txn) => {
      expect(await txn.put(docs, 'a', { n: 1, tag: 'x' })).toBe(true)
      expect(await txn.put(docs, 'c', { n: 3 })).toBe(true)
      expect(await txn.putMany(nums, [[7, 'seven'], [300, 'three hundred'], [2, 'two']])).toBe(3)
      expect(await txn.put(raw, b('r'), b('R'))).toBe(true)
      expect(await txn.delete(docs, 'old')).toBe(true)

      // own writes, through every read member
      expect(await txn.get(docs, 'a')).toEqual({ n: 1, tag: 'x' })
      expect(await txn.get(docs, 'old')).toBeUndefined()
      expect(await txn.get(docs, 'missing', 'dflt')).toBe('dflt')
      expect(await txn.getMany(nums, [300, 8, 7])).toEqual(['three hundred', undefined, 'seven'])
      expect(await txn.has(raw, b('r'))).toBe(true)
      expect(await txn.has(docs, 'old')).toBe(false)
      expect(await txn.range(docs).toArray()).toEqual([
        ['a', { n: 1, tag: 'x' }],
        ['c', { n: 3 }],
      ])
      // numeric key order through the big-endian coder, bounds and reverse
      expect(await txn.range(nums).toArray()).toEqual([
        [2, 'two'],
        [7, 'seven'],
        [300, 'three hundred'],
      ])
      expect(await txn.range(nums, { gt: 2, lte: 300, reverse: true }).toArray()).toEqual([
        [300, 'three hundred'],
        [7, 'seven'],
      ])
      expect(await txn.replace(docs, 'c', { n: 33 })).toEqual({ n: 3 })
      expect(await txn.pop(nums, 2)).toBe('two')
      expect(await txn.get(nums, 2)).toBeUndefined()
      return 42
    })
    expect(result).toBe(42)

    expect(await docs.get('a')).toEqual({ n: 1, tag: 'x' })
    expect(await docs.get('c')).toEqual({ n: 33 })
    expect(await docs.has('old')).toBe(false)
    expect(await nums.range().toArray()).toEqual([
      [7, 'seven'],
      [300, 'three hundred'],
    ])
    expect(await raw.get(b('r'))).toEqual(b('R'))
  })

  it('commits a synchronous fn’s value', async () => {
    await using env = open(tempDir())
    const { docs } = setup(env)
    const result = await env.transaction(() => 'plain')
    expect(result).toBe('plain')
    expect(await docs.count()).toBe(0)
  })

  it('calls fn did not await still complete before the commit', async () => {
    await using env = open(tempDir())
    const { docs, nums, raw } = setup(env)
    await docs.put('gone', { n: 1 })
    await nums.put(5, 'five')

    const returned = await env.transaction((txn) => {
      void txn.put(docs, 'x', { n: 9 })
      void txn.putMany(nums, [[1, 'a'], [2, 'b']])
      void txn.delete(docs, 'gone')
      void txn.put(raw, b('k'), b('v'))
      void txn.replace(nums, 5, 'FIVE')
      return 'sync return'
    })
    expect(returned).toBe('sync return')

    expect(await docs.get('x')).toEqual({ n: 9 })
    expect(await docs.has('gone')).toBe(false)
    expect(await nums.getMany([1, 2, 5])).toEqual(['a', 'b', 'FIVE'])
    expect(await raw.get(b('k'))).toEqual(b('v'))
  })

  it('an async fn that leaves calls running commits them too', async () => {
    await using env = open(tempDir())
    const { nums } = setup(env)
    await env.transaction(async (txn) => {
      await txn.put(nums, 1, 'one')
      for (let i = 10; i < 60; i++) void txn.put(nums, i, `v${i}`)
    })
    expect(await nums.count()).toBe(51)
    expect(await nums.get(59)).toBe('v59')
  })

  it('a throw inside fn aborts everything it did and rethrows the same error', async () => {
    await using env = open(tempDir())
    const { docs, nums, raw } = setup(env)
    await docs.putMany([
      ['keep', { n: 1 }],
      ['other', { n: 2 }],
    ])
    await nums.putMany([
      [1, 'one'],
      [2, 'two'],
    ])
    await raw.put(b('r'), b('1'))

    const boom = new Error('boom')
    const failed = env.transaction(async (txn) => {
      await txn.put(docs, 'new', { n: 3 })
      await txn.put(docs, 'keep', { n: 100 })
      await txn.delete(docs, 'other')
      await txn.drop(nums)
      await txn.putMany(raw, [
        [b('p1'), b('1')],
        [b('p2'), b('2')],
      ])
      await txn.deleteMany(raw, [b('r')])
      expect(await txn.get(nums, 1)).toBeUndefined() // the drop is visible inside
      throw boom
    })
    await expect(failed).rejects.toBe(boom)

    expect(await docs.range().toArray()).toEqual([
      ['keep', { n: 1 }],
      ['other', { n: 2 }],
    ])
    expect(await nums.range().toArray()).toEqual([
      [1, 'one'],
      [2, 'two'],
    ])
    expect(await raw.get(b('r'))).toEqual(b('1'))
    expect(await raw.has(b('p1'))).toBe(false)

    // the environment goes on: the next transaction commits
    await env.transaction((txn) => txn.put(docs, 'after', { n: 4 }))
    expect(await docs.get('after')).toEqual({ n: 4 })
  })

  it('an aborted drop({ delete: true }) leaves the database, and the handle that dropped it, usable', async () => {
    await using env = open(tempDir())
    const dropMe = env.openDb('dropme', { keyCoder: 'string', valueCoder: 'string' })
    await dropMe.put('x', 'y')
    await expect(
      env.transaction(async (txn) => {
        await txn.drop(dropMe, { delete: true })
        throw new Error('undo the drop')
      }),
    ).rejects.toThrow('undo the drop')
    expect(await env.databases()).toContain('dropme')
    // a fresh handle sees the data …
    expect(await env.openDb('dropme', { keyCoder: 'string', valueCoder: 'string' }).get('x')).toBe('y')
    // … and so does the one used in the aborted transaction: nothing of it is visible
    expect(await dropMe.get('x')).toBe('y')
    expect(await dropMe.put('z', 'w')).toBe(true)
  })

  it('a synchronous throw in fn aborts and rethrows', async () => {
    await using env = open(tempDir())
    const { docs } = setup(env)
    const err = new RangeError('sync')
    await expect(
      env.transaction((txn) => {
        void txn.put(docs, 'a', { n: 1 })
        throw err
      }),
    ).rejects.toBe(err)
    expect(await docs.has('a')).toBe(false)
  })

  it('a rejected txn call that fn awaits aborts the transaction with that error', async () => {
    await using env = open(tempDir())
    const { docs, nums, raw } = setup(env)
    let inner: unknown
    const failed = env.transaction(async (txn) => {
      await txn.put(docs, 'w', { n: 1 })
      await txn.put(nums, 9, 'nine')
      try {
        await txn.put(raw, b(''), b('x')) // empty key
      } catch (error) {
        inner = error
        throw error
      }
    })
    const outer = await failed.then(
      () => 'resolved',
      (e: unknown) => e,
    )
    expect(inner).toBeInstanceOf(errors.BadValsizeError)
    expect(outer).toBe(inner)
    expect(await docs.has('w')).toBe(false)
    expect(await nums.has(9)).toBe(false)

    // a coder failure (wrong type) rejects the call with CoderError; awaited, it aborts too
    const failed2 = env.transaction(async (txn) => {
      await txn.put(docs, 'w2', { n: 2 })
      await txn.put(nums, 'not a number' as unknown as number, 'x')
    })
    await expect(failed2).rejects.toBeInstanceOf(errors.CoderError)
    expect(await docs.has('w2')).toBe(false)
  })

  it('writes issued while a transaction is open wait for it, in order; outside reads do not see it until commit', async () => {
    await using env = open(tempDir())
    const { docs, nums } = setup(env)
    await docs.put('shared', { n: 0 })

    const started = gate()
    const release = gate()
    const txnDone = env.transaction(async (txn) => {
      await txn.put(docs, 'shared', { n: 1, tag: 'txn' })
      await txn.put(docs, 'txn-only', { n: 2 })
      await txn.put(nums, 1, 'from txn')
      started.open()
      await release.promise
      return 'committed'
    })
    await started.promise

    const outsidePut = docs.put('shared', { n: 3, tag: 'outside' }) // issued after the transaction: goes after it
    const outsideOther = nums.put(2, 'outside')
    const putState = tracker(outsidePut)
    const otherState = tracker(outsideOther)
    await sleep(80)
    expect(putState.settled).toBe(false)
    expect(otherState.settled).toBe(false)

    // reads from outside go on, and see the state before the transaction
    expect(await docs.get('shared')).toEqual({ n: 0 })
    expect(await docs.get('txn-only')).toBeUndefined()
    expect(await nums.get(1)).toBeUndefined()
    expect(await nums.get(2)).toBeUndefined()
    expect(await docs.getMany(['shared', 'txn-only'])).toEqual([{ n: 0 }, undefined])

    release.open()
    expect(await txnDone).toBe('committed')
    expect(await outsidePut).toBe(true)
    expect(await outsideOther).toBe(true)

    // the outside write came after the transaction: it wins
    expect(await docs.get('shared')).toEqual({ n: 3, tag: 'outside' })
    expect(await docs.get('txn-only')).toEqual({ n: 2 })
    expect(await nums.getMany([1, 2])).toEqual(['from txn', 'outside'])
  })

  it('calls issued in one tick keep their order and each gets its own result, whatever the others did', async () => {
    await using env = open(tempDir())
    const { docs, nums } = setup(env)
    await nums.put(7, 'seven')
    const out = await env.transaction(async (txn) => {
      const calls = [
        txn.put(docs, 'a', { n: 1 }),
        txn.get(docs, 'a'), // sees the put before it
        txn.putMany(docs, []), // no unit of its own: the results after it stay in place
        txn.getMany(nums, [7, 8, 7]),
        txn.put(docs, 'b', { n: 2 }, { noOverwrite: true }),
        txn.put(docs, 'b', { n: 3 }, { noOverwrite: true }), // refused: b is there
        txn.deleteMany(docs, []),
        txn.put(docs, 'bad', 5n as unknown as Doc), // JSON cannot encode it: rejects alone
        txn.replace(nums, 7, 'SEVEN'),
        txn.has(docs, 'b'),
      ]
      // a cursor's move goes after the calls issued before it
      const cursor = txn.cursor(docs)
      const seen = cursor.seek('b').then((found) => [found, cursor.value])
      return [await Promise.allSettled(calls), await seen] as const
    })
    const [settled, seen] = out
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).constructor.name))).toEqual([
      true,
      { n: 1 },
      0,
      ['seven', undefined, 'seven'],
      true,
      false,
      0,
      'CoderError',
      'seven',
      true,
    ])
    expect(seen).toEqual([true, { n: 2 }])
    expect(await docs.getMany(['a', 'b', 'bad'])).toEqual([{ n: 1 }, { n: 2 }, undefined])
    expect(await nums.get(7)).toBe('SEVEN')
  })

  it('calls that fail unawaited reject unseen: the rest commits and nothing reaches unhandledRejection', async () => {
    await using env = open(tempDir())
    const { docs } = setup(env)
    await docs.put('z', { n: 0 })
    const unhandled: unknown[] = []
    const note = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', note)
    try {
      await env.transaction((txn) => {
        txn.put(docs, 'a', { n: 1 })
        txn.put(docs, 'bad', 5n as unknown as Doc) // fails encoding
        txn.put(docs, 'b', { n: 2 }, { append: true }) // fails in LMDB: 'b' sorts before 'z'
        txn.put(docs, 'c', { n: 3 })
      })
      await sleep(20)
    } finally {
      process.off('unhandledRejection', note)
    }
    expect(unhandled).toEqual([])
    expect(await docs.getMany(['a', 'bad', 'b', 'c'])).toEqual([{ n: 1 }, undefined, undefined, { n: 3 }])
  })

  it('writes issued before a transaction commit before it begins, and it sees them', async () => {
    await using env = open(tempDir())
    const { docs } = setup(env)
    const early = docs.put('early', { n: 1 })
    const seen = await env.transaction(async (txn) => {
      const value = await txn.get(docs, 'early')
      await txn.put(docs, 'early', { n: 2, tag: 'txn' }) // issued later: must win
      return value
    })
    expect(seen).toEqual({ n: 1 })
    expect(await early).toBe(true)
    expect(await docs.get('early')).toEqual({ n: 2, tag: 'txn' })
  })
})

describe('txn.nested', () => {
  it('a failing nested transaction undoes only itself; a successful one joins', async () => {
    await using env = open(tempDir())
    const { docs } = setup(env)
    await docs.put('pre', { n: 0 })

    await env.transaction(async (txn) => {
      await txn.put(docs, 'before', { n: 1 })
      const err = new Error('inner')
      await expect(
        txn.nested(async (child) => {
          await child.put(docs, 'inner', { n: 2 })
          await child.delete(docs, 'before')
          await child.delete(docs, 'pre')
          expect(await child.get(docs, 'before')).toBeUndefined()
          throw err
        }),
      ).rejects.toBe(err)
      // only the nested part is gone
      expect(await txn.get(docs, 'inner')).toBeUndefined()
      expect(await txn.get(docs, 'before')).toEqual({ n: 1 })
      expect(await txn.get(docs, 'pre')).toEqual({ n: 0 })

      const r = await txn.nested(async (child) => {
        expect(await child.get(docs, 'before')).toEqual({ n: 1 }) // sees the parent's writes
        await child.put(docs, 'joined', { n: 3 })
        await child.delete(docs, 'pre')
        return 5
      })
      expect(r).toBe(5)
      expect(await txn.get(docs, 'joined')).toEqual({ n: 3 })
      await txn.put(docs, 'after', { n: 4 })
    })

    expect(await docs.range().toArray()).toEqual([
      ['after', { n: 4 }],
      ['before', { n: 1 }],
      ['joined', { n: 3 }],
    ])
  })

  it('nests three levels deep; an inner failure undoes only its level, an outer failure its inner successes too', async () => {
    await using env = open(tempDir())
    const { docs } = setup(env)

    await env.transaction(async (t1) => {
      await t1.put(docs, 'l1', { n: 1 })
      await t1.nested(async (t2) => {
        await t2.put(docs, 'l2', { n: 2 })
        await t2.nested(async (t3) => {
          expect(await t3.get(docs, 'l1')).toEqual({ n: 1 })
          expect(await t3.get(docs, 'l2')).toEqual({ n: 2 })
          await t3.put(docs, 'l3', { n: 3 })
        })
        await expect(
          t2.nested(async (t3) => {
            await t3.put(docs, 'l3-failed', { n: 0 })
            await t3.delete(docs, 'l2')
            throw new Error('level 3')
          }),
        ).rejects.toThrow('level 3')
        expect(await t2.get(docs, 'l3')).toEqual({ n: 3 })
        expect(await t2.get(docs, 'l3-failed')).toBeUndefined()
        expect(await t2.get(docs, 'l2')).toEqual({ n: 2 })
      })
      await expect(
        t1.nested(async (t2) => {
          await t2.put(docs, 'l2-failed', { n: 0 })
          await t2.nested(async (t3) => {
            await t3.put(docs, 'l3-under-failed', { n: 0 })
          })
          expect(await t2.get(docs, 'l3-under-failed')).toEqual({ n: 0 })
          throw new Error('level 2')
        }),
      ).rejects.toThrow('level 2')
      expect(await t1.get(docs, 'l3-under-failed')).toBeUndefined()
    })

    expect(await docs.keys().toArray()).toEqual(['l1', 'l2', 'l3'])
  })

  it('using the parent while a nested transaction runs rejects with BadTxnError; afterwards it works again', async () => {
    await using env = open(tempDir())
    const { docs } = setup(env)

    await env.transaction(async (txn) => {
      await txn.nested(async (child) => {
        await expect(txn.get(docs, 'k')).rejects.toBeInstanceOf(errors.BadTxnError)
        await expect(txn.put(docs, 'parent', { n: 9 })).rejects.toBeInstanceOf(errors.BadTxnError)
        await expect(txn.nested(() => 1)).rejects.toBeInstanceOf(errors.BadTxnError)
        expect(() => txn.cursor(docs)).toThrow(errors.BadTxnError)
        await child.put(docs, 'child', { n: 1 })
      })
      expect(await txn.get(docs, 'parent')).toBeUndefined()
      await txn.put(docs, 'parent-after', { n: 2 })
    })
    expect(await docs.keys().toArray()).toEqual(['child', 'parent-after'])
  })

  it('a nested transaction ends: using its txn object afterwards rejects with ClosedError', async () => {
    await using env = open(tempDir())
    const { docs } = setup(env)
    await env.transaction(async (txn) => {
      let kept!: Transaction
      await txn.nested((child) => {
        kept = child
      })
      await expect(kept.put(docs, 'late', { n: 1 })).rejects.toBeInstanceOf(errors.ClosedError)
      await txn.put(docs, 'ok', { n: 2 })
    })
    expect(await docs.keys().toArray()).toEqual(['ok'])
  })
})

describe('a transaction left hanging', () => {
  it('makes writes wait, lets reads go on, and is aborted by env.close(), which does not deadlock', async () => {
    const dir = tempDir()
    const env = open(dir)
    const db = env.openDb('h', { keyCoder: 'string', valueCoder: 'string' })
    await db.put('pre', 'before')

    const started = gate()
    const hanging = env.transaction(async (txn) => {
      await txn.put(db, 'hang', 'x')
      await txn.delete(db, 'pre')
      started.open()
      await new Promise(() => {}) // never settles
    })
    const hangingOutcome = hanging.then(
      () => 'resolved' as const,
      (e: unknown) => e,
    )
    await started.promise

    const waiting = db.put('later', 'y')
    const waitingOutcome = waiting.then(
      (v) => v,
      (e: unknown) => e,
    )
    const waitState = tracker(waiting)
    await sleep(80)
    expect(waitState.settled).toBe(false)

    // reads still work, and see nothing of the hanging transaction
    expect(await db.get('pre')).toBe('before')
    expect(await db.get('hang')).toBeUndefined()
    expect(await db.has('later')).toBe(false)

    expect(await within(env.close(), 10_000)).toBeUndefined()
    const outcome = await within(hangingOutcome, 5_000)
    expect(outcome).toBeInstanceOf(errors.ClosedError)
    // the write that waited settled one way or the other (close waits for in-flight work)
    const waited = await within(waitingOutcome, 5_000)
    expect(waited).not.toBe('timeout')

    await using again = open(dir)
    const db2 = again.openDb('h', { keyCoder: 'string', valueCoder: 'string' })
    expect(await db2.get('hang')).toBeUndefined()
    expect(await db2.get('pre')).toBe('before')
    // close waits for in-flight work: the write issued before it committed
    expect(waited).toBe(true)
    expect(await db2.get('later')).toBe('y')
  })

  it('a fn that never settles without having called txn: close still resolves and the promise rejects with ClosedError', async () => {
    const dir = tempDir()
    const env = open(dir)
    const hanging = env.transaction(() => new Promise<void>(() => {}))
    const outcome = hanging.then(
      () => 'resolved' as const,
      (e: unknown) => e,
    )
    await sleep(20)
    expect(await within(env.close(), 10_000)).toBeUndefined()
    expect(await within(outcome, 5_000)).toBeInstanceOf(errors.ClosedError)
  })
})

describe('env.transactionSync', () => {
  it('reads its own writes and commits on return', async () => {
    await using env = open(tempDir())
    const { docs, nums, raw } = setup(env)
    await docs.put('gone', { n: 0 })

    const result = env.transactionSync((txn) => {
      expect(txn.put(docs, 'a', { n: 1 })).toBe(true)
      expect(txn.put(docs, 'a', { n: 2 }, { noOverwrite: true })).toBe(false)
      expect(txn.putMany(nums, [[3, 'three'], [1, 'one']])).toBe(2)
      txn.put(raw, b('r'), b('R'))
      expect(txn.delete(docs, 'gone')).toBe(true)
      expect(txn.get(docs, 'a')).toEqual({ n: 1 })
      expect(txn.get(docs, 'gone')).toBeUndefined()
      expect(txn.get(docs, 'gone', 'dflt')).toBe('dflt')
      expect(txn.getMany(nums, [1, 2, 3])).toEqual(['one', undefined, 'three'])
      expect(txn.has(raw, b('r'))).toBe(true)
      expect(txn.replace(nums, 3, 'THREE')).toBe('three')
      expect(txn.pop(nums, 1)).toBe('one')
      expect(txn.deleteMany(raw, [b('r'), b('nope')])).toBe(1)
      return 'ok'
    })
    expect(result).toBe('ok')
    expect(await docs.get('a')).toEqual({ n: 1 })
    expect(await docs.has('gone')).toBe(false)
    expect(await nums.range().toArray()).toEqual([[3, 'THREE']])
    expect(await raw.has(b('r'))).toBe(false)
  })

  it('later writes, a second transactionSync and close go on after transactionSync ends (the writer is not left paused)', async () => {
    await using env = open(tempDir())
    const { docs } = setup(env)
    env.transactionSync((txn) => txn.put(docs, 'sync', { n: 1 }))
    // the end of the transaction alone must let the writer go on
    const later = docs.put('later', { n: 2 })
    expect(await within(later, 2_000)).toBe(true)
    expect(await docs.get('later')).toEqual({ n: 2 })
    env.transactionSync((txn) => txn.put(docs, 'sync2', { n: 3 }))
    expect(await docs.keys().toArray()).toEqual(['later', 'sync', 'sync2'])
  })

  it('aborts on a throw and rethrows the same error', async () => {
    await using env = open(tempDir())
    const { docs, nums } = setup(env)
    await docs.put('keep', { n: 1 })
    await nums.put(1, 'one')
    const err = new Error('sync boom')
    let caught: unknown
    try {
      env.transactionSync((txn) => {
        txn.put(docs, 'new', { n: 2 })
        txn.delete(docs, 'keep')
        txn.drop(nums)
        txn.putMany(nums, [[5, 'five']])
        expect(txn.get(nums, 1)).toBeUndefined()
        throw err
      })
    } catch (e) {
      caught = e
    }
    expect(caught).toBe(err)
    expect(await docs.keys().toArray()).toEqual(['keep'])
    expect(await nums.range().toArray()).toEqual([[1, 'one']])

    // a failing txn call that fn lets through aborts too
    expect(() =>
      env.transactionSync((txn) => {
        txn.put(docs, 'w', { n: 3 })
        txn.put(nums, 'nan' as unknown as number, 'x')
      }),
    ).toThrow(errors.CoderError)
    expect(await docs.has('w')).toBe(false)
  })

  it('nested: a throw undoes only the nested part; a success joins; three levels', async () => {
    await using env = open(tempDir())
    const { docs } = setup(env)
    env.transactionSync((txn) => {
      txn.put(docs, 'outer', { n: 1 })
      expect(() =>
        txn.nested((t) => {
          t.put(docs, 'failed', { n: 0 })
          t.delete(docs, 'outer')
          throw new Error('nested')
        }),
      ).toThrow('nested')
      expect(txn.get(docs, 'outer')).toEqual({ n: 1 })
      expect(txn.get(docs, 'failed')).toBeUndefined()
      const r = txn.nested((t) => {
        t.put(docs, 'joined', { n: 2 })
        t.nested((t3) => t3.put(docs, 'deep', { n: 3 }))
        expect(() =>
          t.nested((t3) => {
            t3.put(docs, 'deep-failed', { n: 0 })
            throw new Error('level 3')
          }),
        ).toThrow('level 3')
        expect(t.get(docs, 'deep')).toEqual({ n: 3 })
        return 7
      })
      expect(r).toBe(7)
      txn.put(docs, 'after', { n: 4 })
    })
    expect(await docs.keys().toArray()).toEqual(['after', 'deep', 'joined', 'outer'])
  })

  it('throws BadTxnError while an async transaction of the environment is open, and works after it', async () => {
    await using env = open(tempDir())
    const { docs } = setup(env)
    await env.transaction(async (txn) => {
      await txn.put(docs, 'async', { n: 1 })
      expect(() => env.transactionSync((t) => t.put(docs, 'sync', { n: 2 }))).toThrow(errors.BadTxnError)
    })
    expect(await docs.has('sync')).toBe(false)
    expect(await docs.get('async')).toEqual({ n: 1 })
    env.transactionSync((t) => t.put(docs, 'sync', { n: 2 }))
    expect(await docs.get('sync')).toEqual({ n: 2 })
  })

  it('a fn that returns a Promise throws TypeError and commits nothing', async () => {
    await using env = open(tempDir())
    const { docs } = setup(env)
    expect(() =>
      env.transactionSync((txn) => {
        txn.put(docs, 'p', { n: 1 })
        return Promise.resolve(1)
      }),
    ).toThrow(TypeError)
    expect(await docs.has('p')).toBe(false)
    // an async fn too
    expect(() =>
      env.transactionSync(async (txn) => {
        txn.put(docs, 'q', { n: 1 })
      }),
    ).toThrow(TypeError)
    expect(await docs.has('q')).toBe(false)
  })

  it('writes issued before it (not awaited) are committed before it runs, and it sees them', async () => {
    await using env = open(tempDir())
    const { docs, nums } = setup(env)
    const p1 = docs.put('early', { n: 1 })
    const p2 = nums.putMany([[1, 'one'], [2, 'two']])
    const p3 = docs.delete('nothing')
    const seen = env.transactionSync((txn) => [txn.get(docs, 'early'), txn.getMany(nums, [1, 2])])
    expect(seen).toEqual([{ n: 1 }, ['one', 'two']])
    expect(await p1).toBe(true)
    expect(await p2).toBe(2)
    expect(await p3).toBe(false)
  })
})

describe('env.batch', () => {
  it('applies puts and deletes across databases atomically', async () => {
    await using env = open(tempDir())
    const { docs, nums, raw } = setup(env)
    await docs.put('old', { n: 0 })
    await nums.put(9, 'nine')
    await env.batch([
      { type: 'put', db: docs, key: 'a', value: { n: 1 } },
      { type: 'put', db: nums, key: 1, value: 'one' },
      { type: 'put', db: raw, key: b('r'), value: b('R') },
      { type: 'delete', db: docs, key: 'old' },
      { type: 'delete', db: nums, key: 9 },
      { type: 'put', db: docs, key: 'a', value: { n: 2 } }, // in order: the later put wins
    ])
    expect(await docs.range().toArray()).toEqual([['a', { n: 2 }]])
    expect(await nums.range().toArray()).toEqual([[1, 'one']])
    expect(await raw.get(b('r'))).toEqual(b('R'))
    await env.batch([]) // nothing to do
  })

  it('one op of the wrong type for its coder rejects with CoderError and writes nothing', async () => {
    await using env = open(tempDir())
    const { docs, nums } = setup(env)
    await nums.put(5, 'five')
    const bad = env.batch([
      { type: 'put', db: docs, key: 'a', value: { n: 1 } },
      { type: 'delete', db: nums, key: 5 },
      { type: 'put', db: nums, key: 2, value: 12345 }, // a number for the string coder
    ])
    await expect(bad).rejects.toBeInstanceOf(errors.CoderError)
    const bad2 = env.batch([
      { type: 'put', db: docs, key: 'b', value: { n: 1 } },
      { type: 'put', db: nums, key: 'seven', value: 'x' }, // a string for the uint32 coder
    ])
    await expect(bad2).rejects.toBeInstanceOf(errors.CoderError)
    expect(await docs.count()).toBe(0)
    expect(await nums.range().toArray()).toEqual([[5, 'five']])
  })
})

describe('misuse', () => {
  it('a Transaction used after its transaction ended rejects with ClosedError', async () => {
    await using env = open(tempDir())
    const { docs } = setup(env)
    let kept!: Transaction
    await env.transaction(async (txn) => {
      kept = txn
      await txn.put(docs, 'a', { n: 1 })
    })
    await expect(kept.get(docs, 'a')).rejects.toBeInstanceOf(errors.ClosedError)
    await expect(kept.put(docs, 'b', { n: 2 })).rejects.toBeInstanceOf(errors.ClosedError)
    await expect(kept.range(docs).toArray()).rejects.toBeInstanceOf(errors.ClosedError)
    expect(() => kept.cursor(docs)).toThrow(errors.ClosedError)
    await expect(kept.nested(() => 1)).rejects.toBeInstanceOf(errors.ClosedError)
    expect(await docs.has('b')).toBe(false)

    // also after an abort
    let aborted!: Transaction
    await expect(
      env.transaction((txn) => {
        aborted = txn
        throw new Error('x')
      }),
    ).rejects.toThrow('x')
    await expect(aborted.get(docs, 'a')).rejects.toBeInstanceOf(errors.ClosedError)
  })

  it('a TransactionSync used after it ended throws ClosedError', async () => {
    await using env = open(tempDir())
    const { docs } = setup(env)
    // in a function of its own, so that no reference to the ended transaction outlives it
    const useAfterEnd = () => {
      let kept!: TransactionSync
      env.transactionSync((txn) => {
        kept = txn
        txn.put(docs, 'a', { n: 1 })
      })
      expect(() => kept.get(docs, 'a')).toThrow(errors.ClosedError)
      expect(() => kept.put(docs, 'b', { n: 2 })).toThrow(errors.ClosedError)
      expect(() => kept.cursor(docs)).toThrow(errors.ClosedError)
      expect(() => kept.nested(() => 1)).toThrow(errors.ClosedError)
    }
    useAfterEnd()
    expect(await docs.has('b')).toBe(false)
    expect(await docs.get('a')).toEqual({ n: 1 })
  })

  it('a read-only environment rejects env.transaction (and transactionSync, batch) with ReadonlyError', async () => {
    const dir = tempDir()
    {
      await using env = open(dir)
      await env.openDb('docs', { keyCoder: 'string', valueCoder: 'string' }).put('a', '1')
    }
    await using env = open(dir, { readonly: true })
    const db = env.openDb('docs', { keyCoder: 'string', valueCoder: 'string' })
    let called = false
    const p = env.transaction(() => {
      called = true
    })
    await expect(p).rejects.toBeInstanceOf(errors.ReadonlyError)
    expect(called).toBe(false)
    expect(() => env.transactionSync(() => 1)).toThrow(errors.ReadonlyError)
    await expect(env.batch([{ type: 'put', db, key: 'b', value: '2' }])).rejects.toBeInstanceOf(errors.ReadonlyError)
    expect(await db.get('a')).toBe('1')
    expect(await db.has('b')).toBe(false)
  })

  it('env.transaction on a closed environment rejects with ClosedError', async () => {
    const env = open(tempDir())
    await env.close()
    await expect(env.transaction(() => 1)).rejects.toBeInstanceOf(errors.ClosedError)
    expect(() => env.transactionSync(() => 1)).toThrow(errors.ClosedError)
  })
})

describe('a database created inside a transaction that aborts', () => {
  it('is gone afterwards: not listed, its handle rejects with BadDbiError, and it can be opened again', async () => {
    await using env = open(tempDir())
    const { docs } = setup(env)
    let made!: Database<string, string>
    const failed = env.transaction(async (txn) => {
      await txn.put(docs, 'a', { n: 1 })
      made = env.openDb('fresh', { keyCoder: 'string', valueCoder: 'string' })
      await txn.put(made, 'k', 'v')
      expect(await txn.get(made, 'k')).toBe('v')
      throw new Error('abort it')
    })
    expect(await within(failed.catch((e: Error) => e.message), 10_000)).toBe('abort it')

    expect(await env.databases()).not.toContain('fresh')
    expect(await docs.has('a')).toBe(false)
    await expect(made.get('k')).rejects.toBeInstanceOf(errors.BadDbiError)
    await expect(made.put('k', 'v')).rejects.toBeInstanceOf(errors.BadDbiError)
    await expect(made.count()).rejects.toBeInstanceOf(errors.BadDbiError)
    await expect(env.transaction((txn) => txn.get(made, 'k'))).rejects.toBeInstanceOf(errors.BadDbiError)

    const again = env.openDb('fresh', { keyCoder: 'string', valueCoder: 'string' })
    expect(await again.get('k')).toBeUndefined()
    expect(await again.put('k', 'v2')).toBe(true)
    expect(await again.get('k')).toBe('v2')
    expect(await env.databases()).toContain('fresh')
    // the old handle stays dead
    await expect(made.get('k')).rejects.toBeInstanceOf(errors.BadDbiError)
  })

  it('a database created inside a transaction that commits stays', async () => {
    await using env = open(tempDir())
    await env.transaction(async (txn) => {
      const made = env.openDb('kept', { keyCoder: 'string', valueCoder: 'string' })
      await txn.put(made, 'k', 'v')
    })
    expect(await env.databases()).toContain('kept')
    expect(await env.openDb('kept', { keyCoder: 'string', valueCoder: 'string' }).get('k')).toBe('v')
  })
})
