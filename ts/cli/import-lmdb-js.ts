/**
 * `import-lmdb-js SOURCE -e DEST`: copies an lmdb-js environment into an
 * lmdb-napi one. lmdb-js compiles its own LMDB, whose files LMDB 0.9 cannot
 * open (and the other way round), so the copy reads through lmdb-js itself, an
 * optional peer dependency loaded only here, and writes through lmdb-napi.
 *
 * By default keys and values are copied byte for byte. `--keys` and `--values`
 * instead decode them with lmdb-js's encodings (ordered-binary keys, msgpack
 * values, unless `--lmdb-js-options` says otherwise) and encode them again
 * with lmdb-napi's coders.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import type { Database } from '../database.js'
import { resolveCoder, type CoderName } from '../coders/index.js'
import { open, type Environment } from '../environment.js'
import { CliError, UsageError, type Options } from './context.js'
import { progress, type Progress } from './progress.js'

/**
 * The part of lmdb-js this command uses, typed here: its own typings lack
 * `create` and `path`, and the package may not be installed.
 */
interface LmdbJs {
  open(options: Record<string, unknown>): Store
  /** A key to and from lmdb-js's default encoding (ordered-binary). */
  keyValueToBuffer(key: unknown): Uint8Array
  bufferToKeyValue(bytes: Uint8Array): unknown
}
interface Store {
  path: string
  openDB(options: Record<string, unknown>): Store | undefined
  getRange(options: object): Iterable<Entry>
  getBinary(key: unknown): Uint8Array | undefined
  getStats(): { entryCount: number }
  close(): Promise<void>
}
/** An entry as read with `keyEncoding: 'binary'`: the key as stored. */
type Entry = { key: Uint8Array; value: unknown }

/** What the command line asked for, checked. */
interface Plan {
  source: string
  dest: string
  /** Our coders for keys and values; `binary` copies the bytes as they are. */
  keys: CoderName
  values: CoderName
  /** Extra options for lmdb-js's `open()` and `openDB()` (compression, encoding, …). */
  lmdbJs: Record<string, unknown>
  /** lmdb-js's shared-structures key (`sharedStructuresKey`), as given. */
  structures: unknown
}

/** A transaction of the copy closes after this many entries or bytes, so an environment of any size fits. */
const CHUNK_ENTRIES = 50_000
const CHUNK_BYTES = 64 * 1024 * 1024

/** Database flags as LMDB keeps them in a named database's record (`MDB_db.md_flags`). */
const FLAGS = { reverseKey: 0x02, dupSort: 0x04, integerKey: 0x08, dupFixed: 0x10, integerDup: 0x20, reverseDup: 0x40 }
type DbFlags = Partial<Record<keyof typeof FLAGS, boolean>>
/** lmdb-js's own flag there: the database's values carry versions (`useVersions`). */
const VERSIONS = 0x100

/** A named database's record in the main one is an `MDB_db`: 48 bytes in 64-bit builds. */
const DB_RECORD_SIZE = 48

interface NamedDb {
  /** The key of its record in the main database (lmdb-js's LMDB ends it with a NUL byte). */
  record: Buffer
  flags: DbFlags
  /** lmdb-js's `useVersions`: each value starts with its version, 8 bytes. */
  versions: boolean
  entries: number
}

