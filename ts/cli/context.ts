/** What every command gets: its options and the environment they name. */
import { statSync } from 'node:fs'
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

/** Opens the environment of `-e`, which must exist unless `create`. */
export function openEnv(options: Options, { create = false, writable = false } = {}): Environment {
  if (options.env === undefined) throw new UsageError('this command needs -e ENV')
  let subdir = true
  try {
    subdir = statSync(options.env).isDirectory()
  } catch {
    if (!create) throw new CliError(`no environment at ${options.env}`)
  }
  return open(options.env, {
    subdir,
    create,
    readonly: options.readonly && !writable,
    mapSize: options.mapSize === undefined ? undefined : options.mapSize * 1024 * 1024,
  })
}
