import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { tempDir } from './helpers.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const TYPEDOC = join(dirname(createRequire(import.meta.url).resolve('typedoc/package.json')), 'bin', 'typedoc')

/** Every file under `dir`, by its path relative to `dir` (with `/`), and its text (LF line ends). */
function tree(dir: string): Map<string, string> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile())
  return new Map(
    files
      .map((entry) => join(entry.parentPath, entry.name))
      .map((path) => [relative(dir, path).split('\\').join('/'), readFileSync(path, 'utf8').replace(/\r\n/g, '\n')] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  )
}

// docs/api/ is the reference the README links to; it is generated from the
// TSDoc comments of ts/ and committed, so it must say what the sources say.
it('the committed API reference (docs/api) is what `npm run docs` makes from the sources', () => {
  const out = tempDir()
  const run = spawnSync(process.execPath, [TYPEDOC, '--out', out, '--logLevel', 'Warn'], { cwd: ROOT, encoding: 'utf8' })
  expect(run.stdout + run.stderr, 'typedoc warned or failed').toBe('')
  expect(run.status).toBe(0)

  const made = tree(out)
  const committed = tree(join(ROOT, 'docs', 'api'))
  expect([...committed.keys()], 'pages differ: run `npm run docs` and commit docs/api').toEqual([...made.keys()])
  for (const [page, text] of made) {
    expect(committed.get(page), `${page} differs: run \`npm run docs\` and commit docs/api`).toBe(text)
  }
})
