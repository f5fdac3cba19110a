// kill -9 in the middle of writing: a child process (fixtures/durable-writer.mjs)
// issues puts, putMany batches and transactions, several at once, and reports
// each once its promise resolved; it is killed at a random moment, then this
// process opens the environment and reads everything back. The same folder
// is written again by the next round's child, as after a real crash.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { open } from 'lmdb-napi'
import { rounds, tempDir } from './helpers.js'

const WRITER = fileURLToPath(new URL('./fixtures/durable-writer.mjs', import.meta.url))
const STRESS = Boolean(process.env.LMDB_NAPI_STRESS)
// LMDB_NAPI_SEED=<n> replays a run (the kill moments are timing, not seeded).
const BASE_SEED = Number(process.env.LMDB_NAPI_SEED ?? Math.floor(Math.random() * 2 ** 31))

/** mulberry32, as in the fixture. */
function prng(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Kind = 'put' | 'batch' | 'txn'
/** Acknowledged writes of one folder, all rounds so far: id → entries. */
type Acks = Map<string, { kind: Kind; k: number }>

interface Round {
  dir: string
  seed: number
  sync: boolean
  tag: string
  mapSize: number
  killAfterMs: number
}

const describe = (r: Round) =>
  `round ${r.tag} (base seed ${BASE_SEED}, writer seed ${r.seed}, sync ${r.sync}, mapSize ${r.mapSize}, kill ${r.killAfterMs} ms after the first ack)`

/** Runs the writer until `killAfterMs` after its first ack, kills it, adds its acks to `acks`. */
async function killWriter(round: Round, acks: Acks): Promise<void> {
  const args = [WRITER, round.dir, String(round.seed), round.sync ? '1' : '0', round.tag, String(round.mapSize)]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = '' // and any stray output
  let buffered = ''
  let killTimer: NodeJS.Timeout | undefined
  // A child that never acks is killed too, and the round fails below.
  const silence = setTimeout(() => child.kill('SIGKILL'), 30_000)
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk
    const lines = buffered.split('\n')
    buffered = lines.pop() ?? ''
    for (const line of lines) {
      const [word, kind, id, k] = line.split(' ')
      if (word !== 'ack') stderr += `unexpected output ${JSON.stringify(line)}\n`
      else acks.set(id, { kind: kind as Kind, k: Number(k) })
      if (killTimer === undefined) {
        clearTimeout(silence)
        killTimer = setTimeout(() => child.kill('SIGKILL'), round.killAfterMs)
      }
    }
  })
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('close', (c, s) => resolve([c, s])),
  )
  clearTimeout(silence)
  clearTimeout(killTimer)
  expect(stderr, describe(round)).toBe('')
  expect(killTimer, `${describe(round)}: no write acknowledged`).toBeDefined()
  // Windows has no signals: kill() terminates the process and Node reports the signal it sent.
  expect({ code, signal }, describe(round)).toEqual({ code: null, signal: 'SIGKILL' })
}

/**
 * Opens the folder and lists what is wrong with it: an entry that does not
 * say what its key says, a batch or transaction with entries missing, a
 * hole in a round's order of writes, and (`durable`) an acked write missing.
 */
