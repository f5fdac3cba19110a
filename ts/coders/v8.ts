import { deserialize, serialize } from 'node:v8'
import { Coder } from '../coder.js'

/**
 * Node's structured-clone format (`v8.serialize`): Map, Set, Date, BigInt,
 * typed arrays, cycles — aiolmdb's PickleCoder. Only Node reads it.
 */
export class V8Coder<T = unknown> extends Coder<T> {
  serialize(value: T): Uint8Array {
    return serialize(value)
  }

  deserialize(bytes: Buffer): T {
    return deserialize(bytes) as T
  }
}
