/**
 * The only module that loads the native binding (the napi-generated loader
 * at the package root). Everything else imports its types from here.
 */
import type * as Binding from '../index.js'

// The same relative path from ts/ and from the compiled dist/.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const binding: typeof Binding = require('../index.js')

export const NativeEnv = binding.NativeEnv
export const compress = binding.compress
export const decompress = binding.decompress
export const syncGet = binding.syncGet
export type NativeEnv = Binding.NativeEnv
export type NativeSnapshot = Binding.NativeSnapshot
export type NativeRange = Binding.NativeRange
export type NativeChunk = Binding.ChunkJs
export type NativeTxn = Binding.NativeTxn
export type NativeExclusive = Binding.NativeExclusive
export type NativeRangeOptions = Binding.RangeOptionsJs
export type DbRef = Binding.DbRefJs
export type ReadResult = Binding.ReadResultJs
export type NativeEnvOptions = Binding.EnvOptionsJs
export type NativeStat = Binding.StatJs
export type NativeInfo = Binding.InfoJs
export type NativeFlags = Binding.EnvFlagsJs
