// One bad delta against the engine's batch path and apply path (ported from the tests of the
// node's old gossip Replicator, which went with it): a delta that cannot be encoded neither takes
// its batch down nor stops later ones; an exception of ours while applying is reported and never
// charged to the peer whose bytes decoded; bytes that do not decode are; a large value travels
// alone. Engines driven by hand, no network, time an argument.
import { expect } from 'chai'
import { drain, engineNode } from './sim-network.ts'
import { decodeDeltas, encodeDeltas, hlcFromParts, makeDelta, makeVersion, type Delta, type Hlc } from '../../crdt/index.ts'
import { decodeFrame, encodeFrame } from '../../lib/replication/index.ts'
import type { EngineOutput, ReplicationTuning } from '../../lib/replication/index.ts'

const T0 = 1_700_000_000_000
const origin = { nodeId: 'w', epoch: 1 }
const delta = (key: string, seq: number, expiresAt?: number): Delta =>
  makeDelta('set', key, makeVersion(0, hlcFromParts(T0 + seq), 'w'), undefined, Uint8Array.of(seq), expiresAt, origin, seq)

const node = (id: string, tuning: ReplicationTuning = {}): ReturnType<typeof engineNode> =>
  engineNode(id, tuning, { epoch: 1, maxBytes: 1 << 24 })

/** The delta batches in `out` (batch frames sent, or publishes to the mesh), one per batch (the first copy of a fan-out). */
function batches(out: EngineOutput[]): Uint8Array[] {
  const seen = new Set<Uint8Array>()
  const found: Uint8Array[] = []
  for (const o of out) {
    if (o.type === 'publish') found.push(o.bytes)
    if (o.type !== 'send' || seen.has(o.bytes)) continue
    seen.add(o.bytes)
    const f = decodeFrame(o.bytes)
    if (f.kind === 'batch') found.push(f.batch)
  }
  return found
}

const batch = (deltas: Delta[]): Uint8Array => encodeFrame({ kind: 'batch', acks: [], batch: encodeDeltas(deltas) })

describe('replication engine: a delta that cannot be encoded', () => {
  for (const [mode, tuning] of [
    ['to each member', {}],
    ['to the gossip mesh', { gossipAboveMembers: 1 }],
  ] as const) {
    it(`is left out alone (a ghost of its version under its seq): its batch and every later one go (${mode})`, () => {
      const w = node('w', tuning)
      w.engine.memberUp('r', T0)
      w.engine.write(delta('a', 1), T0)
      w.engine.write(delta('bad', 2, 1e20), T0) // an expiresAt no codec can carry (admission keeps it out; a bug would not)
      w.engine.write(delta('b', 3), T0)
      w.engine.flush(T0)
      w.engine.write(delta('c', 4), T0)
      w.engine.flush(T0)
      const sent = batches(drain(w.engine)).map((b) => decodeDeltas(b).map((d) => `${d.key} ${d.op} ${d.seq}`))
      expect(sent).to.deep.equal([['a set 1', 'bad ghost 2', 'b set 3'], ['c set 4']])
      expect(w.engine.stats()).to.include({ batches: 2, unsendable: 1, framesDropped: 0 })
    })
  }

  it('one that cannot travel even as a ghost is left out, and the ack requests of the rest still name their deltas', () => {
    const w = node('w')
    const r = node('r')
    w.engine.memberUp('r', T0)
    r.engine.memberUp('w', T0)
    // A malformed version: a ghost of it cannot travel either.
    const malformed = { ...makeVersion(0, hlcFromParts(T0 + 2), 'w'), hlc: -1 as Hlc }
    w.engine.write(delta('a', 1), T0, 1)
    w.engine.write(makeDelta('set', 'bad', malformed, undefined, Uint8Array.of(2), undefined, origin, 2), T0, 2)
    w.engine.write(delta('b', 3), T0, 3)
    w.engine.flush(T0)
    const out = drain(w.engine)
    expect(batches(out).map((b) => decodeDeltas(b).map((d) => d.key))).to.deep.equal([['a', 'b']])
    for (const o of out) if (o.type === 'send') r.engine.receive('w', o.bytes, T0)
    for (const o of drain(r.engine)) if (o.type === 'send') w.engine.receive('r', o.bytes, T0)
    const acks = drain(w.engine).filter((o) => o.type === 'ack')
    expect(acks).to.deep.equal([
      { type: 'ack', ackId: 1, missing: [], refused: [] },
      { type: 'ack', ackId: 3, missing: [], refused: [] },
    ])
    // Its own ack request is retried (it cannot travel: nothing is sent) until it times out.
    for (let t = 100; t <= 5_000; t += 100) w.engine.tick(T0 + t)
    const done = drain(w.engine).filter((o) => o.type === 'ack')
    expect(done).to.deep.equal([{ type: 'ack', ackId: 2, missing: ['r'], refused: [] }])
  })
})

