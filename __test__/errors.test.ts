import { constants } from 'node:os'
import { describe, expect, it } from 'vitest'
import { open, errors, Coder, IdentityCoder, StringCoder } from 'lmdb-napi'
import { b, tempDir } from './helpers.js'

type ErrorClass = new (...args: any[]) => Error

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Calls `call`, which must return a promise (never throw), and expects it to reject with `cls`. */
async function expectRejects(call: () => unknown, cls: ErrorClass): Promise<Error> {
  let result: unknown
  try {
    result = call()
  } catch (error) {
    throw new Error(`threw synchronously instead of rejecting: ${String(error)}`)
  }
  expect(result).toBeInstanceOf(Promise)
  const outcome = await (result as Promise<unknown>).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  )
  if (outcome.ok) throw new Error(`resolved with ${String(outcome.value)} instead of rejecting with ${cls.name}`)
  expect(outcome.error).toBeInstanceOf(cls)
  return outcome.error as Error
}

const LMDB_ERRORS: [name: string, code: string, errno: number][] = [
  ['KeyExistsError', 'MDB_KEYEXIST', -30799],
  ['NotFoundError', 'MDB_NOTFOUND', -30798],
  ['PageNotFoundError', 'MDB_PAGE_NOTFOUND', -30797],
  ['CorruptedError', 'MDB_CORRUPTED', -30796],
  ['PanicError', 'MDB_PANIC', -30795],
  ['VersionMismatchError', 'MDB_VERSION_MISMATCH', -30794],
  ['InvalidError', 'MDB_INVALID', -30793],
  ['MapFullError', 'MDB_MAP_FULL', -30792],
  ['DbsFullError', 'MDB_DBS_FULL', -30791],
  ['ReadersFullError', 'MDB_READERS_FULL', -30790],
  ['TlsFullError', 'MDB_TLS_FULL', -30789],
  ['TxnFullError', 'MDB_TXN_FULL', -30788],
  ['CursorFullError', 'MDB_CURSOR_FULL', -30787],
  ['PageFullError', 'MDB_PAGE_FULL', -30786],
  ['MapResizedError', 'MDB_MAP_RESIZED', -30785],
  ['IncompatibleError', 'MDB_INCOMPATIBLE', -30784],
  ['BadRslotError', 'MDB_BAD_RSLOT', -30783],
  ['BadTxnError', 'MDB_BAD_TXN', -30782],
  ['BadValsizeError', 'MDB_BAD_VALSIZE', -30781],
  ['BadDbiError', 'MDB_BAD_DBI', -30780],
  ['ReadonlyError', 'EACCES', constants.errno.EACCES],
  ['InvalidParameterError', 'EINVAL', constants.errno.EINVAL],
  ['LockError', 'EAGAIN', constants.errno.EAGAIN],
  ['MemoryError', 'ENOMEM', constants.errno.ENOMEM],
  ['DiskError', 'ENOSPC', constants.errno.ENOSPC],
]

describe('error classes', () => {
  it.each(LMDB_ERRORS)('%s has code %s and errno %d and is an LmdbError', (name, code, errno) => {
    const cls = (errors as unknown as Record<string, ErrorClass>)[name]
    expect(typeof cls).toBe('function')
    const err = new cls() as Error & { code: string; errno: number }
    expect(err).toBeInstanceOf(cls)
    expect(err).toBeInstanceOf(errors.LmdbError)
    expect(err).toBeInstanceOf(Error)
    expect(err.code).toBe(code)
    expect(err.errno).toBe(errno)
    expect(typeof err.errno).toBe('number')
    expect(err.name).toBe(name)
    expect(typeof err.message).toBe('string')
    expect(err.stack).toBeTypeOf('string')
    const withMessage = new cls('custom text') as Error & { code: string; errno: number }
    expect(withMessage.message).toContain('custom text')
    expect(withMessage.code).toBe(code)
    expect(withMessage.errno).toBe(errno)
  })

  it('the LMDB error classes are distinct from one another', () => {
    const classes = LMDB_ERRORS.map(([name]) => (errors as unknown as Record<string, ErrorClass>)[name])
    expect(new Set(classes).size).toBe(classes.length)
    expect(new errors.MapFullError()).not.toBeInstanceOf(errors.KeyExistsError)
    expect(new errors.KeyExistsError()).not.toBeInstanceOf(errors.MapFullError)
  })

  it('LmdbError is an Error subclass', () => {
    expect(typeof errors.LmdbError).toBe('function')
    expect(Object.prototype.isPrototypeOf.call(Error.prototype, errors.LmdbError.prototype)).toBe(true)
  })

  it('ClosedError and CoderError are Error subclasses, not LmdbErrors', () => {
    const closed = new errors.ClosedError()
    expect(closed).toBeInstanceOf(Error)
    expect(closed).not.toBeInstanceOf(errors.LmdbError)
    expect(closed.name).toBe('ClosedError')
    const coder = new errors.CoderError('IdentityCoder', 'things', new TypeError('bad'))
    expect(coder).toBeInstanceOf(Error)
    expect(coder).not.toBeInstanceOf(errors.LmdbError)
    expect(coder.name).toBe('CoderError')
    expect(coder.message).toContain('IdentityCoder')
    expect(coder.message).toContain('things')
  })
})

