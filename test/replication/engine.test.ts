// The replication engine's decisions, one by one, driven by hand (no network): batching,
// fan-out and the byte-bounded queue, the one apply path and its drop reasons, gap repair and
// its fallback, anti-entropy, acknowledgements, offenders.
import { expect } from 'chai'
import { drain, engineNode } from './sim-network.ts'
import { Replica, makeDelta, makeVersion, type Hlc } from '../../crdt/index.ts'
import { decodeDeltas, encodeDeltas } from '../../crdt/index.ts'
import { decodeFrame, encodeFrame, FrameKindCode, ReplicationEngine } from '../../lib/replication/index.ts'
import type { EngineOutput, ReplicationFrame, ReplicationTuning } from '../../lib/replication/index.ts'

const T0 = Date.UTC(2026, 10, 25)


function sends(out: EngineOutput[]): { to: string; bytes: Uint8Array; frame: ReplicationFrame }[] {
  return out.flatMap((o) => (o.type === 'send' ? [{ to: o.to, bytes: o.bytes, frame: decodeFrame(o.bytes) }] : []))
}

const value = (n: number): Uint8Array => new Uint8Array(n).fill(7)

describe('replication engine: batching and fan-out', () => {
  it('flushes at batchMaxDeltas, encodes the batch once and outputs the same bytes to every live member', () => {
    const a = engineNode('a', { batchMaxDeltas: 3 })
    for (const m of ['b', 'c', 'd']) a.engine.memberUp(m, T0)
    a.engine.memberDown('d', T0)
    a.engine.write(a.replica.set('k1', value(10), {}, T0), T0)
    a.engine.write(a.replica.set('k2', value(10), {}, T0), T0)
    expect(sends(drain(a.engine))).to.have.length(0)
    a.engine.write(a.replica.set('k3', value(10), {}, T0), T0)
    const s = sends(drain(a.engine))
    expect(s.map((x) => x.to)).to.deep.equal(['b', 'c'])
    expect(s[0].bytes, 'one encoding for every member').to.equal(s[1].bytes)
    const f = s[0].frame
    expect(f.kind).to.equal('batch')
    if (f.kind === 'batch') expect(decodeDeltas(f.batch).map((d) => d.seq)).to.deep.equal([1, 2, 3])
  })

  it('flushes batchIntervalMs after the first delta (nextDeadline), and at batchMaxBytes', () => {
    const a = engineNode('a', { batchIntervalMs: 2, batchMaxBytes: 1000 })
    a.engine.memberUp('b', T0)
    a.engine.write(a.replica.set('k1', value(10), {}, T0), T0)
    expect(a.engine.nextDeadline()).to.equal(T0 + 2)
    a.engine.tick(T0 + 1)
    expect(sends(drain(a.engine))).to.have.length(0)
    a.engine.tick(T0 + 2)
    expect(sends(drain(a.engine))).to.have.length(1)
    // A delta that would take the batch past batchMaxBytes sends the batch first.
    a.engine.write(a.replica.set('k2', value(600), {}, T0 + 3), T0 + 3)
    a.engine.write(a.replica.set('k3', value(600), {}, T0 + 3), T0 + 3)
    const s = sends(drain(a.engine))
    expect(s).to.have.length(1)
    if (s[0].frame.kind === 'batch') expect(decodeDeltas(s[0].frame.batch).map((d) => d.key)).to.deep.equal(['k2'])
  })

  it('writes nothing out with no live member (the log keeps the deltas for repair)', () => {
    const a = engineNode('a', { batchMaxDeltas: 1 })
    a.engine.write(a.replica.set('k', value(1), {}, T0), T0)
    expect(drain(a.engine)).to.deep.equal([])
    expect(a.engine.nextDeadline()).to.equal(undefined)
  })
})

