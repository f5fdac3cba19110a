import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { errors, open } from 'lmdb-napi'
import { tempDir } from './helpers.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CLI = join(ROOT, 'dist/cli/main.js')
const FIXTURE = join(ROOT, '__test__/fixtures/lmdb-js-env.mjs')

/** Runs the command line; its exit status and output. */
function cli(args: string[], main = CLI): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' })
}

/** Runs the lmdb-js fixture (in its own process: lmdb-js compiles another LMDB). */
function lmdbJs(mode: 'make' | 'plain' | 'raw', dir: string): string {
  return execFileSync(process.execPath, [FIXTURE, mode, dir], { encoding: 'utf8', cwd: ROOT, maxBuffer: 1 << 28 })
}

/**
 * An lmdb-js environment: main records, named, dupSort, integer-key and
 * shared-structure databases; `plain`: main records and one named database,
 * all in lmdb-js's default encodings.
 */
function lmdbJsEnv(mode: 'make' | 'plain' = 'make'): string {
  const dir = tempDir()
  lmdbJs(mode, dir)
  return dir
}

/** Every record of every database of an lmdb-napi environment, as hex pairs. */
async function contents(dir: string): Promise<Record<string, [string, string][]>> {
  await using env = open(dir, { create: false, readonly: true })
  const names = await env.databases()
  const out: Record<string, [string, string][]> = {}
  for (const name of [null, ...names]) {
    const rows: [string, string][] = []
    for await (const [k, v] of env.openDb(name, { create: false }).range()) {
      if (name === null && names.includes(k.toString())) continue
      rows.push([k.toString('hex'), v.toString('hex')])
    }
    out[name ?? '(main)'] = rows
  }
  return out
}

