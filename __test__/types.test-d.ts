import { describe, expectTypeOf, it } from 'vitest'
import {
  open, Coder, Database, IdentityCoder, JSONCoder, MsgPackCoder, StringCoder, UInt16Coder, UInt32Coder, UInt64Coder,
  TextCoder, V8Coder, errors,
} from 'lmdb-napi'
import type { Cursor, CursorSync, DbStat, EnvFlags, EnvInfo, EnvOptions, EnvStat, RangeIterable, Snapshot } from 'lmdb-napi'

const env = open('/tmp/never-opened-in-type-tests')

describe('openDb infers the database type from its coders', () => {
  it('defaults to binary keys and values', () => {
    expectTypeOf(env.openDb('x')).toEqualTypeOf<Database<Buffer, Buffer>>()
    expectTypeOf(env.defaultDb).toEqualTypeOf<Database<Buffer, Buffer>>()
  })

  it('follows coder instances and names', () => {
    expectTypeOf(env.openDb('x', { keyCoder: new StringCoder() })).toEqualTypeOf<Database<string, Buffer>>()
    expectTypeOf(env.openDb('x', { keyCoder: 'string', valueCoder: 'string' })).toEqualTypeOf<Database<string, string>>()
    expectTypeOf(env.openDb('x', { valueCoder: new IdentityCoder() })).toEqualTypeOf<Database<Buffer, Buffer>>()
  })

  it('follows the built-in coders', () => {
    interface User {
      name: string
      age: number
    }
    const users = env.openDb('users', { keyCoder: new UInt32Coder(), valueCoder: new JSONCoder<User>() })
    expectTypeOf(users).toEqualTypeOf<Database<number, User>>()
    expectTypeOf(users.get(1)).resolves.toEqualTypeOf<User | undefined>()
    // @ts-expect-error a User needs an age
    users.put(1, { name: 'ada' })
    // @ts-expect-error keys are numbers
    users.put('1', { name: 'ada', age: 36 })
    expectTypeOf(env.openDb('x', { keyCoder: new UInt16Coder(), valueCoder: new UInt64Coder() })).toEqualTypeOf<
      Database<number, bigint>
    >()
    expectTypeOf(env.openDb('x', { valueCoder: new MsgPackCoder<User[]>() })).toEqualTypeOf<Database<Buffer, User[]>>()
    expectTypeOf(env.openDb('x', { valueCoder: new V8Coder<Map<string, Date>>() })).toEqualTypeOf<
      Database<Buffer, Map<string, Date>>
    >()
    expectTypeOf(env.openDb('x', { valueCoder: new JSONCoder<User>().compressed({ algorithm: 'lz4' }) })).toEqualTypeOf<
      Database<Buffer, User>
    >()
  })

  it('lets 64-bit keys be given as numbers, and reads them as bigint', () => {
    const big = env.openDb('big', { keyCoder: new UInt64Coder(), valueCoder: 'string' })
    expectTypeOf(big).toEqualTypeOf<Database<bigint, string>>()
    big.put(5, 'five')
    big.put(5n, 'five')
    big.range({ gte: 1, lt: 10n })
    expectTypeOf(big.keys().toArray()).resolves.toEqualTypeOf<bigint[]>()
    const counters = env.openDb('counters', { keyCoder: 'string', valueCoder: new UInt64Coder() })
    counters.put('hits', 1)
    expectTypeOf(counters.get('hits')).resolves.toEqualTypeOf<bigint | undefined>()
    // @ts-expect-error not a number or bigint
    big.put('5', 'five')
    // numbers stay numbers for 32-bit keys: no bigint there
    const small = env.openDb('small', { keyCoder: new UInt32Coder() })
    // @ts-expect-error a bigint is not a uint32 key
    small.put(5n, Buffer.alloc(1))
  })

  it('follows the shorthand names, or the types given', () => {
    interface User {
      name: string
    }
    expectTypeOf(env.openDb('x', { keyCoder: 'uint32', valueCoder: 'json' })).toEqualTypeOf<Database<number, unknown>>()
    expectTypeOf(env.openDb('x', { keyCoder: 'uint64', valueCoder: 'v8' })).toEqualTypeOf<Database<bigint, unknown>>()
    expectTypeOf(env.openDb('x', { keyCoder: 'binary', valueCoder: 'msgpack' })).toEqualTypeOf<Database<Buffer, unknown>>()
    expectTypeOf(env.openDb<number, User>('users', { keyCoder: 'uint32', valueCoder: 'json' })).toEqualTypeOf<
      Database<number, User>
    >()
    // @ts-expect-error a uint32 coder does not make string keys
    env.openDb<string, User>('users', { keyCoder: 'uint32', valueCoder: 'json' })
    // @ts-expect-error no such coder name
    env.openDb('x', { keyCoder: 'int32' })
  })

  it('follows a user coder', () => {
    class DateCoder extends Coder<Date> {
      serialize(value: Date): Uint8Array {
        return Buffer.from(value.toISOString())
      }
      deserialize(bytes: Buffer): Date {
        return new Date(bytes.toString())
      }
    }
    const db = env.openDb('dates', { keyCoder: 'string', valueCoder: new DateCoder() })
    expectTypeOf(db).toEqualTypeOf<Database<string, Date>>()
    expectTypeOf(db.get('k')).resolves.toEqualTypeOf<Date | undefined>()
    expectTypeOf(db.get('k', 0)).resolves.toEqualTypeOf<Date | number>()
    // @ts-expect-error a number is not a key of a string-keyed database
    db.put(1, new Date())
    // @ts-expect-error a string is not a Date
    db.put('k', 'not a date')
  })

  it('follows a user text coder, which must give both text methods', () => {
    class DayCoder extends TextCoder<Date> {
      serializeText(value: Date): string {
        return value.toISOString().slice(0, 10)
      }
      deserializeText(text: string): Date {
        return new Date(text)
      }
    }
    expectTypeOf(env.openDb('days', { valueCoder: new DayCoder() })).toEqualTypeOf<Database<Buffer, Date>>()
    expectTypeOf(new JSONCoder<{ a: number }>()).toMatchTypeOf<TextCoder<{ a: number }>>()
    // @ts-expect-error deserializeText is missing
    class Half extends TextCoder<string> {
      serializeText(value: string): string {
        return value
      }
    }
    void Half
  })
})

