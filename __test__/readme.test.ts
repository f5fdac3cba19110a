// The README's code must run as written: every ```js block is run with
// node, as a user would (in a folder of its own, importing `lmdb-napi` from
// its node_modules), and every ```ts block is type-checked with tsc; a ```ts
// block that names a file (```ts app.mts) is a whole program, run with tsx
// too. A ```text block right after a program (or after "It prints:"
// following it) is what that program prints. ```sh blocks are not run.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from './helpers.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const require = createRequire(import.meta.url)
const TSC = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc')
const TSX = require.resolve('tsx/cli')

interface Block {
  lang: string
  /** The rest of the info string: the file name to run it as (a js block's default: `example.mjs`). */
  file: string
  code: string
  line: number
  /** For a program: the text block that follows it, if any. */
  prints?: string
}

/** The fenced code blocks of the README, in order. */
function blocks(markdown: string): Block[] {
  const found: Block[] = []
  const fence = /^```(\S*)[ \t]*(.*)\n([\s\S]*?)^```[ \t]*$/gm
  let last = 0
  for (let match; (match = fence.exec(markdown)); ) {
    const [whole, lang, file, code] = match
    const line = markdown.slice(0, match.index).split('\n').length
    const before = found.at(-1)
    const between = markdown.slice(last, match.index).trim()
    if (lang === 'text' && before && isProgram(before) && (between === '' || between === 'It prints:')) before.prints = code
    found.push({ lang, file: file.trim(), code, line })
    last = match.index + whole.length
  }
  return found
}

/** A block the test runs: JavaScript, or TypeScript given a file name. */
function isProgram(block: Block): boolean {
  return block.lang === 'js' || (block.lang === 'ts' && block.file !== '')
}

// (LF line ends, also from a checkout that made them CRLF)
const README = readFileSync(join(ROOT, 'README.md'), 'utf8').replace(/\r\n/g, '\n')
const all = blocks(README)
const js = all.filter((b) => b.lang === 'js')
const ts = all.filter((b) => b.lang === 'ts')
const programs = all.filter(isProgram)

it('the README has code to check, in known languages only', () => {
  expect(js.length).toBeGreaterThanOrEqual(3)
  expect(ts.length).toBeGreaterThanOrEqual(3)
  const known = new Set(['js', 'ts', 'sh', 'text', ''])
  expect(all.filter((b) => !known.has(b.lang)).map((b) => `${b.lang} (line ${b.line})`)).toEqual([])
})

it('links only to files of the repository that exist', () => {
  const targets = [...README.matchAll(/\]\(([^)\s]+)\)/g)].map(([, target]) => target)
  const local = targets.filter((t) => !/^(https?:|mailto:|#)/.test(t)).map((t) => t.split('#')[0])
  expect(local.length).toBeGreaterThan(5)
  expect(local.filter((t) => t.startsWith('..') || !existsSync(join(ROOT, t)))).toEqual([])
  expect(README).not.toMatch(/\.\.\/shared/)
})

describe.each(programs.map((b) => [`${b.lang} block at line ${b.line}`, b] as const))('README %s', (_, block) => {
  it('runs, importing lmdb-napi as users do', () => {
    // A user's project: the package in node_modules (a link to this one).
    const app = tempDir()
    mkdirSync(join(app, 'node_modules'))
    symlinkSync(ROOT, join(app, 'node_modules', 'lmdb-napi'), 'junction')
    const file = block.file || 'example.mjs'
    writeFileSync(join(app, file), block.code)
    const args = block.lang === 'ts' ? [TSX, file] : [file]
    const run = spawnSync(process.execPath, args, { cwd: app, encoding: 'utf8', timeout: 30_000 })
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    if (block.prints !== undefined) expect(run.stdout).toBe(block.prints)
  })
})

// The ts blocks are type-checked together, each as a module of its own.
// Some are fragments that use an open `env` and the databases below without
// making them; this prelude declares those names (a block that makes its own
// shadows them), and `Database` for the types the `^?` comments name.
const PRELUDE = `import type { Database as Db, Environment } from 'lmdb-napi'
declare global {
  /** What the README's \`//   ^? T\` comments claim: the type of the name above is exactly T. */
  type ReadmeSameType<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false
  type Database<K, V> = Db<K, V>
  interface User { name: string; born: number }
  /** An open environment. */
  const env: Environment
  /** Users by numeric id. */
  const users: Db<number, User>
  /** Account balances by name. */
  const accounts: Db<string, number>
}
`

/**
 * Makes each `//    ^? T` comment a check: the name declared on the line
 * above it has exactly the type T (the line count stays the same, so tsc's
 * line numbers are the block's).
 */
function checkTypeComments(code: string): string {
  const lines = code.split('\n')
  return lines
    .map((line, i) => {
      const claim = /^\s*\/\/\s*\^\?\s*(.+)$/.exec(line)
      if (!claim) return line
      const name = /\b(?:const|let)\s+(\w+)/.exec(lines[i - 1] ?? '')?.[1]
      if (!name) throw new Error(`a ^? comment under no declaration: ${line}`)
      return `const _${name}IsAsClaimed: ReadmeSameType<typeof ${name}, ${claim[1]}> = true`
    })
    .join('\n')
}

describe('README ts blocks', () => {
  // A user's project inside the repository (under scratch/, which git and
  // tsconfig.json leave out): an ES module package with lmdb-napi in its
  // node_modules, and the @types of the repository's node_modules above it.
  const dir = join(ROOT, 'scratch', `readme-${process.pid}`)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  beforeAll(() => {
    mkdirSync(join(dir, 'node_modules'), { recursive: true })
    symlinkSync(ROOT, join(dir, 'node_modules', 'lmdb-napi'), 'junction')
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }))
    writeFileSync(join(dir, 'prelude.ts'), PRELUDE)
    // `export {}`: a module even when the block imports nothing
    for (const block of ts) writeFileSync(join(dir, `line-${block.line}.ts`), `${checkTypeComments(block.code)}export {}\n`)
  })

  // The repository's settings (a bundler's resolution), then Node's own.
  it.each([
    ['the repository\'s settings', {}],
    ['module nodenext', { module: 'NodeNext', moduleResolution: 'NodeNext' }],
  ])('type-check as written, under %s', (name, options) => {
    const config = join(dir, `tsconfig.${name.replace(/\W+/g, '-')}.json`)
    writeFileSync(
      config,
      JSON.stringify({
        extends: '../../tsconfig.json',
        // fragments may show a name without using it
        compilerOptions: { ...options, noEmit: true, noUnusedLocals: false },
        include: ['*.ts'],
      }),
    )
    const run = spawnSync(process.execPath, [TSC, '-p', config], { cwd: dir, encoding: 'utf8' })
    expect(run.stdout + run.stderr).toBe('')
    expect(run.status).toBe(0)
  })
})
