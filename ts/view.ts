/**
 * Cheap `Buffer` views of bytes that native code handed over in one block.
 *
 * `buf.subarray()` looks its species constructor up on every call and costs
 * ~65 ns; calling that constructor (Node's `FastBuffer`, which every
 * `Buffer` is an instance of) directly costs ~23 ns. Ranges and read batches
 * make a view or two per entry, so this is their largest per-entry cost
 * after the native read itself. Callers pass the block's `ArrayBuffer` and
 * offsets into it, read once per block: `typedArray.buffer` is a call into
 * V8's C++ runtime (~30 ns) even in optimized code. Should a runtime's
 * species not make real `Buffer`s, `Buffer.from(arrayBuffer, offset,
 * length)` does the same job.
 */
type ViewConstructor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => Buffer

const species = (Buffer as unknown as { [Symbol.species]?: ViewConstructor })[Symbol.species]
const makesBuffers =
  typeof species === 'function' && Object.getPrototypeOf(new species(new ArrayBuffer(1), 0, 1)) === Buffer.prototype

/** `len` bytes of `buffer` from byte `at`, shared, as a `Buffer`. */
export const view: (buffer: ArrayBuffer, at: number, len: number) => Buffer = makesBuffers
  ? (buffer, at, len) => new (species as ViewConstructor)(buffer, at, len)
  : (buffer, at, len) => Buffer.from(buffer, at, len)

/**
 * Bytes native code handed over in one block (a chunk of a range, a
 * sync-read slab), read by offsets into `data`. Built-in coders decode
 * straight out of `data`; `view` makes a `Buffer` of a part for the rest.
 */
export class Block {
  readonly data: Buffer
  /** `data`'s memory and where it starts there, read once (see above). */
  readonly buffer: ArrayBuffer
  readonly base: number

  constructor(bytes: Uint8Array) {
    this.buffer = bytes.buffer as ArrayBuffer
    this.base = bytes.byteOffset
    this.data = bytes instanceof Buffer ? bytes : view(this.buffer, this.base, bytes.byteLength)
  }

  /** `len` bytes of `data` from `at`, shared, as a `Buffer`. */
  view(at: number, len: number): Buffer {
    return view(this.buffer, this.base + at, len)
  }
}
