// G2/G4 with small capacity: entries are evicted, ghosts fall out and the horizon rises,
// while deliveries are reordered, duplicated and dropped; dropped deltas are re-sent from the
// origin's log while it holds them and via since() from peers after. Checked after every step:
// a replica never serves a version older than one it has already seen for that key, and what
// it serves is exactly that write's value. Checked at the end (with ghosts large enough that
// no version is forgotten, so the information to repair still exists somewhere): every key on
// every replica is either the winning write or a miss.
import { expect } from 'chai'
import fc from 'fast-check'
import { compareVersions, type Delta, type Version } from '../../crdt/index.ts'
import { propertyParams } from '../support/seed.ts'
import { T0 } from './arbitraries.ts'
import { Cluster, versionString, winners } from './cluster.ts'

type Step =
  | { kind: 'write'; r: number; key: number; len: number; del: boolean }
  | { kind: 'gossip'; picks: number[]; dropEvery: number }
  | { kind: 'read'; r: number; key: number }

const KEYS = 40
const arbStep: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      r: fc.nat(4),
      key: fc.nat(KEYS - 1),
      len: fc.integer({ min: 1, max: 120 }),
      del: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('gossip' as const),
      picks: fc.array(fc.nat(), { maxLength: 12 }),
      dropEvery: fc.integer({ min: 2, max: 6 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('read' as const), r: fc.nat(4), key: fc.nat(KEYS - 1) }) },
)

const STEPS = fc.array(arbStep, { minLength: 100, maxLength: 400, size: 'max' })

function simulate(size: number, steps: Step[], ghostRatio: number): { c: Cluster; valueOf: Map<string, string> } {
  const c = new Cluster({
    size,
    startMs: T0,
    skewMs: (i) => i * 3,
    replica: { maxBytes: 1_500, store: { entryOverheadBytes: 8, ghostRatio }, log: { maxDeltas: 16 } },
  })
  const valueOf = new Map<string, string>() // version → value hex (every write's value is unique)
  const seen = c.replicas.map(() => new Map<string, Version>()) // the max version each replica saw per key
  const served = c.replicas.map(() => new Map<string, Version>())
  const note = (i: number, d: Delta): void => {
    const cur = seen[i].get(d.key)
    if (cur === undefined || compareVersions(d.version, cur) > 0) seen[i].set(d.key, d.version)
  }
  const deliver = (i: number, d: Delta): void => {
    const before = c.replicas[i].apply(d, c.time(i))
    if (before !== 'dropped') note(i, d)
  }
  const check = (i: number, key: string): void => {
    const e = c.replicas[i].getEntry(key, c.time(i))
    if (e === undefined) return
    const s = seen[i].get(key)
    if (s !== undefined && compareVersions(e.version, s) < 0) {
      throw new Error(`replica ${i} serves ${key}@${versionString(e.version)} after seeing ${versionString(s)}`)
    }
    const p = served[i].get(key)
    if (p !== undefined && compareVersions(e.version, p) < 0) throw new Error(`replica ${i}: read of ${key} went backwards`)
    served[i].set(key, e.version)
    const version = versionString(e.version)
    expect(Buffer.from(e.value).toString('hex'), `value of ${key}@${version}`).to.equal(valueOf.get(version))
    c.replicas[i].get(key, c.time(i)) // a hit: drives S3-FIFO promotion
  }
  let n = 0
  for (const s of steps) {
    c.nowMs += 1
    if (s.kind === 'write') {
      const i = s.r % size
      const key = `key-${s.key}`
      let d: Delta
      if (s.del) d = c.replicas[i].delete(key, {}, c.time(i))
      else {
        const value = new Uint8Array(s.len)
        value.fill(++n % 251)
        new DataView(value.buffer).setUint8(0, n & 0xff)
        d = c.replicas[i].set(key, value, {}, c.time(i))
        valueOf.set(versionString(d.version), Buffer.from(value).toString('hex'))
      }
      c.record(d)
      note(i, d)
    } else if (s.kind === 'gossip') {
      // Broadcast a few recent deltas to everyone, dropping some deliveries.
      let k = 0
      for (const p of s.picks) {
        if (c.made.length === 0) break
        const d = c.made[c.made.length - 1 - (p % Math.min(8, c.made.length))]
        for (let i = 0; i < size; i++) if (++k % s.dropEvery !== 0) deliver(i, d)
      }
    } else {
      check(s.r % size, `key-${s.key}`)
    }
  }
  // Repair: first pull every gap (and the tail) from the origin's log while it still has it...
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      if (i === j) continue
      const log = c.replicas[j].log
      const range = log.range(1) ?? log.range(log.firstSeq) ?? []
      for (const d of range) deliver(i, d)
    }
  }
  // ...then since(0) from every peer, twice (what one repair learns, the next one spreads).
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < size; i++) {
      for (let j = 0; j < size; j++) if (i !== j) for (const d of c.replicas[j].since(0 as never)) deliver(i, d)
    }
  }
  for (let i = 0; i < size; i++) {
    c.replicas[i].validate()
    for (let k = 0; k < KEYS; k++) check(i, `key-${k}`)
  }
  return { c, valueOf }
}