async function problems(dir: string, acks: Acks, durable: boolean): Promise<string[]> {
  const found: string[] = []
  const writes = new Map<string, { kind: Kind; k: number; seen: Set<number> }>()
  await using env = open(dir)
  const names = await env.databases()
  for (const name of names) if (name !== 'main' && name !== 'side') found.push(`unexpected database ${name}`)
  for (const name of ['main', 'side'] as const) {
    if (!names.includes(name)) continue
    const db = env.openDb(name, { keyCoder: 'string', valueCoder: 'string', create: false })
    for await (const [key, value] of db.range()) {
      const m = /^(put|batch|txn) (\S+) (\d+) (\d+) (main|side) (\d+) ([a-z]*)$/.exec(value)
      if (!m) {
        found.push(`${name} ${key}: not a value of the writer (${JSON.stringify(value.slice(0, 80))})`)
        continue
      }
      const [, kind, id, k, i, db, length, pad] = m
      const letter = String.fromCharCode(97 + (Number(i) % 26))
      if (key !== `${kind}/${id}/${i}` || db !== name || Number(i) >= Number(k) || pad !== letter.repeat(Number(length))) {
        found.push(`${name} ${key}: value of another entry or damaged (${JSON.stringify(value.slice(0, 80))})`)
        continue
      }
      const write = writes.get(id) ?? { kind: kind as Kind, k: Number(k), seen: new Set() }
      writes.set(id, write)
      if (write.kind !== kind || write.k !== Number(k)) found.push(`${id}: entries disagree on its kind or size`)
      write.seen.add(Number(i))
    }
  }
  for (const [id, write] of writes) {
    if (write.seen.size !== write.k) found.push(`${write.kind} ${id}: ${write.seen.size} of its ${write.k} entries (torn)`)
  }
  // Writes take effect in the order issued, so what a round left is its first
  // n writes (a transaction that filled the map included: autoGrow applies
  // it again in its place).
  const seqs = new Map<string, number[]>()
  for (const id of writes.keys()) {
    const [tag, seq] = id.split('.')
    seqs.set(tag, [...(seqs.get(tag) ?? []), Number(seq)])
  }
  for (const [tag, list] of seqs) {
    list.sort((a, b) => a - b)
    const hole = list.findIndex((seq, index) => seq !== index)
    if (hole !== -1) found.push(`round ${tag}: write ${hole} missing, later ones (${list[hole]}) present`)
  }
  if (durable) {
    for (const [id, ack] of acks) {
      const write = writes.get(id)
      if (!write) found.push(`acked ${ack.kind} ${id} missing`)
      else if (write.kind !== ack.kind || write.k !== ack.k) found.push(`acked ${ack.kind} ${id} of ${ack.k} found as ${write.kind} of ${write.k}`)
    }
  }
  return found.slice(0, 20)
}

/**
 * `count` rounds in two lanes at once, each lane with its own folder, which a
 * round starts afresh now and then (otherwise it writes over the last one's).
 */
async function killRounds(count: number, sync: boolean, salt: number): Promise<void> {
  const random = prng(BASE_SEED ^ salt)
  let next = 0
  async function lane(laneNo: number): Promise<void> {
    let dir = ''
    let acks: Acks = new Map()
    for (let n = next++; n < count; n = next++) {
      if (dir === '' || random() < 0.2) {
        dir = tempDir()
        acks = new Map()
      }
      // Now and then a small map, so the kill can find it growing.
      const grow = random() < 0.25
      const round: Round = {
        dir,
        seed: Math.floor(random() * 2 ** 31),
        sync,
        tag: `r${n}l${laneNo}`,
        mapSize: grow ? 256 * 1024 : 0,
        killAfterMs: 20 + Math.floor(random() * 280),
      }
      await killWriter(round, acks)
      expect(await problems(dir, acks, sync), describe(round)).toEqual([])
    }
  }
  await Promise.all([lane(0), lane(1)])
}

const DURABLE_ROUNDS = rounds(50, 1000)
it(`keeps every acknowledged write, and no batch or transaction in part, over ${DURABLE_ROUNDS} kill -9 rounds`, async () => {
  await killRounds(DURABLE_ROUNDS, true, 0x5eed)
}, STRESS ? 0 : 150_000)

const NOSYNC_ROUNDS = rounds(5, 100)
it(`with sync: false, leaves no batch or transaction in part over ${NOSYNC_ROUNDS} kill -9 rounds`, async () => {
  await killRounds(NOSYNC_ROUNDS, false, 0xa5a5)
}, STRESS ? 0 : 60_000)