describe('Database and Environment signatures', () => {
  const db = env.openDb('x', { keyCoder: 'string', valueCoder: 'string' })
  it('types reads and writes', () => {
    expectTypeOf(db.getMany(['a'])).resolves.toEqualTypeOf<(string | undefined)[]>()
    expectTypeOf(db.getSync('a')).toEqualTypeOf<string | undefined>()
    expectTypeOf(db.put('a', 'b')).resolves.toEqualTypeOf<boolean>()
    expectTypeOf(db.putMany([['a', 'b']])).resolves.toEqualTypeOf<number>()
    expectTypeOf(db.replace('a', 'b')).resolves.toEqualTypeOf<string | undefined>()
    expectTypeOf(db.pop('a')).resolves.toEqualTypeOf<string | undefined>()
    expectTypeOf(db.stat()).resolves.toEqualTypeOf<DbStat>()
    expectTypeOf(db.name).toEqualTypeOf<string | null>()
  })
  it('types the options and statistics precisely (never any)', () => {
    expectTypeOf<EnvOptions>().not.toBeAny()
    expectTypeOf<EnvOptions['mapSize']>().toEqualTypeOf<number | undefined>()
    expectTypeOf(env.stat().entries).toEqualTypeOf<number>()
    expectTypeOf(env.info().lastTxnid).toEqualTypeOf<number>()
    expectTypeOf(env.flags().readonly).toEqualTypeOf<boolean>()
    // @ts-expect-error mapSize is a number
    open('/tmp/x', { mapSize: 'big' })
    // @ts-expect-error there is no such option
    open('/tmp/x', { mapsize: 1 })
  })

  it('types environment members', () => {
    expectTypeOf(env.stat()).toEqualTypeOf<EnvStat>()
    expectTypeOf(env.info()).toEqualTypeOf<EnvInfo>()
    expectTypeOf(env.flags()).toEqualTypeOf<EnvFlags>()
    expectTypeOf(env.databases()).resolves.toEqualTypeOf<string[]>()
    expectTypeOf(env.close()).resolves.toBeVoid()
    expectTypeOf(new errors.MapFullError()).toMatchTypeOf<errors.LmdbError>()
    expectTypeOf<errors.MapFullError['code']>().toEqualTypeOf<string>()
  })
})

