import { describe, expectTypeOf, it } from 'vitest'
import type { AbstractLevel } from 'abstract-level'
import { open, type Snapshot } from 'lmdb-napi'
import { LmdbLevel, LmdbLevelSnapshot, type LmdbLevelOptions } from 'lmdb-napi/level'

interface User {
  name: string
  born: number
}

describe('lmdb-napi/level', () => {
  it('is an AbstractLevel whose key and value types default to strings', () => {
    const db = new LmdbLevel('./data')
    expectTypeOf(db).toExtend<AbstractLevel<Buffer, string, string>>()
    expectTypeOf(db.get('k')).resolves.toEqualTypeOf<string | undefined>()
    expectTypeOf(db.location).toEqualTypeOf<string | ReturnType<typeof open>>()
  })

  it('takes key and value types, a path or an environment, and options of its own', () => {
    const users = new LmdbLevel<string, User>(open('./data'), { name: 'users', valueEncoding: 'json', env: { mapSize: 1 << 30 } })
    expectTypeOf(users.get('ada')).resolves.toEqualTypeOf<User | undefined>()
    expectTypeOf(users.iterator().all()).resolves.toEqualTypeOf<[string, User][]>()
    expectTypeOf(users.sublevel<string, number>('ages', { valueEncoding: 'json' }).get('ada')).resolves.toEqualTypeOf<number | undefined>()
    // @ts-expect-error values are users
    void users.put('ada', 'Lovelace')
    // @ts-expect-error a location is a path or an Environment
    void new LmdbLevel(42)
    // @ts-expect-error env takes open()'s options
    void new LmdbLevel('./data', { env: { mapSize: 'large' } })
    expectTypeOf<LmdbLevelOptions<string, User>['name']>().toEqualTypeOf<string | undefined>()
  })

  it('snapshot() gives an LmdbLevelSnapshot over an lmdb-napi Snapshot', () => {
    const db = new LmdbLevel('./data')
    const snapshot = db.snapshot()
    expectTypeOf(snapshot).toEqualTypeOf<LmdbLevelSnapshot>()
    expectTypeOf(snapshot.snapshot).toEqualTypeOf<Snapshot>()
    expectTypeOf(db.getSync('k', { snapshot })).toEqualTypeOf<string | undefined>()
  })
})
