/**
 * How one database's keys and values cross to native code: its coders run
 * here, with the checks every call makes before anything is queued, and
 * each write is encoded into one operation that packing cannot fail.
 * `Database`, `Transaction`, cursors, snapshots and `Environment.batch`
 * all go through a database's `DbEncoding`.
 * @internal
 */
import { BatchBuilder, Op, OpFlag, type OpParts } from './batch.js'
import { CompressedCoder, TextCoder, type Coder } from './coder.js'
import type { Input } from './coders/index.js'
import { IdentityCoder } from './coders/identity.js'
import { StringCoder } from './coders/string.js'
import { MsgPackCoder, packed, packIn, release } from './coders/msgpack.js'
import type { Database } from './database.js'
import { copiesOut, inPlace, type InPlace } from './decode-in.js'
import type { Environment } from './environment.js'
import { BadValsizeError, ClosedError, CoderError, ReadonlyError } from './errors.js'
import { fromNative } from './native-error.js'
import type { DbRef, NativeEnv } from './native.js'
import { checkOptions, describe, type Rule } from './options.js'
import { pair, type EntryDecoder } from './range.js'
import type { ReadAnswer, ReadQueue } from './read-queue.js'
import { storeOf } from './structure-store.js'
import type { Ensures, Structures } from './structures.js'
import type { SyncReads } from './sync-reads.js'
import type { DbOptions, IfValueOptions, PutEntry, PutOptions } from './types.js'
import type { Block } from './view.js'
import type { UnitResult, WriteQueue } from './write-queue.js'

/** Key of `Database[encoding]`. */
export const encoding = Symbol('lmdb-napi.encoding')

/** What a database needs of its environment. */
export interface EnvLink {
  readonly native: NativeEnv
  readonly reads: ReadQueue
  readonly sync: SyncReads
  readonly writes: WriteQueue
  readonly maxKeySize: number
  readonly readonly: boolean
  readonly closed: boolean
}

/** The flags a database was created with. */
export type DbFlags = Required<Pick<DbOptions, 'dupSort' | 'dupFixed' | 'integerKey' | 'integerDup' | 'reverseKey' | 'reverseDup'>>

/** How values cross to native code: see `DbEncoding.wire`. */
export interface Wire<V> {
  coder: Coder<V>
  codec: number
  level: number
  /** The coder, when it is a text coder whose stored form is `serializeText`'s: a put packs the string itself. */
  text?: TextCoder<V>
  /** A `get`'s value out of its answer, made once. */
  take?: (answer: ReadAnswer) => V | undefined
  /** The coder's decoding in place, if it has one (see `decode-in.ts`), and that of a range's values. */
  inPlace?: InPlace<V>
  scanInPlace?: InPlace<V>
  /** The coder, when it is a text coder whose stored form is read by `deserializeText`: a sync get hands it a string made natively. */
  textOut?: TextCoder<V>
  /** The coder, when it is a MessagePack coder whose stored form is its own: a put packs msgpackr's bytes where they were written. */
  msgpack?: MsgPackCoder<V>
  /** A records coder's shared structures, bound to this database. */
  structures?: Structures
}

/** One operation, encoded and checked: packing it cannot fail. */
export interface Encoded extends OpParts {
  /** Shared structures its value may use that are not known to be stored (records). */
  readonly ensures?: Ensures
}

/**
 * The one operation `DbEncoding.put(…, now)` fills, for a `put` or a
 * `putMany` entry, packed at once: a burst of puts makes no object per put
 * (~110 bytes each, half of what a records put allocated), so it fills the
 * young generation less often, whose collection copies whatever is alive then.
 */
const NOW: { -readonly [P in keyof Encoded]: Encoded[P] } = {
  kind: Op.Put, flags: 0, ref: { dbi: 0, gen: 0 }, key: '', value: undefined, valueStart: 0, valueEnd: undefined, codec: 0, level: 0, expect: undefined, ensures: undefined,
}

