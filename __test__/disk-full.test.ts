import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { tempDir } from './helpers.js'

const writer = fileURLToPath(new URL('./fixtures/disk-full-writer.mjs', import.meta.url))
const MOUNT = 'mount -t tmpfs -o size=4m tmpfs'

/**
 * How this machine lets the test mount a 4 MiB tmpfs at `dir`: directly (as
 * root, with CAP_SYS_ADMIN), inside a user and mount namespace of its own
 * (`unshare -rm`, unprivileged Linux), or not at all (the reason).
 */
function mountWay(dir: string): 'direct' | 'unshare' | { reason: string } {
  if (process.platform !== 'linux') return { reason: `mounting a tmpfs is for Linux, not ${process.platform}` }
  const direct = spawnSync('sh', ['-c', `${MOUNT} "$0" && umount "$0"`, dir], { encoding: 'utf8' })
  if (direct.status === 0) return 'direct'
  const inside = spawnSync('unshare', ['-rm', 'sh', '-c', `${MOUNT} "$0"`, dir], { encoding: 'utf8' })
  if (inside.status === 0) return 'unshare'
  return { reason: `cannot mount a tmpfs: ${direct.stderr.trim() || direct.error} / unshare -rm: ${inside.stderr.trim() || inside.error}` }
}

describe('a full disk', () => {
  it('fails writes of every kind with DiskError, keeps what was committed, and the environment reopens', (ctx) => {
    const dir = tempDir()
    const way = mountWay(dir)
    if (typeof way === 'object') ctx.skip(`disk-full test skipped: ${way.reason}`)
    let r
    if (way === 'direct') {
      expect(spawnSync('sh', ['-c', `${MOUNT} "$0"`, dir]).status).toBe(0)
      try {
        r = spawnSync(process.execPath, [writer, dir], { encoding: 'utf8', timeout: 60_000 })
      } finally {
        spawnSync('umount', [dir])
      }
    } else {
      // the mount lives as long as the namespace: it goes with the child
      r = spawnSync('unshare', ['-rm', 'sh', '-c', `${MOUNT} "$0" && exec "$1" "$2" "$0"`, dir, process.execPath, writer], {
        encoding: 'utf8',
        timeout: 60_000,
      })
    }
    expect(r.signal, r.stderr).toBeNull()
    expect(r.status, r.stderr).toBe(0)
    const report = JSON.parse(r.stdout)
    // LMDB's ENOSPC, or the EIO it makes of a write cut short, whose message says the disk may be full
    const diskError = { name: 'DiskError', code: 'ENOSPC', errno: 28, disk: true, message: expect.stringMatching(/No space left on device|may be full/) }
    // the disk filled after some acknowledged writes, and the write that met it failed typed
    expect(report.committed).toBe(20)
    // a value larger than the room left (LMDB's write of it cut short: EIO)
    expect(report.tooBig).toMatchObject(diskError)
    expect(report.acked).toBeGreaterThan(report.committed)
    expect(report.firstFailure).toMatchObject(diskError)
    // as does every kind of write while it stays full
    for (const kind of ['put', 'putMany', 'transaction', 'transactionSync']) {
      expect(report.failuresAfter[kind], kind).toMatchObject(diskError)
    }
    expect(report.failedFound).toBe(0)
    // nothing acknowledged was lost; with room again it writes, and reopens
    expect(report.lostBeforeReopen).toBe(0)
    expect(report.lostAfterReopen).toBe(0)
    expect(report.writtenAgain).toBe(7)
  })
})
