import { expect, it } from 'vitest'
import { open } from 'lmdb-napi'
import { tempDir } from './helpers.js'

it('keeps the event loop turning while a read runs off the JS thread', async () => {
  await using env = open(tempDir(), { sync: false })
  const db = env.defaultDb
  const keys = Array.from({ length: 200_000 }, (_, i) => Buffer.from(`key${String(i).padStart(7, '0')}`))
  await db.putMany(keys.map((k) => [k, k]))

  let ticks = 0
  let done = false
  const tick = () => {
    if (done) return
    ticks++
    setTimeout(tick, 0)
  }
  const read = db.getMany(keys)
  setTimeout(tick, 0)
  const values = await read
  done = true
  expect(values[123_456]).toEqual(keys[123_456])
  // Had the 200,000 reads run on this thread, no timer could have fired
  // between issuing them and their answer.
  expect(ticks).toBeGreaterThan(1)
})

it('settles a large batch of gets a slice at a time, letting the event loop turn in between', async () => {
  await using env = open(tempDir(), { sync: false })
  const db = env.defaultDb
  // several native batches, all likely back before this thread looks
  const keys = Array.from({ length: 30_000 }, (_, i) => Buffer.from(`key${String(i).padStart(7, '0')}`))
  await db.putMany(keys.map((k) => [k, k]))

  let turns = 0
  let done = false
  const turn = () => {
    if (done) return
    turns++
    setImmediate(turn)
  }
  const gets = keys.map((k) => db.get(k)) // all issued in one tick
  let turnsBeforeLast = -1
  void gets[0].then(() => setImmediate(turn))
  void gets.at(-1)!.then(() => (turnsBeforeLast = turns))
  const values = await Promise.all(gets)
  done = true
  values.forEach((v, i) => expect(v).toEqual(keys[i]))
  // Settled all at once, no turn of the loop could come between the first
  // get's answer and the last one's.
  expect(turnsBeforeLast).toBeGreaterThan(0)
  // 2,048 settle per budget, whichever batches they came in; a turn of the
  // loop may spend one in its poll phase and one more in its check phase
  expect(turns).toBeGreaterThanOrEqual(Math.floor(keys.length / (2 * 2048)) - 1)
})
