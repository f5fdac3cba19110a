import { describe, expectTypeOf, it } from 'vitest'
import { open, Coder, Database, IdentityCoder, StringCoder, errors } from 'lmdb-napi'
import type { DbStat, EnvFlags, EnvInfo, EnvOptions, EnvStat } from 'lmdb-napi'

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