describe('import-lmdb-js', () => {
  it('copies every database byte for byte, flags too, in several transactions; mdb_dump reads the result', async () => {
    const src = lmdbJsEnv()
    const dest = join(tempDir(), 'copy')
    const run = cli(['import-lmdb-js', src, '-e', dest])
    expect(run.status, run.stderr).toBe(0)
    // 4 main records (one is lmdb-js's shared structures), 25,001 + 4 + 501 + 5 + 1 + 1 + 1
    expect(run.stdout.trim()).toBe(`imported 8 databases, 25518 entries into ${dest} (byte-exact)`)
    const expected = JSON.parse(lmdbJs('raw', src)) as Record<string, [string, string][]>
    expect(await contents(dest)).toEqual(expected)
    expect(expected.blobs).toHaveLength(25_001)
    {
      // string keys and msgpack values without shared structures read as they are with our coders
      await using env = open(dest, { readonly: true })
      const notes = env.openDb('notes', { keyCoder: 'string', valueCoder: 'msgpack' })
      expect(await notes.get('n1')).toEqual({ a: 1, b: [1, 2, 3], when: 'now' })
    }

    // plain LMDB 0.9 reads it, with the flags of each database
    // (lmdb-utils on Windows writes CRLF)
    const dump = execFileSync('mdb_dump', ['-a', dest], { encoding: 'utf8', maxBuffer: 1 << 26 }).replace(/\r\n/g, '\n')
    const headers = dump.split('HEADER=END').slice(0, -1).map((h) => h.split('DATA=END').at(-1)!)
    const header = (name: string) => headers.find((h) => h.includes(`database=${name}\n`)) ?? ''
    expect(header('dups')).toContain('dupsort=1')
    expect(header('nums')).toContain('integerkey=1')
    expect(header('blobs')).not.toContain('dupsort=1')
    const stat = execFileSync('mdb_stat', ['-a', dest], { encoding: 'utf8' })
    expect(stat).toMatch(/Status of blobs[\s\S]*?Entries: 25001/)
  })

  it('decodes through lmdb-js and stores with our coders, one database at a time', async () => {
    const src = lmdbJsEnv()
    const dest = tempDir()
    // shared structures under Symbol.for('structures') are found by themselves
    const docs = cli(['import-lmdb-js', src, '-e', dest, '-d', 'docs', '--keys', 'string', '--values', 'json'])
    expect(docs.status, docs.stderr).toBe(0)
    expect(docs.stdout).toContain('1 database, 500 entries')
    expect(docs.stdout).toContain('1 lmdb-js metadata entries left out')
    const nums = cli(['import-lmdb-js', src, '-e', dest, '-d', 'nums', '--keys', 'uint32', '--values', 'string', '--lmdb-js-options', '{"keyEncoding":"uint32"}'])
    expect(nums.status, nums.stderr).toBe(0)
    const dups = cli(['import-lmdb-js', src, '-e', dest, '-d', 'dups', '--keys', 'string', '--values', 'json', '--lmdb-js-options', '{"encoding":"ordered-binary"}'])
    expect(dups.status, dups.stderr).toBe(0)

    // versions (found by themselves) and compression (told) are lmdb-js's to undo
    const versioned = cli(['import-lmdb-js', src, '-e', dest, '-d', 'versioned', '--keys', 'string', '--values', 'string'])
    expect(versioned.status, versioned.stderr).toBe(0)
    const packed = cli(['import-lmdb-js', src, '-e', dest, '-d', 'packed', '--keys', 'string', '--values', 'json', '--lmdb-js-options', '{"compression":true}'])
    expect(packed.status, packed.stderr).toBe(0)

    await using env = open(dest)
    expect((await env.databases()).sort()).toEqual(['docs', 'dups', 'nums', 'packed', 'versioned'])
    expect(await env.openDb('versioned', { keyCoder: 'string', valueCoder: 'string' }).get('a')).toBe('hello')
    expect(await env.openDb('packed', { keyCoder: 'string', valueCoder: 'json' }).get('long')).toEqual({ text: 'y'.repeat(5000) })
    const docsDb = env.openDb('docs', { keyCoder: 'string', valueCoder: 'json' })
    expect(await docsDb.count()).toBe(500)
    expect(await docsDb.get('doc7')).toEqual({ name: 'n7', n: 7, tags: ['t', 1] })
    expect(await docsDb.get('doc499')).toEqual({ name: 'n499', n: 499, tags: ['t', 1] })
    // big-endian uint32 keys: numeric order without integerKey
    const numsDb = env.openDb('nums', { keyCoder: 'uint32', valueCoder: 'string' })
    const rows: [number, string][] = []
    for await (const row of numsDb.range()) rows.push(row)
    expect(rows).toEqual([1, 2, 300, 70_000, 4_000_000_000].map((i) => [i, `v${i}`]))
    const dupsDb = env.openDb('dups', { keyCoder: 'string', valueCoder: 'json' })
    expect(await dupsDb.getDuplicates('k')).toEqual([1, 2, 3])
    expect(await dupsDb.get('l')).toBe('x')
  })

  it('decoding a whole environment leaves out the named databases\' records and the shared structures', async () => {
    const dest = tempDir()
    const run = cli(['import-lmdb-js', lmdbJsEnv('plain'), '-e', dest, '--keys', 'string', '--values', 'json'])
    expect(run.status, run.stderr).toBe(0)
    expect(run.stdout).toContain('imported 2 databases, 502 entries')
    await using env = open(dest)
    expect(await env.databases()).toEqual(['docs'])
    // no shared-structures record: only the two records and the database's own
    const keys: string[] = []
    for await (const key of env.defaultDb.keys()) keys.push(key.toString())
    expect(keys).toEqual(['config', 'docs', 'greeting'])
    const main = env.openDb(null, { keyCoder: 'string', valueCoder: 'json' })
    expect(await main.get('config')).toEqual({ version: 3, tags: ['a', 'b'] })
    expect(await main.get('greeting')).toBe('hello')
    expect(await env.openDb('docs', { keyCoder: 'string', valueCoder: 'json' }).get('doc3')).toEqual({ name: 'n3', n: 3, tags: ['t', 0] })
  })

  it('a value lmdb-js cannot decode fails the command in one line naming the database', () => {
    // the main database holds a raw buffer (asBinary) among msgpack values
    const run = cli(['import-lmdb-js', lmdbJsEnv(), '-e', tempDir(), '--values', 'msgpack'])
    expect(run.status).toBe(1)
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(run.stderr).toContain('lmdb-napi import-lmdb-js: lmdb-js cannot decode a value of the main database')
  })

  it('reports a missing source, a missing -e, bad coders, a bad JSON option, keys a coder refuses and a plain LMDB source', () => {
    const missing = cli(['import-lmdb-js', join(tempDir(), 'nothing'), '-e', tempDir()])
    expect(missing.status).toBe(1)
    expect(missing.stderr).toContain('no lmdb-js environment at')
    const src = lmdbJsEnv()
    expect(cli(['import-lmdb-js', src]).status).toBe(2)
    const coder = cli(['import-lmdb-js', src, '-e', tempDir(), '--values', 'yaml'])
    expect(coder.status).toBe(2)
    expect(coder.stderr).toContain("--values takes a coder name")
    const json = cli(['import-lmdb-js', src, '-e', tempDir(), '--lmdb-js-options', '{nope'])
    expect(json.status).toBe(2)
    const noDb = cli(['import-lmdb-js', src, '-e', tempDir(), '-d', 'absent'])
    expect(noDb.status).toBe(1)
    expect(noDb.stderr).toContain("no database 'absent'")
    const coderFails = cli(['import-lmdb-js', src, '-e', tempDir(), '-d', 'docs', '--keys', 'uint32'])
    expect(coderFails.status).toBe(1)
    expect(coderFails.stderr).toContain("UInt32Coder of database 'docs': expected a number, got string")
    // lmdb-js's LMDB would crash on a plain LMDB environment: it is never handed one
    const plain = tempDir()
    execFileSync('mdb_load', ['-T', plain], { input: 'k\nv\n' })
    const mine = cli(['import-lmdb-js', plain, '-e', join(tempDir(), 'dest')])
    expect(mine.status).toBe(1)
    expect(mine.stderr).toContain('is a plain LMDB 0.9 environment')
  })

  it('without lmdb-js installed, exits 1 telling to install it', () => {
    // lmdb-napi installed in a project of its own, with its dependencies but not lmdb
    const project = tempDir()
    const pkg = join(project, 'node_modules', 'lmdb-napi')
    mkdirSync(pkg, { recursive: true })
    for (const file of ['package.json', 'index.js', 'dist', ...readdirSync(ROOT).filter((f) => f.endsWith('.node'))]) {
      cpSync(join(ROOT, file), join(pkg, file), { recursive: true })
    }
    // (junctions: Windows links folders so without special rights)
    for (const dep of ['cli-progress', 'msgpackr']) symlinkSync(join(ROOT, 'node_modules', dep), join(project, 'node_modules', dep), 'junction')
    const run = cli(['import-lmdb-js', lmdbJsEnv(), '-e', join(project, 'dest')], join(pkg, 'dist/cli/main.js'))
    expect(run.status, run.stderr).toBe(1)
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(run.stderr).toContain('npm install lmdb')
    expect(existsSync(join(project, 'dest'))).toBe(false)
  })

  it('opening an lmdb-js environment directly fails with InvalidError pointing at the command', () => {
    const src = lmdbJsEnv()
    let failure: unknown
    try {
      open(src)
    } catch (error) {
      failure = error
    }
    expect(failure).toBeInstanceOf(errors.InvalidError)
    expect((failure as errors.InvalidError).code).toBe('MDB_INVALID')
    expect((failure as Error).message).toContain('npx lmdb-napi import-lmdb-js')
    expect((failure as Error).message).toContain('lmdb-js')
  })
})