describe('replication engine: the byte-bounded queue per member', () => {
  it('marks a member that does not drain behind once, sends it nothing more, and catches it up by digest when it drains', () => {
    const bound = 4096
    const a = engineNode('a', { batchMaxDeltas: 1, maxQueueBytes: bound })
    a.engine.memberUp('slow', T0)
    a.engine.memberUp('fast', T0)
    const out: EngineOutput[] = []
    for (let i = 0; i < 100; i++) {
      a.engine.write(a.replica.set(`k${i}`, value(100), {}, T0), T0)
      const o = drain(a.engine)
      out.push(...o)
      for (const s of sends(o)) if (s.to === 'fast') a.engine.sent('fast', s.bytes.byteLength, T0)
      expect(a.engine.queuedBytes('slow')).to.be.at.most(bound)
    }
    expect(out.filter((o) => o.type === 'behind')).to.deep.equal([{ type: 'behind', peer: 'slow' }])
    expect(sends(out).filter((s) => s.to === 'fast')).to.have.length(100)
    const toSlow = sends(out).filter((s) => s.to === 'slow')
    expect(toSlow.length).to.be.below(100)
    expect(a.engine.isBehind('slow')).to.equal(true)
    // The transport drains it: below half the bound it is caught up and sent our digest.
    a.engine.sent('slow', toSlow.reduce((n, s) => n + s.bytes.byteLength, 0), T0 + 1)
    const after = sends(drain(a.engine))
    expect(after.map((s) => [s.to, s.frame.kind])).to.deep.equal([['slow', 'digest']])
    expect(a.engine.isBehind('slow')).to.equal(false)
    expect(a.engine.stats().maxQueuedBytes).to.be.at.most(bound)
    expect(a.engine.stats()).to.include({ behind: 1, caughtUp: 1 })
  })

  it('forgets a member\'s queue when it goes down', () => {
    const a = engineNode('a', { batchMaxDeltas: 1 })
    a.engine.memberUp('b', T0)
    a.engine.write(a.replica.set('k', value(10), {}, T0), T0)
    drain(a.engine)
    expect(a.engine.queuedBytes('b')).to.be.greaterThan(0)
    a.engine.memberDown('b', T0)
    expect(a.engine.queuedBytes('b')).to.equal(0)
    expect(a.engine.stats().queuedBytes).to.equal(0)
  })
})

/** Delivers every send of `from` to the engines by id, repeatedly, until nothing moves. */
type Nodes = Record<string, ReturnType<typeof engineNode>>

function exchange(nodes: Nodes, nowMs: number, drop?: (f: ReplicationFrame, to: string) => boolean): EngineOutput[] {
  const events: EngineOutput[] = []
  let moved = true
  while (moved) {
    moved = false
    for (const [id, n] of Object.entries(nodes)) {
      for (const o of drain(n.engine)) {
        if (o.type !== 'send') {
          events.push(o)
          continue
        }
        moved = true
        n.engine.sent(o.to, o.bytes.byteLength, nowMs)
        if (drop?.(decodeFrame(o.bytes), o.to) === true) continue
        nodes[o.to]?.engine.receive(id, o.bytes, nowMs)
      }
    }
  }
  return events
}

function cluster(ids: string[], tuning: ReplicationTuning = {}): Record<string, ReturnType<typeof engineNode>> {
  const nodes = Object.fromEntries(ids.map((id) => [id, engineNode(id, tuning)]))
  for (const a of ids) for (const b of ids) if (a !== b) nodes[a].engine.memberUp(b, T0)
  return nodes
}

describe('replication engine: one apply path', () => {
  it('outputs every remote delta once as `applied` with the replica\'s outcome and drop reason', () => {
    const nodes = cluster(['a', 'b'], { batchMaxDeltas: 1 })
    const { a } = nodes
    a.engine.write(a.replica.set('k', value(3), {}, T0), T0)
    const d = a.replica.set('k', value(4), {}, T0)
    a.engine.write(d, T0)
    let events = exchange(nodes, T0)
    expect(events.filter((e) => e.type === 'applied').map((e) => e.type === 'applied' && e.outcome)).to.deep.equal(['applied', 'applied'])
    // The same delta again (a duplicate): stale. One far in the future: dropped with the replica's reason.
    const farVersion = makeVersion(0, ((T0 + 3_600_000) * 2048) as Hlc, 'a')
    const far = makeDelta('set', 'f', farVersion, undefined, value(1), undefined, a.replica.origin, 0)
    for (const x of [d, far]) {
      nodes.b.engine.receive('a', encodeFrame({ kind: 'batch', acks: [], batch: encodeDeltas([x]) }), T0)
    }
    events = drain(nodes.b.engine)
    expect(events.map((e) => e.type === 'applied' && e.outcome)).to.deep.equal(['stale', { dropped: 'clock-drift' }])
    expect(nodes.b.engine.stats()).to.include({ applied: 2, stale: 1, dropped: 1 })
  })
})


