/** What every command gets: its options and the environment they name. */
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { open, type Environment } from '../environment.js'

/** A failure to report in one line (exit code 1), with no stack trace. */
export class CliError extends Error {}

/** A command line the command cannot take (exit code 2). */
export class UsageError extends Error {}

export interface Options {
  env?: string
  db?: string
  readonly: boolean
  mapSize?: number
  file?: string
  print: boolean
  all: boolean
  quiet: boolean
  compact: boolean
  delete: boolean
  clean: boolean
  csv: boolean
  interval: number
  count?: number
  set: string[]
  setFile: string[]
  add: string[]
  remove: string[]
  /** import-lmdb-js: our coders for keys and values, and how lmdb-js reads the source */
  keys?: string
  values?: string
  lmdbJsOptions?: string
  structuresKey?: string
  positionals: string[]
}

/**
 * Opens the environment of `-e`, which must exist unless `create` (a command
 * that only reads never makes one). Its map keeps the size the environment
 * records unless `-S` gives one (the library's default would be written
 * into the file by the first commit), and does not grow by itself.
 */
export async function openEnv(options: Options, { create = false } = {}): Promise<Environment> {
  if (options.env === undefined) throw new UsageError('this command needs -e ENV')
  const found = statSync(options.env, { throwIfNoEntry: false })
  const subdir = found?.isDirectory() ?? true
  if (!create && (found === undefined || (subdir && !existsSync(join(options.env, 'data.mdb'))))) {
    throw new CliError(`no environment at ${options.env}${found ? ' (a directory without data.mdb)' : ''}`)
  }
  const env = open(options.env, {
    subdir,
    create,
    readonly: options.readonly,
    mapSize: options.mapSize === undefined ? undefined : options.mapSize * 1024 * 1024,
    // the size changes only when -S says so
    autoGrow: false,
  })
  // 0: the size the file records (LMDB's mdb_env_set_mapsize(0))
  if (options.mapSize === undefined) {
    try {
      await env.setMapSize(0)
    } catch (error) {
      await env.close()
      throw error
    }
  }
  return env
}