describe('transactions, snapshots, ranges and cursors carry the database types', () => {
  const users = env.openDb('users', { keyCoder: new UInt32Coder(), valueCoder: new JSONCoder<{ name: string }>() })
  it('types ranges', () => {
    expectTypeOf(users.range()).toEqualTypeOf<RangeIterable<[number, { name: string }]>>()
    expectTypeOf(users.keys({ gte: 1 }).toArray()).resolves.toEqualTypeOf<number[]>()
    expectTypeOf(users.values().toArray()).resolves.toEqualTypeOf<{ name: string }[]>()
    expectTypeOf(users.range().forEach).parameter(0).toEqualTypeOf<(entry: [number, { name: string }]) => void>()
    expectTypeOf(users.keys().forEach(() => {})).resolves.toBeVoid()
    // @ts-expect-error bounds have the key type
    users.range({ gte: 'a' })
  })
  it('types transactions', () => {
    expectTypeOf(env.transaction(async (txn) => txn.get(users, 1))).resolves.toEqualTypeOf<{ name: string } | undefined>()
    expectTypeOf(env.transactionSync((txn) => txn.put(users, 1, { name: 'ada' }))).toEqualTypeOf<boolean>()
    env.transaction(async (txn) => {
      // @ts-expect-error the value must be a user
      await txn.put(users, 1, { nom: 'ada' })
      expectTypeOf(txn.cursor(users)).toEqualTypeOf<Cursor<number, { name: string }>>()
    })
    env.transactionSync((txn) => expectTypeOf(txn.cursor(users)).toEqualTypeOf<CursorSync<number, { name: string }>>())
  })
  it('types snapshots and cursors', () => {
    expectTypeOf(env.snapshot()).toEqualTypeOf<Snapshot>()
    const snap = env.snapshot()
    expectTypeOf(snap.get(users, 1)).resolves.toEqualTypeOf<{ name: string } | undefined>()
    const cursor = snap.cursor(users)
    expectTypeOf(cursor.key).toEqualTypeOf<number | undefined>()
    expectTypeOf(cursor.item).toEqualTypeOf<[number, { name: string }] | undefined>()
    expectTypeOf(cursor.next()).resolves.toEqualTypeOf<boolean>()
    expectTypeOf(users.getDuplicates(1)).resolves.toEqualTypeOf<{ name: string }[]>()
  })
})

describe('conditional writes take the database value type', () => {
  const counts = env.openDb('counts', { keyCoder: 'string', valueCoder: 'uint32' })
  it('types ifValue as the value type, undefined included', () => {
    expectTypeOf(counts.put('n', 2, { ifValue: 1 })).resolves.toEqualTypeOf<boolean>()
    expectTypeOf(counts.put('n', 2, { ifValue: undefined, noOverwrite: false })).resolves.toEqualTypeOf<boolean>()
    expectTypeOf(counts.delete('n', { ifValue: 1 })).resolves.toEqualTypeOf<boolean>()
    // @ts-expect-error the stored value is a number
    counts.put('n', 2, { ifValue: '1' })
    // @ts-expect-error the stored value is a number
    counts.delete('n', { ifValue: '1' })
  })
  it('types putMany entries with their conditions, env.batch and transactions', () => {
    expectTypeOf(counts.putMany([['a', 1], ['b', 2, { ifValue: 1 }]])).resolves.toEqualTypeOf<number>()
    // @ts-expect-error an entry's condition is of the value type
    counts.putMany([['b', 2, { ifValue: 'x' }]])
    expectTypeOf(env.batch([{ type: 'put', db: counts, key: 'a', value: 1, ifValue: 0 }])).resolves.toEqualTypeOf<number>()
    expectTypeOf(env.transactionSync((txn) => txn.put(counts, 'n', 1, { ifValue: undefined }))).toEqualTypeOf<boolean>()
    expectTypeOf(env.transactionSync((txn) => txn.delete(counts, 'n', { ifValue: 1 }))).toEqualTypeOf<boolean>()
    env.transaction(async (txn) => {
      expectTypeOf(txn.put(counts, 'n', 1, { ifValue: 0 })).resolves.toEqualTypeOf<boolean>()
      // @ts-expect-error the stored value is a number
      await txn.put(counts, 'n', 1, { ifValue: 'x' })
    })
  })
})
