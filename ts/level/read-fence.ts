/**
 * abstract-level asks that a read not see a write issued after it. Our reads
 * run on the thread pool, each in a read transaction begun when the pool
 * gets to it, and by then a write issued after the read may have committed.
 * A snapshot per read would prevent that but costs more than the read, so
 * instead a write through the database waits until the reads issued before
 * it have settled. Reads are counted in groups, one per stretch of
 * synchronous code; writes keep their order among themselves.
 */
export class ReadFence {
  /** The group of the stretch of code running now, if it has read. */
  #current: Group | undefined
  /** Groups whose reads have not all settled. */
  readonly #unsettled = new Set<Group>()
  /** The last write made to wait, while it has not settled: later writes go after it. */
  #lastHeld: Promise<void> | undefined

  read<R>(read: () => Promise<R>): Promise<R> {
    let group = this.#current
    if (group === undefined) {
      const opened = (group = this.#current = new Group(() => this.#unsettled.delete(opened)))
      this.#unsettled.add(opened)
      queueMicrotask(() => {
        this.#current = undefined
        opened.over()
      })
    }
    return group.run(read)
  }

  write<R>(write: () => Promise<R>): Promise<R> {
    if (this.#unsettled.size === 0 && this.#lastHeld === undefined) return write()
    const before: Promise<void>[] = [...this.#unsettled].map((group) => group.settled)
    if (this.#lastHeld !== undefined) before.push(this.#lastHeld)
    const written = Promise.all(before).then(write)
    const held = (this.#lastHeld = written.then(settled, settled))
    void held.then(() => {
      if (this.#lastHeld === held) this.#lastHeld = undefined
    })
    return written
  }

  /** Settles once the reads and the writes made to wait so far have. */
  async idle(): Promise<void> {
    await Promise.all([...[...this.#unsettled].map((group) => group.settled), this.#lastHeld])
  }
}

const settled = (): void => undefined

/** The reads of one stretch of code: `settled` once it is over and they all have. */
class Group {
  readonly settled: Promise<void>
  #resolve!: () => void
  #pending = 0
  #over = false

  constructor(readonly onSettled: () => void) {
    this.settled = new Promise((resolve) => (this.#resolve = resolve))
  }

  async run<R>(read: () => Promise<R>): Promise<R> {
    this.#pending++
    try {
      return await read()
    } finally {
      this.#pending--
      this.#settleIfDone()
    }
  }

  /** The stretch of code that could add reads is over. */
  over(): void {
    this.#over = true
    this.#settleIfDone()
  }

  #settleIfDone(): void {
    if (this.#over && this.#pending === 0) {
      this.onSettled()
      this.#resolve()
    }
  }
}
