// The engine's gap repair where the node's old Repair went wrong (ported from its tests, which
// went with it: the chaos matrix's known bug, repair-fallback and repair-loop): a since answer
// marks an origin received only up to what the member that answered had; an answer the byte
// budget cut is asked again in halved key-hash slices; a delta in an origin's log that cannot
// travel neither stalls nor loops repair. Over the simulated network (sim-network.ts), time
// simulated, one seed each: deterministic.
import { expect } from 'chai'
import { makeDelta, makeVersion, type Delta, type Hlc, type SinceOptions } from '../../crdt/index.ts'
import { encodeFrame } from '../../lib/replication/index.ts'
import { SimNetwork, type SimNode } from './sim-network.ts'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (v: Uint8Array | undefined): string | undefined => (v === undefined ? undefined : new TextDecoder().decode(v))

/** `from`'s digest, as its anti-entropy round would send it to `to` (the round's partner is random: chosen here). */
function sendDigest(sim: SimNetwork, from: number, to: number): void {
  const digest = sim.nodes[from].replica.digest()
  sim.inject(sim.nodes[from].id, to, encodeFrame({ kind: 'digest', replyWanted: false, digest }))
}

/** How much of `origin`'s writes `node` counts as received (its contiguous seq). */
function contiguous(node: SimNode, origin: SimNode): number {
  return node.replica.progress.progress(origin.replica.origin)?.contiguous ?? 0
}

describe('replication engine: since fallback', function () {
  // Found by the chaos matrix (sigstop-tail). A is paused long enough for B and C to
  // declare it dead; the write it took while paused (its tail: no later seq reveals a hole)
  // reaches no one. On resume A's digest tells B it misses A's seq 3, but A is dead in B's
  // view, so B asks since(T) of C, which never got seq 3 either. Marking A received up to the
  // seq B wanted (3) would make B serve the older value for ever: a divergence no
  // anti-entropy round repairs. It may mark only what C had (2).
  it('since fallback: seqs are never marked received beyond what the answering member had (lost tail after a pause)', () => {
    const sim = new SimNetwork({ n: 3, seed: 16, delayMs: [1, 5] })
    const [a, b, c] = sim.nodes
    sim.set(0, 'k', enc('a1'))
    sim.set(0, 'j', enc('a2'))
    sim.run(100)
    expect([contiguous(b, a), contiguous(c, a)]).to.deep.equal([2, 2])
    // A pauses: B and C declare it dead; the write it took meanwhile reaches no one.
    sim.memberDown(1, 0)
    sim.memberDown(2, 0)
    sim.partition([0], [1, 2])
    sim.set(0, 'k', enc('a3'))
    sim.run(100)
    // A resumes: its anti-entropy digest reaches B, which wants A's seq 3 and asks C (A is dead to it).
    sendDigest(sim, 0, 1)
    sim.run(500)
    expect(b.engine.stats().repair.sinceRequests, 'B asked C since(T)').to.be.at.least(1)
    expect(c.engine.stats().repair.served, 'C answered').to.be.at.least(1)
    expect({ contiguous: contiguous(b, a), holds: text(b.replica.get('k', sim.now)) }).to.deep.equal({ contiguous: 2, holds: 'a1' })
    expect(b.engine.stats().repair.pendingOrigins, 'seq 3 still wanted').to.equal(1)
    // A is alive again (it refuted its death): B pulls seq 3 from A's own log.
    sim.heal()
    sim.memberUp(1, 0)
    sim.memberUp(2, 0)
    sim.run(5_000)
    expect({ contiguous: contiguous(b, a), holds: text(b.replica.get('k', sim.now)) }).to.deep.equal({ contiguous: 3, holds: 'a3' })
  })

  // Found by the cluster benchmark (1M writes, fallbacks cut at 8 MiB, entries lost). The
  // origin's log holds one delta, so every range is unavailable and the 400 writes B missed come
  // by since(T), whose answers the byte budget cuts at ~50 deltas.
  const cut = 'since fallback: an answer cut by the byte budget is asked again in halved key-hash slices; '
  it(`${cut}nothing is marked received that did not arrive`, () => {
    const sim = new SimNetwork({
      n: 2,
      seed: 16,
      delayMs: [1, 5],
      tuning: { repairAnswerMaxBytes: 8192 },
      replicaInit: (i) => (i === 0 ? { log: { maxDeltas: 1 } } : {}),
    })
    const [a, b] = sim.nodes
    sim.set(0, 'seed', new Uint8Array(10))
    sim.run(50)
    expect(contiguous(b, a)).to.equal(1)
    sim.partition([0], [1])
    for (let i = 0; i < 400; i++) sim.set(0, `k${i}`, new Uint8Array(100))
    sim.run(50)
    sim.heal()
    sendDigest(sim, 0, 1)
    const missing = (): string[] => [...Array(400).keys()].map((i) => `k${i}`).filter((k) => b.replica.get(k, sim.now) === undefined)
    for (let t = 0; t < 30_000 && contiguous(b, a) < a.replica.log.lastSeq; t += 10) {
      sim.run(10)
      // since answers carry state (seq 0): only the end of a round may mark seqs, and only once every slice came.
      if (contiguous(b, a) > 1) expect(missing(), `marked ${contiguous(b, a)} received at ${sim.now} ms`).to.deep.equal([])
    }
    const repair = b.engine.stats().repair
    // The origin first (its log no longer holds the range), then since alone until the round ends.
    expect(repair.rangeRequests, 'range requests').to.equal(1)
    expect(repair.sinceRequests, 'the cut slices were split and asked again').to.be.greaterThan(4)
    expect(missing()).to.deep.equal([])
    expect(contiguous(b, a)).to.equal(a.replica.log.lastSeq)
  })
})

