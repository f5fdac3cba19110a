import { spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { open, errors, Environment } from 'lmdb-napi'
import { b, tempDir } from './helpers.js'

describe('open', () => {
  it('applies every option and reports it back', async () => {
    const dir = join(tempDir(), 'nested', 'env')
    await using env = open(dir, {
      mapSize: 8 * 1024 * 1024,
      autoGrow: true,
      maxMapSize: 64 * 1024 * 1024,
      subdir: true,
      readonly: false,
      metasync: false,
      sync: false,
      mapAsync: true,
      mode: 0o600,
      create: true,
      readahead: false,
      writemap: true,
      meminit: false,
      maxReaders: 10,
      maxDbs: 3,
      lock: true,
    })
    expect(env).toBeInstanceOf(Environment)
    expect(env.flags()).toEqual({
      subdir: true,
      readonly: false,
      metasync: false,
      sync: false,
      mapAsync: true,
      readahead: false,
      writemap: true,
      meminit: false,
      lock: true,
    })
    expect(env.info().mapSize).toBe(8 * 1024 * 1024)
    expect(env.maxReaders()).toBe(10)
    // Windows has no permission bits: Node reports a writable file as 0o666 there
    expect(statSync(join(dir, 'data.mdb')).mode & 0o777).toBe(process.platform === 'win32' ? 0o666 : 0o600)
    expect(env.path).toBe(dir)
    // maxDbs: three named databases fit, a fourth does not
    for (const name of ['a', 'b', 'c']) env.openDb(name)
    expect(() => env.openDb('d')).toThrow(errors.DbsFullError)
  })

  it('uses py-lmdb defaults', async () => {
    await using env = open(tempDir())
    expect(env.flags()).toEqual({
      subdir: true,
      readonly: false,
      metasync: true,
      sync: true,
      mapAsync: false,
      readahead: true,
      writemap: false,
      meminit: true,
      lock: true,
    })
    expect(env.info().mapSize).toBe(1024 ** 3)
    expect(env.maxReaders()).toBe(126)
    expect(env.maxKeySize()).toBe(511)
  })

  it('opens a single file with subdir: false', async () => {
    const file = join(tempDir(), 'store.lmdb')
    {
      await using env = open(file, { subdir: false })
      await env.defaultDb.put(b('k'), b('v'))
    }
    expect(statSync(file).isFile()).toBe(true)
    expect(existsSync(`${file}-lock`)).toBe(true)
    await using again = open(file, { subdir: false })
    expect(again.flags().subdir).toBe(false)
    expect(await again.defaultDb.get(b('k'))).toEqual(b('v'))
  })

  it('refuses unknown options, as py-lmdb does', () => {
    const dir = tempDir()
    expect(() => open(dir, { mapsize: 1 } as never)).toThrow(/unknown open\(\) option: mapsize/)
    expect(() => open(dir, 'fast' as never)).toThrow(TypeError)
    const env = open(dir)
    expect(() => env.openDb('x', { dupsort: true } as never)).toThrow(/unknown openDb\(\) option: dupsort/)
    return env.close()
  })

  it('refuses a missing path with create: false', () => {
    const dir = join(tempDir(), 'absent')
    expect(() => open(dir, { create: false })).toThrow(errors.LmdbError)
    expect(existsSync(dir)).toBe(false)
  })

  it('refuses a file that is not an LMDB environment', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'data.mdb'), Buffer.alloc(65536, 0x5a))
    expect(() => open(dir)).toThrow(errors.InvalidError)
  })

  it('works with locking off', async () => {
    await using env = open(tempDir(), { lock: false })
    await env.defaultDb.put(b('k'), b('v'))
    expect(await env.defaultDb.get(b('k'))).toEqual(b('v'))
    expect(env.flags().lock).toBe(false)
  })
})

