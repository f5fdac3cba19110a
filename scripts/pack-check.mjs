// npm run pack:check: the package as users get it from npm. Builds the host's
// binary and the TypeScript, makes the host's platform package and the root
// package as the release publishes them, packs both with `npm pack`, installs
// the tarballs into fresh projects where no cargo or rustc is on the PATH, and
// there uses the package as users do: require, import, tsc, the CLI, a bundle.
// One line per check; exits non-zero when any fails.
// --prebuilt: the binary is already in place (a release build's artifact):
// build only the TypeScript, so that no Rust is needed.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, posix, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
// the napi-rs CLI's own reading of package.json's napi targets (its ESM build: Node 20.17 has no require of ESM)
import { readNapiConfig } from '@napi-rs/cli'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const requireFromRoot = createRequire(join(root, 'package.json'))
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const win = process.platform === 'win32'
const host = hostPlatform()
const binary = `${rootManifest.napi.binaryName}.${host}.node`
const platformPackage = `${rootManifest.name}-${host}`
const work = mkdtempSync(join(tmpdir(), 'lmdb-napi-pack-check-'))
const prebuilt = process.argv.includes('--prebuilt')

let passed = 0
let failed = 0

/** Runs one check, prints its line; a failed prerequisite stops the run. */
async function check(name, fn, { prerequisite = false } = {}) {
  try {
    await fn()
    passed++
    console.log(`ok   ${name}`)
  } catch (error) {
    failed++
    console.log(`FAIL ${name}\n${indent(error instanceof Error ? error.message : String(error))}`)
    if (prerequisite) finish()
  }
}

function finish() {
  console.log(`pack:check: ${passed} passed, ${failed} failed`)
  if (failed === 0) rmSync(work, { recursive: true, force: true })
  else console.log(`(its files are kept in ${work})`)
  process.exit(failed === 0 ? 0 : 1)
}

const indent = (text) => text.trim().split('\n').map((line) => `     ${line}`).join('\n')

function assert(condition, message) {
  if (!condition) throw new Error(message)
}

/** The napi-rs name of this machine's platform, as in npm/<platform>. */
function hostPlatform() {
  const { platform, arch } = process
  if (platform === 'win32') return `win32-${arch}-msvc`
  if (platform !== 'linux') return `${platform}-${arch}`
  process.report.excludeNetwork = true
  const libc = process.report.getReport().header.glibcVersionRuntime ? 'gnu' : 'musl'
  return arch === 'arm' ? `linux-arm-${libc}eabihf` : `linux-${arch}-${libc}`
}

/** Runs a program without a shell (the same on Windows); its stdout, or an error with both streams. */
function run(command, args, { cwd = root, env = process.env, timeout = 300_000 } = {}) {
  const result = spawnSync(command, args, { cwd, env, timeout, encoding: 'utf8', maxBuffer: 64 << 20 })
  if (result.error) throw result.error
  if (result.status !== 0) {
    throw new Error(`${[command, ...args].join(' ')} exited with ${result.status ?? result.signal}\n${result.stdout}\n${result.stderr}`)
  }
  return result.stdout
}

/** npm's own JavaScript entry, run with this node: no shell, no .cmd shims. */
function npmCli(name) {
  const candidates = [
    process.env.npm_execpath && join(dirname(process.env.npm_execpath), `${name}-cli.js`),
    join(dirname(process.execPath), 'node_modules', 'npm', 'bin', `${name}-cli.js`),
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', `${name}-cli.js`),
  ]
  const found = candidates.find((path) => path && existsSync(path))
  assert(found, `cannot find npm's ${name}-cli.js next to ${process.execPath}`)
  return found
}
const npm = (args, options) => run(process.execPath, [npmCli('npm'), ...args], options)