describe('bad keys', () => {
  it('a key longer than maxKeySize() rejects with BadValsizeError and writes nothing', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    const max = env.maxKeySize()
    expect(Number.isInteger(max)).toBe(true)
    expect(max).toBeGreaterThan(0)
    const longest = Buffer.alloc(max, 'a')
    const tooLong = Buffer.alloc(max + 1, 'a')
    const err = (await expectRejects(() => db.put(tooLong, b('v')), errors.BadValsizeError)) as InstanceType<
      typeof errors.BadValsizeError
    >
    expect(err.code).toBe('MDB_BAD_VALSIZE')
    expect(err.errno).toBe(-30781)
    await expectRejects(() => db.putMany([[b('ok'), b('v')], [tooLong, b('v')]]), errors.BadValsizeError)
    await expectRejects(() => db.replace(tooLong, b('v')), errors.BadValsizeError)
    await expectRejects(() => db.get(tooLong), errors.BadValsizeError)
    await expectRejects(() => db.has(tooLong), errors.BadValsizeError)
    await expectRejects(() => db.getMany([b('ok'), tooLong]), errors.BadValsizeError)
    await expectRejects(() => db.delete(tooLong), errors.BadValsizeError)
    await expectRejects(() => db.deleteMany([tooLong]), errors.BadValsizeError)
    await expectRejects(() => db.pop(tooLong), errors.BadValsizeError)
    expect(() => db.getSync(tooLong)).toThrow(errors.BadValsizeError)
    expect(await db.count()).toBe(0)
    expect(await db.has(b('ok'))).toBe(false)
    // exactly maxKeySize bytes is fine
    expect(await db.put(longest, b('v'))).toBe(true)
    expect(await db.get(longest)).toEqual(b('v'))
    expect(await db.count()).toBe(1)
  })

  it('a too-long key is measured after encoding (multi-byte UTF-8)', async () => {
    await using env = open(tempDir())
    const db = env.openDb('s', { keyCoder: 'string', valueCoder: 'string' })
    const max = env.maxKeySize()
    const key = 'é'.repeat(Math.ceil((max + 1) / 2)) // 2 bytes per character
    await expectRejects(() => db.put(key, 'v'), errors.BadValsizeError)
    expect(await db.count()).toBe(0)
  })

  it('an empty key rejects on get, put, delete and has (and the others)', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    await db.put(b('x'), b('1'))
    await expectRejects(() => db.get(b('')), errors.BadValsizeError)
    await expectRejects(() => db.get(b(''), 'default'), errors.BadValsizeError)
    await expectRejects(() => db.put(b(''), b('v')), errors.BadValsizeError)
    await expectRejects(() => db.delete(b('')), errors.BadValsizeError)
    await expectRejects(() => db.has(b('')), errors.BadValsizeError)
    await expectRejects(() => db.getMany([b('x'), b('')]), errors.BadValsizeError)
    await expectRejects(() => db.replace(b(''), b('v')), errors.BadValsizeError)
    await expectRejects(() => db.pop(b('')), errors.BadValsizeError)
    await expectRejects(() => db.deleteMany([b('x'), b('')]), errors.BadValsizeError)
    await expectRejects(() => db.putMany([[b(''), b('v')]]), errors.BadValsizeError)
    await expectRejects(() => db.put(new Uint8Array(0) as Buffer, b('v')), errors.BadValsizeError)
    expect(await db.count()).toBe(1)
    expect(await db.get(b('x'))).toEqual(b('1'))
  })
})

