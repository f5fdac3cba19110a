/** `shell`: a Node REPL with the environment open as `env`. */
import { start } from 'node:repl'
import * as lmdb from '../index.js'
import { openEnv, type Options } from './context.js'

export async function shell(options: Options): Promise<void> {
  const env = await openEnv(options)
  console.log(`lmdb-napi shell: \`env\` is ${env.path}; \`lmdb\` is the library. .exit to leave.`)
  const repl = start({ prompt: 'lmdb> ' })
  Object.assign(repl.context, { env, lmdb, db: env.defaultDb })
  await new Promise<void>((resolve) => repl.on('exit', resolve))
  await env.close()
}