/** Packs an encoded operation into `builder` as a unit of its own, behind its ensures; answers them. */
export function pack(builder: BatchBuilder, unit: number, op: Encoded): Ensures | undefined {
  if (op.ensures) packEnsures(builder, unit, op.ensures)
  builder.pushOp(unit, op)
  return op.ensures
}

/**
 * Packs the entries of a `putMany` of one database as one unit, each as it
 * is encoded (its value copied while msgpackr's bytes are fresh, and their
 * room given back: see `giveBack`). The ensures go last, once every value
 * is encoded (the core applies them first wherever they stand); answers
 * them. Throws what encoding an entry throws. `part`, for a unit sent in
 * parts, is called after each entry (see `WriteQueue.sendInParts`).
 */
export function packEntries<K, V>(builder: BatchBuilder, unit: number, enc: DbEncoding<K, V>, entries: readonly PutEntry<Input<K>, Input<V>>[], flags: number, part?: () => void): Ensures | undefined {
  let ensures: Ensures | undefined
  const from = builder.bytes
  for (let i = 0; i < entries.length; i++) {
    const op = putEntry(enc, entries[i], flags, true)
    builder.pushOp(unit, op)
    giveBack(op)
    // the room the rest will likely take, as the first took (capped: a large
    // first value says little of the others, which grow the buffer as ever;
    // a unit sent in parts needs a part's room)
    if (i === 0) builder.reserve(Math.min(Math.ceil((builder.bytes - from) * (entries.length - 1) * 1.25), part ? PART_ROOM : RESERVE_CAP))
    // the last covers those before it (encoded in one stretch)
    ensures = op.ensures ?? ensures
    part?.()
  }
  if (ensures) packEnsures(builder, unit, ensures)
  return ensures
}

/** The most a `putMany` reserves ahead from its first entry (`packEntries`), and one sent in parts. */
const RESERVE_CAP = 64 * 1024 * 1024
const PART_ROOM = 320 * 1024

/**
 * Once `op` is packed: msgpackr may write its next value where `op`'s value
 * was (see `msgpack.ts`). Only right after the packing, with nothing packed
 * since `op`'s value was encoded.
 */
export function giveBack(op: Encoded): void {
  if (op.valueEnd !== undefined) release(op.valueStart!, op.valueEnd)
}

/**
 * Packs operations as one unit. Ensures go at its head (the core applies
 * them first and gives the unit the rest's result): of each database's, the
 * last, which covers those before it (encoded in one stretch, or confirmed).
 */
export function packUnit(builder: BatchBuilder, unit: number, ops: readonly Encoded[]): void {
  let heads: Map<Structures, Ensures> | undefined
  for (const op of ops) if (op.ensures) (heads ??= new Map()).set(op.ensures.structures, op.ensures)
  if (heads) for (const ensures of heads.values()) packEnsures(builder, unit, ensures)
  for (const op of ops) builder.pushOp(unit, op)
}

/** The ensures of a unit of one database's operations: the last, which covers the others. */
export function lastEnsures(ops: readonly Encoded[]): Ensures | undefined {
  for (let i = ops.length - 1; i >= 0; i--) if (ops[i].ensures) return ops[i].ensures
  return undefined
}

/** Every write of a tick may carry the same ensures (see `Structures.ensures`): they are packed once. */
export function packEnsures(builder: BatchBuilder, unit: number, ensures: Ensures): void {
  builder.pushEnsures(packedEnsures(ensures), ensures.list.length, unit)
}

/** The `Op.Ensure`s of `ensures`, packed at the first call. */
function packedEnsures(ensures: Ensures): Uint8Array {
  if (ensures.packed === undefined) {
    const once = new BatchBuilder()
    for (let i = 0; i < ensures.list.length; i++) once.push(Op.Ensure, 0, 0, ensures.ref, ensures.keys[i], ensures.list[i])
    ensures.packed = Buffer.from(once.take())
  }
  return ensures.packed
}

const EMPTY = new Uint8Array(0)

