import { createRequire } from 'node:module'
import { expect, it } from 'vitest'
import * as esm from 'lmdb-napi'
import { tempDir } from './helpers.js'

const require = createRequire(import.meta.url)

it('ships CommonJS and ESM entry points that share one set of classes', async () => {
  const cjs = require('lmdb-napi') as typeof esm
  expect(Object.keys(cjs).sort()).toEqual(Object.keys(esm).sort())
  expect(cjs.Environment).toBe(esm.Environment)
  expect(cjs.errors.ClosedError).toBe(esm.errors.ClosedError)
  await using env = cjs.open(tempDir())
  expect(env).toBeInstanceOf(esm.Environment)
})
