// G3 under clock skew: replicas whose physical clocks are off by up to ±5 s cache rows of a
// database through write-through writes that carry the row's version as userVersion. Some
// writers are slow (they read a row, and write it to the cache after a newer row was
// written). An older row must never win, on any replica, whatever the hlcs say. A control
// run without userVersion shows the same histories do let older rows win on hlc alone.
import { expect } from 'chai'
import fc from 'fast-check'
import { propertyParams } from '../support/seed.ts'
import { T0 } from './arbitraries.ts'
import { Cluster } from './cluster.ts'

type Step =
  | { kind: 'dbWrite'; key: number }
  | { kind: 'dbDelete'; key: number; r: number }
  | { kind: 'read'; key: number; r: number } // a writer reads the row now...
  | { kind: 'flush'; pick: number } // ...and writes it to the cache later
  | { kind: 'gossip'; picks: number[]; r: number }
  | { kind: 'tick'; ms: number }

const arbStep: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('dbWrite' as const), key: fc.nat(3) }),
  fc.record({ kind: fc.constant('dbDelete' as const), key: fc.nat(3), r: fc.nat(4) }),
  fc.record({ kind: fc.constant('read' as const), key: fc.nat(3), r: fc.nat(4) }),
  fc.record({ kind: fc.constant('flush' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('gossip' as const), picks: fc.array(fc.nat(), { maxLength: 5 }), r: fc.nat(4) }),
  fc.record({ kind: fc.constant('tick' as const), ms: fc.nat(3000) }),
)

interface Row {
  version: number
  value: number // 0: deleted
}

function run(size: number, skews: number[], steps: Step[], useUserVersion: boolean): { olderRowWon: boolean } {
  const c = new Cluster({ size, startMs: T0, skewMs: (i) => skews[i % skews.length] })
  const db = new Map<number, Row>()
  const pending: { r: number; key: number; row: Row }[] = []
  const cached = new Map<number, Row>() // the newest row any writer put in (or deleted from) the cache
  const servedVersion = c.replicas.map(() => new Map<number, number>())
  let olderRowWon = false
  const write = (r: number, key: number, row: Row): void => {
    const rep = c.replicas[r]
    const opts = useUserVersion ? { userVersion: row.version } : {}
    c.record(
      row.value === 0
        ? rep.delete(`k${key}`, opts, c.time(r))
        : rep.set(`k${key}`, new Uint8Array([row.version, row.value]), opts, c.time(r)),
    )
    const prev = cached.get(key)
    if (prev === undefined || row.version > prev.version) cached.set(key, row)
  }
  const checkReads = (): void => {
    for (let r = 0; r < size; r++) {
      for (let key = 0; key < 4; key++) {
        const v = c.replicas[r].get(`k${key}`, c.time(r))
        if (v === undefined) continue
        const prev = servedVersion[r].get(key) ?? 0
        if (v[0] < prev) olderRowWon = true
        servedVersion[r].set(key, v[0])
      }
    }
  }
  let n = 0
  for (const s of steps) {
    c.nowMs += 1
    switch (s.kind) {
      case 'dbWrite': {
        const row = { version: (db.get(s.key)?.version ?? 0) + 1, value: 1 + (++n % 200) }
        db.set(s.key, row)
        break
      }
      case 'dbDelete': {
        const row = { version: (db.get(s.key)?.version ?? 0) + 1, value: 0 }
        db.set(s.key, row)
        write(s.r % size, s.key, row) // invalidate at once
        break
      }
      case 'read': {
        const row = db.get(s.key)
        if (row !== undefined && row.value !== 0) pending.push({ r: s.r % size, key: s.key, row })
        break
      }
      case 'flush': {
        if (pending.length === 0) break
        const [p] = pending.splice(s.pick % pending.length, 1)
        write(p.r, p.key, p.row)
        break
      }
      case 'gossip':
        for (const p of s.picks) if (c.made.length > 0) c.deliver(s.r % size, c.made[p % c.made.length])
        checkReads()
        break
      case 'tick':
        c.nowMs += s.ms
        break
    }
  }
  for (let r = 0; r < size; r++) for (const d of [...c.made].reverse()) c.deliver(r, d)
  checkReads()
  for (let r = 0; r < size; r++) {
    for (const [key, newest] of cached) {
      const v = c.replicas[r].get(`k${key}`, c.time(r))
      if (newest.value === 0 ? v !== undefined : v === undefined || v[0] !== newest.version) olderRowWon = true
    }
  }
  return { olderRowWon }
}

const arbSkews = fc.array(fc.integer({ min: -5000, max: 5000 }), { minLength: 5, maxLength: 5 })
const arbSteps = fc.array(arbStep, { minLength: 20, maxLength: 150, size: 'max' })

describe('crdt/clock skew (G3)', () => {
  it('with userVersion, an older database row never wins on any replica under ±5 s skew', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 5 }), arbSkews, arbSteps, (size, skews, steps) => {
        expect(run(size, skews, steps, true).olderRowWon).to.equal(false)
      }),
      propertyParams(150),
    )
  })

  it('control: without userVersion the same kind of history lets an older row win', () => {
    const runs = fc.sample(fc.tuple(fc.integer({ min: 3, max: 5 }), arbSkews, arbSteps), { seed: 1, numRuns: 100 })
    expect(runs.some(([size, skews, steps]) => run(size, skews, steps, false).olderRowWon)).to.equal(true)
  })
})
