/**
 * Where a database's shared record structures are stored: the environment's
 * database `lmdb-napi.structures` (see `structures.ts` for the layout and
 * the rule that keeps values and structures together).
 * @internal
 */
import type { Database } from './database.js'
import { encodingOf } from './encoding.js'
import type { Environment } from './environment.js'
import { NotFoundError, ReadonlyError } from './errors.js'
import type { StructureStore } from './structures.js'
import { Unpackr } from 'msgpackr'

/** The name of the database holding every records database's structures. */
export const STRUCTURES_DB = 'lmdb-napi.structures'

const plain = new Unpackr({ useRecords: false })
const opened = new WeakMap<Environment, Database>()

/** The structures database of `env`: created if missing (a read-only environment: `undefined` until another writer made it). */
function structuresDb(env: Environment, readonly: boolean): Database | undefined {
  let db = opened.get(env)
  if (db === undefined) {
    try {
      db = env.openDb(STRUCTURES_DB, { create: !readonly })
    } catch (error) {
      if (error instanceof NotFoundError) return undefined
      throw error
    }
    opened.set(env, db)
  }
  return db
}

/** The store of `db`'s structures: keys are its name (empty for the default database), a zero byte, the id. */
export function storeOf(db: Database<unknown, unknown>): StructureStore {
  const prefix = Buffer.concat([Buffer.from(db.name ?? '', 'utf8'), Buffer.alloc(1)])
  const readonly = encodingOf(db).link.readonly
  const side = structuresDb(db.env, readonly)
  return {
    get ref() {
      const found = side ?? structuresDb(db.env, readonly)
      if (found === undefined) throw new ReadonlyError('the environment is read-only')
      return encodingOf(found).ref
    },
    key(id: number): Uint8Array {
      const key = Buffer.alloc(prefix.length + 2)
      prefix.copy(key)
      key.writeUInt16BE(id, prefix.length)
      return key
    },
    load(): string[][] {
      const found = side ?? structuresDb(db.env, readonly)
      if (found === undefined) return []
      const list: string[][] = []
      for (const [key, value] of found.rangeSync({ prefix })) {
        // ids are given in order from 0; anything else is not ours
        if (key.length !== prefix.length + 2 || key.readUInt16BE(prefix.length) !== list.length) break
        list.push(plain.unpack(value) as string[])
      }
      return list
    },
  }
}