/**
 * Origin A (node 0) wrote k1, k2, k3 (seqs 1..3) while cut off from B (node 1); then its log
 * and its since() serve `bad` in place of k2 (what a real replica cannot be made to hold: the
 * serving side is patched, as the node tests faked it). A's digest reaches B, which repairs.
 */
function repairAroundBadDelta(bad: (k2: Delta) => Delta): { sim: SimNetwork; a: SimNode; b: SimNode; k2: Delta } {
  const sim = new SimNetwork({ n: 2, seed: 16, delayMs: [2, 10] })
  const [a, b] = sim.nodes
  sim.partition([0], [1])
  sim.set(0, 'k1', enc('v1'))
  const k2 = sim.set(0, 'k2', enc('v2'))
  sim.set(0, 'k3', enc('v3'))
  sim.run(100)
  const served = bad(k2)
  const range = a.replica.log.range.bind(a.replica.log)
  a.replica.log.range = (from, to, maxBytes) => range(from, to, maxBytes)?.map((d) => (d.seq === 2 ? served : d))
  const since = a.replica.since.bind(a.replica)
  a.replica.since = function* (hlc: Hlc, options?: SinceOptions): IterableIterator<Delta> {
    for (const d of since(hlc, options)) yield d.key === 'k2' ? stateOf(served) : d
  }
  sim.heal()
  sendDigest(sim, 0, 1)
  sim.run(3_000)
  expect(contiguous(b, a), "B received A's seqs 1..3").to.equal(3)
  expect(text(b.replica.get('k1', sim.now)), 'k1').to.equal('v1')
  expect(text(b.replica.get('k3', sim.now)), 'k3').to.equal('v3')
  // Settled: no request goes out any more (a loop would send one per round trip).
  const served0 = a.engine.stats().repair.served
  expect(b.engine.stats().repair.pendingOrigins, 'no origin wanted').to.equal(0)
  sim.run(10_000) // five anti-entropy periods
  expect(a.engine.stats().repair.served, 'requests served after settling').to.equal(served0)
  return { sim, a, b, k2 }
}

/** `d` as since() streams it: state, seq 0. */
function stateOf(d: Delta): Delta {
  return makeDelta(d.op, d.key, d.version, d.base, d.value, d.expiresAt, d.origin, 0)
}

describe('replication engine: repair with a delta that cannot travel', function () {
  // Issue 13, deliver 2: a delta no peer could decode (an expiry
  // beyond 2^53, as `set(k, v, { ttlMs: 1e20 })` once admitted) made every range and since of its
  // origin fail, for ever, and the writes around it never arrived.
  it('range serves a delta no peer could decode as a ghost under its seq: repair moves past it and the writes around it arrive', () => {
    const { sim, b, k2 } = repairAroundBadDelta((k2) =>
      makeDelta('set', 'k2', k2.version, undefined, new Uint8Array(1), 1e20, k2.origin, 2),
    )
    const ghost = b.events.find((e) => e.type === 'applied' && e.delta.key === 'k2')
    expect(ghost, 'k2 came').to.not.equal(undefined)
    if (ghost?.type === 'applied') expect({ op: ghost.delta.op, seq: ghost.delta.seq }).to.deep.equal({ op: 'ghost', seq: 2 })
    expect(b.replica.get('k2', sim.now), 'k2: its version known, its value not').to.equal(undefined)
    // The ghost blocks an older write of k2 (G4): the version did travel.
    const older = makeDelta('set', 'k2', makeVersion(0, 1 as Hlc, k2.version.nodeId), undefined, new Uint8Array(1), undefined, k2.origin, 0)
    expect(b.replica.apply(older, sim.now)).to.equal('stale')
    const repair = b.engine.stats().repair
    expect({ since: repair.sinceRequests, rangesAtMost2: repair.rangeRequests <= 2 }, 'range alone moved past it').to.deep.equal({
      since: 0,
      rangesAtMost2: true,
    })
  })

  it('a range that cannot carry the first wanted seq (its key cannot travel) is settled by since(T), not asked again', () => {
    // A key over MAX_KEY_BYTES: not even a ghost of it can travel; the range leaves it out.
    const { b } = repairAroundBadDelta((k2) =>
      makeDelta('set', 'x'.repeat(70_000), k2.version, undefined, new Uint8Array(1), undefined, k2.origin, 2),
    )
    const repair = b.engine.stats().repair
    expect(repair.sinceRequests, 'settled by since').to.be.at.least(1)
    expect(repair.rangeRequests + repair.sinceRequests, 'requests in all').to.be.below(10)
  })
})
