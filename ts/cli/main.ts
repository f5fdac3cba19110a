#!/usr/bin/env node
/**
 * `npx lmdb-napi <command>`: py-lmdb's `python -m lmdb` tools. Parses the
 * command line, runs the command, and turns any failure into one line on
 * stderr and an exit code: 0 done, 1 failed, 2 a command line it cannot take.
 */
import { parseArgs } from 'node:util'
import { LmdbError, MapFullError } from '../errors.js'
import { copy, dump, load, warm } from './backup.js'
import { CliError, UsageError, type Options } from './context.js'
import { drop, edit } from './edit.js'
import { importLmdbJs } from './import-lmdb-js.js'
import { get, readers, stat, watch } from './inspect.js'
import { shell } from './shell.js'

const COMMON = `Common options:
  -e, --env ENV         the environment (directory, or file without subdir)
  -d, --db DB           a named database (default: the main one)
  -r, --read-only       open read-only (commands that write refuse it)
  -S, --map-size MB     map size in MiB (default: the size the environment records)
  -q, --quiet           no progress bar
  -h, --help            this help`

interface Command {
  run(options: Options): Promise<void>
  usage: string
  help: string
  /** It writes, so `-r` cannot go with it. */
  writes?: true
}

const COMMANDS: Record<string, Command> = {
  stat: { run: stat, usage: 'stat -e ENV [-d DB]', help: 'Statistics of the environment and of every named database (or of -d DB).' },
  dump: {
    run: dump,
    usage: 'dump -e ENV [-d DB | -a] [-p] [-f FILE]',
    help: 'Writes databases in the mdb_dump text format to stdout or -f FILE.\n  -a, --all     every database\n  -p, --print   printable characters as text (format=print)',
  },
  load: {
    run: load,
    writes: true,
    usage: 'load -e ENV [-d DB] [-f FILE]',
    help: 'Loads an mdb_dump text dump from stdin or -f FILE, in one transaction: a malformed dump writes nothing.\n  -d DB loads a one-database dump into DB.',
  },
  copy: { run: copy, usage: 'copy -e ENV DEST [--compact]', help: 'A consistent copy into DEST (created if missing).\n  --compact     leave out free pages' },
  drop: { run: drop, writes: true, usage: 'drop -e ENV DB [--delete]', help: 'Empties the named database DB.\n  --delete      remove the database itself too' },
  get: { run: get, usage: 'get -e ENV [-d DB] KEY...', help: 'Prints the values of the keys (UTF-8 text, else 0x hex); exit 1 if any is missing.' },
  put: {
    run: edit,
    writes: true,
    usage: 'put -e ENV [-d DB] [--set K=V]... [--set-file K=PATH]... [--add K=V]... [--delete K]...',
    help: 'Changes keys in one transaction (alias: edit).\n  --set K=V        store V\n  --set-file K=P   store the bytes of file P\n  --add K=V        store V unless K exists (exit 1 if it did)\n  --delete K       delete K',
  },
  readers: { run: readers, usage: 'readers -e ENV [--clean]', help: 'The reader lock table.\n  --clean       first clear the slots of dead processes' },
  warm: { run: warm, usage: 'warm -e ENV', help: 'Reads the data file through, into the page cache.' },
  watch: {
    run: watch,
    usage: 'watch -e ENV [--interval S] [--csv] [--count N]',
    help: 'Statistics every S seconds (default 1) until Ctrl-C.\n  --csv         comma-separated with a header row\n  --count N     stop after N rows',
  },
  shell: { run: shell, usage: 'shell -e ENV', help: 'A Node REPL with `env` open.' },
  'import-lmdb-js': {
    run: importLmdbJs,
    writes: true,
    usage: 'import-lmdb-js SOURCE -e DEST [-d DB] [--keys CODER] [--values CODER] [--lmdb-js-options JSON] [--structures-key NAME]',
    help: [
      'Copies an lmdb-js environment SOURCE into the lmdb-napi environment DEST (created if missing): the main',
      "database's records and every named database with its flags, in bounded transactions. Needs",
      'lmdb-js: `npm install lmdb` next to lmdb-napi.',
      '  -d DB                  only the named database DB',
      '  --keys CODER           decode keys with lmdb-js (ordered-binary) and store them with our',
      '                         coder: string, uint32, json, msgpack… (default binary: bytes as stored)',
      '  --values CODER         decode values with lmdb-js (msgpack) and store them with our coder:',
      '                         json, msgpack, string, v8… (default binary: bytes as stored)',
      '  --lmdb-js-options JSON options for lmdb-js\'s open(), e.g. {"encoding":"json"} or {"compression":true}',
      "  --structures-key NAME  values use shared structures at Symbol.for(NAME) (default 'structures')",
    ].join('\n'),
  },
}
COMMANDS.edit = COMMANDS.put

