// Replica.lastDropReason: why apply dropped a delta, read right after it returned 'dropped' (the
// replication engine's one apply path reports it instead of diffing the drop counters).
import { expect } from 'chai'
import { Replica, hlcFromParts, makeDelta, makeVersion, type Delta } from '../../crdt/index.ts'
import { T0 } from './arbitraries.ts'

const origin = { nodeId: 'z', epoch: 1 }
const set = (key: string, hlcMs: number, size: number): Delta =>
  makeDelta('set', key, makeVersion(0, hlcFromParts(hlcMs), 'z'), undefined, new Uint8Array(size), undefined, origin, 0)

describe('crdt/replica: lastDropReason', () => {
  it('names the counter each drop moved, and is set only by drops', () => {
    const r = new Replica({ nodeId: 'b', maxBytes: 100_000 })
    expect(r.lastDropReason).to.equal(undefined)
    expect(r.apply(set('far', T0 + 3_600_000, 1), T0)).to.equal('dropped')
    expect(r.lastDropReason).to.equal('clock-drift')
    expect(r.apply(set('big', T0, 50_000), T0)).to.equal('dropped')
    expect(r.lastDropReason).to.equal('too-large')
    const v = makeVersion(0, hlcFromParts(T0), 'z')
    const merge = makeDelta('merge', 'doc', v, v, new Uint8Array([0xff, 0xff, 0xff]), undefined, origin, 0)
    expect(r.apply(merge, T0)).to.equal('dropped')
    expect(r.lastDropReason).to.equal('invalid-yjs')
    expect(r.apply(set('ok', T0 + 1, 1), T0 + 1)).to.equal('applied')
    expect(r.lastDropReason, 'unchanged by an apply that does not drop').to.equal('invalid-yjs')
    expect(r.stats()).to.include({ droppedDrift: 1, droppedTooLarge: 1, droppedYjs: 1, dropped: 3, applied: 1 })
  })
})