describe('a live environment and programs built on LMDB 0.9.x (lmdb-utils)', () => {
  it('while lmdb-napi holds it, mdb_stat fails with MDB_VERSION_MISMATCH; once closed, mdb_stat reads it', async () => {
    const dir = tempDir()
    const env = open(dir)
    await env.defaultDb.put(Buffer.from('a'), Buffer.from('b'))
    const held = spawnSync('mdb_stat', [dir], { encoding: 'utf8' })
    expect(held.status).not.toBe(0)
    expect(held.stderr).toContain('MDB_VERSION_MISMATCH')
    await env.close()
    const closed = spawnSync('mdb_stat', [dir], { encoding: 'utf8' })
    expect(closed.status, closed.stderr).toBe(0)
    expect(closed.stdout).toContain('Entries: 1')
  })

  it('while an LMDB 0.9.x program holds it, open() fails with VersionMismatchError saying so; once closed, it opens', async () => {
    const dir = tempDir()
    // mdb_load opens the environment once it has read a header, then waits for the data
    const load = spawn('mdb_load', [dir], { stdio: ['pipe', 'ignore', 'pipe'] })
    const exited = new Promise<number | null>((resolve) => load.on('exit', resolve))
    load.stdin.write('VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n')
    const lock = join(dir, 'lock.mdb')
    for (let i = 0; i < 200 && !(existsSync(lock) && statSync(lock).size > 0); i++) await new Promise((r) => setTimeout(r, 25))
    await new Promise((r) => setTimeout(r, 200))
    let failure: unknown
    try {
      open(dir)
    } catch (error) {
      failure = error
    }
    expect(failure).toBeInstanceOf(errors.VersionMismatchError)
    expect((failure as errors.VersionMismatchError).code).toBe('MDB_VERSION_MISMATCH')
    expect((failure as Error).message).toMatch(/LMDB 0\.9\.x \(py-lmdb, the mdb_\* tools of lmdb-utils/)
    expect((failure as Error).message).toContain('lock format 1')
    load.stdin.end(' 6b\n 76\nDATA=END\n')
    expect(await exited).toBe(0)
    await using env = open(dir)
    expect((await env.defaultDb.get(Buffer.from('k')))?.toString()).toBe('v')
  })
})