describe('replication engine: gap repair and anti-entropy', () => {
  it('asks the origin for a hole after gapGraceMs, and applies its range answer', () => {
    const nodes = cluster(['a', 'b'], { batchMaxDeltas: 1, gapGraceMs: 100 })
    const { a, b } = nodes
    for (let i = 1; i <= 3; i++) a.engine.write(a.replica.set(`k${i}`, value(5), {}, T0), T0)
    // seq 2 is lost on the way.
    let n = 0
    exchange(nodes, T0, (f) => f.kind === 'batch' && ++n === 2)
    expect(b.replica.progress.gaps(a.replica.origin)).to.deep.equal([{ from: 2, to: 2 }])
    expect(b.engine.nextDeadline()).to.equal(T0 + 100)
    b.engine.tick(T0 + 99)
    expect(sends(drain(b.engine))).to.have.length(0)
    b.engine.tick(T0 + 100)
    const asked = drain(b.engine)
    const want = { kind: 'want', origin: a.replica.origin, from: 2, to: 3, maxBytes: 4 * 1024 * 1024 }
    expect(sends(asked).map((s) => s.frame)).to.deep.include(want)
    for (const s of sends(asked)) a.engine.receive('b', s.bytes, T0 + 100)
    exchange(nodes, T0 + 100)
    expect(b.replica.progress.progress(a.replica.origin)).to.include({ contiguous: 3, highest: 3 })
    expect(b.engine.stats().repair).to.include({ rangeRequests: 1, rangeDeltas: 2 })
  })

  it('falls back to since(frontier) from another live member when the origin is down', () => {
    const nodes = cluster(['a', 'b', 'c'], { batchMaxDeltas: 1, gapGraceMs: 10 })
    const { a, b } = nodes
    for (let i = 1; i <= 3; i++) a.engine.write(a.replica.set(`k${i}`, value(5), {}, T0), T0)
    let n = 0
    exchange(nodes, T0, (f, to) => f.kind === 'batch' && to === 'b' && ++n === 2)
    b.engine.memberDown('a', T0)
    b.engine.tick(T0 + 10)
    const asked = sends(drain(b.engine))
    expect(asked.map((s) => [s.to, s.frame.kind])).to.deep.equal([['c', 'since']])
    nodes.c.engine.receive('b', asked[0].bytes, T0 + 10)
    exchange({ b, c: nodes.c }, T0 + 10)
    expect(b.replica.getEntry('k2', T0 + 10)).to.not.equal(undefined)
    expect(b.replica.progress.progress(a.replica.origin)).to.include({ contiguous: 3 })
    expect(b.engine.stats().repair).to.include({ sinceRequests: 1 })
  })

  it('finds a lost tail by anti-entropy with one random live member', () => {
    const nodes = cluster(['a', 'b'], { batchMaxDeltas: 1, gapGraceMs: 0, antiEntropyIntervalMs: 1000 })
    const { a, b } = nodes
    a.engine.write(a.replica.set('k1', value(5), {}, T0), T0)
    a.engine.write(a.replica.set('k2', value(5), {}, T0), T0)
    let n = 0
    exchange(nodes, T0, (f) => f.kind === 'batch' && ++n === 2) // the last one is lost: no hole
    expect(b.replica.getEntry('k2', T0)).to.equal(undefined)
    expect(a.engine.nextDeadline()).to.equal(T0 + 1000)
    a.engine.tick(T0 + 1000)
    b.engine.tick(T0 + 1000)
    exchange(nodes, T0 + 1000)
    b.engine.tick(T0 + 1000)
    exchange(nodes, T0 + 1000)
    expect(b.replica.getEntry('k2', T0 + 1000)).to.not.equal(undefined)
    expect(a.engine.stats().repair.antiEntropyRounds).to.equal(1)
  })

  it('while warming up, a digest naming a member never heard of sets off no pull (the warm-up streams its state)', () => {
    const replica = new Replica({ nodeId: 'b', maxBytes: 1 << 24 })
    const b = new ReplicationEngine({ replica, selfId: 'b', seed: 1 })
    b.memberUp('a', T0)
    const a = { nodeId: 'a', epoch: 1 }
    const digest = { origin: a, lastSeq: 500, clock: 0 as Hlc, horizon: 0 as Hlc, progress: [] }
    b.receive('a', encodeFrame({ kind: 'digest', replyWanted: false, digest }), T0)
    b.tick(T0 + 5_000)
    const kinds = drain(b).flatMap((o) => (o.type === 'send' ? [o.bytes[1]] : []))
    expect(kinds).to.not.include(FrameKindCode.want).and.not.include(FrameKindCode.since)
    // Once warmed up, the same digest wants a's seqs from 1.
    replica.progress.warmedUp()
    b.receive('a', encodeFrame({ kind: 'digest', replyWanted: false, digest }), T0 + 6_000)
    b.tick(T0 + 7_000)
    expect(drain(b).flatMap((o) => (o.type === 'send' ? [o.bytes[1]] : []))).to.include(FrameKindCode.want)
  })

  it('does not set off pulls for an origin that is not a member (a digest naming strangers)', () => {
    const { b } = cluster(['a', 'b'])
    const stranger = { nodeId: 'mallory', epoch: 1 }
    const progress = [{ origin: stranger, contiguous: 0, highest: 1000, abandoned: 0 }]
    const digest = { origin: stranger, lastSeq: 1000, clock: 0 as Hlc, horizon: 0 as Hlc, progress }
    b.engine.receive('a', encodeFrame({ kind: 'digest', replyWanted: false, digest }), T0)
    // Only the digest itself is reported (the node's identity check reads it); nothing is asked.
    expect(drain(b.engine)).to.deep.equal([{ type: 'digest', from: 'a', digest }])
    b.engine.tick(T0 + 10_000)
    // Its anti-entropy digest goes out on time; no want or since does.
    const kinds = drain(b.engine).flatMap((o) => (o.type === 'send' ? [o.bytes[1]] : []))
    expect(kinds).to.not.include(FrameKindCode.want).and.not.include(FrameKindCode.since)
    expect(b.replica.progress.progress(stranger)).to.equal(undefined)
  })
})

