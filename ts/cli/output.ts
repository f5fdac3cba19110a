/** Where a command's text goes: stdout or a file (`-f`), written in order. */
import { createWriteStream, type WriteStream } from 'node:fs'
import type { Writable } from 'node:stream'

export interface Output {
  write(text: string): Promise<void>
  end(): Promise<void>
}

/** Writes to `file`, or to stdout when there is none. */
export function output(file: string | undefined): Output {
  const stream: Writable = file === undefined ? process.stdout : createWriteStream(file)
  let failure: Error | undefined
  stream.on('error', (e) => (failure = e))
  return {
    write: (text) =>
      new Promise<void>((resolve, reject) => {
        if (failure) return reject(failure)
        // wait for the stream to drain: a dump of any size keeps memory flat
        if (stream.write(text)) resolve()
        else stream.once('drain', resolve)
      }),
    end: () =>
      new Promise<void>((resolve, reject) => {
        if (failure) return reject(failure)
        if (stream === process.stdout) return resolve()
        ;(stream as WriteStream).end((e?: Error | null) => (e ? reject(e) : resolve()))
      }),
  }
}
