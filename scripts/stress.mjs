// `npm run stress`: the crash, fuzz and soak suites of `npm test`, with
// many more rounds than CI can afford (each suite reads its counts through
// `rounds()` in __test__/helpers.ts). Extra arguments go to vitest.
import { spawnSync } from 'node:child_process'

const suites = [
  'durability',
  'multi-process',
  'worker-termination',
  'misuse-fuzz',
  'decoder-fuzz',
  'disk-full',
  'auto-grow',
  'reader-slots',
  'heap-growth',
]

const env = { ...process.env, LMDB_NAPI_STRESS: '1', LMDB_NAPI_SOAK_SECONDS: process.env.LMDB_NAPI_SOAK_SECONDS ?? '300' }
const args = ['vitest', 'run', '--project', 'node', '--testTimeout', '0', ...suites.map((s) => `__test__/${s}.test.ts`), ...process.argv.slice(2)]
const result = spawnSync('npx', args, { stdio: 'inherit', env, shell: process.platform === 'win32' })
process.exit(result.status ?? 1)