function overview(): string {
  return `Usage: lmdb-napi <command> [options]\n\nCommands:\n${Object.entries(COMMANDS)
    .filter(([name]) => name !== 'edit')
    .map(([, c]) => `  ${c.usage}`)
    .join('\n')}\n\n${COMMON}\n\nlmdb-napi <command> --help for more.`
}

function parse(argv: string[]): Options & { help: boolean } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      env: { type: 'string', short: 'e' },
      db: { type: 'string', short: 'd' },
      'read-only': { type: 'boolean', short: 'r', default: false },
      'map-size': { type: 'string', short: 'S' },
      file: { type: 'string', short: 'f' },
      print: { type: 'boolean', short: 'p', default: false },
      all: { type: 'boolean', short: 'a', default: false },
      quiet: { type: 'boolean', short: 'q', default: false },
      compact: { type: 'boolean', default: false },
      delete: { type: 'string', multiple: true, default: [] },
      clean: { type: 'boolean', default: false },
      csv: { type: 'boolean', default: false },
      interval: { type: 'string', default: '1' },
      count: { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
      'set-file': { type: 'string', multiple: true, default: [] },
      add: { type: 'string', multiple: true, default: [] },
      keys: { type: 'string' },
      values: { type: 'string' },
      'lmdb-js-options': { type: 'string' },
      'structures-key': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  const number = (text: string | undefined, what: string): number | undefined => {
    if (text === undefined) return undefined
    const n = Number(text)
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`${what} takes a number, not '${text}'`)
    return n
  }
  return {
    env: values.env,
    db: values.db,
    readonly: values['read-only'],
    mapSize: number(values['map-size'], '--map-size'),
    file: values.file,
    print: values.print,
    all: values.all,
    quiet: values.quiet,
    compact: values.compact,
    // `drop DB --delete` is a flag; `put --delete K` takes keys
    delete: false,
    remove: values.delete,
    clean: values.clean,
    csv: values.csv,
    interval: number(values.interval, '--interval') ?? 1,
    count: number(values.count, '--count'),
    set: values.set,
    setFile: values['set-file'],
    add: values.add,
    keys: values.keys,
    values: values.values,
    lmdbJsOptions: values['lmdb-js-options'],
    structuresKey: values['structures-key'],
    positionals,
    help: values.help,
  }
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h') {
    console.log(overview())
    return name === undefined ? 2 : 0
  }
  const command = COMMANDS[name]
  if (!command) {
    console.error(`lmdb-napi: unknown command '${name}'\n\n${overview()}`)
    return 2
  }
  try {
    // `drop DB --delete`: here --delete is a flag, not an option with a key
    const dropDelete = name === 'drop' && rest.includes('--delete')
    const options = parse(dropDelete ? rest.filter((a) => a !== '--delete') : rest)
    options.delete = dropDelete
    if (options.help) {
      console.log(`Usage: lmdb-napi ${command.usage}\n\n${command.help}\n\n${COMMON}`)
      return 0
    }
    if (options.readonly && command.writes) {
      // refused before anything is opened or read from stdin
      console.error(`lmdb-napi ${name}: ${name} writes, and -r (--read-only) forbids writing`)
      return 2
    }
    await command.run(options)
    return 0
  } catch (error) {
    // other libraries' errors (lmdb-js's) may carry a numeric code
    const code = (error as { code?: unknown } | undefined)?.code
    const usage = error instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))
    const known = usage || error instanceof CliError || error instanceof LmdbError || error instanceof Error
    // the map keeps its recorded size unless -S asks for another
    const hint = error instanceof MapFullError ? ' (the map is full: give a larger size in MiB with -S)' : ''
    console.error(`lmdb-napi ${name}: ${known ? (error as Error).message : String(error)}${hint}`)
    if (usage) console.error(`usage: lmdb-napi ${command.usage}`)
    return usage ? 2 : 1
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code
  })
}