describe('replication engine: blame on the apply path', () => {
  it('an exception while applying a decoded delta is ours: reported, not charged to the sender, and the rest applies', () => {
    const r = node('r', { malformedLimit: 0 }) // the first frame charged to a peer would make it an offender
    r.engine.memberUp('peer-1', T0)
    const apply = r.replica.apply.bind(r.replica)
    const bug = new Error('a bug of ours')
    r.replica.apply = (d, now) => {
      if (d.key === 'boom') throw bug
      return apply(d, now)
    }
    r.engine.receive('peer-1', batch([delta('x', 1), delta('boom', 2), delta('y', 3)]), T0)
    const out = drain(r.engine)
    expect(out.map((o) => (o.type === 'applied' ? [o.delta.key, o.outcome, o.error] : o.type))).to.deep.equal([
      ['x', 'applied', undefined],
      ['boom', { dropped: 'failed' }, bug],
      ['y', 'applied', undefined],
    ])
    expect(r.engine.stats()).to.include({ applied: 2, applyErrors: 1, malformed: 0, offenders: 0 })
    expect(r.replica.get('x', T0)).to.deep.equal(Uint8Array.of(1))
    expect(r.replica.get('y', T0)).to.deep.equal(Uint8Array.of(3))
  })

  it('bytes that do not decode are blamed on the peer that sent them (a frame, or the delta batch inside one)', () => {
    const r = node('r', { malformedLimit: 0 })
    r.engine.receive('peer-1', batch([delta('x', 1)]), T0)
    r.engine.receive('peer-2', Uint8Array.of(1, 200, 200), T0)
    r.engine.receive('peer-3', encodeFrame({ kind: 'batch', acks: [], batch: Uint8Array.of(1, 200, 200) }), T0)
    const out = drain(r.engine)
    expect(out.map((o) => (o.type === 'applied' ? `${o.from} ${o.delta.key}` : o))).to.deep.equal([
      'peer-1 x',
      { type: 'offender', peer: 'peer-2', malformed: 1 },
      { type: 'offender', peer: 'peer-3', malformed: 1 },
    ])
    expect(r.engine.stats()).to.include({ malformed: 2, applyErrors: 0 })
  })
})

describe('replication engine: batch bounds', () => {
  it('a large value travels alone: the batch before it is sent first, and every batch stays within batchMaxBytes or one delta', () => {
    const batchMaxBytes = 512 * 1024
    const w = node('w', { batchMaxBytes })
    w.engine.memberUp('r', T0)
    w.engine.write(delta('s1', 1), T0)
    const bigVersion = makeVersion(0, hlcFromParts(T0 + 2), 'w')
    w.engine.write(makeDelta('set', 'big', bigVersion, undefined, new Uint8Array(600 * 1024), undefined, origin, 2), T0)
    w.engine.write(delta('s2', 3), T0)
    w.engine.tick(T0 + 2)
    const sent = batches(drain(w.engine))
    expect(sent.map((b) => decodeDeltas(b).map((d) => d.key))).to.deep.equal([['s1'], ['big'], ['s2']])
    for (const b of sent) if (decodeDeltas(b).length > 1) expect(b.byteLength).to.be.at.most(batchMaxBytes)
  })
})
