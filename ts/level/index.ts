/**
 * `lmdb-napi/level`: an abstract-level database over lmdb-napi. A separate
 * entry point, so that users of the main one never load abstract-level.
 */
export { LmdbLevel } from './level.js'
export type { LmdbLevelOptions } from './level.js'
export { LmdbLevelSnapshot } from './snapshot.js'
