/**
 * `AbortSignal`s of long calls (`getMany`, ranges, `env.read`,
 * `env.transaction`, `copy`): an abort rejects the call at once with the
 * signal's reason, and what has not started does not start. Work already
 * on a native thread finishes there; its result is dropped.
 */

import { checkOptions } from './options.js'

/** Options of a call that can be aborted. */
export interface AbortOptions {
  /**
   * Aborting rejects the call with the signal's reason (an `AbortError`
   * unless `abort(reason)` gave one); what it has not started does not start.
   */
  signal?: AbortSignal
}

/** Checks `options` of `where` (only `signal`); the signal, if any. */
export function checkAbortOptions(where: string, options: AbortOptions | undefined): AbortSignal | undefined {
  return checkSignal(where, checkOptions(where, options, { signal: 'any' }).signal)
}

/** A `signal` option: `undefined`, or an `AbortSignal` (else a TypeError naming the call). */
export function checkSignal(where: string, signal: unknown): AbortSignal | undefined {
  if (signal === undefined || signal instanceof AbortSignal) return signal
  throw new TypeError(`${where}: signal must be an AbortSignal`)
}

/**
 * `promise`, or its signal's reason as soon as the signal aborts;
 * `onAbort` runs then (once), to give back what the call holds.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, onAbort?: () => void): Promise<T> {
  if (signal === undefined) return promise
  if (signal.aborted) {
    promise.catch(() => undefined) // settles unwatched
    onAbort?.()
    return Promise.reject(signal.reason)
  }
  return new Promise<T>((resolve, reject) => {
    const aborted = () => {
      promise.catch(() => undefined)
      onAbort?.()
      reject(signal.reason)
    }
    signal.addEventListener('abort', aborted, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', aborted)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', aborted)
        reject(error)
      },
    )
  })
}