describe('coder errors', () => {
  it('IdentityCoder given a string or number value rejects with a CoderError naming the coder and the database', async () => {
    await using env = open(tempDir())
    const db = env.openDb('things', { keyCoder: new IdentityCoder(), valueCoder: new IdentityCoder() })
    for (const bad of ['a string', 42, null, { a: 1 }, [1, 2]]) {
      const err = (await expectRejects(() => db.put(b('k'), bad as unknown as Buffer), errors.CoderError)) as InstanceType<
        typeof errors.CoderError
      >
      expect(err.message).toContain('IdentityCoder')
      expect(err.message).toContain('things')
      expect(err.coder).toBe('IdentityCoder')
      expect(err.database).toBe('things')
    }
    expect(await db.count()).toBe(0)
  })

  it('IdentityCoder given a string or number key rejects with CoderError on reads and writes', async () => {
    await using env = open(tempDir())
    const db = env.openDb('things')
    await expectRejects(() => db.put('key' as unknown as Buffer, b('v')), errors.CoderError)
    await expectRejects(() => db.put(7 as unknown as Buffer, b('v')), errors.CoderError)
    await expectRejects(() => db.get('key' as unknown as Buffer), errors.CoderError)
    await expectRejects(() => db.has(7 as unknown as Buffer), errors.CoderError)
    await expectRejects(() => db.delete('key' as unknown as Buffer), errors.CoderError)
    await expectRejects(() => db.getMany(['key' as unknown as Buffer]), errors.CoderError)
    expect(() => db.getSync('key' as unknown as Buffer)).toThrow(errors.CoderError)
    const err = (await expectRejects(() => db.replace('' as unknown as Buffer, b('v')), errors.CoderError)) as InstanceType<
      typeof errors.CoderError
    >
    expect(err.message).toContain('IdentityCoder')
    expect(err.message).toContain('things')
    expect(await db.count()).toBe(0)
  })

  it('a CoderError of the default database has a null database', async () => {
    await using env = open(tempDir())
    const err = (await expectRejects(() => env.defaultDb.put(b('k'), 5 as unknown as Buffer), errors.CoderError)) as InstanceType<
      typeof errors.CoderError
    >
    expect(err.coder).toBe('IdentityCoder')
    expect(err.database).toBeNull()
    expect(err.message).toContain('IdentityCoder')
  })

  it('StringCoder given a number rejects with CoderError naming StringCoder', async () => {
    await using env = open(tempDir())
    const db = env.openDb('strings', { keyCoder: new StringCoder(), valueCoder: new StringCoder() })
    const asValue = (await expectRejects(() => db.put('k', 12 as unknown as string), errors.CoderError)) as InstanceType<
      typeof errors.CoderError
    >
    expect(asValue.message).toContain('StringCoder')
    expect(asValue.message).toContain('strings')
    expect(asValue.coder).toBe('StringCoder')
    await expectRejects(() => db.put(12 as unknown as string, 'v'), errors.CoderError)
    await expectRejects(() => db.get(12 as unknown as string), errors.CoderError)
    await expectRejects(() => db.put('k', b('buf') as unknown as string), errors.CoderError)
    expect(await db.count()).toBe(0)
  })

  it('a user coder that throws in serialize or deserialize gives a CoderError with the cause', async () => {
    class Picky extends Coder<string> {
      serialize(value: string): Uint8Array {
        if (value === 'bad') throw new RangeError('picky says no')
        return Buffer.from(value)
      }
      deserialize(bytes: Buffer): string {
        if (bytes.toString() === 'unreadable') throw new Error('cannot read')
        return bytes.toString()
      }
    }
    await using env = open(tempDir())
    const db = env.openDb('p', { keyCoder: 'string', valueCoder: new Picky() })
    const err = (await expectRejects(() => db.put('k', 'bad'), errors.CoderError)) as InstanceType<typeof errors.CoderError>
    expect(err.message).toContain('Picky')
    expect(err.message).toContain('picky says no')
    expect(err.cause).toBeInstanceOf(RangeError)
    await db.put('k', 'unreadable')
    await expectRejects(() => db.get('k'), errors.CoderError)
    expect(() => db.getSync('k')).toThrow(errors.CoderError)
    expect(await db.put('k2', 'fine')).toBe(true)
    expect(await db.get('k2')).toBe('fine')
  })

  it('a user coder whose serialize does not return bytes gives a CoderError', async () => {
    class Broken extends Coder<string> {
      serialize(value: string): Uint8Array {
        return value as unknown as Uint8Array
      }
      deserialize(bytes: Buffer): string {
        return bytes.toString()
      }
    }
    await using env = open(tempDir())
    const db = env.openDb('b', { valueCoder: new Broken() })
    await expectRejects(() => db.put(b('k'), 'v'), errors.CoderError)
    expect(await db.count()).toBe(0)
  })
})

