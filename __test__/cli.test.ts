import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { open } from 'lmdb-napi'
import { tempDir } from './helpers.js'

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url))

/** Runs the command line; its exit status and output. */
function cli(args: string[], input?: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', input })
}

/**
 * Runs one of lmdb-utils' tools. On Windows their stdout is in text mode
 * (every newline written as CRLF): the dump format's lines end in LF alone.
 */
function tool(name: string, args: string[], input?: string): string {
  return execFileSync(name, args, { encoding: 'utf8', input }).replace(/\r\n/g, '\n')
}

/**
 * An environment with binary keys/values in the main db, a named db and a
 * dupSort db. mdb_dump 0.9.24 does not escape a backslash in its printable
 * format (its own mdb_load then misreads it), so printable runs of mdb_dump
 * use a sample without one.
 */
async function sample(dir: string, { backslash = true } = {}): Promise<void> {
  await using env = open(dir)
  await env.defaultDb.putMany([
    [Buffer.from([0, 1, 2, 255]), Buffer.from([10, 13, ...(backslash ? [0x5c] : []), 0x7f, 0x80])],
    [Buffer.from('plain'), Buffer.from('text value')],
  ])
  await env.openDb('named', { keyCoder: 'string', valueCoder: 'string' }).putMany([
    ['a', 'x'],
    ['b', backslash ? 'back\\slash and \u00e9' : 'no slash and \u00e9'],
  ])
  await env.openDb('dups', { keyCoder: 'string', valueCoder: 'string', dupSort: true }).putMany([
    ['k', '1'],
    ['k', '2'],
    ['l', '3'],
  ])
}

/** Every record of every database, as hex, for comparing environments. */
async function contents(dir: string): Promise<Record<string, string[]>> {
  await using env = open(dir, { create: false })
  const out: Record<string, string[]> = {}
  const names = await env.databases()
  for (const name of [null, ...names]) {
    const db = env.openDb(name, { create: false })
    const rows: string[] = []
    for await (const [k, v] of db.range()) if (name !== null || !names.includes(k.toString())) rows.push(`${k.toString('hex')}=${v.toString('hex')}`)
    out[name ?? '(main)'] = rows
  }
  return out
}

describe('dump and load move data both ways with lmdb-utils', () => {
  for (const printable of [false, true]) {
    it(`our ${printable ? 'printable ' : ''}dump loads with mdb_load`, async () => {
      const src = tempDir()
      // lmdb-utils 0.9.24 mishandles backslashes in printable dumps both ways
      await sample(src, { backslash: !printable })
      for (const db of [null, 'named', 'dups']) {
        const args = ['dump', '-e', src, ...(db ? ['-d', db] : []), ...(printable ? ['-p'] : [])]
        const dumped = cli(args)
        expect(dumped.status, dumped.stderr).toBe(0)
        const dest = tempDir()
        tool('mdb_load', [...(db ? ['-s', db] : []), dest], dumped.stdout)
        const mdbDump = tool('mdb_dump', [...(db ? ['-s', db] : []), ...(printable ? ['-p'] : []), dest])
        expect(mdbDump.split('DATA=END')[0].split('HEADER=END')[1]).toBe(dumped.stdout.split('DATA=END')[0].split('HEADER=END')[1])
      }
    })
  }

  it('a dump made by mdb_dump loads with our load, binary, named and dupSort alike', async () => {
    for (const flags of [['-a'], ['-a', '-p']]) {
      const src = tempDir()
      await sample(src, { backslash: !flags.includes('-p') })
      const dumped = tool('mdb_dump', [...flags, src])
      const dest = tempDir()
      const loaded = cli(['load', '-e', dest], dumped)
      expect(loaded.status, loaded.stderr).toBe(0)
      const want = await contents(src)
      const got = await contents(dest)
      expect(got.named).toEqual(want.named)
      expect(got.dups).toEqual(want.dups)
      await using env = open(dest)
      expect(await env.openDb('dups', { create: false }).countDuplicates(Buffer.from('k'))).toBe(2)
    }
    // the main database's own records, through a main-database dump
    const src = tempDir()
    await sample(src)
    const main = tool('mdb_dump', [src])
    const dest = tempDir()
    expect(cli(['load', '-e', dest], main).status).toBe(0)
    await using env = open(dest)
    expect(await env.defaultDb.get(Buffer.from([0, 1, 2, 255]))).toEqual(Buffer.from([10, 13, 0x5c, 0x7f, 0x80]))
  })

  it('dump --all and load round-trip every database through a file', async () => {
    const src = tempDir()
    await sample(src)
    const file = join(tempDir(), 'all.dump')
    expect(cli(['dump', '-e', src, '--all', '-f', file]).status).toBe(0)
    const dest = tempDir()
    expect(cli(['load', '-e', dest, '-f', file]).status).toBe(0)
    expect(await contents(dest)).toEqual(await contents(src))
  })

  it('a malformed dump loads nothing and fails in one line', async () => {
    const src = tempDir()
    await sample(src)
    const good = cli(['dump', '-e', src, '-d', 'named']).stdout
    const dest = tempDir()
    for (const bad of [good.replace('DATA=END\n', ''), good.replace(' 61\n', ' 6\n'), 'garbage\n', good.replace('VERSION=3', 'VERSION=9')]) {
      const r = cli(['load', '-e', dest], bad)
      expect(r.status).toBe(1)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stderr).toMatch(/malformed dump/)
      expect(r.stderr).not.toMatch(/ at /)
    }
    await using env = open(dest)
    expect(await env.databases()).toEqual([])
  })
})

