/**
 * The only module that loads the native binding (the napi-generated loader
 * at the package root). Everything else imports its types from here.
 */
import type * as Binding from '../index.js'

/** The packages published with a binary, as napi-rs names their platforms. */
const PUBLISHED = new Set([
  'linux-x64-gnu', 'linux-arm64-gnu', 'linux-x64-musl', 'linux-arm64-musl', 'linux-arm-gnueabihf',
  'darwin-x64', 'darwin-arm64', 'win32-x64-msvc', 'win32-arm64-msvc',
])

const binding = load()

function load(): typeof Binding {
  try {
    // The same relative path from ts/ and from the compiled dist/.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('../index.js')
  } catch (error) {
    throw noBinary(error)
  }
}

/**
 * The error for a machine where no binary loads. The generated loader's own
 * message blames a bug of npm's, which is seldom the cause: this one says
 * what was looked for on what, and the two ways out.
 */
function noBinary(error: unknown): Error {
  const { platform, arch } = process
  const glibc = platform === 'linux' ? glibcVersion() : undefined
  const libc = platform !== 'linux' ? '' : glibc ? 'gnu' : 'musl'
  const abi = platform === 'win32' ? 'msvc' : arch === 'arm' && libc ? `${libc}eabihf` : libc
  const target = [platform, arch, abi].filter(Boolean).join('-')
  const pkg = `lmdb-napi-${target}`
  const found = `${platform} ${arch}${libc ? ` ${glibc ? `glibc ${glibc}` : 'musl'}` : ''}`
  // The loader chains what each of its attempts threw; those that are not
  // "not found" say why a binary that is there did not load.
  const failures = attempts(error).filter((e) => !/Cannot find module/.test(e.message))
  const why = !PUBLISHED.has(target)
    ? `No binary is published for ${found}.`
    : installed(pkg)
      ? `Its binary comes in the package ${pkg}, which is installed but did not load` +
        `${glibc ? ' (the glibc builds need glibc 2.17 or newer)' : ''}: ${failures[0]?.message ?? 'see the cause'}`
      : `Its binary comes in the package ${pkg}, which is not installed.`
  const ways = [
    ...(PUBLISHED.has(target)
      ? [`install again with optional dependencies enabled (npm install --include=optional; not with --omit=optional or --no-optional, and not from a lockfile made where ${pkg} was left out)`]
      : []),
    'build it from source with cargo: in a clone of the repository, `npm install` builds the binary (Rust and a C compiler needed)',
  ]
  const message = `lmdb-napi cannot load its native binary on ${found}. ${why}\nWays out:\n${ways.map((w) => `  - ${w}`).join('\n')}`
  return Object.assign(new Error(message, { cause: failures[0] ?? (error as Error)?.cause ?? error }), { code: 'ERR_LMDB_NAPI_NO_BINARY' })
}

/** The errors of the loader's attempts, from its chain of causes. */
function attempts(error: unknown): Error[] {
  const found: Error[] = []
  // The loader's own summary heads the chain; what it wraps is what was tried.
  for (let e = (error as Error)?.cause; e instanceof Error; e = e.cause) found.push(e)
  return found.length ? found : error instanceof Error ? [error] : []
}

/** The running glibc's version, or undefined on musl (Node reports none there). */
function glibcVersion(): string | undefined {
  const report = process.report as unknown as { excludeNetwork: boolean; getReport(): { header?: { glibcVersionRuntime?: string } } }
  report.excludeNetwork = true
  return report.getReport().header?.glibcVersionRuntime
}

function installed(pkg: string): boolean {
  try {
    require.resolve(`${pkg}/package.json`)
    return true
  } catch {
    return false
  }
}

export const NativeEnv = binding.NativeEnv
export const compress = binding.compress
export const decompress = binding.decompress
/**
 * One get of the sync reads of handle `reader` through its slab (see
 * `crates/node/src/sync_reads.rs`): the value's length, or -1 when absent.
 * Registered by hand natively, so napi-rs declares no type for it.
 */
export const syncGet = (binding as typeof Binding & { syncGet: SyncGet<number> }).syncGet
/** `syncGet` for a text coder: the value's text, made natively from the map, or `undefined` when absent. */
export const syncGetText = (binding as typeof Binding & { syncGetText: SyncGet<string | undefined> }).syncGetText
type SyncGet<R> = (reader: number, dbi: number, gen: number, at: number, keyLen: number, codec: number) => R
export const requestThreadPoolSize = binding.requestThreadPoolSize
export const threadPool = binding.threadPool
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
