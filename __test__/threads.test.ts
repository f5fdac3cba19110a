import { expect, it } from 'vitest'
import { open, type Environment } from 'lmdb-napi'
import { tempDir } from './helpers.js'

/** `count` keys stored as their own values in the default database. */
async function filled(env: Environment, count: number): Promise<Buffer[]> {
  const keys = Array.from({ length: count }, (_, i) => Buffer.from(`key${String(i).padStart(7, '0')}`))
  await env.defaultDb.putMany(keys.map((k) => [k, k]))
  return keys
}

/** Counts turns of the event loop, each scheduled by `next`, from `start()` until `stop()`. */
function loopTurns(next: (turn: () => void) => void) {
  const counter = { turns: 0, start: () => next(turn), stop: () => void (done = true) }
  let done = false
  const turn = () => {
    if (done) return
    counter.turns++
    next(turn)
  }
  return counter
}

it('keeps the event loop turning while a read runs off the JS thread', async () => {
  await using env = open(tempDir(), { sync: false })
  const keys = await filled(env, 200_000)
  const ticks = loopTurns((turn) => setTimeout(turn, 0))
  const read = env.defaultDb.getMany(keys)
  ticks.start()
  const values = await read
  ticks.stop()
  expect(values[123_456]).toEqual(keys[123_456])
  // Had the 200,000 reads run on this thread, no timer could have fired
  // between issuing them and their answer.
  expect(ticks.turns).toBeGreaterThan(1)
})

it('keeps the event loop polling, not sleeping, while a call is out, and no longer', async () => {
  await using env = open(tempDir(), { sync: false })
  const [key] = await filled(env, 1)
  const immediates = () => process.getActiveResourcesInfo().filter((r) => r === 'Immediate').length
  const idle = immediates()
  const answered = async <T>(call: Promise<T>): Promise<T> => {
    await null // a tick's reads are sent when its microtasks run
    expect(immediates()).toBe(idle + 1)
    const value = await call
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(immediates()).toBe(idle)
    return value
  }
  expect(await answered(env.defaultDb.get(key))).toEqual(key)
  await env.transaction(async (txn) => {
    expect(await answered(txn.get(env.defaultDb, key))).toEqual(key)
  })
})

it('settles a large batch of gets a slice at a time, letting the event loop turn in between', async () => {
  await using env = open(tempDir(), { sync: false })
  // several native batches, all likely back before this thread looks
  const keys = await filled(env, 30_000)
  const loop = loopTurns(setImmediate)
  const gets = keys.map((k) => env.defaultDb.get(k)) // all issued in one tick
  let turnsBeforeLast = -1
  void gets[0].then(() => loop.start())
  void gets.at(-1)!.then(() => (turnsBeforeLast = loop.turns))
  const values = await Promise.all(gets)
  loop.stop()
  values.forEach((v, i) => expect(v).toEqual(keys[i]))
  // Settled all at once, no turn of the loop could come between the first
  // get's answer and the last one's.
  expect(turnsBeforeLast).toBeGreaterThan(0)
  // 2,048 settle per budget, whichever batches they came in; a turn of the
  // loop may spend one in its poll phase and one more in its check phase
  expect(loop.turns).toBeGreaterThanOrEqual(Math.floor(keys.length / (2 * 2048)) - 1)
})