/** A PATH with node but without cargo or rustc, and an environment without npm's per-run variables. */
function userEnvironment() {
  const rustIn = (dir) =>
    ['cargo', 'rustc'].some((tool) => (win ? ['.exe', '.cmd', '.bat', ''] : ['']).some((ext) => existsSync(join(dir, tool + ext))))
  let nodeDir = dirname(process.execPath)
  if (rustIn(nodeDir)) {
    // node shares its directory with cargo: give it one of its own.
    nodeDir = join(work, 'node-bin')
    mkdirSync(nodeDir)
    const name = win ? 'node.exe' : 'node'
    if (win) cpSync(process.execPath, join(nodeDir, name))
    else symlinkSync(process.execPath, join(nodeDir, name))
  }
  const pathKey = Object.keys(process.env).find((key) => key.toUpperCase() === 'PATH') ?? 'PATH'
  const dirs = [nodeDir, ...(process.env[pathKey] ?? '').split(delimiter).filter((dir) => dir && !rustIn(dir))]
  const env = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (key.toUpperCase() === 'PATH') continue
    // what `npm run` sets for this repository's own scripts, except where npm keeps its cache and registry
    if (/^npm_/i.test(key) && !/^npm_config_(cache|registry|userconfig)$/i.test(key)) continue
    if (/^(NAPI_RS_|CARGO|RUSTUP)/i.test(key)) continue
    env[key] = value
  }
  env[pathKey] = [...new Set(dirs)].join(delimiter)
  return env
}

/** npm pack into the tarballs directory: the tarball's path and the files npm put in it. */
function pack(dir) {
  const [result] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', join(work, 'tarballs')], { cwd: dir }))
  return { tarball: join(work, 'tarballs', result.filename), files: new Set(result.files.map((f) => f.path.replaceAll('\\', '/'))) }
}

/**
 * Files of a package that point at files it does not ship: source maps and
 * their sources, relative imports and requires, and the manifest's entry
 * points. The loader's tries of `./<name>.<platform>.node` are meant to miss.
 */
