/** `dump`, `load`, `copy` and `warm`: moving whole environments and databases. */
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Database } from '../database.js'
import { encodingOf } from '../encoding.js'
import type { Environment } from '../environment.js'
import { DATA_END, header, line, parse, type DumpSection } from './dump-format.js'
import { CliError, openEnv, UsageError, type Options } from './context.js'
import { output } from './output.js'
import { progress } from './progress.js'

/** The databases a command names: `-d DB`, `--all`, or the main one. */
async function chosen(env: Environment, options: Options): Promise<(string | null)[]> {
  const names = await env.databases()
  if (options.all) return [null, ...names]
  if (options.db === undefined) return [null]
  if (!names.includes(options.db)) throw new CliError(`no database '${options.db}' in ${env.path}`)
  return [options.db]
}

export async function dump(options: Options): Promise<void> {
  await using env = await openEnv(options)
  const named = new Set(await env.databases())
  const info = env.info()
  const out = output(options.file)
  for (const name of await chosen(env, options)) {
    const db = env.openDb(name, { create: false })
    // the main database's records of named databases are not data
    const skip = (key: Buffer) => name === null && named.has(key.toString('utf8'))
    if (name === null && options.all && (await db.count()) <= named.size) continue
    const bar = progress(`dump ${name ?? '(main)'}`, await db.count(), 'entries', options.quiet)
    await out.write(header(name, encodingOf(db).flags(), options.print, { mapSize: info.mapSize, maxReaders: info.maxReaders, pageSize: env.stat().psize }))
    let done = 0
    for await (const [key, value] of db.range()) {
      bar.update(++done)
      if (skip(key)) continue
      await out.write(line(key, options.print) + line(value, options.print))
    }
    bar.stop()
    await out.write(DATA_END)
  }
  await out.end()
}

async function readInput(file: string | undefined): Promise<string> {
  if (file !== undefined) {
    try {
      return readFileSync(file, 'utf8')
    } catch (error) {
      const missing = (error as { code?: string }).code === 'ENOENT'
      throw new CliError(missing ? `no file ${file} to load` : `cannot read ${file}: ${(error as Error).message}`)
    }
  }
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export async function load(options: Options): Promise<void> {
  const input = await readInput(options.file)
  let sections: DumpSection[]
  try {
    sections = parse(input)
  } catch (error) {
    throw new CliError(`malformed dump: ${(error as Error).message}`)
  }
  if (options.db !== undefined) {
    if (sections.length !== 1) throw new UsageError('-d takes a dump of one database')
    sections[0].name = options.db
  }
  await using env = await openEnv(options, { create: true })
  const total = sections.reduce((n, s) => n + s.entries.length, 0)
  const bar = progress('load', total, 'entries', options.quiet)
  // one transaction: a load that fails part-way writes nothing
  await env.transaction(async (txn) => {
    for (const section of sections) {
      const db: Database = env.openDb(section.name, { ...section.flags })
      for (let at = 0; at < section.entries.length; at += 10_000) {
        const chunk = section.entries.slice(at, at + 10_000)
        await txn.putMany(db, chunk)
        bar.add(chunk.length)
      }
    }
  })
  bar.stop()
}

export async function copy(options: Options): Promise<void> {
  const [dest] = options.positionals
  if (dest === undefined) throw new UsageError('copy needs a destination: copy DEST')
  await using env = await openEnv(options)
  const single = !statSync(env.path).isDirectory()
  if (!single) mkdirSync(dest, { recursive: true })
  const source = single ? env.path : join(env.path, 'data.mdb')
  const target = single ? dest : join(dest, 'data.mdb')
  // LMDB would say only "File exists"
  if (existsSync(target)) throw new CliError(`${target} exists already: copy into a new or empty directory, or remove it first`)
  const total = statSync(source).size
  const bar = progress('copy', total, 'bytes', options.quiet)
  const watch = setInterval(() => {
    try {
      bar.update(statSync(target).size)
    } catch {
      // not created yet
    }
  }, 200)
  try {
    await env.copy(dest, { compact: options.compact })
    // the copy is whole (a compact one is smaller than the source)
    bar.update(total)
  } finally {
    clearInterval(watch)
    bar.stop()
  }
}

export async function warm(options: Options): Promise<void> {
  await using env = await openEnv(options)
  const file = statSync(env.path).isDirectory() ? join(env.path, 'data.mdb') : env.path
  const bar = progress('warm', statSync(file).size, 'bytes', options.quiet)
  // reading the file through the page cache is what warms the map
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) bar.add((chunk as Buffer).length)
  bar.stop()
}
