import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['__test__/**/*.test.ts'],
    // Child processes, not threads: several tests start worker threads and
    // processes of their own around the native addon.
    pool: 'forks',
    testTimeout: 60_000,
    // The package's build is loaded by Node itself, as users load it, not
    // transformed by Vite: its ESM entry imports the CommonJS build, which
    // only Node's own interop hands over as the default export.
    server: { deps: { external: [/\/dist\//] } },
    typecheck: {
      enabled: true,
      include: ['__test__/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
  },
})
