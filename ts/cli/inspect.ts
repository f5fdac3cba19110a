/** `stat`, `get`, `readers` and `watch`: looking at an environment. */
import type { Environment } from '../environment.js'
import type { EnvStat } from '../types.js'
import { CliError, openEnv, UsageError, type Options } from './context.js'

function statLines(stat: EnvStat): string[] {
  return [
    `psize ${stat.psize}`,
    `depth ${stat.depth}`,
    `branchPages ${stat.branchPages}`,
    `leafPages ${stat.leafPages}`,
    `overflowPages ${stat.overflowPages}`,
    `entries ${stat.entries}`,
  ]
}

export async function stat(options: Options): Promise<void> {
  await using env = await openEnv(options)
  const names = await env.databases()
  if (options.db !== undefined) {
    if (!names.includes(options.db)) throw new CliError(`no database '${options.db}' in ${env.path}`)
    console.log([`database ${options.db}`, ...statLines(await env.openDb(options.db, { create: false }).stat())].join('\n'))
    return
  }
  const info = env.info()
  const lines = [
    `path ${env.path}`,
    `mapSize ${info.mapSize}`,
    `lastPgno ${info.lastPgno}`,
    `lastTxnid ${info.lastTxnid}`,
    `maxReaders ${info.maxReaders}`,
    `numReaders ${info.numReaders}`,
    ...statLines(env.stat()),
  ]
  for (const name of names) {
    lines.push('', `database ${name}`, ...statLines(await env.openDb(name, { create: false }).stat()))
  }
  console.log(lines.join('\n'))
}

/** Shows stored bytes as text when they are printable UTF-8, else as hex. */
function show(bytes: Buffer): string {
  const text = bytes.toString('utf8')
  return Buffer.from(text, 'utf8').equals(bytes) && !/[\u0000-\u001f\u007f]/.test(text) ? text : `0x${bytes.toString('hex')}`
}

export async function get(options: Options): Promise<void> {
  if (options.positionals.length === 0) throw new UsageError('get needs at least one KEY')
  await using env = await openEnv(options)
  const db = env.openDb(options.db ?? null, { create: false, keyCoder: 'string' })
  const values = await db.getMany(options.positionals)
  let missing = 0
  options.positionals.forEach((key, i) => {
    const value = values[i]
    if (value === undefined) missing++
    console.log(`${key}: ${value === undefined ? '(not found)' : show(value)}`)
  })
  if (missing > 0) throw new CliError(`${missing} key${missing > 1 ? 's' : ''} not found`)
}

export async function readers(options: Options): Promise<void> {
  await using env = await openEnv(options)
  if (options.clean) console.log(`cleared ${env.readerCheck()} stale reader slot(s)`)
  process.stdout.write(env.readers())
}

function row(env: Environment): Record<string, number | string> {
  const info = env.info()
  const stat = env.stat()
  return {
    time: new Date().toISOString(),
    entries: stat.entries,
    depth: stat.depth,
    pages: stat.branchPages + stat.leafPages + stat.overflowPages,
    mapSize: info.mapSize,
    lastPgno: info.lastPgno,
    lastTxnid: info.lastTxnid,
    numReaders: info.numReaders,
  }
}

export async function watch(options: Options): Promise<void> {
  if (!(options.interval > 0)) throw new UsageError('--interval takes a number of seconds above 0')
  await using env = await openEnv(options)
  let shown = 0
  let stop = false
  const onSignal = () => (stop = true)
  process.once('SIGINT', onSignal)
  try {
    while (!stop && (options.count === undefined || shown < options.count)) {
      const r = row(env)
      if (options.csv) {
        if (shown === 0) console.log(Object.keys(r).join(','))
        console.log(Object.values(r).join(','))
      } else {
        console.log(Object.entries(r).map(([k, v]) => `${k}=${v}`).join('  '))
      }
      shown++
      if (options.count !== undefined && shown >= options.count) break
      await new Promise((resolve) => setTimeout(resolve, options.interval * 1000))
    }
  } finally {
    process.off('SIGINT', onSignal)
  }
}
