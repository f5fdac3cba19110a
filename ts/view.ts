/**
 * Cheap `Buffer` views of bytes that native code handed over in one block.
 *
 * `buf.subarray()` looks its species constructor up on every call and costs
 * ~65 ns; calling that constructor (Node's `FastBuffer`, which every
 * `Buffer` is an instance of) directly costs ~23 ns. Ranges and read batches
 * make a view or two per entry, so this is their largest per-entry cost
 * after the native read itself. Should a runtime's species not make real
 * `Buffer`s, `Buffer.from(arrayBuffer, offset, length)` does the same job.
 */
type ViewConstructor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => Buffer

const species = (Buffer as unknown as { [Symbol.species]?: ViewConstructor })[Symbol.species]
const makesBuffers =
  typeof species === 'function' && Object.getPrototypeOf(new species(new ArrayBuffer(1), 0, 1)) === Buffer.prototype

/** `len` bytes of `block` from `offset`, shared, as a `Buffer`. */
export const view: (block: Uint8Array, offset: number, len: number) => Buffer = makesBuffers
  ? (block, offset, len) => new (species as ViewConstructor)(block.buffer as ArrayBuffer, block.byteOffset + offset, len)
  : (block, offset, len) => Buffer.from(block.buffer, block.byteOffset + offset, len)
