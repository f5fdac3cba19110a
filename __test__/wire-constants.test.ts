// TypeScript's copies of the wire format's numbers (enums the compiler checks
// and inlines where it can) against the core's, which the binding exports:
// a change on one side only fails here, not as a misread batch.
import { createRequire } from 'node:module'
import { expect, it } from 'vitest'
import { Op, OpFlag } from '../dist/batch.js'
import { ALGORITHMS } from '../dist/coder.js'
import { Move } from '../dist/cursor.js'

const { wireConstants } = createRequire(import.meta.url)('../index.js') as { wireConstants(): Record<string, number> }

/** `NextNoDup` and `NEXT_NODUP` alike: upper case, no underscores. */
const plain = (name: string) => name.replace(/_/g, '').toUpperCase()

/** An enum's or table's names and numbers, under `group`. */
function entries(group: string, table: object): [string, number][] {
  return Object.entries(table)
    .filter(([, value]) => typeof value === 'number') // a numeric enum also maps numbers back to names
    .map(([name, value]) => [`${group}.${plain(name)}`, value as number])
}

it('every wire constant of TypeScript is the core’s, and the core has no other', () => {
  const core = Object.entries(wireConstants()).map(([name, value]) => {
    const [group, rest] = name.split('.')
    return [`${group}.${plain(rest)}`, value] as [string, number]
  })
  const ours = [
    ...entries('op', Op),
    ...entries('put', OpFlag),
    ...entries('move', Move),
    ...entries('algorithm', ALGORITHMS),
  ]
  expect(Object.fromEntries(ours)).toEqual(Object.fromEntries(core))
  expect(ours.length).toBe(core.length)
})