describe('copy', () => {
  it('--compact makes an environment mdb_stat reads with the same entries', async () => {
    const src = tempDir()
    await sample(src)
    const dest = join(tempDir(), 'new', 'copy')
    const r = cli(['copy', '-e', src, dest, '--compact'])
    expect(r.status, r.stderr).toBe(0)
    const stat = tool('mdb_stat', ['-a', dest])
    expect(stat).toMatch(/Status of named[\s\S]*Entries: 2/)
    expect(stat).toMatch(/Status of dups[\s\S]*Entries: 3/)
    expect(await contents(dest)).toEqual(await contents(src))
  })
})

describe('the other commands', () => {
  it('stat prints entries followed by the count', async () => {
    const src = tempDir()
    await sample(src)
    const r = cli(['stat', '-e', src])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^entries 4$/m) // 2 records + 2 named databases
    expect(r.stdout).toMatch(/database named\n[\s\S]*?entries 2/)
    expect(cli(['stat', '-e', src, '-d', 'dups']).stdout).toMatch(/^entries 3$/m)
  })

  it('get prints values, and fails for a missing key', async () => {
    const src = tempDir()
    await sample(src)
    const r = cli(['get', '-e', src, '-d', 'named', 'a', 'b'])
    expect(r.status).toBe(0)
    expect(r.stdout).toBe('a: x\nb: back\\slash and \u00e9\n')
    const missing = cli(['get', '-e', src, '-d', 'named', 'a', 'zz'])
    expect(missing.status).toBe(1)
    expect(missing.stdout).toMatch(/zz: \(not found\)/)
  })

  it('put/edit sets, sets from files, adds and deletes in one transaction', async () => {
    const src = tempDir()
    await sample(src)
    const file = join(tempDir(), 'v.bin')
    writeFileSync(file, Buffer.from([1, 2, 3]))
    const r = cli(['edit', '-e', src, '-d', 'named', '--set', 'c=see', '--set-file', `f=${file}`, '--add', 'n=new', '--delete', 'a'])
    expect(r.status, r.stderr).toBe(0)
    await using env = open(src)
    const db = env.openDb('named', { keyCoder: 'string' })
    expect((await db.getMany(['a', 'c', 'f', 'n'])).map((v) => v?.toString('hex'))).toEqual([undefined, '736565', '010203', '6e6577'])
    const add = cli(['put', '-e', src, '-d', 'named', '--add', 'c=other'])
    expect(add.status).toBe(1)
    expect((await db.get('c'))?.toString()).toBe('see')
  })

  it('drop empties a database, and --delete removes it', async () => {
    const src = tempDir()
    await sample(src)
    expect(cli(['drop', '-e', src, 'named']).status).toBe(0)
    {
      await using env = open(src)
      expect(await env.openDb('named', { create: false }).count()).toBe(0)
    }
    expect(cli(['drop', '-e', src, 'named', '--delete']).status).toBe(0)
    await using env = open(src)
    expect(await env.databases()).toEqual(['dups'])
  })

  it('readers, warm and watch run and exit 0', async () => {
    const src = tempDir()
    await sample(src)
    const readers = cli(['readers', '-e', src, '--clean'])
    expect(readers.status).toBe(0)
    expect(readers.stdout).toMatch(/cleared 0 stale reader/)
    expect(cli(['warm', '-e', src]).status).toBe(0)
    const watch = cli(['watch', '-e', src, '--csv', '--count', '2', '--interval', '0.05'])
    expect(watch.status).toBe(0)
    const rows = watch.stdout.trim().split('\n')
    expect(rows[0]).toBe('time,entries,depth,pages,mapSize,lastPgno,lastTxnid,numReaders')
    expect(rows).toHaveLength(3)
  })

  it('shell opens a REPL with env', async () => {
    const src = tempDir()
    await sample(src)
    const r = cli(['shell', '-e', src], "env.databases().then((d) => console.log('DBS', d.join(',')))\n")
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/DBS dups,named/)
  })

  it('long commands stay quiet when output is not a terminal', async () => {
    const src = tempDir()
    await sample(src)
    const dest = tempDir()
    for (const args of [['copy', '-e', src, dest], ['warm', '-e', src], ['dump', '-e', src, '-a', '-f', join(dest, 'd')]]) {
      const r = cli(args)
      expect(r.status).toBe(0)
      expect(r.stderr).toBe('')
    }
  })
})

