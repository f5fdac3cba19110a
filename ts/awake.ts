/**
 * Keeps the event loop awake for a moment after a call is sent to another
 * thread (a read batch to the pool, a transaction's step to the writer), so
 * that its answer is taken the moment it lands.
 *
 * An answer reaches this thread through libuv, which finds it when it
 * polls for I/O. A thread asleep in that poll is woken by the kernel, and on
 * a virtual machine waking an idle CPU costs more than the read itself:
 * about half of a ~45 µs round trip measured on our builders. While calls
 * are out, for at most `AWAKE_MS` after the last was sent, an immediate is
 * kept pending so that libuv polls without sleeping; each turn of the loop
 * still runs timers and I/O as usual. A call slower than that (pages coming
 * from the disk, a commit's sync) is waited for asleep, as any other.
 */

/** How long after a call is sent the loop stays awake for its answer. */
const AWAKE_MS = 0.1

/** Calls sent and not yet answered, on this thread. */
let out = 0
let until = 0
let turning = false

/** A call was sent to another thread; its answer is expected soon. */
export function sent(): void {
  out++
  until = performance.now() + AWAKE_MS
  if (!turning) {
    turning = true
    setImmediate(turn)
  }
}

/** A call's answer came. */
export function answered(): void {
  out--
}

/** Awaits the answer of a call just sent, with the loop awake for it. */
export async function answer<T>(call: Promise<T>): Promise<T> {
  sent()
  try {
    return await call
  } finally {
    answered()
  }
}

function turn(): void {
  turning = out > 0 && performance.now() < until
  if (turning) setImmediate(turn)
}
