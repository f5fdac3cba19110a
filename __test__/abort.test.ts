import { mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { open } from 'lmdb-napi'
import type { Database, Environment } from 'lmdb-napi'
import { activeReaders, tempDir } from './helpers.js'

const KEYS = 20_000 // five pieces of a getMany: most of them still to read when the abort lands

async function filled(): Promise<{ env: Environment; db: Database<string, string>; keys: string[] }> {
  const env = open(tempDir(), { sync: false })
  const db = env.openDb('a', { keyCoder: 'string', valueCoder: 'string' })
  const keys = Array.from({ length: KEYS }, (_, i) => `k${String(i).padStart(6, '0')}`)
  await db.putMany(keys.map((k) => [k, `v${k}`]))
  return { env, db, keys }
}

/** What a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => 'resolved',
    (error: unknown) => error,
  )
}

/** Waits until no read transaction is active (reads in flight finish first), or fails. */
async function readersBackTo(env: Environment, count: number): Promise<void> {
  for (let i = 0; i < 100 && activeReaders(env) > count; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  expect(activeReaders(env)).toBe(count)
}

describe('an AbortSignal', () => {
  it('rejects getMany with its reason, when aborted before and while pieces are on the pool', async () => {
    const { env, db, keys } = await filled()
    await using _ = env
    expect(await rejection(db.getMany(keys.slice(0, 10), { signal: AbortSignal.abort() }))).toMatchObject({ name: 'AbortError' })
    for (const count of [10, KEYS]) {
      const controller = new AbortController()
      const read = db.getMany(keys.slice(0, count), { signal: controller.signal })
      controller.abort('enough') // the first pieces are with the pool now
      expect(await rejection(read)).toBe('enough')
    }
    // the pieces in flight end, the rest are not read, and the snapshot goes back
    await readersBackTo(env, 0)
    expect((await db.getMany(keys.slice(0, 3), { signal: new AbortController().signal })).length).toBe(3)
  })

  it('ends every form of a range: the waiting call rejects and its read transaction goes back at once', async () => {
    const { env, db } = await filled()
    await using _ = env
    for (const form of ['for await', 'forEach', 'toArray', 'keys', 'values'] as const) {
      const controller = new AbortController()
      const { signal } = controller
      let seen = 0
      let result: unknown
      if (form === 'for await') {
        result = await rejection((async () => {
          for await (const _entry of db.range({ signal })) if (++seen === 100) controller.abort()
        })())
      } else if (form === 'forEach') {
        result = await rejection(db.range({ signal }).forEach(() => void (++seen === 100 && controller.abort())))
      } else {
        const iterable = form === 'toArray' ? db.range({ signal }) : form === 'keys' ? db.keys({ signal }) : db.values({ signal })
        const done = iterable.toArray()
        setImmediate(() => controller.abort()) // after the first chunk, while later ones are read
        result = await rejection(done)
      }
      expect(result, form).toMatchObject({ name: 'AbortError' })
      expect(activeReaders(env), form).toBe(0) // no waiting for the iteration to be collected
    }
    await expect(db.range({ signal: 'no' as unknown as AbortSignal }).toArray()).rejects.toThrow(TypeError)
  })

  it('closes the snapshot of env.read at once and rejects with its reason', async () => {
    const { env, db } = await filled()
    await using _ = env
    const controller = new AbortController()
    let snapshotOf: { closed: boolean } | undefined
    const read = env.read(async (snapshot) => {
      snapshotOf = snapshot
      await new Promise(() => {}) // a callback that would hold the snapshot for ever
    }, { signal: controller.signal })
    expect(activeReaders(env)).toBe(1)
    controller.abort(new Error('stop'))
    expect(await rejection(read)).toMatchObject({ message: 'stop' })
    expect(snapshotOf?.closed).toBe(true)
    expect(activeReaders(env)).toBe(0)
    await expect(env.read(() => 1, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' })
    expect(await db.get('k000001')).toBe('vk000001')
  })

  it('aborts env.transaction: nothing of it is written, and the writes behind it go on', async () => {
    const { env, db } = await filled()
    await using _ = env
    const controller = new AbortController()
    const txn = env.transaction(async (t) => {
      await t.put(db, 'inside', 'x')
      await new Promise(() => {}) // never settles
    }, { signal: controller.signal })
    const behind = db.put('behind', 'y') // waits for the transaction
    setTimeout(() => controller.abort(), 20)
    expect(await rejection(txn)).toMatchObject({ name: 'AbortError' })
    expect(await behind).toBe(true)
    expect(await db.get('inside')).toBeUndefined()
    expect(await db.get('behind')).toBe('y')
    await expect(env.transaction(() => 1, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' })
    await expect(env.transaction(() => 1, { signal: {} as AbortSignal })).rejects.toThrow(TypeError)
  })

  it('refuses a copy once aborted, before anything is written', async () => {
    const { env } = await filled()
    await using _ = env
    const dest = join(tempDir(), 'copy')
    mkdirSync(dest)
    await expect(env.copy(dest, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' })
    expect(readdirSync(dest)).toEqual([])
    await env.copy(dest, { signal: new AbortController().signal })
    await using copy = open(dest, { readonly: true })
    expect(await copy.openDb('a', { create: false }).count()).toBe(KEYS)
    await expect(env.copy(dest, { signal: 1 as unknown as AbortSignal })).rejects.toThrow(TypeError)
  })
})