describe('replication engine: acknowledged writes', () => {
  it('finishes when every live member answered applied or stale', () => {
    const nodes = cluster(['a', 'b', 'c'])
    const { a } = nodes
    a.engine.write(a.replica.set('k', value(5), {}, T0), T0, 42)
    a.engine.tick(T0 + 2)
    const events = exchange(nodes, T0 + 2)
    expect(events.filter((e) => e.type === 'ack')).to.deep.equal([{ type: 'ack', ackId: 42, missing: [], refused: [] }])
    expect(a.engine.stats().acks).to.include({ started: 1, succeeded: 1, pending: 0 })
  })

  it('reports a refusal with the member\'s reason, and a member that never answers as missing at the deadline', () => {
    const nodes = cluster(['a', 'b', 'c'], { ackTimeoutMs: 500, ackRetryMs: 100 })
    const { a } = nodes
    // c refuses: its store is too small for the value.
    const small = new Replica({ nodeId: 'c', maxBytes: 1000 })
    small.progress.warmedUp()
    nodes.c = { replica: small, engine: new ReplicationEngine({ replica: small, selfId: 'c', seed: 2 }) }
    for (const m of ['a', 'b']) nodes.c.engine.memberUp(m, T0)
    a.engine.write(a.replica.set('k', value(900), {}, T0), T0, 7)
    a.engine.tick(T0 + 2)
    exchange(nodes, T0 + 2, (f, to) => to === 'b') // b never hears of it
    for (const t of [100, 200, 300, 400]) {
      a.engine.tick(T0 + 2 + t)
      exchange(nodes, T0 + 2 + t, (f, to) => to === 'b')
    }
    expect(a.engine.nextDeadline()).to.be.at.most(T0 + 500)
    a.engine.tick(T0 + 500)
    const done = drain(a.engine).filter((e) => e.type === 'ack')
    expect(done).to.deep.equal([{ type: 'ack', ackId: 7, missing: ['b'], refused: [{ member: 'c', reason: 'too-large' }] }])
  })

  it('stops counting a member that goes down, and finishes at once with nobody to wait for', () => {
    const nodes = cluster(['a', 'b'])
    const { a } = nodes
    a.engine.write(a.replica.set('k', value(5), {}, T0), T0, 1)
    drain(a.engine)
    a.engine.memberDown('b', T0 + 1)
    expect(drain(a.engine)).to.deep.equal([{ type: 'ack', ackId: 1, missing: [], refused: [] }])
    a.engine.write(a.replica.set('k', value(5), {}, T0), T0 + 2, 2)
    expect(drain(a.engine)).to.deep.equal([{ type: 'ack', ackId: 2, missing: [], refused: [] }])
  })

  it('close finishes every acknowledged write still waiting, naming the members that had not answered', () => {
    const { a } = cluster(['a', 'b', 'c'])
    a.engine.write(a.replica.set('k', value(5), {}, T0), T0, 8)
    drain(a.engine)
    a.engine.close(T0 + 1)
    expect(drain(a.engine)).to.deep.equal([{ type: 'ack', ackId: 8, missing: ['b', 'c'], refused: [] }])
    a.engine.tick(T0 + 10_000)
    expect(drain(a.engine).filter((o) => o.type === 'ack'), 'finished once').to.deep.equal([])
  })

  it('retries an unanswered request alone, and a member answers a duplicate as stale', () => {
    const nodes = cluster(['a', 'b'], { ackRetryMs: 50 })
    const { a } = nodes
    a.engine.write(a.replica.set('k', value(5), {}, T0), T0, 3)
    a.engine.tick(T0 + 2)
    exchange(nodes, T0 + 2, (f) => f.kind === 'acked') // the answer is lost
    a.engine.tick(T0 + 50)
    const events = exchange(nodes, T0 + 50)
    expect(events.filter((e) => e.type === 'ack')).to.deep.equal([{ type: 'ack', ackId: 3, missing: [], refused: [] }])
    expect(nodes.b.engine.stats()).to.include({ applied: 1, stale: 1 })
  })
})

