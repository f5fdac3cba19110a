/**
 * Checks of the options and plain arguments the public API takes, in one
 * place: a value of the wrong type is a `TypeError`, a number out of what
 * LMDB accepts a `RangeError`, each naming the option, before anything
 * reaches native code (where a bad number could corrupt memory or make
 * huge files, and a bad type gives napi's own unhelpful message).
 */

/**
 * The largest map: 128 TiB, the user address space of 64-bit Linux, macOS
 * and Windows. A bigger map can never be mapped.
 */
export const MAX_MAP_SIZE = 2 ** 47
/** Most reader slots: a 64 MiB lock file (LMDB takes an unsigned int and makes the file that big). */
export const MAX_READERS = 2 ** 20
/** Most named databases: each write transaction allocates per-database state for every slot. */
export const MAX_DBS = 2 ** 16

/** What one option may be: a boolean, a string, anything, or an integer from `min` to `max`. */
export type Rule = 'boolean' | 'string' | 'any' | { min: number; max: number }

/** A count: an integer from 0 up. */
export const COUNT: Rule = { min: 0, max: Number.MAX_SAFE_INTEGER }

/**
 * Checks `options` (of the call `where`, e.g. `'open()'`) against `rules`:
 * an object (or `undefined`: no options) with only known names, each given
 * value of its kind. As py-lmdb does with keyword arguments, a misspelt
 * option is an error, not a default.
 */
export function checkOptions<T extends object>(where: string, options: T | undefined, rules: { readonly [K in keyof T]-?: Rule }): T {
  if (options === undefined) return {} as T
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${where} options are an object, not ${describe(options)}`)
  }
  const unknown = Object.keys(options).filter((name) => !Object.hasOwn(rules, name))
  if (unknown.length > 0) throw new TypeError(`unknown ${where} option${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`)
  for (const name of Object.keys(rules) as (keyof T & string)[]) {
    const value = options[name]
    if (value !== undefined) checkValue(where, name, value, rules[name])
  }
  return options
}

/** Checks one option or argument `name` of `where` against `rule`. */
export function checkValue(where: string, name: string, value: unknown, rule: Rule): void {
  if (rule === 'any') return
  if (rule === 'boolean' || rule === 'string') {
    if (typeof value !== rule) throw new TypeError(`${where}: ${name} must be a ${rule}, not ${describe(value)}`)
    return
  }
  if (typeof value !== 'number') throw new TypeError(`${where}: ${name} must be a number, not ${describe(value)}`)
  if (!Number.isInteger(value) || value < rule.min || value > rule.max) {
    throw new RangeError(`${where}: ${name} must be an integer from ${rule.min} to ${rule.max}, not ${value}`)
  }
}

export function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value)
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return `the string '${value.length > 20 ? `${value.slice(0, 20)}…` : value}'`
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'function') return 'a function'
  return `${typeof value} ${String(value)}`
}

/** `value` if it is iterable; else a TypeError (Array.from would take `42` as empty). */
export function iterable<T>(value: Iterable<T>): Iterable<T> {
  if (typeof value?.[Symbol.iterator] !== 'function') throw new TypeError('expected an iterable')
  return value
}

export function isAsyncIterable<T>(value: Iterable<T> | AsyncIterable<T>): value is AsyncIterable<T> {
  return typeof (value as AsyncIterable<T>)?.[Symbol.asyncIterator] === 'function'
}
