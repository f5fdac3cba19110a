import { mkdtempSync, rmSync } from 'node:fs'
import { endianness, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import { Coder, type Environment } from 'lmdb-napi'

const made: string[] = []

afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A fresh directory for one test, removed after it. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lmdb-napi-test-'))
  made.push(dir)
  return dir
}

/** `n` bytes of a repeated byte. */
export function bytes(n: number, fill = 1): Buffer {
  return Buffer.alloc(n, fill)
}

export const b = (s: string): Buffer => Buffer.from(s)

/** Read transactions in use now: rows of the reader table with a transaction id (reset ones show '-'). */
export function activeReaders(env: Environment): number {
  return env
    .readers()
    .split('\n')
    .slice(1)
    .filter((line) => /^\s*\d+\s+\S+\s+\d+\s*$/.test(line)).length
}

/** What `fn` threw or rejected with (or `undefined`). */
export async function failure(fn: () => unknown): Promise<unknown> {
  try {
    await fn()
  } catch (error) {
    return error
  }
  return undefined
}

/**
 * Rounds for a crash or fuzz suite: `ci` under `npm test`, `stress` under
 * `npm run stress` (which sets LMDB_NAPI_STRESS).
 */
export function rounds(ci: number, stress: number): number {
  return process.env.LMDB_NAPI_STRESS ? stress : ci
}

/** 4-byte unsigned integers in the machine's byte order, as LMDB's integerKey and integerDup want them. */
export class NativeUInt32Coder extends Coder<number> {
  serialize(value: number): Uint8Array {
    const out = Buffer.alloc(4)
    if (endianness() === 'LE') out.writeUInt32LE(value)
    else out.writeUInt32BE(value)
    return out
  }
  deserialize(bytes: Buffer): number {
    return endianness() === 'LE' ? bytes.readUInt32LE(0) : bytes.readUInt32BE(0)
  }
}