describe('crdt/bounded capacity (G2, G4)', () => {
  it('no replica serves a version older than one it saw, under eviction and lossy gossip', () => {
    let evicted = 0
    let belowHorizon = 0
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 5 }), STEPS, fc.constantFrom(0, 0.2, 0.9), (size, steps, ghostRatio) => {
        const { c } = simulate(size, steps, ghostRatio)
        for (const r of c.replicas) {
          evicted += r.store.stats().smallEvictions + r.store.stats().mainDrops
          belowHorizon += r.stats().droppedBelowHorizon
        }
      }),
      propertyParams(60),
    )
    expect(evicted, 'the runs evicted entries').to.be.greaterThan(0)
    expect(belowHorizon, 'the horizon dropped some late updates').to.be.greaterThan(0)
  })

  it('after repair every key on every replica is the winning write or a miss', () => {
    let evicted = 0
    let winnersServed = 0
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 5 }), STEPS, (size, steps) => {
        // ghostRatio 10: ghosts remember every key, so the winner is never forgotten by all.
        const { c } = simulate(size, steps, 10)
        const win = winners(c.made)
        for (let i = 0; i < size; i++) {
          const r = c.replicas[i]
          evicted += r.store.stats().smallEvictions + r.store.stats().mainDrops
          for (const [key, w] of win) {
            const e = r.getEntry(key, c.time(i))
            if (e === undefined) continue
            expect(w.op, `${key} is deleted but replica ${i} serves it`).to.equal('set')
            expect(versionString(e.version), `replica ${i} ${key}`).to.equal(versionString(w.version))
            winnersServed++
          }
        }
      }),
      propertyParams(60),
    )
    expect(evicted, 'the runs evicted entries').to.be.greaterThan(0)
    expect(winnersServed, 'replicas serve winners, not only misses').to.be.greaterThan(100)
  })

  it('apply drops an update for an absent key at or below the horizon, and counts it', () => {
    const c = new Cluster({ size: 2, startMs: T0, replica: { maxBytes: 400, store: { entryOverheadBytes: 8, ghostRatio: 0 } } })
    const [a, b] = c.replicas
    const old = a.set('old', new Uint8Array(20), {}, T0)
    for (let k = 0; k < 40; k++) b.set(`k${k}`, new Uint8Array(20), {}, T0 + 1 + k) // b forgets everything older
    expect(b.horizon).to.be.greaterThan(old.version.hlc)
    expect(b.apply(old, T0 + 100)).to.equal('dropped')
    expect(b.lastDropReason).to.equal('below-horizon')
    expect(b.stats().droppedBelowHorizon).to.equal(1)
    expect(b.get('old', T0 + 100)).to.equal(undefined)
  })
})