export async function importLmdbJs(options: Options): Promise<void> {
  const plan = checked(options)
  const single = !statSync(plan.source).isDirectory()
  if (isLmdb09(single ? plan.source : join(plan.source, 'data.mdb'))) {
    // lmdb-js's LMDB crashes on these files: never hand it one
    throw new CliError(`${plan.source} is a plain LMDB 0.9 environment (lmdb-napi's own, py-lmdb's…), not lmdb-js's: open it as it is, no import needed`)
  }
  const lmdb = await loadLmdbJs()
  // the raw view, keys and values as stored, which every other store opens
  // from; lmdb-js opens 12 databases at most unless told more
  const root = lmdb.open({ maxDbs: 1024, ...plan.lmdbJs, path: plan.source, noSubdir: single, readOnly: true, encoding: 'binary', keyEncoding: 'binary' })
  try {
    const named = namedDatabases(root, options.db)
    const whole = options.db === undefined
    await using env = open(plan.dest, {
      // like the source, unless DEST exists already
      subdir: existsSync(plan.dest) ? statSync(plan.dest).isDirectory() : !single,
      create: true,
      maxDbs: Math.max(128, named.size + 1),
      mapSize: options.mapSize === undefined ? undefined : options.mapSize * 1024 * 1024,
    })
    const total = (whole ? entryCount(root) - named.size : 0) + [...named.values()].reduce((n, db) => n + db.entries, 0)
    const bar = progress('import', total, 'entries', options.quiet)
    const done = { entries: 0, skipped: 0 }
    try {
      if (whole) {
        const records = [...named.values()].map((db) => db.record)
        // the main database's flags are not in a record: --lmdb-js-options tells its useVersions
        await copyDb(lmdb, root, null, { flags: {}, versions: plan.lmdbJs.useVersions === true }, env, plan, bar, done, between(records))
      }
      for (const [name, db] of named) await copyDb(lmdb, root, name, db, env, plan, bar, done)
    } finally {
      bar.stop()
    }
    const dbs = named.size + (whole ? 1 : 0)
    const how = plan.keys === 'binary' && plan.values === 'binary' ? 'byte-exact' : `keys as ${plan.keys}, values as ${plan.values}`
    const left = done.skipped > 0 ? `; ${done.skipped} lmdb-js metadata entries left out` : ''
    console.log(`imported ${dbs} ${dbs === 1 ? 'database' : 'databases'}, ${done.entries} entries into ${plan.dest} (${how}${left})`)
  } finally {
    await root.close()
  }
}

function checked(options: Options): Plan {
  const [source, extra] = options.positionals
  if (source === undefined) throw new UsageError('import-lmdb-js needs the lmdb-js environment: import-lmdb-js SOURCE -e DEST')
  if (extra !== undefined) throw new UsageError(`one source only, not also '${extra}'`)
  if (options.env === undefined) throw new UsageError('import-lmdb-js needs the destination: -e DEST')
  try {
    statSync(source)
  } catch {
    throw new CliError(`no lmdb-js environment at ${source}`)
  }
  const coder = (name: string | undefined, what: string): CoderName => {
    if (name === undefined) return 'binary'
    try {
      resolveCoder(name as CoderName)
    } catch {
      throw new UsageError(`${what} takes a coder name (binary, string, json, msgpack, v8, uint16, uint32, uint64), not '${name}'`)
    }
    return name as CoderName
  }
  let lmdbJs: Record<string, unknown> = {}
  if (options.lmdbJsOptions !== undefined) {
    try {
      lmdbJs = JSON.parse(options.lmdbJsOptions) as Record<string, unknown>
    } catch (error) {
      throw new UsageError(`--lmdb-js-options takes a JSON object: ${(error as Error).message}`)
    }
    if (typeof lmdbJs !== 'object' || lmdbJs === null || Array.isArray(lmdbJs)) throw new UsageError('--lmdb-js-options takes a JSON object')
  }
  const { sharedStructuresKey, ...rest } = lmdbJs
  // lmdb-js users mostly name it Symbol.for('structures'), which JSON cannot say
  const structures = options.structuresKey !== undefined ? Symbol.for(options.structuresKey) : (sharedStructuresKey ?? Symbol.for('structures'))
  return { source, dest: options.env, keys: coder(options.keys, '--keys'), values: coder(options.values, '--values'), lmdbJs: rest, structures }
}

/** lmdb-js, from the user's project: it is an optional peer dependency. */
async function loadLmdbJs(): Promise<LmdbJs> {
  try {
    return (await import('lmdb')) as unknown as LmdbJs
  } catch (error) {
    const code = (error as { code?: string }).code
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && /'lmdb'/.test((error as Error).message)) {
      throw new CliError('this command reads through lmdb-js, which is not installed: run `npm install lmdb` next to lmdb-napi, then run it again')
    }
    throw error
  }
}

/**
 * The named databases: records of the main database that LMDB opens as
 * databases (lmdb-js has no call that lists them). Their flags come from
 * the record itself.
 */
