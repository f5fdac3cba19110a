import { Packr } from 'msgpackr'
import { Coder } from '../coder.js'

/**
 * Standard MessagePack (no msgpackr extensions: any MessagePack library reads
 * it). Maps decode as plain objects; `undefined` is stored as nil; dates use
 * the standard timestamp extension; `bigint` beyond 53 bits as 64-bit integers.
 */
const packr = new Packr({
  useRecords: false,
  encodeUndefinedAsNil: true,
  mapsAsObjects: true,
  variableMapSize: true,
  // 64-bit integers read as numbers when safe, else bigint ('auto' is
  // missing from msgpackr's typings)
  int64AsType: 'auto' as 'bigint',
})

/** Any MessagePack value, in the standard smallest encodings (`{a:1}` → `81 a1 61 01`). */
export class MsgPackCoder<T = unknown> extends Coder<T> {
  serialize(value: T): Uint8Array {
    return packr.pack(value)
  }

  deserialize(bytes: Buffer): T {
    return packr.unpack(bytes) as T
  }
}
