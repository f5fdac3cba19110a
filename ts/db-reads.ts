/**
 * A database's async reads over a read source: the environment's read
 * queue (`Database`) or a snapshot's (`Snapshot`). One implementation of
 * each read serves both.
 * @internal
 */
import { Op } from './batch.js'
import type { Input } from './coders/index.js'
import type { DbEncoding } from './encoding.js'
import type { NativeRangeOptions } from './native.js'
import { abortable, checkAbortOptions, type AbortOptions } from './abort.js'
import { iterable } from './options.js'
import { checkRangeOptions, nativeRange, nativeRangeSync, type ChunkSource, type RangeIterable, type RangeIterableSync, type RangeOptions } from './range.js'
import type { ReadAnswer, ReadQueue } from './read-queue.js'

/** Opens where a range's chunks come from, given its encoded options. */
export type RangeOpener = (options: NativeRangeOptions) => ChunkSource

/** What a range yields per entry. */
export type Shape = 'entries' | 'keys' | 'values'

export function get<K, V>(enc: DbEncoding<K, V>, reads: ReadQueue, key: Input<K>, defaultValue: unknown): Promise<unknown> {
  // not `async`: one promise per get (it still never throws)
  try {
    const wire = enc.wire()
    const k = enc.key(key)
    // without a default (the common case) one function serves every get
    const take =
      defaultValue === undefined
        ? (wire.take ??= (answer) => (answer === undefined ? undefined : enc.decode(answer, wire)))
        : (answer: ReadAnswer) => (answer === undefined ? defaultValue : enc.decode(answer, wire))
    return reads.one(Op.Get, enc.ref, k, wire.codec, take)
  } catch (error) {
    return Promise.reject(error)
  }
}

export async function getMany<K, V>(
  enc: DbEncoding<K, V>,
  reads: ReadQueue,
  keys: Iterable<Input<K>>,
  options?: AbortOptions,
): Promise<(V | undefined)[]> {
  const signal = checkAbortOptions('getMany()', options)
  signal?.throwIfAborted()
  const wire = enc.wire()
  // a copy: the keys are those of the call, whatever happens to the array after it
  const list: Input<K>[] = Array.isArray(keys) ? keys.slice() : Array.from(iterable(keys))
  return reads.many(
    enc.ref,
    list,
    (key) => enc.key(key),
    wire.codec,
    (answer) => (answer === undefined ? undefined : enc.decode(answer, wire)),
    signal,
  )
}



export async function has<K, V>(enc: DbEncoding<K, V>, reads: ReadQueue, key: Input<K>): Promise<boolean> {
  return found(await reads.read(Op.Has, enc.ref, [enc.key(key)]))
}

/** A `has` answer: found, absent, or the read's error. */
export function found([answer]: ReadAnswer[]): boolean {
  if (answer instanceof Error) throw answer
  return answer !== undefined
}

export function range<K, V>(enc: DbEncoding<K, V>, options: RangeOptions<K>, open: RangeOpener, shape: 'entries', check?: () => void, readAhead?: boolean): RangeIterable<[K, V]>
export function range<K, V>(enc: DbEncoding<K, V>, options: RangeOptions<K>, open: RangeOpener, shape: 'keys', check?: () => void, readAhead?: boolean): RangeIterable<K>
export function range<K, V>(enc: DbEncoding<K, V>, options: RangeOptions<K>, open: RangeOpener, shape: 'values', check?: () => void, readAhead?: boolean): RangeIterable<V>
export function range<K, V>(
  enc: DbEncoding<K, V>,
  options: RangeOptions<K>,
  open: RangeOpener,
  shape: Shape,
  check = () => enc.open(),
  readAhead = true,
): RangeIterable<unknown> {
  return nativeRange(starter(enc, options, open, shape, readAhead), check, signalOf(options))
}

/** `range`, read synchronously (`db.rangeSync`). */
export function rangeSync<K, V>(enc: DbEncoding<K, V>, options: RangeOptions<K>, open: RangeOpener, shape: 'entries'): RangeIterableSync<[K, V]>
export function rangeSync<K, V>(enc: DbEncoding<K, V>, options: RangeOptions<K>, open: RangeOpener, shape: 'keys'): RangeIterableSync<K>
export function rangeSync<K, V>(enc: DbEncoding<K, V>, options: RangeOptions<K>, open: RangeOpener, shape: 'values'): RangeIterableSync<V>
export function rangeSync<K, V>(enc: DbEncoding<K, V>, options: RangeOptions<K>, open: RangeOpener, shape: Shape): RangeIterableSync<unknown> {
  return nativeRangeSync(starter(enc, options, open, shape, false), () => enc.open(), signalOf(options))
}

/** How an iteration starts: options are encoded and coders chosen then, so bad options fail it, not the call. */
function starter<K, V>(enc: DbEncoding<K, V>, options: RangeOptions<K>, open: RangeOpener, shape: Shape, readAhead: boolean) {
  return () => {
    enc.open()
    const wire = enc.wire()
    return { native: open(rangeOptions(enc, options, wire.codec, shape)), decode: enc.entryDecoder(shape, wire), readAhead }
  }
}

const signalOf = (options: RangeOptions<unknown> | undefined) => (options?.signal instanceof AbortSignal ? options.signal : undefined)

/** How many entries `range(options)` would give, counted natively (`countIn`) without reading them out. */
export async function count<K, V>(
  enc: DbEncoding<K, V>,
  options: RangeOptions<K>,
  countIn: (options: NativeRangeOptions) => Promise<number>,
): Promise<number> {
  enc.open()
  return abortable(countIn(rangeOptions(enc, options, 0, 'keys')), signalOf(options))
}

function rangeOptions<K, V>(enc: DbEncoding<K, V>, options: RangeOptions<K>, codec: number, shape: Shape): NativeRangeOptions {
  checkRangeOptions(options)
  const bound = (k: Input<K> | undefined) => (k === undefined ? undefined : Buffer.from(enc.key(k)))
  return {
    gt: bound(options.gt),
    gte: bound(options.gte),
    lt: bound(options.lt),
    lte: bound(options.lte),
    prefix: options.prefix === undefined ? undefined : Buffer.from(enc.prefix(options.prefix)),
    reverse: options.reverse === true,
    limit: options.limit,
    offset: options.offset,
    keys: shape !== 'values',
    values: shape !== 'keys',
    codec,
  }
}
