import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Child processes, not threads: several tests start worker threads and
    // processes of their own around the native addon.
    pool: 'forks',
    testTimeout: 60_000,
    // The package's build is loaded by Node itself, as users load it, not
    // transformed by Vite: its ESM entry imports the CommonJS build, which
    // only Node's own interop hands over as the default export.
    server: { deps: { external: [/\/dist\//] } },
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['__test__/**/*.test.ts'],
          typecheck: {
            enabled: true,
            include: ['__test__/**/*.test-d.ts'],
            tsconfig: './tsconfig.json',
          },
        },
      },
      {
        // The reads again, on the path Electron's memory cage forces: every
        // value copied into memory JavaScript owns (crates/node/src/handover.rs).
        extends: true,
        test: {
          name: 'copy-buffers',
          include: [
            '__test__/copy-buffers.test.ts',
            '__test__/database.test.ts',
            '__test__/ranges.test.ts',
            '__test__/txn-range.test.ts',
            '__test__/snapshots.test.ts',
            '__test__/cursors.test.ts',
          ],
          env: { LMDB_NAPI_COPY_BUFFERS: '1' },
        },
      },
    ],
  },
})
