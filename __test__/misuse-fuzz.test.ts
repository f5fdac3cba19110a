import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { Coder, errors, open } from 'lmdb-napi'
import { rounds, tempDir } from './helpers.js'

// A seeded misuse fuzzer over the whole public API: each seed makes a sequence
// of 5–40 steps (fixtures/misuse-steps.mjs) — wrong types, odd numbers and
// sizes, handles used after close, drop, commit or end, transactions nested
// and mixed wrongly, close() amid calls and iterations, worker threads
// terminated mid-work — run in a child process (fixtures/misuse-sequence.mjs),
// which closes everything at the end, or exits with everything in flight.
// A sequence fails on a signal, a hang, or an error that is not one of the
// library's typed errors, a TypeError or a RangeError; the failure is then
// shrunk to its shortest sequence and printed with its seed and a command
// that replays it.

const CHILD = fileURLToPath(new URL('./fixtures/misuse-sequence.mjs', import.meta.url))
const SEQUENCES = rounds(1000, 20_000)
// A sequence in a process of its own takes ~0.5 s here (mostly starting Node
// and the addon), one more in a running process ~50 ms: 1,000 processes would
// take over 4 minutes on two cores, so a child runs a batch of sequences in
// turn (each in its own folder), and a failing one is replayed alone before
// it is shrunk.
const BATCH = 25
/** Sequences that end in process.exit() with everything in flight, one process each. */
const EXITS = rounds(40, 1_000)
const PARALLEL = Math.max(2, availableParallelism())
/** Seeds start here: the same sequences on every CI run; `npm run stress` or MISUSE_SEED explores others. */
const FIRST_SEED = Number(process.env.MISUSE_SEED ?? (process.env.LMDB_NAPI_STRESS ? Date.now() % 2 ** 31 : 1))
/**
 * A sequence settles in well under a second. The child reports what has not
 * settled 10 s after its close; this kills it should it not even do that
 * (its thread blocked in a native call).
 */
const SEQUENCE_TIMEOUT_MS = 20_000
/** Time the shrinking may spend before it reports the smallest sequence so far. */
const SHRINK_BUDGET_MS = 180_000

type Step = Record<string, unknown>
interface Failure {
  kind: string
  step?: number
  op?: string
  error?: { name?: string; message?: string; stack?: string }
}
interface Outcome {
  failure?: Failure
  seed?: number | null
  steps?: Step[]
}

/** Runs the child with these arguments and tells what went wrong, if anything. */
function runChild(args: string[], timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    // a heap limit, so that memory that runs away fails the sequence soon rather than swamping the machine
    const child = spawn(process.execPath, ['--max-old-space-size=1024', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    child.stderr.on('data', (chunk) => (err += chunk))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const lines = out.split('\n').filter(Boolean).map((line) => {
        try {
          return JSON.parse(line)
        } catch {
          return { text: line }
        }
      })
      for (const line of lines) if (line.dir) rmSync(line.dir, { recursive: true, force: true })
      const started = lines.filter((l) => 'start' in l).at(-1)
      const outcome: Outcome = { seed: started?.start, steps: started?.steps }
      const reported = lines.find((l) => l.failure)?.failure
      const tail = err.trim().split('\n').slice(-8).join('\n')
      if (reported) outcome.failure = reported
      else if (timedOut) outcome.failure = { kind: 'timeout', error: { message: `no exit within ${timeoutMs} ms` } }
      else if (signal) outcome.failure = { kind: 'signal', error: { name: signal, message: tail } }
      else if (code !== 0 || !lines.some((l) => l.done)) outcome.failure = { kind: 'exit', error: { name: `exit ${code}`, message: tail } }
      resolve(outcome)
    })
  })
}

/** What makes two failures the same for shrinking: their kind and error, without numbers or paths. */
function signature(f: Failure): string {
  const message = (f.error?.message ?? '').replace(/\/\S+/g, 'PATH').replace(/\d+/g, 'N').slice(0, 120)
  return f.kind === 'hang' || f.kind === 'timeout' ? 'hang' : `${f.kind}|${f.error?.name}|${message}`
}

/** The child's flags: [] to close everything at the end, ['--exit'] to exit with everything in flight. */
type Mode = string[]

/** Delta debugging: drops chunks of steps, then single steps, while the failure stays the same. */
async function shrink(steps: Step[], failure: Failure, mode: Mode): Promise<{ steps: Step[]; failure: Failure }> {
  const wanted = signature(failure)
  const deadline = Date.now() + SHRINK_BUDGET_MS
  let best = steps
  let bestFailure = failure
  for (let chunk = Math.ceil(best.length / 2); chunk >= 1; chunk = chunk === 1 ? 0 : Math.ceil(chunk / 2)) {
    let removed = true
    while (removed && Date.now() < deadline) {
      removed = false
      for (let at = 0; at < best.length && Date.now() < deadline; ) {
        const candidate = [...best.slice(0, at), ...best.slice(at + chunk)]
        const outcome = candidate.length ? await runChild([...mode, JSON.stringify(candidate)], SEQUENCE_TIMEOUT_MS) : {}
        if (outcome.failure && signature(outcome.failure) === wanted) {
          best = candidate
          bestFailure = outcome.failure
          removed = true
        } else {
          at += chunk
        }
      }
    }
  }
  return { steps: best, failure: bestFailure }
}

