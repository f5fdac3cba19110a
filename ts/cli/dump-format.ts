/**
 * The text format of LMDB's `mdb_dump` and `mdb_load` (itself Berkeley DB's
 * `db_dump` format), so that dumps move both ways with lmdb-utils.
 *
 * A section per database: `key=value` header lines up to `HEADER=END`, then
 * one line per key and one per value, each led by a space, up to `DATA=END`.
 * `format=bytevalue` writes bytes as hex pairs; `format=print` writes
 * printable ASCII as is, a backslash as `\\`, and other bytes as `\xx`.
 */
import type { DbFlags } from '../encoding.js'

/** One database of a dump. */
export interface DumpSection {
  /** `null` for the main database. */
  name: string | null
  flags: DbFlags
  entries: [Buffer, Buffer][]
}

/** Header names of the flags, as mdb_dump writes them. */
const FLAG_NAMES: [keyof DbFlags, string][] = [
  ['reverseKey', 'reversekey'],
  ['dupSort', 'dupsort'],
  ['integerKey', 'integerkey'],
  ['dupFixed', 'dupfixed'],
  ['integerDup', 'integerdup'],
  ['reverseDup', 'reversedup'],
]

export const NO_FLAGS: DbFlags = {
  dupSort: false,
  dupFixed: false,
  integerKey: false,
  integerDup: false,
  reverseKey: false,
  reverseDup: false,
}

/** What the header of a section holds besides the database. */
export interface HeaderInfo {
  mapSize: number
  maxReaders: number
  pageSize: number
}

/** The header lines of one section. */
export function header(name: string | null, flags: DbFlags, printable: boolean, info: HeaderInfo): string {
  const lines = ['VERSION=3', `format=${printable ? 'print' : 'bytevalue'}`]
  if (name !== null) lines.push(`database=${name}`)
  lines.push('type=btree', `mapsize=${info.mapSize}`, `maxreaders=${info.maxReaders}`)
  if (flags.dupSort) lines.push('duplicates=1')
  for (const [flag, text] of FLAG_NAMES) if (flags[flag]) lines.push(`${text}=1`)
  lines.push(`db_pagesize=${info.pageSize}`, 'HEADER=END')
  return lines.join('\n') + '\n'
}

/** One key or value line. */
export function line(bytes: Uint8Array, printable: boolean): string {
  if (!printable) return ` ${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}\n`
  let out = ' '
  for (const byte of bytes) {
    if (byte === 0x5c) out += '\\\\'
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte)
    else out += '\\' + byte.toString(16).padStart(2, '0')
  }
  return out + '\n'
}

export const DATA_END = 'DATA=END\n'

/** A dump that cannot be read: its line number and what is wrong. */
export class DumpFormatError extends Error {
  constructor(lineNo: number, what: string) {
    super(`line ${lineNo}: ${what}`)
    this.name = 'DumpFormatError'
  }
}

function decodeLine(text: string, printable: boolean, lineNo: number): Buffer {
  if (!text.startsWith(' ')) throw new DumpFormatError(lineNo, 'a data line must start with a space')
  const body = text.slice(1)
  if (!printable) {
    if (body.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(body)) throw new DumpFormatError(lineNo, 'bad hex data')
    return Buffer.from(body, 'hex')
  }
  const out: number[] = []
  for (let i = 0; i < body.length; i++) {
    const ch = body.charCodeAt(i)
    if (ch === 0x5c) {
      if (body[i + 1] === '\\') {
        out.push(0x5c)
        i += 1
      } else {
        const hex = body.slice(i + 1, i + 3)
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new DumpFormatError(lineNo, 'bad escape')
        out.push(parseInt(hex, 16))
        i += 2
      }
    } else if (ch < 0x80) {
      out.push(ch)
    } else {
      throw new DumpFormatError(lineNo, 'a byte above 0x7f must be escaped')
    }
  }
  return Buffer.from(out)
}

/** Reads a whole dump; throws `DumpFormatError` on anything malformed. */
export function parse(text: string): DumpSection[] {
  const lines = text.split('\n')
  if (lines.at(-1) === '') lines.pop()
  const sections: DumpSection[] = []
  let i = 0
  while (i < lines.length) {
    let name: string | null = null
    let printable = false
    const flags = { ...NO_FLAGS }
    let sawVersion = false
    for (;;) {
      if (i >= lines.length) throw new DumpFormatError(i + 1, 'the header has no HEADER=END')
      const l = lines[i++]
      if (l === 'HEADER=END') break
      const eq = l.indexOf('=')
      if (eq < 0) throw new DumpFormatError(i, `not a header line: ${JSON.stringify(l.slice(0, 40))}`)
      const [key, value] = [l.slice(0, eq), l.slice(eq + 1)]
      if (key === 'VERSION') {
        if (value !== '3') throw new DumpFormatError(i, `unsupported VERSION=${value}`)
        sawVersion = true
      } else if (key === 'format') {
        if (value !== 'print' && value !== 'bytevalue') throw new DumpFormatError(i, `unknown format ${value}`)
        printable = value === 'print'
      } else if (key === 'database') {
        name = value
      } else if (key === 'type') {
        if (value !== 'btree') throw new DumpFormatError(i, `unsupported type ${value}`)
      } else if (key === 'duplicates') {
        flags.dupSort = value === '1'
      } else {
        const flag = FLAG_NAMES.find(([, text]) => text === key)
        if (flag) flags[flag[0]] = value === '1'
        // mapsize, maxreaders, db_pagesize and others describe the source only
      }
    }
    if (!sawVersion) throw new DumpFormatError(i, 'the header has no VERSION')
    const entries: [Buffer, Buffer][] = []
    for (;;) {
      if (i >= lines.length) throw new DumpFormatError(i + 1, 'the data has no DATA=END')
      const l = lines[i++]
      if (l === 'DATA=END') break
      if (i >= lines.length || lines[i] === 'DATA=END') throw new DumpFormatError(i, 'a key without a value')
      const key = decodeLine(l, printable, i)
      const value = decodeLine(lines[i++], printable, i)
      entries.push([key, value])
    }
    sections.push({ name, flags, entries })
  }
  return sections
}
