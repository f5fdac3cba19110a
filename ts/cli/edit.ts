/** `put`/`edit` and `drop`: changing an environment from the command line. */
import { readFileSync } from 'node:fs'
import { CliError, openEnv, UsageError, type Options } from './context.js'

function pair(arg: string, flag: string): [string, string] {
  const eq = arg.indexOf('=')
  if (eq <= 0) throw new UsageError(`${flag} takes KEY=VALUE, not '${arg}'`)
  return [arg.slice(0, eq), arg.slice(eq + 1)]
}

/** Applies every `--set`, `--set-file`, `--add` and `--delete` in one transaction. */
export async function edit(options: Options): Promise<void> {
  const sets = options.set.map((a) => pair(a, '--set'))
  const files = options.setFile.map((a) => pair(a, '--set-file'))
  const adds = options.add.map((a) => pair(a, '--add'))
  if (sets.length + files.length + adds.length + options.remove.length === 0) {
    throw new UsageError('edit needs --set, --set-file, --add or --delete')
  }
  const fromFiles = files.map(([k, path]): [string, Buffer] => {
    try {
      return [k, readFileSync(path)]
    } catch (error) {
      throw new CliError(`cannot read ${path}: ${(error as Error).message}`)
    }
  })
  await using env = await openEnv(options)
  const db = env.openDb(options.db ?? null, { keyCoder: 'string' })
  const existing: string[] = []
  await env.transaction(async (txn) => {
    for (const [k, v] of sets) await txn.put(db, k, Buffer.from(v))
    for (const [k, v] of fromFiles) await txn.put(db, k, v)
    for (const [k, v] of adds) if (!(await txn.put(db, k, Buffer.from(v), { noOverwrite: true }))) existing.push(k)
    for (const k of options.remove) await txn.delete(db, k)
  })
  if (existing.length > 0) throw new CliError(`--add left existing key${existing.length > 1 ? 's' : ''} alone: ${existing.join(', ')}`)
}

export async function drop(options: Options): Promise<void> {
  const [name] = options.positionals
  if (name === undefined) throw new UsageError('drop needs a database: drop DB')
  await using env = await openEnv(options)
  if (!(await env.databases()).includes(name)) throw new CliError(`no database '${name}' in ${env.path}`)
  await env.openDb(name, { create: false }).drop({ delete: options.delete })
}
