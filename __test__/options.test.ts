import { closeSync, existsSync, openSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { open, JSONCoder, type Environment, type EnvOptions } from 'lmdb-napi'
import { b, failure, tempDir } from './helpers.js'

type ErrorClass = typeof TypeError | typeof RangeError

function expectNamed(error: unknown, cls: ErrorClass, name: string): void {
  expect(error).toBeInstanceOf(cls)
  expect((error as Error).message).toContain(name)
}

describe('options of open()', () => {
  const bad: [option: keyof EnvOptions, value: unknown, cls: ErrorClass][] = [
    ['maxDbs', -1, RangeError],
    ['maxDbs', 2 ** 32 - 1, RangeError],
    ['maxDbs', 2 ** 32 - 2, RangeError],
    ['maxDbs', 2 ** 16 + 1, RangeError],
    ['maxDbs', 2.5, RangeError],
    ['maxDbs', '3', TypeError],
    ['maxReaders', -5, RangeError],
    ['maxReaders', 0, RangeError],
    ['maxReaders', 2 ** 32, RangeError],
    ['maxReaders', 2 ** 20 + 1, RangeError],
    ['maxReaders', NaN, RangeError],
    ['mapSize', -123, RangeError],
    ['mapSize', 0, RangeError],
    ['mapSize', 2 ** 50, RangeError],
    ['mapSize', 1.5, RangeError],
    ['mapSize', Infinity, RangeError],
    ['mapSize', 'big', TypeError],
    ['mapSize', 10n, TypeError],
    ['maxMapSize', -1, RangeError],
    ['maxMapSize', 2 ** 48, RangeError],
    ['maxMapSize', '1G', TypeError],
    ['mode', -1, RangeError],
    ['mode', 0o10000, RangeError],
    ['mode', 0.5, RangeError],
    ['mode', '644', TypeError],
    ['readonly', 'yes', TypeError],
    ['sync', 1, TypeError],
    ['autoGrow', 'no', TypeError],
    ['subdir', null, TypeError],
    ['create', 'true', TypeError],
    ['lock', {}, TypeError],
    ['writemap', [], TypeError],
  ]
  it.each(bad)('%s: %s is a %O naming the option, and nothing is created', async (option, value, cls) => {
    const dir = join(tempDir(), 'env')
    expectNamed(await failure(() => open(dir, { [option]: value })), cls, option)
    expect(existsSync(dir)).toBe(false)
  })

  it('an existing directory stays empty after a refused option', () => {
    const dir = tempDir()
    expect(() => open(dir, { maxDbs: -1 })).toThrow(RangeError)
    expect(() => open(dir, { maxReaders: -5 })).toThrow(RangeError)
    expect(() => open(dir, { mapSize: 2 ** 21, maxMapSize: 2 ** 20 })).toThrow(/mapSize .* is above maxMapSize/)
    expect(readdirSync(dir)).toEqual([])
  })

  it('the bounds themselves are accepted', async () => {
    await using env = open(tempDir(), { maxDbs: 0, maxReaders: 2 ** 10, mode: 0o600, mapSize: 2 ** 20 })
    await env.defaultDb.put(b('k'), b('v'))
    expect(env.maxReaders()).toBe(2 ** 10)
    expect(() => env.openDb('named')).toThrow(/DBS_FULL|maxDbs|MDB_DBS_FULL/)
  })

  it('options that are not an object are a TypeError', () => {
    const dir = tempDir()
    for (const options of [null, 'fast', 5, []]) expect(() => open(dir, options as never)).toThrow(TypeError)
  })
})

describe('options of compressed()', () => {
  const bad: [options: object, cls: ErrorClass, name: string][] = [
    [{ level: 'high' }, TypeError, 'level'],
    [{ level: 200 }, RangeError, 'level'],
    [{ level: 1.5 }, RangeError, 'level'],
    [{ algorithm: 2 }, TypeError, 'algorithm'],
    [{ levl: 3 }, TypeError, 'levl'],
  ]
  it.each(bad)('%o: a %O naming the option', async (options, cls, name) => {
    expectNamed(await failure(() => new JSONCoder().compressed(options as never)), cls, name)
  })
})

describe('options of the other calls', () => {
  async function setup(): Promise<{ env: Environment; dir: string }> {
    const env = open(tempDir())
    const db = env.openDb('d', { dupSort: true })
    await db.put(b('k'), b('v'))
    return { env, dir: tempDir() }
  }
  const k = b('k')
  const v = b('v')
  const bad: [call: string, run: (env: Environment, dir: string) => unknown, cls: ErrorClass, name: string][] = [
    ['openDb dupSort', (env) => env.openDb('x', { dupSort: 'yes' as never }), TypeError, 'dupSort'],
    ['openDb create', (env) => env.openDb('x', { create: 1 as never }), TypeError, 'create'],
    ['sync', (env) => env.sync('yes' as never), TypeError, 'force'],
    ['copy', (env, dir) => env.copy(dir, { compact: 'y' as never }), TypeError, 'compact'],
    ['copy options', (env, dir) => env.copy(dir, 'compact' as never), TypeError, 'copy()'],
    ['copyToFd', (env, dir) => {
      const fd = openSync(join(dir, 'copy'), 'w')
      return env.copyToFd(fd, { compact: 1 as never }).finally(() => closeSync(fd))
    }, TypeError, 'compact'],
    ['setMapSize type', (env) => env.setMapSize('big' as never), TypeError, 'bytes'],
    ['setMapSize negative', (env) => env.setMapSize(-1), RangeError, 'bytes'],
    ['setMapSize fraction', (env) => env.setMapSize(1.5), RangeError, 'bytes'],
    ['setMapSize huge', (env) => env.setMapSize(2 ** 50), RangeError, 'bytes'],
    ['put', (env) => env.openDb('d').put(k, v, { append: 'yes' as never }), TypeError, 'append'],
    ['put unknown', (env) => env.openDb('d').put(k, v, { apend: true } as never), TypeError, 'apend'],
    ['putMany', (env) => env.openDb('d').putMany([[k, v]], { noOverwrite: 1 as never }), TypeError, 'noOverwrite'],
    ['drop', (env) => env.openDb('d').drop({ delete: 'yes' as never }), TypeError, 'delete'],
    ['range limit', (env) => env.openDb('d').range({ limit: -1 }).toArray(), RangeError, 'limit'],
    ['range offset', (env) => env.openDb('d').keys({ offset: 1.5 }).toArray(), RangeError, 'offset'],
    ['range reverse', (env) => env.openDb('d').values({ reverse: 'yes' as never }).toArray(), TypeError, 'reverse'],
    ['range limit type', (env) => env.openDb('d').range({ limit: '5' as never }).toArray(), TypeError, 'limit'],
    ['snapshot range', (env) => env.read((s) => s.range(env.openDb('d'), { limit: -2 }).toArray()), RangeError, 'limit'],
    ['txn put', (env) => env.transaction((t) => t.put(env.openDb('d'), k, v, { noDupData: 'y' as never })), TypeError, 'noDupData'],
    ['txn putMany', (env) => env.transaction((t) => t.putMany(env.openDb('d'), [[k, v]], { append: 0 as never })), TypeError, 'append'],
    ['txn drop', (env) => env.transaction((t) => t.drop(env.openDb('d'), { delete: 1 as never })), TypeError, 'delete'],
    ['txn range', (env) => env.transaction((t) => t.range(env.openDb('d'), { offset: -1 }).toArray()), RangeError, 'offset'],
    ['cursor put', (env) => env.transaction((t) => t.cursor(env.openDb('d')).put(k, v, { append: 'y' as never })), TypeError, 'append'],
    ['cursor delete', (env) => env.transaction((t) => t.cursor(env.openDb('d')).delete({ dupData: 'y' as never })), TypeError, 'dupData'],
    ['sync txn put', (env) => env.transactionSync((t) => t.put(env.openDb('d'), k, v, { noOverwrite: 'y' as never })), TypeError, 'noOverwrite'],
    ['sync cursor delete', (env) => env.transactionSync((t) => t.cursor(env.openDb('d')).delete({ dupData: 2 as never })), TypeError, 'dupData'],
  ]
  it.each(bad)('%s: a %O naming the option, and nothing written', async (_, run, cls, name) => {
    const { env, dir } = await setup()
    try {
      expectNamed(await failure(() => run(env, dir)), cls, name)
      expect(await env.openDb('d').getDuplicates(k)).toEqual([v])
      expect(env.info().mapSize).toBe(1024 ** 3)
    } finally {
      await env.close()
    }
  })
})
