import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { tempDir } from './helpers.js'

const fixture = fileURLToPath(new URL('./fixtures/reader-slots.mjs', import.meta.url))

describe('reader slots across processes', () => {
  it('a process that once held every slot, now idle, leaves the others free to read', async () => {
    const dir = tempDir()
    const hoarder = spawn(process.execPath, [fixture, 'hoard', dir], { stdio: ['pipe', 'pipe', 'inherit'] })
    try {
      const [line] = (await once(hoarder.stdout!, 'data')) as [Buffer]
      expect(line.toString().trim()).toBe('idle')
      // idle for over a second, its pooled slots go back (before the fix it
      // kept all 16 and this process got ReadersFullError from the first snapshot)
      await new Promise((resolve) => setTimeout(resolve, 2000))
      const out = execFileSync(process.execPath, [fixture, 'read', dir, '17'], { encoding: 'utf8', timeout: 30_000 })
      // all 16 slots are free again; the 17th is beyond the table
      expect(JSON.parse(out)).toEqual([...Array(16).fill('v'), 'ReadersFullError'])
    } finally {
      hoarder.stdin!.end()
      await once(hoarder, 'exit')
    }
    expect(hoarder.exitCode).toBe(0)
  })
})
