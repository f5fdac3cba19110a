import { describe, expect, it } from 'vitest'
import { open, errors } from 'lmdb-napi'
import { b, tempDir } from './helpers.js'

describe('Database basics', () => {
  it('puts and gets binary values in the default database', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    expect(await db.put(b('k'), b('v'))).toBe(true)
    expect(await db.get(b('k'))).toEqual(b('v'))
    expect(await db.get(b('missing'))).toBeUndefined()
    expect(await db.get(b('missing'), 'fallback')).toBe('fallback')
    expect(db.getSync(b('k'))).toEqual(b('v'))
    expect(await db.has(b('k'))).toBe(true)
    expect(db.hasSync(b('nope'))).toBe(false)
  })

  it('rejects an empty key without writing', async () => {
    await using env = open(tempDir())
    const db = env.defaultDb
    await expect(db.put(b(''), b('v'))).rejects.toBeInstanceOf(errors.BadValsizeError)
    expect(env.stat().entries).toBe(0)
  })
})