describe('replication engine: offenders', () => {
  it('outputs one offender per window once malformedLimit is reached; bytes that decode but break admission are not counted', () => {
    const { a } = cluster(['a', 'b'], { malformedLimit: 10, malformedWindowMs: 60_000 })
    const junk = new Uint8Array([1, 99, 0])
    for (let i = 0; i < 50; i++) a.engine.receive('b', junk, T0 + i)
    expect(drain(a.engine)).to.deep.equal([{ type: 'offender', peer: 'b', malformed: 10 }])
    for (let i = 0; i < 50; i++) a.engine.receive('b', junk, T0 + 60_000 + i)
    expect(drain(a.engine)).to.deep.equal([{ type: 'offender', peer: 'b', malformed: 10 }])
    // A batch of a delta with an hlc beyond the admission rule: refused alone, not an offence.
    const badVersion = makeVersion(0, (Number.MAX_SAFE_INTEGER - 1) as Hlc, 'b')
    const bad = makeDelta('set', 'k', badVersion, undefined, value(1), undefined, { nodeId: 'b', epoch: 0 }, 1)
    a.engine.receive('b', encodeFrame({ kind: 'batch', acks: [], batch: encodeDeltas([bad]) }), T0 + 200_000)
    const out = drain(a.engine)
    expect(out.map((o) => o.type)).to.deep.equal(['applied'])
    expect(a.engine.stats()).to.include({ malformed: 100, offenders: 2 })
  })
})
