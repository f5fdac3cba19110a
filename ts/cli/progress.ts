/**
 * Progress of long commands, on a terminal only: a bar with counts and rate
 * on stderr (cli-progress), nothing when stderr is not a terminal or with
 * `--quiet`, so pipes and logs stay clean.
 */
import { Presets, SingleBar } from 'cli-progress'

export interface Progress {
  /** Moves the bar to `value` (of the total). */
  update(value: number): void
  /** Moves the bar on by `delta`. */
  add(delta: number): void
  stop(): void
}

const silent: Progress = { update() {}, add() {}, stop() {} }

/** A bar for `total` units, or a silent one. */
export function progress(label: string, total: number, unit: string, quiet: boolean): Progress {
  if (quiet || !process.stderr.isTTY || total <= 0) return silent
  const bar = new SingleBar(
    {
      format: `${label} {bar} {percentage}% | {value}/{total} ${unit} | {speed} ${unit}/s | {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  )
  const started = Date.now()
  let value = 0
  bar.start(total, 0, { speed: 0 })
  const set = (v: number) => {
    value = v
    const seconds = (Date.now() - started) / 1000
    bar.update(v, { speed: seconds > 0 ? Math.round(v / seconds) : 0 })
  }
  return {
    update: set,
    add: (delta) => set(value + delta),
    stop: () => bar.stop(),
  }
}