describe('async methods never throw synchronously', () => {
  it('bad arguments give rejected promises', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    const anyDb = db as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>
    await expectRejects(() => anyDb.put(''), errors.CoderError)
    await expectRejects(() => anyDb.put(undefined, undefined), errors.CoderError)
    await expectRejects(() => anyDb.get(123), errors.CoderError)
    await expectRejects(() => anyDb.has(null), errors.CoderError)
    await expectRejects(() => anyDb.delete({}), errors.CoderError)
    await expectRejects(() => anyDb.replace(b('k'), 'v'), errors.CoderError)
    await expectRejects(() => anyDb.pop(1), errors.CoderError)
    await expectRejects(() => anyDb.getMany(null), TypeError)
    await expectRejects(() => anyDb.putMany(null), TypeError)
    await expectRejects(() => anyDb.putMany(42), Error)
    await expectRejects(() => anyDb.putMany([b('not a pair')]), Error)
    await expectRejects(() => anyDb.deleteMany(undefined), TypeError)
    expect(await db.count()).toBe(0)
  })

  it('getMany and deleteMany reject a non-iterable argument (a number) with TypeError', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    await db.put(b('k'), b('v'))
    const anyDb = db as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>
    await expectRejects(() => anyDb.getMany(42), TypeError)
    await expectRejects(() => anyDb.deleteMany(42), TypeError)
    expect(() => (db as unknown as { getManySync(k: unknown): unknown }).getManySync(42)).toThrow(TypeError)
    expect(await db.count()).toBe(1)
  })

  it('a bad put returns a rejected promise even when not awaited at once', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    let promise: Promise<boolean> | undefined
    expect(() => {
      promise = db.put('' as unknown as Buffer, b('v'))
    }).not.toThrow()
    expect(promise).toBeInstanceOf(Promise)
    await expect(promise).rejects.toBeInstanceOf(errors.CoderError)
  })
})

describe('read-only environments', () => {
  it('reject every write with ReadonlyError and write nothing', async () => {
    const dir = tempDir()
    {
      await using env = open(dir)
      await env.defaultDb.put(b('k'), b('v'))
      await env.openDb('named').put(b('n'), b('1'))
    }
    {
      await using env = open(dir, { readonly: true })
      expect(env.flags().readonly).toBe(true)
      const db = env.defaultDb
      const named = env.openDb('named')
      const err = (await expectRejects(() => db.put(b('k2'), b('v2')), errors.ReadonlyError)) as InstanceType<
        typeof errors.ReadonlyError
      >
      expect(err).toBeInstanceOf(errors.LmdbError)
      expect(err.code).toBe('EACCES')
      expect(err.errno).toBe(constants.errno.EACCES)
      await expectRejects(() => db.putMany([[b('a'), b('1')]]), errors.ReadonlyError)
      async function* gen(): AsyncGenerator<[Buffer, Buffer]> {
        yield [b('g'), b('1')]
      }
      await expectRejects(() => db.putMany(gen()), errors.ReadonlyError)
      await expectRejects(() => db.delete(b('k')), errors.ReadonlyError)
      await expectRejects(() => db.deleteMany([b('k')]), errors.ReadonlyError)
      await expectRejects(() => db.replace(b('k'), b('x')), errors.ReadonlyError)
      await expectRejects(() => db.pop(b('k')), errors.ReadonlyError)
      await expectRejects(() => db.drop(), errors.ReadonlyError)
      await expectRejects(() => named.put(b('n'), b('2')), errors.ReadonlyError)
      await expectRejects(() => named.drop({ delete: true }), errors.ReadonlyError)
      await expectRejects(() => named.drop(), errors.ReadonlyError)
      // reads work and see the old data
      expect(await db.get(b('k'))).toEqual(b('v'))
      expect(await db.has(b('k2'))).toBe(false)
      expect(await named.get(b('n'))).toEqual(b('1'))
      expect(await named.count()).toBe(1)
      expect(await env.databases()).toEqual(['named'])
    }
    // nothing was written
    await using env = open(dir)
    const db = env.defaultDb
    expect(await db.get(b('k'))).toEqual(b('v'))
    expect(await db.getMany([b('k2'), b('a'), b('g')])).toEqual([undefined, undefined, undefined])
    expect(await env.databases()).toEqual(['named'])
    expect(await env.openDb('named').get(b('n'))).toEqual(b('1'))
  })

  it('openDb of a missing database in a read-only environment throws instead of creating it', async () => {
    const dir = tempDir()
    {
      await using env = open(dir)
      await env.defaultDb.put(b('k'), b('v'))
    }
    {
      await using env = open(dir, { readonly: true })
      expect(() => env.openDb('missing')).toThrow(errors.LmdbError)
    }
    await using env = open(dir)
    expect(await env.databases()).toEqual([])
  })
})

