// The userVersion caveat for G4 (docs/replication.md §4), case by case on one replica: while
// the key's version is remembered an older row is refused whatever its hlc; once its ghost fell
// out, an older row is refused only at or below the horizon, and accepted above it (the
// documented window). Each case fails if its rule changes.
import { expect } from 'chai'
import { hlcFromParts, makeDelta, makeVersion, Replica, type Delta } from '../../crdt/index.ts'
import { T0 } from './arbitraries.ts'

const origin = { nodeId: 'w', epoch: 1 }
const row = (userVersion: number, ms: number, value: number): Delta =>
  makeDelta('set', 'row', makeVersion(userVersion, hlcFromParts(ms), 'w'), undefined, Uint8Array.of(value), undefined, origin, 0)

/** A replica holding row at userVersion 5 (hlc T0), small enough to forget it quickly. */
function replica(): Replica {
  const r = new Replica({ nodeId: 'r', maxBytes: 4_000, store: { entryOverheadBytes: 8, ghostRatio: 0.5 } })
  expect(r.apply(row(5, T0, 5), T0)).to.equal('applied')
  return r
}

/** Evicts row and pushes its ghost out with later writes, until the horizon passes its hlc. */
function forget(r: Replica): void {
  for (let i = 0; i < 2_000 && r.horizon < hlcFromParts(T0 + 1); i++) r.set(`fill${i}`, new Uint8Array(60), {}, T0 + 10 + i)
  expect(r.horizon, 'the horizon passed the row').to.be.at.least(hlcFromParts(T0))
  expect(r.store.ghost('row'), 'the ghost fell out').to.equal(undefined)
}

describe('crdt: userVersion × horizon (the G4 caveat)', () => {
  it('while the row is held, an older row is stale whatever its hlc', () => {
    const r = replica()
    expect(r.apply(row(3, T0 + 50_000, 3), T0 + 50_000)).to.equal('stale')
    expect(r.get('row', T0 + 50_000)).to.deep.equal(Uint8Array.of(5))
  })

  it('while its tombstone or shadow is remembered (evicted, ghost kept), an older row is still stale', () => {
    const r = replica()
    // Later writes evict row from the small queue; its ghost (version) stays for a while.
    for (let i = 0; i < 200 && r.getEntry('row', T0 + 1) !== undefined; i++) r.set(`fill${i}`, new Uint8Array(60), {}, T0 + 1 + i)
    expect(r.getEntry('row', T0 + 300)).to.equal(undefined)
    if (r.store.ghost('row') === undefined) throw new Error('setup: the row should be a ghost now')
    expect(r.apply(row(3, T0 + 50_000, 3), T0 + 50_000)).to.equal('stale')
    expect(r.get('row', T0 + 50_000)).to.equal(undefined)
  })

  it('once forgotten: an older row at or below the horizon is dropped (a miss)', () => {
    const r = replica()
    forget(r)
    const at = Number(r.horizon)
    const below = makeDelta('set', 'row', makeVersion(3, r.horizon, 'w'), undefined, Uint8Array.of(3), undefined, origin, 0)
    expect(r.apply(below, T0 + 60_000)).to.equal('dropped')
    expect(r.stats().droppedBelowHorizon).to.equal(1)
    expect(r.get('row', T0 + 60_000)).to.equal(undefined)
    expect(at).to.equal(Number(r.horizon))
  })

  it('once forgotten: an older row above the horizon is accepted (the documented window)', () => {
    const r = replica()
    forget(r)
    expect(r.apply(row(3, T0 + 60_000, 3), T0 + 60_000)).to.equal('applied')
    expect(r.get('row', T0 + 60_000)).to.deep.equal(Uint8Array.of(3))
  })
})