describe('Environment members', () => {
  it('lists named databases and opens them by name', async () => {
    await using env = open(tempDir())
    expect(await env.databases()).toEqual([])
    await env.openDb('users').put(b('1'), b('ada'))
    env.openDb('posts')
    expect((await env.databases()).sort()).toEqual(['posts', 'users'])
    expect(() => env.openDb('missing', { create: false })).toThrow(errors.NotFoundError)
    expect(await env.openDb('users', { create: false }).get(b('1'))).toEqual(b('ada'))
  })

  it('reports stat, info, readers and readerCheck', async () => {
    await using env = open(tempDir())
    await env.defaultDb.putMany(Array.from({ length: 100 }, (_, i) => [b(`k${i}`), b('v')]))
    const stat = env.stat()
    expect(stat.entries).toBe(100)
    expect(stat.psize).toBe(4096)
    expect(stat.leafPages).toBeGreaterThan(0)
    expect(Object.keys(stat).sort()).toEqual(['branchPages', 'depth', 'entries', 'leafPages', 'overflowPages', 'psize'])
    const info = env.info()
    expect(info.lastTxnid).toBeGreaterThan(0)
    expect(info.maxReaders).toBe(126)
    expect(info.numReaders).toBeGreaterThanOrEqual(1)
    expect(Object.keys(info).sort()).toEqual(['lastPgno', 'lastTxnid', 'mapAddr', 'mapSize', 'maxReaders', 'numReaders'])
    expect(typeof env.readers()).toBe('string')
    expect(env.readerCheck()).toBe(0)
  })

  it('resizes the map', async () => {
    await using env = open(tempDir(), { mapSize: 4 * 1024 * 1024 })
    await env.setMapSize(32 * 1024 * 1024)
    expect(env.info().mapSize).toBe(32 * 1024 * 1024)
    await env.defaultDb.put(b('k'), b('v'))
    expect(await env.defaultDb.get(b('k'))).toEqual(b('v'))
    await expect(env.setMapSize(-1)).rejects.toBeInstanceOf(RangeError)
  })

  it('copies, compacted or not, into an existing directory', async () => {
    await using env = open(tempDir())
    const db = env.openDb('data')
    await db.putMany(Array.from({ length: 1000 }, (_, i) => [b(`key${i}`), Buffer.alloc(200, i)]))
    await db.deleteMany(Array.from({ length: 900 }, (_, i) => b(`key${i}`)))
    const plain = tempDir()
    const compact = tempDir()
    await env.copy(plain)
    await env.copy(compact, { compact: true })
    expect(statSync(join(compact, 'data.mdb')).size).toBeLessThan(statSync(join(plain, 'data.mdb')).size)
    for (const dir of [plain, compact]) {
      await using copy = open(dir)
      expect(await copy.openDb('data', { create: false }).count()).toBe(100)
    }
    await expect(env.copy(join(plain, 'no-such-dir'))).rejects.toBeInstanceOf(errors.LmdbError)
  })

  it('plain copies waiting for an open transaction hold up no read, nor the exit of the process or a worker', () => {
    const fixture = fileURLToPath(new URL('./fixtures/copy-during-txn.mjs', import.meta.url))
    for (const [mode, said] of [['main', 'read v'], ['worker', 'worker read v, terminated']]) {
      // before, the four copies sat on libuv's four threads: the read and the exit waited for ever
      const child = spawnSync(process.execPath, [fixture, tempDir(), mode], { encoding: 'utf8', timeout: 30_000 })
      expect(child.signal, `${mode}: ${child.stderr}`).toBeNull()
      expect(child.stdout.trim(), mode).toBe(said)
      expect(child.status, mode).toBe(0)
    }
  })

  it('copies the data file to a file descriptor', async () => {
    await using env = open(tempDir())
    await env.defaultDb.put(b('k'), b('v'))
    const file = join(tempDir(), 'backup.mdb')
    const fd = openSync(file, 'w')
    try {
      await env.copyToFd(fd, { compact: true })
    } finally {
      closeSync(fd)
    }
    await using copy = open(file, { subdir: false })
    expect(await copy.defaultDb.get(b('k'))).toEqual(b('v'))
  })

  it('syncs', async () => {
    await using env = open(tempDir(), { sync: false })
    await env.defaultDb.put(b('k'), b('v'))
    await env.sync()
    await env.sync(true)
  })
})

describe('close', () => {
  it('is idempotent and backs Symbol.asyncDispose', async () => {
    const env = open(tempDir())
    expect(env.closed).toBe(false)
    const first = env.close()
    expect(env.closed).toBe(true)
    await Promise.all([first, env.close(), env[Symbol.asyncDispose]()])
    expect(() => env.stat()).toThrow(errors.ClosedError)
    expect(() => env.openDb('x')).toThrow(errors.ClosedError)
    await expect(env.databases()).rejects.toBeInstanceOf(errors.ClosedError)
    await expect(env.sync()).rejects.toBeInstanceOf(errors.ClosedError)
  })

  it('waits for writes issued before it', async () => {
    const dir = tempDir()
    const env = open(dir)
    const db = env.defaultDb
    const puts = Array.from({ length: 100 }, (_, i) => db.put(b(`k${i}`), b(`v${i}`)))
    await env.close()
    expect(await Promise.all(puts)).toEqual(Array(100).fill(true))
    await using again = open(dir)
    expect(await again.defaultDb.count()).toBe(100)
  })
})

describe('one native environment per path', () => {
  it('shares it between handles, and closing one leaves the other working', async () => {
    const dir = tempDir()
    const a = open(dir, { mapSize: 4 * 1024 * 1024 })
    const bEnv = open(dir, { mapSize: 2 * 1024 * 1024 }) // the first opener's options apply
    expect(bEnv.info().mapSize).toBe(4 * 1024 * 1024)
    await a.setMapSize(16 * 1024 * 1024)
    expect(bEnv.info().mapSize).toBe(16 * 1024 * 1024) // one MDB_env: resized for both
    await a.defaultDb.put(b('k'), b('v'))
    await a.close()
    await expect(a.defaultDb.get(b('k'))).rejects.toBeInstanceOf(errors.ClosedError)
    expect(await bEnv.defaultDb.get(b('k'))).toEqual(b('v'))
    await bEnv.defaultDb.put(b('k2'), b('v2'))
    await bEnv.close()
  })

  it('keeps a handle opened read-only read-only, even on a writable shared environment', async () => {
    const dir = tempDir()
    await using writer = open(dir)
    await using reader = open(dir, { readonly: true })
    await writer.defaultDb.put(b('k'), b('v'))
    expect(await reader.defaultDb.get(b('k'))).toEqual(b('v'))
    await expect(reader.defaultDb.put(b('k'), b('x'))).rejects.toBeInstanceOf(errors.ReadonlyError)
    expect(await writer.defaultDb.get(b('k'))).toEqual(b('v'))
  })

  it('reopens a path after its last handle closed', async () => {
    const dir = tempDir()
    for (let i = 0; i < 20; i++) {
      await using env = open(dir)
      await env.defaultDb.put(b(`k${i}`), b('v'))
      expect(await env.defaultDb.count()).toBe(i + 1)
    }
  })
})

it('makes the directory tree it needs', async () => {
  const root = tempDir()
  mkdirSync(join(root, 'exists'))
  await using env = open(join(root, 'exists', 'deeper'))
  expect(existsSync(join(root, 'exists', 'deeper', 'data.mdb'))).toBe(true)
  expect(env.path).toBe(join(root, 'exists', 'deeper'))
})
