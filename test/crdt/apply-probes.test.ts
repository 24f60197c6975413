// Replica.apply: how many times one remote delta asks the store's key index, by path. The store
// keeps one Map from key to slot (entries and ghosts alike); every Map call made with the
// delta's key is counted (a probe: get/has; a write: set/delete). One probe per apply on every
// path; a write only where the key enters the index (a new key, a new tombstone or shadow):
// an entry that becomes a ghost, or a ghost that becomes an entry, keeps its slot and index value.
import { expect } from 'chai'
import { hlcFromParts, makeDelta, makeVersion, Replica, type Delta } from '../../crdt/index.ts'
import { T0 } from './arbitraries.ts'

const KEY = 'probed-key'
const remote = (op: 'set' | 'delete' | 'ghost', ms: number, value?: Uint8Array, expiresAt?: number): Delta =>
  makeDelta(op, KEY, makeVersion(0, hlcFromParts(ms), 'z'), undefined, value, expiresAt, { nodeId: 'z', epoch: 1 }, 0)

interface Counted {
  probes: number
  writes: number
}

/** Counts the Map calls made with KEY while `fn` runs (Map.prototype patched, then restored). */
function countIndexCalls(fn: () => void): Counted {
  const proto = Map.prototype
  const { get, has, set, delete: del } = proto
  const counted: Counted = { probes: 0, writes: 0 }
  proto.get = function (this: Map<unknown, unknown>, k: unknown) {
    if (k === KEY) counted.probes++
    return get.call(this, k)
  }
  proto.has = function (this: Map<unknown, unknown>, k: unknown) {
    if (k === KEY) counted.probes++
    return has.call(this, k)
  }
  proto.set = function (this: Map<unknown, unknown>, k: unknown, v: unknown) {
    if (k === KEY) counted.writes++
    return set.call(this, k, v)
  }
  proto.delete = function (this: Map<unknown, unknown>, k: unknown) {
    if (k === KEY) counted.writes++
    return del.call(this, k)
  }
  try {
    fn()
  } finally {
    Object.assign(proto, { get, has, set, delete: del })
  }
  return counted
}

describe('crdt/replica apply: store index probes per remote delta', () => {
  const value = Uint8Array.of(1, 2, 3)
  // [path, deltas applied before (untimed), the counted delta, its result, writes it needs]
  const table: [string, Delta[], Delta, string, number][] = [
    ['new key: set inserts', [], remote('set', T0, value), 'applied', 1],
    ['held key: newer set updates in place', [remote('set', T0, value)], remote('set', T0 + 1, value), 'applied', 0],
    ['held key: older set is stale', [remote('set', T0, value)], remote('set', T0 - 1, value), 'stale', 0],
    ['held key: newer delete makes a tombstone', [remote('set', T0, value)], remote('delete', T0 + 1), 'applied', 0],
    ['tombstone: newer set replaces it', [remote('delete', T0)], remote('set', T0 + 1, value), 'applied', 0],
    ['tombstone: newer delete replaces it in place', [remote('delete', T0)], remote('delete', T0 + 1), 'applied', 0],
    ['tombstone: older delete is stale', [remote('delete', T0)], remote('delete', T0 - 1), 'stale', 0],
    ['absent key: delete makes a tombstone', [], remote('delete', T0), 'applied', 1],
    ['absent key: ghost makes a shadow', [], remote('ghost', T0), 'applied', 1],
    ['held key: newer ghost drops the value', [remote('set', T0, value)], remote('ghost', T0 + 1), 'applied', 0],
    ['shadow: the set behind it lands', [remote('ghost', T0)], remote('set', T0, value), 'applied', 0],
    ['absent key: an expired set leaves a shadow', [], remote('set', T0, value, T0 - 1), 'applied', 1],
  ]
  for (const [path, before, delta, result, writes] of table) {
    it(`apply probes the index once: ${path}`, () => {
      const r = new Replica({ nodeId: 'a', maxBytes: 1 << 20 })
      for (const d of before) r.apply(d, T0)
      let got = ''
      const counted = countIndexCalls(() => {
        got = r.apply(delta, T0)
      })
      expect(got).to.equal(result)
      expect(counted).to.deep.equal({ probes: 1, writes })
      r.validate()
    })
  }
})