function danglingReferences(dir, files, manifest) {
  const missing = []
  const shipped = (from, target) => {
    const path = posix.normalize(posix.join(posix.dirname(from), target))
    // a declaration file's `./x.js` means the declarations of x
    const declared = /\.d\.(m|c)?ts$/.test(from) && path.replace(/\.(m|c)?js$/, '.d.$1ts')
    return files.has(path) || (declared && files.has(declared))
  }
  const bins = typeof manifest.bin === 'string' ? [manifest.bin] : Object.values(manifest.bin ?? {})
  const entries = [manifest.main, manifest.types, manifest.module, ...bins]
  const collect = (value) => (typeof value === 'string' ? entries.push(value) : Object.values(value ?? {}).forEach(collect))
  collect(manifest.exports)
  for (const entry of entries.filter(Boolean)) if (!shipped('package.json', entry)) missing.push(`package.json → ${entry}`)
  for (const file of files) {
    if (!/\.(m|c)?js$|\.d\.(m|c)?ts$|\.map$/.test(file)) continue
    const text = readFileSync(join(dir, file), 'utf8')
    if (file.endsWith('.map')) {
      const map = JSON.parse(text)
      map.sources.forEach((source, i) => {
        if (map.sourcesContent?.[i] == null && !shipped(file, posix.join(map.sourceRoot ?? '', source))) missing.push(`${file} → ${source}`)
      })
      continue
    }
    for (const [, target] of text.matchAll(/[#@] sourceMappingURL=(\S+)/g)) {
      if (!target.startsWith('data:') && !shipped(file, target)) missing.push(`${file} → ${target}`)
    }
    for (const [, target] of text.matchAll(/(?:\bfrom\s*|\brequire\(\s*|\bimport\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      if (!/\.node$|\.wasi\.cjs$/.test(target) && !shipped(file, target)) missing.push(`${file} → ${target}`)
    }
  }
  return missing
}

// ---------------------------------------------------------------------------

console.log(`pack:check for ${host} in ${work}`)
mkdirSync(join(work, 'tarballs'))

await check(`build: ${prebuilt ? 'the TypeScript, beside the prebuilt' : "the host's binary"} ${binary}${prebuilt ? '' : ' and the TypeScript'}`, () => {
  if (!prebuilt) npm(['run', 'build:native'], { timeout: 900_000 })
  npm(['run', 'build:ts'])
  assert(existsSync(join(root, binary)), `no ${binary} in ${root}`)
}, { prerequisite: true })

await check('platform packages: napi-rs manifests at the root\'s version, each with LICENSE and LICENSE-LMDB', () => {
  return readNapiConfig(join(root, 'package.json')).then(({ targets }) => {
    const problems = []
    for (const target of targets) {
      const dir = join(root, 'npm', target.platformArchABI)
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
      const node = `${rootManifest.napi.binaryName}.${target.platformArchABI}.node`
      const expect = (ok, what) => ok || problems.push(`${manifest.name}: ${what}`)
      expect(manifest.name === `${rootManifest.name}-${target.platformArchABI}`, 'name')
      expect(manifest.version === rootManifest.version, `version ${manifest.version}, root ${rootManifest.version} (run napi version)`)
      expect(manifest.main === node, `main ${manifest.main}`)
      expect(['LICENSE', 'LICENSE-LMDB', node].every((f) => manifest.files?.includes(f)), `files ${manifest.files}`)
      expect(manifest.os?.[0] === target.platform && manifest.cpu?.[0] === target.arch, 'os/cpu')
      expect(target.platform !== 'linux' || manifest.libc?.[0] === (target.abi.startsWith('musl') ? 'musl' : 'glibc'), 'libc')
      expect(!manifest.scripts, 'scripts (a platform package runs none)')
      for (const file of ['LICENSE', 'LICENSE-LMDB']) {
        expect(readFileSync(join(dir, file), 'utf8') === readFileSync(join(root, file), 'utf8'), `${file} differs from the root's`)
      }
    }
    assert(problems.length === 0, problems.join('\n'))
  })
})

let platformTarball
await check(`platform package ${platformPackage}: packed with its binary, LICENSE and LICENSE-LMDB`, () => {
  const dir = join(work, 'stage', host)
  cpSync(join(root, 'npm', host), dir, { recursive: true })
  cpSync(join(root, binary), join(dir, binary))
  const { tarball, files } = pack(dir)
  const missing = [binary, 'LICENSE', 'LICENSE-LMDB', 'package.json'].filter((f) => !files.has(f))
  assert(missing.length === 0, `the tarball lacks ${missing.join(', ')}`)
  const dangling = danglingReferences(dir, files, JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')))
  assert(dangling.length === 0, `it ships files pointing at files it does not ship:\n${dangling.join('\n')}`)
  platformTarball = tarball
}, { prerequisite: true })

let rootTarball
await check('root package: packed as published (optionalDependencies on the nine platform packages, no install scripts, LICENSE, LICENSE-LMDB)', async () => {
  // The release adds optionalDependencies with `napi pre-publish`: every
  // configured target's package at the root's version, on top of any present.
  const { targets, packageName } = await readNapiConfig(join(root, 'package.json'))
  const manifest = structuredClone(rootManifest)
  manifest.optionalDependencies = { ...manifest.optionalDependencies }
  for (const target of targets) manifest.optionalDependencies[`${packageName}-${target.platformArchABI}`] = manifest.version
  // Packed from a copy of what `files` names (up to any wildcard) and of the
  // files npm always takes (README, LICENSE): npm picks from it what it would
  // pick from the repository. Not in place, and the copy's manifest without
  // `prepare`: npm 10 runs that script (a build from source) when it packs a
  // directory, whatever --ignore-scripts says.
  const staged = structuredClone(manifest)
  delete staged.scripts.prepare
  const dir = join(work, 'stage', 'root')
  const named = manifest.files.filter((f) => !f.startsWith('!')).map((f) => f.split(/[*?[{]/)[0].replace(/\/+$/, '')).filter(Boolean)
  const always = readdirSync(root).filter((f) => /^(readme|licen[cs]e)/i.test(f))
  for (const path of new Set([...named, ...always])) if (existsSync(join(root, path))) cpSync(join(root, path), join(dir, path), { recursive: true })
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(staged, null, 2)}\n`)
  const { tarball, files } = pack(dir)
  const missing = ['LICENSE', 'LICENSE-LMDB', 'README.md', 'index.js', 'index.d.ts'].filter((f) => !files.has(f))
  assert(missing.length === 0, `the tarball lacks ${missing.join(', ')}`)
  assert(![...files].some((f) => f.endsWith('.node')), 'the root tarball ships a .node binary')
  assert(Object.keys(manifest.optionalDependencies).length === 9, `${Object.keys(manifest.optionalDependencies).length} optional dependencies, not 9`)
  const scripts = Object.keys(manifest.scripts ?? {}).filter((s) => /^(pre|post)?install$/.test(s))
  assert(scripts.length === 0, `install scripts in the published manifest: ${scripts.join(', ')}`)
  const dangling = danglingReferences(dir, files, manifest)
  assert(dangling.length === 0, `it ships files pointing at files it does not ship:\n${dangling.join('\n')}`)
  rootTarball = tarball
}, { prerequisite: true })

const env = userEnvironment()
const app = join(work, 'app')
const envDir = join(work, 'env')

await check('fresh project: npm install --ignore-scripts of both tarballs, with no cargo or rustc on the PATH', () => {
  const cargo = spawnSync('cargo', ['--version'], { env, encoding: 'utf8' })
  assert(cargo.error?.code === 'ENOENT', `cargo is still found on the PATH built for the install: ${cargo.stdout}`)
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'pack-check-app', private: true }, null, 2))
  npm(['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', rootTarball, platformTarball], { cwd: app, env })
  assert(existsSync(join(app, 'node_modules', platformPackage, binary)), `${platformPackage} is not installed with its binary`)
  // the manifests as they came out of the tarballs: nothing runs at install
  for (const name of [rootManifest.name, platformPackage]) {
    const installed = JSON.parse(readFileSync(join(app, 'node_modules', name, 'package.json'), 'utf8'))
    const scripts = Object.keys(installed.scripts ?? {}).filter((s) => /^(pre|post)?install$/.test(s))
    assert(scripts.length === 0 && !installed.gypfile, `${name} would run ${scripts.join(', ') || 'node-gyp'} at install`)
  }
}, { prerequisite: true })

const runIn = (cwd, args) => run(process.execPath, args, { cwd, env })

await check('CommonJS: require(\'lmdb-napi\'), open an environment, put, get', () => {
  writeFileSync(join(app, 'main.cjs'), `const { open } = require('lmdb-napi')

async function main() {
  const env = open(process.argv[2])
  const things = env.openDb('things', { keyCoder: 'string', valueCoder: 'json' })
  await things.put('greeting', { text: 'hello from CommonJS' })
  const value = await things.get('greeting')
  await env.close()
  if (value?.text !== 'hello from CommonJS') throw new Error('read back ' + JSON.stringify(value))
  console.log('read back', value.text)
}
main().catch((error) => { console.error(error); process.exitCode = 1 })
`)
  mkdirSync(envDir)
  runIn(app, ['main.cjs', envDir])
})

await check('ESM: import { open } from \'lmdb-napi\', open an environment, put, get', () => {
  writeFileSync(join(app, 'main.mjs'), `import { open } from 'lmdb-napi'

const env = open(process.argv[2])
const things = env.openDb('things', { keyCoder: 'string', valueCoder: 'string' })
await things.put('esm', 'hello from ESM')
const value = await things.get('esm')
await env.close()
if (value !== 'hello from ESM') throw new Error('read back ' + JSON.stringify(value))
console.log('read back', value)
`)
  runIn(app, ['main.mjs', join(work, 'env-esm')])
})

await check('lmdb-napi/level: require and import give one LmdbLevel, which puts and gets; the main entry alone leaves abstract-level unloaded', () => {
  writeFileSync(join(app, 'level.cjs'), `const { LmdbLevel } = require('lmdb-napi/level')

async function main() {
  const db = new LmdbLevel(process.argv[2], { valueEncoding: 'json' })
  await db.put('greeting', { text: 'hello from abstract-level' })
  const value = await db.get('greeting')
  await db.close()
  if (value?.text !== 'hello from abstract-level') throw new Error('read back ' + JSON.stringify(value))
  const esm = await import('lmdb-napi/level')
  if (esm.LmdbLevel !== LmdbLevel) throw new Error('import and require give two LmdbLevel classes')
  console.log('read back', value.text)
}
main().catch((error) => { console.error(error); process.exitCode = 1 })
`)
  runIn(app, ['level.cjs', join(work, 'env-level')])
  writeFileSync(join(app, 'main-only.cjs'), `require('lmdb-napi')\nconsole.log(Object.keys(require.cache).filter((f) => f.includes('abstract-level')).length)\n`)
  const loaded = runIn(app, ['main-only.cjs']).trim()
  assert(loaded === '0', `require('lmdb-napi') loaded ${loaded} files of abstract-level`)
})

const tsc = (project) => runIn(app, [requireFromRoot.resolve('typescript/bin/tsc'), '-p', project])
const typed = `import { errors, open, type Database } from 'lmdb-napi'

interface User {
  name: string
  born: number
}

export async function main(path: string): Promise<User | undefined> {
  const env = open(path, { mapSize: 64 * 1024 ** 2 })
  const users: Database<string, User> = env.openDb<string, User>('users', { keyCoder: 'string', valueCoder: 'json' })
  try {
    await users.put('ada', { name: 'Ada Lovelace', born: 1815 })
    return await users.get('ada')
  } catch (error) {
    if (error instanceof errors.MapFullError) throw new Error('the map is full', { cause: error })
    throw error
  } finally {
    await env.close()
  }
}
`

const typedLevel = `import { LmdbLevel, type LmdbLevelSnapshot } from 'lmdb-napi/level'

export async function main(path: string): Promise<number | undefined> {
  const db = new LmdbLevel<string, number>(path, { valueEncoding: 'json', name: 'counts' })
  await db.put('visits', 1)
  const snapshot: LmdbLevelSnapshot = db.snapshot()
  const entries: [string, number][] = await db.iterator({ gte: 'a', snapshot }).all()
  await snapshot.close()
  await db.close()
  return entries[0]?.[1]
}
`

await check('TypeScript: tsc --noEmit under module nodenext (a .cts and a .mts file: both entry points\' types, and lmdb-napi/level\'s)', () => {
  writeFileSync(join(app, 'typed.cts'), typed)
  writeFileSync(join(app, 'typed.mts'), typed)
  writeFileSync(join(app, 'typed-level.cts'), typedLevel)
  writeFileSync(join(app, 'typed-level.mts'), typedLevel)
  writeFileSync(join(app, 'tsconfig.nodenext.json'), JSON.stringify({
    compilerOptions: { module: 'nodenext', target: 'es2022', strict: true, noEmit: true, types: ['node'] },
    files: ['typed.cts', 'typed.mts', 'typed-level.cts', 'typed-level.mts'],
  }))
  tsc('tsconfig.nodenext.json')
})

await check('TypeScript: tsc --noEmit under moduleResolution bundler (and lmdb-napi/level)', () => {
  writeFileSync(join(app, 'typed.ts'), typed)
  writeFileSync(join(app, 'typed-level.ts'), typedLevel)
  writeFileSync(join(app, 'tsconfig.bundler.json'), JSON.stringify({
    compilerOptions: { module: 'esnext', moduleResolution: 'bundler', target: 'es2022', strict: true, noEmit: true, types: ['node'] },
    files: ['typed.ts', 'typed-level.ts'],
  }))
  tsc('tsconfig.bundler.json')
})

await check('CLI: npx lmdb-napi stat -e ENV', () => {
  const out = run(process.execPath, [npmCli('npx'), '--no', 'lmdb-napi', 'stat', '-e', envDir], { cwd: app, env })
  assert(out.includes('things'), `its output does not name the database "things":\n${out}`)
})

await check('esbuild: an app bundled with lmdb-napi external runs', async () => {
  writeFileSync(join(app, 'greet.mjs'), `export const greeting = (name) => 'hello, ' + name\n`)
  writeFileSync(join(app, 'bundled.mjs'), `import { open } from 'lmdb-napi'
import { greeting } from './greet.mjs'

const env = open(process.argv[2])
const db = env.openDb('bundled', { keyCoder: 'string', valueCoder: 'string' })
await db.put('it', greeting('bundle'))
const value = await db.get('it')
await env.close()
if (value !== 'hello, bundle') throw new Error('read back ' + JSON.stringify(value))
console.log('read back', value)
`)
  const esbuild = requireFromRoot('esbuild')
  const outfile = join(app, 'out', 'bundle.mjs')
  await esbuild.build({
    entryPoints: [join(app, 'bundled.mjs')], bundle: true, platform: 'node', format: 'esm',
    external: ['lmdb-napi'], outfile, logLevel: 'silent',
  })
  const bundle = readFileSync(outfile, 'utf8')
  assert(bundle.includes('"lmdb-napi"') && !bundle.includes('./greet.mjs'), 'the bundle does not keep lmdb-napi external and inline the rest')
  runIn(app, [outfile, join(work, 'env-bundle')])
})

await check('no binary: the root tarball installed with --omit=optional, require and import fail with ERR_LMDB_NAPI_NO_BINARY and the ways out', () => {
  const bare = join(work, 'app-without-binary')
  mkdirSync(bare)
  writeFileSync(join(bare, 'package.json'), JSON.stringify({ name: 'pack-check-bare', private: true }, null, 2))
  // as users get it when optional dependencies are left out (and as this
  // check stays once the platform packages of this version are published)
  npm(['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', '--omit=optional', rootTarball], { cwd: bare, env })
  assert(!existsSync(join(bare, 'node_modules', platformPackage)), `${platformPackage} got installed`)
  // require: the error object itself
  writeFileSync(join(bare, 'probe.cjs'), `try { require('lmdb-napi'); console.log('{}') } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })) }\n`)
  const required = JSON.parse(runIn(bare, ['probe.cjs']))
  // import: an ESM app stops with it (what Node prints of the uncaught error)
  writeFileSync(join(bare, 'probe.mjs'), `import { open } from 'lmdb-napi'\nconsole.log(typeof open)\n`)
  const imported = spawnSync(process.execPath, ['probe.mjs'], { cwd: bare, env, encoding: 'utf8' })
  assert(imported.status !== 0, `import: it loaded (${imported.stdout.trim()})`)
  const wanted = [`${process.platform} ${process.arch}`, platformPackage, '--include=optional', 'cargo']
  for (const [how, code, message] of [['require', required.code, required.message ?? ''], ['import', /ERR_LMDB_NAPI_NO_BINARY/.test(imported.stderr) && 'ERR_LMDB_NAPI_NO_BINARY', imported.stderr]]) {
    assert(code === 'ERR_LMDB_NAPI_NO_BINARY', `${how}: not ERR_LMDB_NAPI_NO_BINARY:\n${message || 'it loaded'}`)
    const absent = wanted.filter((w) => !message.includes(w))
    assert(absent.length === 0, `${how}: the message does not mention ${absent.join(', ')}:\n${message}`)
  }
})

finish()
