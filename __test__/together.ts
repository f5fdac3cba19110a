// Child processes that must really run at the same time: each prints
// "ready" once it has opened its environment, all are told "go" together,
// and each ends by printing "done <n>" (see fixtures/go.mjs).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { expect } from 'vitest'

/** Resolves with the next line `child` prints. */
function nextLine(child: ChildProcessWithoutNullStreams, output: { text: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const end = output.text.indexOf('\n')
      if (end === -1) return false
      const line = output.text.slice(0, end)
      output.text = output.text.slice(end + 1)
      child.stdout.off('data', check)
      child.off('close', closed)
      resolve(line)
      return true
    }
    const closed = () => {
      child.stdout.off('data', check)
      reject(new Error(`process ended (${child.exitCode ?? child.signalCode}) before printing a line`))
    }
    if (check()) return
    child.stdout.on('data', check)
    child.once('close', closed)
  })
}

/**
 * Runs `script dir mode count` once per mode, lets them go together, checks
 * that each exited cleanly, and resolves with the sum of their "done" numbers.
 */
export async function runTogether(script: string, dir: string, modes: readonly string[], count: number): Promise<number> {
  const children = modes.map((mode) => {
    const child = spawn(process.execPath, [script, dir, mode, String(count)])
    const output = { text: '' }
    const errors = { text: '' }
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output.text += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (errors.text += chunk))
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
    return { child, output, errors, exited }
  })
  try {
    const ready = await Promise.all(children.map(({ child, output }) => nextLine(child, output)))
    expect(ready).toEqual(modes.map(() => 'ready'))
    for (const { child } of children) child.stdin.write('go\n')
    const done = await Promise.all(children.map(({ child, output }) => nextLine(child, output)))
    const codes = await Promise.all(children.map(({ exited }) => exited))
    expect({ codes, errors: children.map(({ errors }) => errors.text) }).toEqual({
      codes: modes.map(() => 0),
      errors: modes.map(() => ''),
    })
    return done.reduce((sum, line) => sum + Number(/^done (\d+)$/.exec(line)?.[1] ?? NaN), 0)
  } finally {
    for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
}
