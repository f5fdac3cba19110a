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
      await new Promise((resolve) => setTimeout(resolve, 1500))
      // the hoarder keeps at most maxReaders / 8 = 2 slots; before the fix it
      // kept all 16 and this process got ReadersFullError from the first snapshot
      const out = execFileSync(process.execPath, [fixture, 'read', dir, '14'], { encoding: 'utf8', timeout: 30_000 })
      expect(JSON.parse(out)).toEqual(Array(14).fill('v'))
      // one more is beyond the 16 slots while the hoarder keeps its 2 (the
      // test would pass whatever the pool did if the table were larger)
      const over = execFileSync(process.execPath, [fixture, 'read', dir, '15'], { encoding: 'utf8', timeout: 30_000 })
      expect(JSON.parse(out).length + 1).toBe(JSON.parse(over).length)
      expect(JSON.parse(over).at(-1)).toBe('ReadersFullError')
    } finally {
      hoarder.stdin!.end()
      await once(hoarder, 'exit')
    }
    expect(hoarder.exitCode).toBe(0)
  })
})