describe('closed environments', () => {
  it('after close(), every database and environment method rejects or throws ClosedError', async () => {
    const env = open(tempDir())
    const db = env.openDb('d')
    const str = env.openDb('s', { keyCoder: 'string', valueCoder: 'string' })
    const main = env.defaultDb
    await db.put(b('k'), b('v'))
    await env.close()
    expect(env.closed).toBe(true)

    await expectRejects(() => db.get(b('k')), errors.ClosedError)
    await expectRejects(() => db.get(b('k'), 'default'), errors.ClosedError)
    await expectRejects(() => db.put(b('k'), b('v')), errors.ClosedError)
    await expectRejects(() => db.getMany([b('k')]), errors.ClosedError)
    await expectRejects(() => db.has(b('k')), errors.ClosedError)
    await expectRejects(() => db.delete(b('k')), errors.ClosedError)
    await expectRejects(() => db.deleteMany([b('k')]), errors.ClosedError)
    await expectRejects(() => db.putMany([[b('k'), b('v')]]), errors.ClosedError)
    await expectRejects(() => db.putMany([]), errors.ClosedError)
    await expectRejects(() => db.replace(b('k'), b('v')), errors.ClosedError)
    await expectRejects(() => db.pop(b('k')), errors.ClosedError)
    await expectRejects(() => db.drop(), errors.ClosedError)
    await expectRejects(() => db.drop({ delete: true }), errors.ClosedError)
    await expectRejects(() => db.count(), errors.ClosedError)
    await expectRejects(() => db.stat(), errors.ClosedError)
    await expectRejects(() => str.get('k'), errors.ClosedError)
    await expectRejects(() => main.put(b('k'), b('v')), errors.ClosedError)
    // even with bad input, the closed state wins or at least it still rejects
    await expectRejects(() => db.put(b(''), b('v')), Error)
    expect(() => db.getSync(b('k'))).toThrow(errors.ClosedError)
    expect(() => db.getManySync([b('k')])).toThrow(errors.ClosedError)
    expect(() => db.hasSync(b('k'))).toThrow(errors.ClosedError)

    await expectRejects(() => env.databases(), errors.ClosedError)
    await expectRejects(() => env.sync(), errors.ClosedError)
    await expectRejects(() => env.setMapSize(1 << 30), errors.ClosedError)
    expect(() => env.openDb('d')).toThrow(errors.ClosedError)
    expect(() => env.stat()).toThrow(errors.ClosedError)
    expect(() => env.info()).toThrow(errors.ClosedError)
    expect(() => env.flags()).toThrow(errors.ClosedError)
    expect(() => env.maxKeySize()).toThrow(errors.ClosedError)
  })

  it('calls issued before close() in the same tick settle normally', async () => {
    const dir = tempDir()
    {
      const env = open(dir)
      const db = env.defaultDb
      await db.put(b('old'), b('o'))
      const read = db.get(b('old'))
      const has = db.has(b('old'))
      const put = db.put(b('new'), b('n'))
      const putMany = db.putMany([
        [b('m1'), b('1')],
        [b('m2'), b('2')],
      ])
      const del = db.delete(b('old'))
      const closing = env.close()
      expect(await put).toBe(true)
      expect(await putMany).toBe(2)
      expect(await del).toBe(true)
      // a read issued before the delete is not ordered with it, but it must resolve
      const value = await read
      expect(value === undefined || value.equals(b('o'))).toBe(true)
      expect(typeof (await has)).toBe('boolean')
      await closing
      await expectRejects(() => db.get(b('new')), errors.ClosedError)
    }
    await using env = open(dir)
    const db = env.defaultDb
    expect(await db.get(b('new'))).toEqual(b('n'))
    expect(await db.getMany([b('m1'), b('m2'), b('old')])).toEqual([b('1'), b('2'), undefined])
  })

  it('reads and stats issued before close() resolve, never with ClosedError (50 rounds)', async () => {
    const failures: string[] = []
    for (let round = 0; round < 50; round++) {
      const env = open(tempDir(), { sync: false })
      const db = env.defaultDb
      await db.put(b('k'), b('v'))
      const calls: Promise<unknown>[] = []
      for (let i = 0; i < 8; i++) {
        calls.push(db.get(b('k')), db.has(b('k')), db.stat(), env.databases())
        await Promise.resolve() // separate native tasks, all still before close()
      }
      const closing = env.close()
      const results = await Promise.allSettled(calls)
      await closing
      for (const r of results) {
        if (r.status === 'rejected') failures.push(`round ${round}: ${String(r.reason)}`)
      }
      const gets = results.filter((_, i) => i % 4 === 0)
      for (const g of gets) if (g.status === 'fulfilled') expect(g.value).toEqual(b('v'))
    }
    expect(failures).toEqual([])
  })

  it('a putMany whose async generator is still yielding at close() rejects with ClosedError and writes nothing', async () => {
    const dir = tempDir()
    let yielded = 0
    let finished = false
    {
      const env = open(dir)
      const db = env.defaultDb
      async function* slow(): AsyncGenerator<[Buffer, Buffer]> {
        for (let i = 0; i < 10; i++) {
          yield [b(`k${i}`), b(`v${i}`)]
          yielded++
          await sleep(5)
        }
        finished = true
      }
      const outcome = db.putMany(slow()).then(
        (n) => ({ ok: true as const, n }),
        (error: unknown) => ({ ok: false as const, error }),
      )
      await sleep(12)
      expect(yielded).toBeGreaterThan(0)
      expect(finished).toBe(false)
      await env.close()
      const result = await outcome
      expect(result.ok).toBe(false)
      if (!result.ok) expect(result.error).toBeInstanceOf(errors.ClosedError)
    }
    await using env = open(dir)
    expect(await env.defaultDb.count()).toBe(0)
    expect(await env.defaultDb.get(b('k0'))).toBeUndefined()
  })

  it('close() is idempotent', async () => {
    const env = open(tempDir())
    await env.defaultDb.put(b('k'), b('v'))
    const first = env.close()
    const second = env.close()
    expect(first).toBeInstanceOf(Promise)
    expect(second).toBeInstanceOf(Promise)
    await expect(first).resolves.toBeUndefined()
    await expect(second).resolves.toBeUndefined()
    await expect(env.close()).resolves.toBeUndefined()
    await expect(env[Symbol.asyncDispose]()).resolves.toBeUndefined()
    expect(env.closed).toBe(true)
  })

  it('`await using` closes the environment at the end of the block', async () => {
    const dir = tempDir()
    let outside: ReturnType<typeof open> | undefined
    let db: ReturnType<ReturnType<typeof open>['openDb']> | undefined
    {
      await using env = open(dir)
      outside = env
      db = env.openDb('u')
      expect(await db.put(b('k'), b('v'))).toBe(true)
      expect(env.closed).toBe(false)
    }
    expect(outside.closed).toBe(true)
    await expectRejects(() => db!.get(b('k')), errors.ClosedError)
    // and the data is there for the next opener
    await using env = open(dir)
    expect(await env.openDb('u').get(b('k'))).toEqual(b('v'))
  })

  it('closing one handle of a shared environment closes only that handle', async () => {
    const dir = tempDir()
    const first = open(dir)
    await using second = open(dir)
    const db1 = first.openDb('x')
    const db2 = second.openDb('x')
    await db1.put(b('k'), b('v'))
    await first.close()
    await expectRejects(() => db1.get(b('k')), errors.ClosedError)
    await expectRejects(() => db1.put(b('k2'), b('v')), errors.ClosedError)
    expect(() => first.stat()).toThrow(errors.ClosedError)
    // the other handle still works on the same data
    expect(await db2.get(b('k'))).toEqual(b('v'))
    expect(await db2.put(b('k2'), b('v2'))).toBe(true)
    expect(await second.openDb('x').count()).toBe(2)
  })

  it('works again after reopening a closed path', async () => {
    const dir = tempDir()
    for (let i = 0; i < 3; i++) {
      const env = open(dir)
      expect(await env.defaultDb.count()).toBe(i)
      await env.defaultDb.put(b(`k${i}`), b('v'))
      await env.close()
    }
    await using env = open(dir)
    expect(await env.defaultDb.count()).toBe(3)
  })
})