/** LMDB takes no empty key (`emptyAllowed`: a key to seek from) and none over `maxKeySize`. */
export function checkKeySize(size: number, maxKeySize: number, emptyAllowed = false): void {
  if (size === 0 && !emptyAllowed) throw new BadValsizeError('a key cannot be empty')
  if (size > maxKeySize) throw new BadValsizeError(`a key of ${size} bytes is longer than maxKeySize() (${maxKeySize})`)
}

/** A key given as text (see `DbEncoding.keyText`): its UTF-8 is not empty and fits `maxKeySize`. */
export function checkKeyText(text: string, maxKeySize: number): void {
  // a UTF-16 unit takes 1 to 3 bytes of UTF-8: measure only when that may not fit
  if (text.length === 0 || text.length * 3 > maxKeySize) checkKeySize(Buffer.byteLength(text, 'utf8'), maxKeySize)
}

/** An operation's key as bytes, where a caller needs them (a write packs a text key as it is). */
export function keyBytes(op: Encoded): Uint8Array {
  return typeof op.key === 'string' ? Buffer.from(op.key, 'utf8') : op.key
}

/** An operation's value as bytes (see `keyBytes`). */
export function valueBytes(op: Encoded): Uint8Array | undefined {
  const { value } = op
  if (typeof value === 'string') return Buffer.from(value, 'utf8')
  return value === undefined || op.valueEnd === undefined ? value : value.subarray(op.valueStart, op.valueEnd)
}

/** The encoding of `db`; a TypeError when `db` is not a database of this library. */
export function encodingOf<K, V>(db: Database<K, V>): DbEncoding<K, V> {
  const enc = (db as Partial<Database<K, V>> | null | undefined)?.[encoding]
  if (!(enc instanceof DbEncoding)) throw new TypeError(`expected a Database of lmdb-napi, not ${describe(db)}`)
  return enc
}

export class DbEncoding<K, V> {
  readonly ref: DbRef
  readonly link: EnvLink
  readonly #db: Database<K, V>
  #wireOf: { coder: Coder<V>; wire: Wire<V> } | undefined
  /** Whether the database is dupSort, once asked: flags are fixed when it is created. */
  #dupSort: boolean | undefined
  /** The key coder `keyText` last saw, and it as a `TextCoder` whose text it may hand out. */
  #keyCoder: Coder<K> | undefined
  #textKeys: TextCoder<K> | undefined
  /** The key coder's decoding in place, for `#keyCoder`. */
  #keysInPlace: InPlace<K> | undefined

  constructor(db: Database<K, V>, link: EnvLink, ref: DbRef) {
    this.#db = db
    this.link = link
    this.ref = ref
  }

  get env(): Environment {
    return this.#db.env
  }

  /** Throws `ClosedError` once the environment is closed. */
  open(): void {
    if (this.link.closed) throw new ClosedError()
  }

  /** `open()`, and refuses writes to a read-only environment. */
  writable(): void {
    this.open()
    if (this.link.readonly) throw new ReadonlyError('the environment is read-only')
  }

  /** A key's bytes; `emptyAllowed` for a key to seek from (it comes before every key). */
  key(key: Input<K>, emptyAllowed = false): Uint8Array {
    this.open()
    const bytes = this.#serialize(this.#db.keyCoder, key as K)
    checkKeySize(bytes.length, this.link.maxKeySize, emptyAllowed)
    return bytes
  }

