import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { open } from 'lmdb-napi'
import { tempDir } from './helpers.js'

it('keeps every committed write when the writing process is killed with SIGKILL', async () => {
  const dir = tempDir()
  const child = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/writer-process.mjs', import.meta.url)), dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let lastCommitted = -1
  await new Promise<void>((resolve) => {
    child.stdout.setEncoding('utf8')
    let buffered = ''
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) lastCommitted = Number(line.split(' ')[1])
      if (lastCommitted >= 50) {
        child.kill('SIGKILL')
        resolve()
      }
    })
  })
  await new Promise((resolve) => child.once('exit', resolve))
  expect(child.signalCode).toBe('SIGKILL')

  await using env = open(dir)
  const db = env.openDb('durable', { keyCoder: 'string', valueCoder: 'string', create: false })
  for (let i = 0; i <= lastCommitted; i++) expect(await db.get(`key${i}`)).toBe(`value${i}`)
})