function namedDatabases(root: Store, only: string | undefined): Map<string, NamedDb> {
  // the records first, each database opened only once the range is done: lmdb-js's
  // openDB inside its own getRange can end the read transaction the range is
  // on (MDB_BAD_TXN at its next step, seen now and then on a busy machine)
  const records: { name: string; record: Buffer; bits: number }[] = []
  for (const { key, value } of root.getRange({})) {
    if (!(value instanceof Uint8Array) || value.length !== DB_RECORD_SIZE) continue
    const bytes = key.at(-1) === 0 ? key.subarray(0, -1) : key
    const name = Buffer.from(bytes).toString('utf8')
    if (name === '' || name.includes('\0') || !Buffer.from(name).equals(bytes)) continue
    if (only !== undefined && name !== only) continue
    records.push({ name, record: Buffer.from(key), bits: Buffer.from(value).readUInt16LE(4) })
  }
  const found = new Map<string, NamedDb>()
  for (const { name, record, bits } of records) {
    let db: Store | undefined
    try {
      db = root.openDB({ name, encoding: 'binary', keyEncoding: 'binary', create: false })
    } catch {
      // a 48-byte value that is no database
    }
    if (!db) continue
    const flags: DbFlags = {}
    for (const [flag, bit] of Object.entries(FLAGS)) if (bits & bit) flags[flag as keyof DbFlags] = true
    found.set(name, { record, flags, versions: (bits & VERSIONS) !== 0, entries: entryCount(db) })
  }
  if (only !== undefined && !found.has(only)) throw new CliError(`no database '${only}' in ${root.path}`)
  return found
}

/**
 * Whether the data file begins with an LMDB 0.9 meta page: its magic
 * 0xBEEFC0DE and data version 1 after the page header (16 bytes, 12 in
 * 32-bit builds). lmdb-js's files have version 2 after a longer header.
 */
function isLmdb09(file: string): boolean {
  const head = Buffer.alloc(24)
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch {
    return false
  }
  try {
    readSync(fd, head, 0, head.length, 0)
  } finally {
    closeSync(fd)
  }
  return [12, 16].some((at) => head.readUInt32LE(at) === 0xbeefc0de && head.readUInt32LE(at + 4) === 1)
}

function entryCount(db: Store): number {
  return db.getStats().entryCount
}

/**
 * The ranges of the main database around the records of the named databases,
 * which are LMDB's, not data (and which no value encoding decodes). The main
 * database orders keys bytewise; a key followed by a zero byte is the next one.
 */
function between(records: Buffer[]): Range[] {
  const ranges: Range[] = []
  let start: Buffer | undefined
  for (const record of [...records].sort(Buffer.compare)) {
    ranges.push({ start, end: record })
    start = Buffer.concat([record, Buffer.alloc(1)])
  }
  ranges.push({ start })
  return ranges
}

/** Part of a database: from `start` (included) to `end` (left out), as stored keys. */
type Range = { start?: Buffer; end?: Buffer }

/**
 * Copies `ranges` of one database in transactions of bounded size. Keys are
 * always read as stored and decoded here when asked, so lmdb-js's shared
 * structures, its own metadata, are found by their stored key: copies that
 * decode values leave them out (byte-exact copies keep them for lmdb-js).
 */
