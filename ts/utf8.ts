/**
 * Node's own UTF-8 writer and reader behind `buf.write` and `buf.toString`,
 * without their argument checks: ~0.15 µs less per string while the code is
 * cold (a tick's first thousands of calls). Keys and values pass through
 * them once per operation; short ASCII text is written without the call.
 * The public forms where a runtime's `Buffer` lacks them.
 */
type Utf8Buffer = Buffer & {
  utf8Write(text: string, offset: number, length: number): number
  utf8Slice(start: number, end: number): string
}
const proto = Buffer.prototype as Partial<Utf8Buffer>
const fast = typeof proto.utf8Write === 'function' && typeof proto.utf8Slice === 'function'

const write: (buf: Buffer, text: string, at: number, room: number) => number = fast
  ? (buf, text, at, room) => (buf as Utf8Buffer).utf8Write(text, at, room)
  : (buf, text, at, room) => buf.write(text, at, room, 'utf8')

/**
 * Up to this many UTF-16 units, ASCII text is copied by a loop here: a
 * 13-character key costs ~20 ns so against ~60 ns for the call into Node's
 * writer, which wins from about 24 characters on.
 */
const SHORT = 20

/** Writes `text` at `at`, in at most `room` bytes; the bytes written. */
export function writeUtf8(buf: Buffer, text: string, at: number, room: number): number {
  const n = text.length
  if (n <= SHORT && n <= room) {
    let i = 0
    for (; i < n; i++) {
      const c = text.charCodeAt(i)
      if (c > 0x7f) break
      buf[at + i] = c
    }
    // not ASCII: Node's writer writes it all again
    if (i === n) return n
  }
  return write(buf, text, at, room)
}

/** The text of `buf[start, end)`. */
export const readUtf8: (buf: Buffer, start: number, end: number) => string = fast
  ? (buf, start, end) => (buf as Utf8Buffer).utf8Slice(start, end)
  : (buf, start, end) => buf.toString('utf8', start, end)
