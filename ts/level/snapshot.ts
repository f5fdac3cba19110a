import { AbstractSnapshot } from 'abstract-level'
import type { Snapshot } from '../index.js'

/**
 * `db.snapshot()` of an {@link LmdbLevel}: a read view taken when it is
 * made, passed as `{ snapshot }` to `get`, `getMany`, `has`, `hasMany`,
 * `getSync`, the iterators and `clear`. Close it when done.
 */
export class LmdbLevelSnapshot extends AbstractSnapshot {
  /**
   * The lmdb-napi {@link Snapshot} it reads: its read transaction began
   * when `db.snapshot()` was called. Read through it as you like, but leave
   * closing it to this snapshot's `close()`.
   */
  readonly snapshot: Snapshot

  /** @internal Use `db.snapshot()`. */
  constructor(options: object, snapshot: Snapshot) {
    // (abstract-level's types declare no constructor arguments; it takes its options, naming the owner)
    super(...([options] as unknown as []))
    this.snapshot = snapshot
  }

  /** @internal Called once by `close()`, after the reads in flight. */
  async _close(): Promise<void> {
    this.snapshot.close()
  }
}