/** The failure's report: replayed alone, shrunk, with its seed and the commands that replay it. */
async function explain(outcome: Outcome, mode: Mode, batch: string): Promise<string> {
  const seed = outcome.seed
  const replay = ['node __test__/fixtures/misuse-sequence.mjs', ...mode].join(' ')
  // a failure that needs the batch's earlier sequences in the same process is reported as such
  const alone = typeof seed === 'number' ? await runChild([...mode, '--seed', String(seed)], SEQUENCE_TIMEOUT_MS) : outcome
  if (!alone.failure || !alone.steps) {
    return [
      `misuse sequence of seed ${seed} failed only after seeds ${batch} ran before it in one process:`,
      JSON.stringify(outcome.failure, null, 2),
      `replay: ${replay} --seeds ${batch}`,
    ].join('\n')
  }
  const { steps, failure } = await shrink(alone.steps, alone.failure, mode)
  return [
    `misuse sequence of seed ${seed} failed (${alone.steps.length} steps, shrunk to ${steps.length}):`,
    JSON.stringify(failure, null, 2),
    'shortest sequence:',
    JSON.stringify(steps),
    `replay: ${replay} '${JSON.stringify(steps).replace(/'/g, "'\\''")}'`,
    `or by seed: ${replay} --seed ${seed}`,
  ].join('\n')
}

/** Runs the children (PARALLEL at a time) until one fails; its report, or '' when none did. */
async function fuzz(runs: string[][], mode: Mode, timeoutMs: number): Promise<string> {
  let failed: { outcome: Outcome; run: string[] } | undefined
  const next = async (): Promise<void> => {
    while (!failed && runs.length) {
      const run = runs.shift()!
      const outcome = await runChild([...mode, ...run], timeoutMs)
      if (outcome.failure && !failed) failed = { outcome, run }
    }
  }
  await Promise.all(Array.from({ length: PARALLEL }, next))
  return failed ? explain(failed.outcome, mode, failed.run[1]) : ''
}

it(
  `${SEQUENCES} misuse sequences end in typed errors only: no signal, no hang (seeds from ${FIRST_SEED})`,
  async () => {
    const started = Date.now()
    const runs: string[][] = []
    for (let from = FIRST_SEED; from < FIRST_SEED + SEQUENCES; from += BATCH) {
      runs.push(['--seeds', `${from}-${Math.min(from + BATCH, FIRST_SEED + SEQUENCES) - 1}`])
    }
    const report = await fuzz(runs, [], SEQUENCE_TIMEOUT_MS + BATCH * 2_000)
    console.log(`misuse fuzz: ${SEQUENCES} sequences from seed ${FIRST_SEED} in ${Date.now() - started} ms`)
    expect(report).toBe('')
  },
  // ~45 s measured for the CI count on two busy cores; the shrinking of a failure has its own budget
  3 * 45_000 * (SEQUENCES / 1000) + SHRINK_BUDGET_MS + 60_000,
)

it(
  `${EXITS} processes that exit amid misuse sequences, closing nothing, exit cleanly`,
  async () => {
    const started = Date.now()
    // other seeds than the first test's, one process each: the exit ends it
    const first = FIRST_SEED + SEQUENCES
    const runs = Array.from({ length: EXITS }, (_, i) => ['--seed', String(first + i)])
    const report = await fuzz(runs, ['--exit'], SEQUENCE_TIMEOUT_MS)
    console.log(`misuse fuzz: ${EXITS} exits from seed ${first} in ${Date.now() - started} ms`)
    expect(report).toBe('')
  },
  3 * 15_000 * (EXITS / 40) + SHRINK_BUDGET_MS + 60_000,
)

// Found by the fuzzer (seed 242): end('x') reached the binding and failed
// there with a plain "Failed to convert napi value" Error.
it('end(commit) of a transaction takes a boolean only: anything else is a TypeError', async () => {
  await using env = open(tempDir())
  const db = env.openDb('a', { keyCoder: 'string', valueCoder: 'string' })
  await env.transaction(async (txn) => {
    await txn.put(db, 'k', 'v')
    for (const commit of ['yes', 1, undefined, null, {}]) {
      await expect(txn.end(commit as unknown as boolean)).rejects.toThrow(TypeError)
    }
  })
  env.transactionSync((txn) => {
    for (const commit of ['yes', 1, undefined, null, {}]) {
      expect(() => txn.end(commit as unknown as boolean)).toThrow(TypeError)
    }
    txn.put(db, 'sync', 'v')
  })
  // the refused ends ended nothing: both transactions committed
  expect(await db.getMany(['k', 'sync'])).toEqual(['v', 'v'])
})

// Found by the fuzzer (seed 1622): txn.range()'s prefix went through the key
// coder unguarded, so a coder's own error came out instead of CoderError.
it("a transaction range's prefix that the key coder refuses rejects with CoderError", async () => {
  class Refusing extends Coder<string> {
    serialize(): Uint8Array {
      throw new Error('refused')
    }
    deserialize(bytes: Buffer): string {
      return bytes.toString()
    }
  }
  await using env = open(tempDir())
  const refusing = env.openDb('a', { keyCoder: new Refusing() })
  const numbers = env.openDb('b', { keyCoder: 'uint32' })
  await env.transaction(async (txn) => {
    for (const [db, prefix] of [[refusing, 'k'], [numbers, 'not a number']] as const) {
      const error = await txn.range(db as typeof refusing, { prefix }).toArray().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(errors.CoderError)
      expect((error as errors.CoderError).cause).toBeInstanceOf(Error)
    }
  })
})
