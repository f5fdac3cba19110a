/**
 * abstract-level asks that a read see the database as it was when the read
 * was called, not as it is when the read reaches the thread pool: a write
 * issued just after it must not show. The reads (get, getMany, has,
 * hasMany) called in one stretch of synchronous code share one snapshot,
 * taken by the first of them, and closed when the stretch is over and all of
 * them have settled.
 */
import type { Environment, Snapshot } from '../index.js'

export class TickSnapshots {
  #current: Tick | undefined

  /** Runs `read` in the snapshot of this stretch of code, taking it if it is the first read. */
  read<R>(env: Environment, read: (snapshot: Snapshot) => Promise<R>): Promise<R> {
    let tick = this.#current
    if (tick === undefined) {
      const taken = (tick = this.#current = new Tick(env.snapshot()))
      queueMicrotask(() => {
        this.#current = undefined
        taken.over()
      })
    }
    return tick.run(read)
  }
}

class Tick {
  #pending = 0
  #over = false

  constructor(readonly snapshot: Snapshot) {}

  async run<R>(read: (snapshot: Snapshot) => Promise<R>): Promise<R> {
    this.#pending++
    try {
      return await read(this.snapshot)
    } finally {
      this.#pending--
      this.#closeIfDone()
    }
  }

  /** The stretch of code that could add reads is over. */
  over(): void {
    this.#over = true
    this.#closeIfDone()
  }

  #closeIfDone(): void {
    if (this.#over && this.#pending === 0) this.snapshot.close()
  }
}