  /**
   * A key's text, when the key coder stores a string's UTF-8 (a `TextCoder`
   * that leaves `serialize` alone): the caller writes it where it goes and
   * checks its size with `checkKeySize`. `undefined` for other coders: use `key()`.
   */
  keyText(key: Input<K>): string | undefined {
    this.open()
    const coder = this.#db.keyCoder
    if (coder !== this.#keyCoder) {
      // asked again only when `keyCoder` was replaced: this runs on every getSync
      this.#keyCoderSeen(coder)
    }
    const textKeys = this.#textKeys
    if (textKeys === undefined) return undefined
    let text: unknown
    try {
      text = textKeys.serializeText(key as K)
    } catch (error) {
      throw new CoderError(coder.name, this.#db.name, error)
    }
    if (typeof text !== 'string') throw new CoderError(coder.name, this.#db.name, new TypeError('serializeText() must return a string'))
    return text
  }

  /** Notes what the key coder `coder` can do, when it was replaced. */
  #keyCoderSeen(coder: Coder<K>): void {
    this.#keyCoder = coder
    this.#textKeys = coder instanceof TextCoder && coder.serialize === TextCoder.prototype.serialize ? coder : undefined
    this.#keysInPlace = inPlace(coder)
  }

  /**
   * Whether the keys of `entries` are strings of the built-in string coder,
   * each after the one before: stored in that order (UTF-16's order is
   * UTF-8's but for characters beyond U+FFFF, and a reverse-key database
   * has its own, where a wrong answer costs speed only).
   */
  ascending(entries: readonly PutEntry<Input<K>, Input<V>>[]): boolean {
    if (Object.getPrototypeOf(this.#db.keyCoder) !== StringCoder.prototype) return false
    let last = ''
    for (const [key] of entries) {
      if (typeof key !== 'string' || key <= last) return false
      last = key
    }
    return true
  }

  /** A range's `prefix`: the key coder's bytes, which may be empty. */
  prefix(key: Input<K>): Uint8Array {
    return this.#serialize(this.#db.keyCoder, key as K)
  }

  /**
   * How values cross to native code: a compressed coder's inner coder makes
   * the bytes here, and the compression runs natively, off this thread.
   */
  wire(): Wire<V> {
    // made again only when `valueCoder` was replaced: this runs on every call
    const coder = this.#db.valueCoder
    if (this.#wireOf?.coder !== coder) {
      const inner = coder instanceof CompressedCoder ? coder.inner : coder
      // every field from the start: one shape for every database's wire, read on every call
      const wire: Wire<V> = {
        coder: inner,
        codec: coder instanceof CompressedCoder ? coder.algorithm : 0,
        level: coder instanceof CompressedCoder ? coder.level : 0,
        text: inner instanceof TextCoder && inner.serialize === TextCoder.prototype.serialize ? inner : undefined,
        take: undefined,
        inPlace: inPlace(inner),
        scanInPlace: inPlace(inner, true),
        textOut: copiesOut(inner) ? (inner as TextCoder<V>) : undefined,
        msgpack: inner instanceof MsgPackCoder && inner.serialize === MsgPackCoder.prototype.serialize ? inner : undefined,
        structures: inner instanceof MsgPackCoder ? inner.structures : undefined,
      }
      wire.structures?.bind(this.#db, () => storeOf(this.#db))
      this.#wireOf = { coder, wire }
    }
    return this.#wireOf.wire
  }

  /** A value's bytes, as stored before compression. */
  value(value: Input<V>, wire: Wire<V>): Uint8Array {
    return this.#serialize(wire.coder, value as V, this.#db.valueCoder)
  }

  /**
   * A put: every write of a value is encoded here (`flags` from `putFlags`,
   * `expect` from `expected`). `now`: into the one operation `NOW`, for a
   * caller that packs it before anything else is encoded.
   */
  put(key: Input<K>, value: Input<V>, flags: number, expect?: Uint8Array | null, now = false): Encoded {
    this.writable()
    const wire = this.wire()
    const k = this.#writeKey(key)
    let v: Uint8Array | string
    let start = 0
    let end: number | undefined
    if (wire.msgpack) {
      this.#packIn(wire.msgpack, value as V)
      v = packed.bytes
      start = packed.start
      end = packed.end
    } else {
      v = wire.text ? this.#text(wire.text, value as V) : this.value(value, wire)
    }
    const ensures = wire.structures?.ensures()
    // packed at the first write that carries them, not when its unit is
    // packed: by then a burst of puts has `BatchBuilder` optimized for text
    // keys alone, and the ensures' byte keys made V8 throw that code away
    if (ensures !== undefined) packedEnsures(ensures)
    if (!now) return { kind: Op.Put, flags, ref: this.ref, key: k, value: v, valueStart: start, valueEnd: end, codec: wire.codec, level: wire.level, expect, ensures }
    // filled only now that the coders are done: one of them may have put too
    const op = NOW
    op.flags = flags
    op.ref = this.ref
    op.key = k
    op.value = v
    op.valueStart = start
    op.valueEnd = end
    op.codec = wire.codec
    op.level = wire.level
    op.expect = expect
    op.ensures = ensures
    return op
  }

  /** A write's key: a text key coder's string (packed as its UTF-8 in place), checked, else `key()`. */
  #writeKey(key: Input<K>): Uint8Array | string {
    const text = this.keyText(key)
    if (text === undefined) return this.key(key)
    checkKeyText(text, this.link.maxKeySize)
    return text
  }

  /** A delete of `key`, or with `value` of that one pair (dupSort); `expect` from `expected`. */
  delete(key: Input<K>, value?: Input<V>, expect?: Uint8Array | null): Encoded {
    this.writable()
    const wire = this.wire()
    const k = this.key(key)
    const v = value === undefined ? undefined : this.value(value, wire)
    return { kind: Op.Delete, flags: 0, ref: this.ref, key: k, value: v, codec: wire.codec, level: wire.level, expect }
  }

  /**
   * `delete(key, second)`: on a dupSort database `second` is the value of
   * the one pair to delete; on any other it is the options (`ifValue`).
   * Which one is decided by the database, so that a value never passes for
   * options or the other way round.
   */
  deleteWith(key: Input<K>, second: unknown): Encoded {
    if (second === undefined) return this.delete(key)
    if (this.dupSort()) return this.delete(key, second as Input<V>)
    const proto: unknown = second !== null && typeof second === 'object' ? Object.getPrototypeOf(second) : undefined
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`delete(): a value to delete is for dupSort databases only; this one takes options ({ ifValue }), not ${describe(second)}`)
    }
    return this.delete(key, undefined, this.expected(checkCondition('delete()', second as IfValueOptions<Input<V>>)))
  }

  /**
   * A conditional write's expected value out of checked options: its bytes
   * as the value coder makes them (before compression, as stored values are
   * compared), `null` for "absent", `undefined` when there is no condition.
   */
  expected(options: IfValueOptions<Input<V>> | undefined): Uint8Array | null | undefined {
    if (options === undefined || !Object.hasOwn(options, 'ifValue')) return undefined
    if (this.dupSort()) throw new TypeError('ifValue is not supported on a dupSort database: a key has many values there')
    return options.ifValue === undefined ? null : this.value(options.ifValue, this.wire())
  }

  /** The shared structures of the value coder, if it writes records. */
  structures(): Structures | undefined {
    return this.wire().structures
  }

  /** Whether the database is dupSort (asked natively once). */
  dupSort(): boolean {
    return (this.#dupSort ??= this.flags().dupSort)
  }

  /** A put that answers the value it replaced. */
  replace(key: Input<K>, value: Input<V>): Encoded {
    this.writable()
    const wire = this.wire()
    const k = this.key(key)
    const v = this.value(value, wire)
    return { kind: Op.Replace, flags: 0, ref: this.ref, key: k, value: v, codec: wire.codec, level: wire.level, expect: undefined, ensures: wire.structures?.ensures() }
  }

  /** A delete of `key`'s first value that answers it. */
  pop(key: Input<K>): Encoded {
    this.writable()
    const k = this.key(key)
    return { kind: Op.Pop, flags: 0, ref: this.ref, key: k, value: undefined, codec: this.wire().codec, level: 0, expect: undefined }
  }

  /** Emptying the database (`flags` from `dropFlags`). */
  drop(flags: number): Encoded {
    this.writable()
    return { kind: Op.Drop, flags, ref: this.ref, key: EMPTY, value: undefined, codec: 0, level: 0, expect: undefined }
  }

  /** A stored value (or the read's failure) as `V`. */
  decode(answer: Buffer | Error, wire: Wire<V>): V {
    if (answer instanceof Error) {
      // a stored value that native code could not decompress is the coder's failure
      throw answer instanceof CoderError ? new CoderError(this.#db.valueCoder.name, this.#db.name, answer.cause) : answer
    }
    try {
      return wire.coder.deserialize(answer)
    } catch (error) {
      throw new CoderError(this.#db.valueCoder.name, this.#db.name, error)
    }
  }

  /** A replaced or popped value out of its unit's result. */
  decodeUnit(result: UnitResult, wire: Wire<V>): V | undefined {
    return result instanceof Uint8Array ? this.decode(result as Buffer, wire) : undefined
  }

  /** A stored value's text (see `Wire.textOut`) as `V`. */
  decodeText(text: string, coder: TextCoder<V>): V {
    try {
      return coder.deserializeText(text)
    } catch (error) {
      throw new CoderError(this.#db.valueCoder.name, this.#db.name, error)
    }
  }

  /** The value of `len` bytes of `block` from `at`, decoded in place where the coder can; `scan` for a range's. */
  decodeIn(block: Block, at: number, len: number, wire: Wire<V>, scan = false): V {
    const read = scan ? wire.scanInPlace : wire.inPlace
    if (read === undefined) return this.decode(block.view(at, len), wire)
    try {
      return read(block.data, at, at + len)
    } catch (error) {
      throw new CoderError(this.#db.valueCoder.name, this.#db.name, error)
    }
  }

  /** `decodeIn` of a key. */
  decodeKeyIn(block: Block, at: number, len: number): K {
    const coder = this.#db.keyCoder
    if (coder !== this.#keyCoder) this.#keyCoderSeen(coder)
    const read = this.#keysInPlace
    if (read === undefined) return this.decodeKey(block.view(at, len))
    try {
      return read(block.data, at, at + len)
    } catch (error) {
      throw new CoderError(coder.name, this.#db.name, error)
    }
  }

  decodeKey(bytes: Buffer): K {
    try {
      return this.#db.keyCoder.deserialize(bytes)
    } catch (error) {
      throw new CoderError(this.#db.keyCoder.name, this.#db.name, error)
    }
  }

  /** What a range yields per entry. Raw bytes skip the coders: a scan's cost is per entry. */
  entryDecoder(shape: 'entries' | 'keys' | 'values', wire: Wire<V>): EntryDecoder<unknown> {
    // one function per shape, with no calls through others: a scan's cost is per entry
    const rawKeys = Object.getPrototypeOf(this.#db.keyCoder) === IdentityCoder.prototype
    const rawValues = Object.getPrototypeOf(wire.coder) === IdentityCoder.prototype
    if (shape === 'keys') return rawKeys ? (block, keyAt, keyLen) => block.view(keyAt, keyLen) : (block, keyAt, keyLen) => this.decodeKeyIn(block, keyAt, keyLen)
    if (shape === 'values') {
      return rawValues ? (block, _keyAt, _keyLen, valueAt, valueLen) => block.view(valueAt, valueLen) : (block, _keyAt, _keyLen, valueAt, valueLen) => this.decodeIn(block, valueAt, valueLen, wire, true)
    }
    if (rawKeys && rawValues) return (block, keyAt, keyLen, valueAt, valueLen) => pair(block.view(keyAt, keyLen), block.view(valueAt, valueLen))
    if (rawKeys) return (block, keyAt, keyLen, valueAt, valueLen) => pair(block.view(keyAt, keyLen), this.decodeIn(block, valueAt, valueLen, wire, true))
    if (rawValues) return (block, keyAt, keyLen, valueAt, valueLen) => pair(this.decodeKeyIn(block, keyAt, keyLen), block.view(valueAt, valueLen))
    return (block, keyAt, keyLen, valueAt, valueLen) => pair(this.decodeKeyIn(block, keyAt, keyLen), this.decodeIn(block, valueAt, valueLen, wire, true))
  }

  /** The flags LMDB created the database with. */
  flags(): DbFlags {
    this.open()
    try {
      const f = this.link.native.dbFlags(this.ref.dbi, this.ref.gen)
      return {
        dupSort: f.dupSort === true,
        dupFixed: f.dupFixed === true,
        integerKey: f.integerKey === true,
        integerDup: f.integerDup === true,
        reverseKey: f.reverseKey === true,
        reverseDup: f.reverseDup === true,
      }
    } catch (error) {
      throw fromNative(error)
    }
  }

  /** A text coder's string for `value`, packed as UTF-8 by the batch builder. */
  #text(coder: TextCoder<V>, value: V): string {
    let text: unknown
    try {
      text = coder.serializeText(value)
    } catch (error) {
      throw new CoderError(this.#db.valueCoder.name, this.#db.name, error)
    }
    if (typeof text !== 'string') {
      throw new CoderError(this.#db.valueCoder.name, this.#db.name, new TypeError('serializeText() must return a string'))
    }
    return text
  }

  /** `packIn` of `value`, its failure the coder's. */
  #packIn(coder: MsgPackCoder<V>, value: V): void {
    try {
      packIn(coder, value)
    } catch (error) {
      throw new CoderError(this.#db.valueCoder.name, this.#db.name, error)
    }
  }

  /** `named` is the coder errors name (the compressed one, not its inner coder); looked up only on failure. */
  #serialize<T>(coder: Coder<T>, value: T, named: Coder<unknown> = coder): Uint8Array {
    let bytes: unknown
    try {
      bytes = coder.serialize(value)
    } catch (error) {
      throw new CoderError(named.name, this.#db.name, error)
    }
    if (!(bytes instanceof Uint8Array)) {
      throw new CoderError(named.name, this.#db.name, new TypeError('serialize() must return a Uint8Array'))
    }
    return bytes
  }
}

const PUT_OPTIONS: { readonly [K in keyof PutOptions]-?: Rule } = { noOverwrite: 'boolean', append: 'boolean', noDupData: 'boolean' }
const CONDITION: { readonly [K in keyof IfValueOptions<unknown>]-?: Rule } = { ifValue: 'any' }
const PUT_IF_OPTIONS = { ...PUT_OPTIONS, ...CONDITION }

/**
 * The wire flags of checked put options (of `put`, `putMany`, cursors'
 * `put`); `conditional` where `ifValue` is one of them (`put`, not the
 * others: a `putMany` entry carries its own).
 */
export function putFlags(options: PutOptions | undefined, conditional = false): number {
  if (options === undefined) return 0 // the hot path
  checkOptions('put()', options, conditional ? PUT_IF_OPTIONS : PUT_OPTIONS)
  return (
    (options.noOverwrite ? OpFlag.NoOverwrite : 0) |
    (options.append ? OpFlag.Append : 0) |
    (options.noDupData ? OpFlag.NoDupData : 0)
  )
}

/** Checks the condition of a `putMany` entry, a `delete` or a batch operation (`where`). */
export function checkCondition<V>(where: string, options: IfValueOptions<V> | undefined): IfValueOptions<V> | undefined {
  return options === undefined ? undefined : checkOptions(where, options, CONDITION)
}

/** One entry of `putMany`, encoded: a third element is its condition. `now` as for `DbEncoding.put`. */
export function putEntry<K, V>(enc: DbEncoding<K, V>, entry: PutEntry<Input<K>, Input<V>>, flags: number, now = false): Encoded {
  const [key, value, condition] = entry
  if (condition === undefined) return enc.put(key, value, flags, undefined, now)
  return enc.put(key, value, flags, enc.expected(checkCondition('putMany()', condition)), now)
}

/** The wire flags of checked `drop()` options. */
export function dropFlags(options: { delete?: boolean } | undefined): number {
  return checkOptions('drop()', options, { delete: 'boolean' }).delete ? OpFlag.DeleteDb : 0
}