describe('bad input gets one line and a non-zero exit', () => {
  it('for a missing environment, a missing database, an unknown command or option', async () => {
    const src = tempDir()
    await sample(src)
    const cases: [string[], number][] = [
      [['stat', '-e', join(src, 'nope')], 1],
      [['dump', '-e', src, '-d', 'nope'], 1],
      [['get', '-e', src, '-d', 'nope', 'k'], 1],
      [['drop', '-e', src, 'nope'], 1],
      [['frobnicate'], 2],
      [['stat', '--bogus'], 2],
      [['stat'], 2],
    ]
    for (const [args, code] of cases) {
      const r = cli(args)
      expect(r.status, args.join(' ')).toBe(code)
      expect(r.stderr).not.toMatch(/\n\s+at /)
    }
    expect(existsSync(join(src, 'nope'))).toBe(false)
  })

  it('every command has --help, and the bin runs with node', () => {
    expect(readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node')).toBe(true)
    for (const name of ['stat', 'dump', 'load', 'copy', 'drop', 'get', 'put', 'edit', 'readers', 'warm', 'watch', 'shell']) {
      const r = cli([name, '--help'])
      expect(r.status, name).toBe(0)
      expect(r.stdout).toMatch(new RegExp(`Usage: lmdb-napi ${name === 'edit' ? 'put' : name}`))
    }
  })
})

describe('the command line changes only what it is asked to', () => {
  const mapSize = (dir: string): number => Number(/Map size: (\d+)/.exec(tool('mdb_stat', ['-e', dir]))![1])

  it('-r makes put, drop and load refuse in one line, writing nothing', async () => {
    const src = tempDir()
    await sample(src)
    const dumpFile = join(tempDir(), 'named.dump')
    writeFileSync(dumpFile, cli(['dump', '-e', src, '-d', 'named']).stdout)
    const before = await contents(src)
    for (const args of [
      ['put', '-e', src, '-r', '--set', 'a=changed'],
      ['edit', '-e', src, '--read-only', '--delete', 'plain'],
      ['drop', '-r', '-e', src, 'named', '--delete'],
      ['load', '-e', src, '-d', 'copy', '-f', dumpFile, '-r'],
    ]) {
      const r = cli(args)
      expect(r.status, args.join(' ')).toBe(2)
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1)
      expect(r.stderr).toMatch(/-r \(--read-only\) forbids writing/)
    }
    expect(await contents(src)).toEqual(before)
    // the commands that only read take -r
    expect(cli(['get', '-r', '-e', src, '-d', 'named', 'a']).stdout).toBe('a: x\n')
  })

  it('writes keep the map size the environment records; -S changes it', async () => {
    const src = tempDir()
    {
      await using env = open(src, { mapSize: 2 * 1024 * 1024 })
      await env.defaultDb.put(Buffer.from('k'), Buffer.from('v'))
    }
    const dumpFile = join(tempDir(), 'main.dump')
    writeFileSync(dumpFile, cli(['dump', '-e', src]).stdout)
    for (const args of [['put', '-e', src, '--set', 'a=b'], ['load', '-e', src, '-d', 'loaded', '-f', dumpFile], ['drop', '-e', src, 'loaded']]) {
      const r = cli(args)
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0)
      expect(mapSize(src), args.join(' ')).toBe(2 * 1024 * 1024)
    }
    expect(cli(['stat', '-e', src]).stdout).toMatch(/^mapSize 2097152$/m)
    // a load too big for the map says how to give it room, and writes nothing
    const bigDump = join(tempDir(), 'big.dump')
    {
      await using env = open(tempDir())
      const db = env.openDb('big')
      await db.putMany(Array.from({ length: 3000 }, (_, i): [Buffer, Buffer] => [Buffer.from(`k${i}`), Buffer.alloc(1000, i)]))
      expect(cli(['dump', '-e', env.path, '-d', 'big', '-f', bigDump]).status).toBe(0)
    }
    const full = cli(['load', '-e', src, '-d', 'big', '-f', bigDump])
    expect(full.status).toBe(1)
    expect(full.stderr.trim().split('\n')).toHaveLength(1)
    expect(full.stderr).toMatch(/the map is full: give a larger size in MiB with -S/)
    expect(mapSize(src)).toBe(2 * 1024 * 1024)
    expect(cli(['load', '-e', src, '-d', 'big', '-f', bigDump, '-S', '8']).status).toBe(0)
    expect(mapSize(src)).toBe(8 * 1024 * 1024)
    expect(cli(['get', '-e', src, '-d', 'big', 'k2999']).status).toBe(0)
  })

  it('commands that read create no environment, and say in one line that there is none', async () => {
    const empty = tempDir()
    const missing = join(tempDir(), 'nothing')
    const dest = join(tempDir(), 'copy')
    for (const dir of [empty, missing]) {
      for (const args of [['stat'], ['get', 'k'], ['dump'], ['readers'], ['warm'], ['watch', '--count', '1'], ['copy', dest], ['shell']]) {
        const [name, ...rest] = args
        const r = cli([name, '-e', dir, ...rest])
        expect(r.status, args.join(' ')).toBe(1)
        expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1)
        expect(r.stderr).toMatch(`no environment at ${dir}`)
      }
    }
    expect(readdirSync(empty)).toEqual([])
    expect(existsSync(missing)).toBe(false)
    expect(existsSync(dest)).toBe(false)
  })

  it("copy's progress bar ends at 100 %, compact or not", async () => {
    const src = tempDir()
    await sample(src)
    await using env = open(src)
    await env.openDb('bulk').putMany(Array.from({ length: 2000 }, (_, i): [Buffer, Buffer] => [Buffer.from(`k${i}`), Buffer.alloc(500, i)]))
    for (const compact of [[], ['--compact']]) {
      const dest = join(tempDir(), 'copy')
      const r = spawnSync(process.execPath, [fileURLToPath(new URL('./fixtures/cli-on-tty.mjs', import.meta.url)), 'copy', '-e', src, dest, ...compact], { encoding: 'utf8' })
      expect(r.status, r.stderr).toBe(0)
      const shown = [...r.stderr.matchAll(/copy \S+ (\d+)%/g)].map((m) => Number(m[1]))
      expect(shown.length).toBeGreaterThan(0)
      expect(shown.at(-1)).toBe(100)
    }
  })

  it('load -f of a missing file says the file is missing', () => {
    const file = join(tempDir(), 'no.dump')
    const dest = tempDir()
    const r = cli(['load', '-e', dest, '-f', file])
    expect(r.status).toBe(1)
    expect(r.stderr.trim()).toBe(`lmdb-napi load: no file ${file} to load`)
    expect(readdirSync(dest)).toEqual([])
  })

  it('copy into an existing copy says what exists and what to do', async () => {
    const src = tempDir()
    await sample(src)
    const dest = join(tempDir(), 'copy')
    expect(cli(['copy', '-e', src, dest]).status).toBe(0)
    const r = cli(['copy', '-e', src, dest])
    expect(r.status).toBe(1)
    expect(r.stderr.trim()).toBe(`lmdb-napi copy: ${join(dest, 'data.mdb')} exists already: copy into a new or empty directory, or remove it first`)
  })
})