async function copyDb(
  lmdb: LmdbJs,
  root: Store,
  name: string | null,
  { flags, versions }: Pick<NamedDb, 'flags' | 'versions'>,
  env: Environment,
  plan: Plan,
  bar: Progress,
  done: { entries: number; skipped: number },
  ranges: Range[] = [{}],
): Promise<void> {
  const what = name === null ? 'the main database' : `database '${name}'`
  const raw = name === null ? root : reopen(root, { name, encoding: 'binary', keyEncoding: 'binary' })
  const structures = encodedKey(lmdb, plan.structures)
  const hasStructures = structures !== undefined && raw.getBinary(structures) !== undefined
  const decodeValues = plan.values !== 'binary'
  // a store that decodes values with lmdb-js's encoding, keys staying raw
  const source = !decodeValues
    ? raw
    : reopen(root, {
        encoding: 'msgpack',
        ...plan.lmdbJs,
        name,
        keyEncoding: 'binary',
        dupSort: flags.dupSort,
        useVersions: versions,
        ...(hasStructures ? { sharedStructuresKey: structures } : {}),
      })
  const decodeKey = plan.keys === 'binary' ? undefined : keyDecoder(lmdb, plan.lmdbJs.keyEncoding)
  const target: Database<unknown, unknown> = env.openDb(name, { ...kept(flags, plan), keyCoder: plan.keys, valueCoder: plan.values })

  let chunk: [unknown, unknown][] = []
  let bytes = 0
  // one transaction commits while the next chunk is read
  let committing: Promise<void> = Promise.resolve()
  const flush = async () => {
    const part = chunk
    chunk = []
    bytes = 0
    await committing
    committing = env.transaction(async (txn) => {
      await txn.putMany(target, part)
    })
    // its failure is taken up by the next flush; until then it is not unhandled
    committing.catch(() => {})
  }
  for (const { key, value } of read(source, ranges, what)) {
    bar.add(1)
    if (decodeValues && hasStructures && structures!.equals(key)) {
      done.skipped++
      continue
    }
    const decoded = decodeKey === undefined ? key : decodeKey(Buffer.from(key))
    if (typeof decoded === 'symbol') {
      done.skipped++
      continue
    }
    chunk.push([decoded, value])
    done.entries++
    bytes += key.length + (value instanceof Uint8Array ? value.length : 64)
    if (chunk.length >= CHUNK_ENTRIES || bytes >= CHUNK_BYTES) await flush()
  }
  if (chunk.length > 0) await flush()
  await committing
}

/** The entries of `ranges`, a value lmdb-js fails to decode told in one line. */
function* read(source: Store, ranges: Range[], what: string): Generator<Entry> {
  for (const range of ranges) {
    const entries = source.getRange(range)[Symbol.iterator]()
    for (;;) {
      let next: IteratorResult<Entry>
      try {
        next = entries.next()
      } catch (error) {
        throw new CliError(
          `lmdb-js cannot decode a value of ${what}: ${(error as Error).message} (how lmdb-js wrote it goes in --lmdb-js-options, e.g. its encoding; shared structures under a key other than Symbol.for('structures') in --structures-key)`,
        )
      }
      if (next.done) break
      yield next.value
    }
  }
}

/**
 * The flags the copy keeps. Re-encoded keys or values are ordered by our
 * coder's bytes (uint32 is big-endian), so the flags that order them
 * otherwise go: integerKey and reverseKey with keys, integerDup, dupFixed and
 * reverseDup with values; dupSort stays.
 */
function kept(flags: DbFlags, plan: Plan): DbFlags {
  const out = { ...flags }
  if (plan.keys !== 'binary') {
    delete out.integerKey
    delete out.reverseKey
  }
  if (plan.values !== 'binary') {
    delete out.integerDup
    delete out.dupFixed
    delete out.reverseDup
  }
  return out
}

/**
 * lmdb-js's reading of stored keys: ordered-binary by default; `uint32` keys
 * are integer keys in the machine's byte order; `binary` ones stay bytes.
 */
function keyDecoder(lmdb: LmdbJs, encoding: unknown): (key: Buffer) => unknown {
  if (encoding === 'uint32') return (key) => (os.endianness() === 'LE' ? key.readUInt32LE() : key.readUInt32BE())
  if (encoding === 'binary') return (key) => key
  return (key) => lmdb.bufferToKeyValue(key)
}

/** The stored bytes of a key in lmdb-js's default key encoding (ordered-binary). */
function encodedKey(lmdb: LmdbJs, key: unknown): Buffer | undefined {
  if (key === undefined || key === null) return undefined
  return Buffer.from(lmdb.keyValueToBuffer(key))
}

/** Another store on a database of the read-only environment (`null`: the main one). */
function reopen(root: Store, options: Record<string, unknown>): Store {
  const store = root.openDB({ ...options, create: false })
  if (!store) throw new CliError(`lmdb-js cannot open database ${String(options.name)}`)
  return store
}
