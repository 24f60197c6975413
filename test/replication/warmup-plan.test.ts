// The warm-up plan (lib/replication/warmup-plan.ts), driven by hand and against seeded simulated
// peers that answer, fail their digest, die mid-warm-up, fail at random, cut budgets and hold
// horizons above the snapshot's clock. What every run must show: no origin baselined after a
// cut or a given-up slice (G4), the snapshot discarded when a horizon is above its clock, every
// slice of the key-hash space asked until served or given up, and given up only when no peer was
// left to ask.
import { expect } from 'chai'
import type { Hlc, Origin, OriginProgress, ReplicaDigest } from '../../crdt/index.ts'
import { Prng } from '../../lib/foundation/index.ts'
import { MAX_WARMUP_RETRY_REQUESTS, WarmupPlan } from '../../lib/replication/index.ts'
import type { WarmupPlanOutput, WarmupPlanResult, WarmupSliceResult } from '../../lib/replication/index.ts'
import { forSeeds } from '../support/seed.ts'

const SPACE = 2 ** 32
const T0 = 1_800_000_000_000
const MiB = 1 << 20

type Since = Extract<WarmupPlanOutput, { type: 'since' }>
type Baseline = Extract<WarmupPlanOutput, { type: 'baseline' }>

function digestOf(nodeId: string, opts: { horizon?: number; lastSeq?: number; progress?: OriginProgress[] } = {}): ReplicaDigest {
  return {
    origin: { nodeId, epoch: 1 },
    lastSeq: opts.lastSeq ?? 10,
    clock: 5_000 as Hlc,
    horizon: (opts.horizon ?? 0) as Hlc,
    progress: opts.progress ?? [],
  }
}

function drainPlan(plan: WarmupPlan): WarmupPlanOutput[] {
  const out: WarmupPlanOutput[] = []
  for (let o = plan.poll(); o !== undefined; o = plan.poll()) out.push(o)
  plan.validate()
  return out
}

const sinces = (out: WarmupPlanOutput[]): Since[] => out.filter((o): o is Since => o.type === 'since')
const resultOf = (out: WarmupPlanOutput[]): WarmupPlanResult | undefined => {
  const d = out.find((o) => o.type === 'done')
  return d?.type === 'done' ? d.result : undefined
}

/** Answers every digest of `peers` (undefined: the digest failed) and returns the since requests laid out. */
function layOut(plan: WarmupPlan, digests: Record<string, ReplicaDigest | undefined>): WarmupPlanOutput[] {
  drainPlan(plan)
  const out: WarmupPlanOutput[] = []
  for (const [peer, d] of Object.entries(digests)) {
    plan.handleDigest(peer, d, T0)
    out.push(...drainPlan(plan))
  }
  return out
}

describe('replication/warmup plan: decisions', () => {
  it('plan asks every peer its digest, then one slice per answering peer with an even share of the budget', () => {
    const plan = new WarmupPlan({ peers: ['a', 'b', 'c'], maxBytes: 3 * MiB, nowMs: T0 })
    expect(drainPlan(plan)).to.deep.equal([
      { type: 'digest', peer: 'a' },
      { type: 'digest', peer: 'b' },
      { type: 'digest', peer: 'c' },
    ])
    const out = layOut(plan, { a: digestOf('a'), b: undefined, c: digestOf('c') })
    expect(sinces(out).map((s) => [s.peer, s.lo, s.hi, s.maxBytes, s.hlc])).to.deep.equal([
      ['a', 0, SPACE / 2, 1.5 * MiB, 0],
      ['c', SPACE / 2, SPACE, 1.5 * MiB, 0],
    ])
    expect(plan.peers).to.equal(2)
  })

  it('handleSince failed re-splits the slice across every peer left, least busy first, budget shared', () => {
    const plan = new WarmupPlan({ peers: ['a', 'b', 'c', 'd'], maxBytes: 4 * MiB, nowMs: T0 })
    const first = sinces(layOut(plan, { a: digestOf('a'), b: digestOf('b'), c: digestOf('c'), d: digestOf('d') }))
    plan.handleSince(first[0].id, 'complete', T0 + 1) // a is idle now: it gets the first piece
    plan.handleSince(first[1].id, 'failed', T0 + 2)
    const retry = sinces(drainPlan(plan))
    const q = SPACE / 4
    const w = Math.floor(q / 3)
    expect(retry.map((s) => [s.peer, s.lo, s.hi, s.maxBytes])).to.deep.equal([
      ['a', q, q + w, Math.floor(MiB / 3)],
      ['c', q + w, q + Math.floor((2 * q) / 3), Math.floor(MiB / 3)],
      ['d', q + Math.floor((2 * q) / 3), 2 * q, Math.floor(MiB / 3)],
    ])
    for (const s of [...first.slice(2), ...retry]) plan.handleSince(s.id, 'complete', T0 + 3)
    const end = drainPlan(plan)
    expect(resultOf(end)).to.deep.include({ complete: true, failedSlices: 0, requests: 7, ms: 3 })
    expect(end.some((o) => o.type === 'baseline'), 'everything came: baselined').to.equal(true)
  })

  it('handleSince failed on a lone peer asks it once more, then gives the slice up and baselines nothing', () => {
    const plan = new WarmupPlan({ peers: ['a'], maxBytes: MiB, nowMs: T0 })
    const [s] = sinces(layOut(plan, { a: digestOf('a') }))
    plan.handleSince(s.id, 'failed', T0)
    const [again] = sinces(drainPlan(plan))
    expect([again.peer, again.lo, again.hi, again.maxBytes]).to.deep.equal(['a', 0, SPACE, MiB])
    plan.handleSince(again.id, 'failed', T0)
    const end = drainPlan(plan)
    expect(end.map((o) => o.type)).to.deep.equal(['done'])
    expect(resultOf(end)).to.deep.include({ complete: false, failedSlices: 1 })
  })

  it('handleSince cut: the slice is not asked again, and no origin is baselined (G4, issue 13 finding 7)', () => {
    const plan = new WarmupPlan({ peers: ['a', 'b'], maxBytes: MiB, nowMs: T0 })
    const [x, y] = sinces(layOut(plan, { a: digestOf('a'), b: digestOf('b') }))
    plan.handleSince(x.id, 'cut', T0)
    expect(drainPlan(plan)).to.deep.equal([])
    plan.handleSince(y.id, 'complete', T0)
    const end = drainPlan(plan)
    expect(end.map((o) => o.type)).to.deep.equal(['done'])
    expect(resultOf(end)).to.deep.include({ complete: false, failedSlices: 0 })
  })

  it('baselines: every origin at the lowest contiguous seq reported, 0 unless every peer reported it', () => {
    const x: Origin = { nodeId: 'x', epoch: 7 }
    const y: Origin = { nodeId: 'y', epoch: 7 }
    const prog = (origin: Origin, contiguous: number): OriginProgress => ({ origin, contiguous, highest: contiguous, abandoned: 0 })
    const plan = new WarmupPlan({ peers: ['a', 'b'], maxBytes: MiB, nowMs: T0 })
    const out = layOut(plan, {
      a: digestOf('a', { lastSeq: 4, progress: [prog(x, 30), prog(y, 9)] }),
      b: digestOf('b', { lastSeq: 6, progress: [prog(x, 20), prog({ nodeId: 'a', epoch: 1 }, 3)] }),
    })
    for (const s of sinces(out)) plan.handleSince(s.id, 'complete', T0)
    const baselines = drainPlan(plan).filter((o): o is Baseline => o.type === 'baseline')
    expect(baselines.map((b) => [b.origin.nodeId, b.contiguous, b.hlc])).to.deep.equal([
      ['a', 3, 0],
      ['x', 20, 0],
      ['y', 0, 0],
      ['b', 0, 5_000],
    ])
  })

  it('snapshot: used when no horizon is above its clock (since from its clock), discarded otherwise (since from 0)', () => {
    const used = new WarmupPlan({ peers: ['a', 'b'], maxBytes: MiB, snapshotClock: 900 as Hlc, nowMs: T0 })
    const u = layOut(used, { a: digestOf('a', { horizon: 900 }), b: digestOf('b', { horizon: 10 }) })
    expect(u[0]).to.deep.equal({ type: 'snapshot' })
    expect(sinces(u).map((s) => s.hlc)).to.deep.equal([900, 900])
    const discarded = new WarmupPlan({ peers: ['a', 'b'], maxBytes: MiB, snapshotClock: 900 as Hlc, nowMs: T0 })
    const d = layOut(discarded, { a: digestOf('a', { horizon: 901 }), b: digestOf('b') })
    expect(d.some((o) => o.type === 'snapshot')).to.equal(false)
    expect(sinces(d).map((s) => s.hlc)).to.deep.equal([0, 0])
    for (const s of sinces(d)) discarded.handleSince(s.id, 'complete', T0)
    expect(resultOf(drainPlan(discarded))).to.deep.include({ snapshot: 'discarded', complete: true })
  })

  it('no peer answers its digest: the snapshot is used, one failed slice, nothing baselined', () => {
    const plan = new WarmupPlan({ peers: ['a', 'b'], maxBytes: MiB, snapshotClock: 900 as Hlc, nowMs: T0 })
    const out = layOut(plan, { a: undefined, b: undefined })
    expect(out.map((o) => o.type)).to.deep.equal(['snapshot', 'done'])
    expect(resultOf(out)).to.deep.include({ snapshot: 'used', complete: false, failedSlices: 1, peers: 0, requests: 0 })
  })

  it('no peers at all: done at once, complete; the snapshot, if any, used', () => {
    const plan = new WarmupPlan({ peers: [], maxBytes: MiB, snapshotClock: 900 as Hlc, nowMs: T0 })
    const out = drainPlan(plan)
    expect(out.map((o) => o.type)).to.deep.equal(['snapshot', 'done'])
    expect(resultOf(out)).to.deep.equal({ complete: true, failedSlices: 0, snapshot: 'used', peers: 0, requests: 0, ms: 0 })
    expect(plan.done).to.equal(true)
  })

  it('inputs out of order are programmer errors: unknown request, repeated digest, time backwards, input after done', () => {
    const plan = new WarmupPlan({ peers: ['a'], maxBytes: MiB, nowMs: T0 })
    expect(() => plan.handleSince(0, 'complete', T0)).to.throw(/no since request 0/)
    plan.handleDigest('a', digestOf('a'), T0 + 5)
    expect(() => plan.handleDigest('a', digestOf('a'), T0 + 5)).to.throw(/no digest of a/)
    const [s] = sinces(drainPlan(plan))
    expect(() => plan.handleSince(s.id, 'complete', T0)).to.throw(RangeError, /backwards/)
    plan.handleSince(s.id, 'complete', T0 + 6)
    expect(() => plan.handleSince(s.id, 'complete', T0 + 7)).to.throw(/no since request/)
    expect(() => new WarmupPlan({ peers: ['a', 'a'], maxBytes: 1, nowMs: T0 })).to.throw(TypeError, /distinct/)
    expect(() => new WarmupPlan({ peers: [], maxBytes: -1, nowMs: T0 })).to.throw(RangeError, /maxBytes/)
  })

  it('retries are bounded: with every answer a failure, the plan ends within MAX_WARMUP_RETRY_REQUESTS', () => {
    const peers = Array.from({ length: 40 }, (_, i) => `p${i}`)
    const plan = new WarmupPlan({ peers, maxBytes: MiB, nowMs: T0 })
    drainPlan(plan)
    for (const p of peers) plan.handleDigest(p, digestOf(p), T0)
    let open = sinces(drainPlan(plan))
    while (open.length > 0) {
      const s = open.shift()!
      plan.handleSince(s.id, 'failed', T0)
      open.push(...sinces(drainPlan(plan)))
    }
    expect(plan.done).to.equal(true)
  })
})

/** A simulated peer: what it does with each request. */
interface SimPeer {
  readonly id: string
  readonly digestFails: boolean
  readonly horizon: number
  /** It serves this many since requests, then every later one fails (it died). Infinity: never. */
  readonly diesAfter: number
  /** Chance that a request fails anyway (a reset stream). */
  readonly flaky: number
  /** Bytes it holds, spread evenly over the key-hash space: a slice holding more than its budget is cut. */
  readonly holdsBytes: number
  served: number
}

function simPeers(rng: Prng): SimPeer[] {
  const n = 1 + rng.int(6)
  return Array.from({ length: n }, (_, i) => ({
    id: `peer${i}`,
    digestFails: rng.int(6) === 0,
    horizon: rng.int(3) === 0 ? 2_000 : 100,
    diesAfter: rng.int(3) === 0 ? rng.int(3) : Infinity,
    flaky: rng.int(3) === 0 ? 0.3 : 0,
    holdsBytes: rng.int(4) === 0 ? 8 * MiB : MiB / 4,
    served: 0,
  }))
}

/** One seeded run: the plan against simulated peers, requests answered in a random order. */
function runOnce(seed: number): void {
  const rng = new Prng(seed)
  const peers = simPeers(rng)
  const byId = new Map(peers.map((p) => [p.id, p]))
  const maxBytes = 4 * MiB
  const snapshotClock = rng.int(2) === 0 ? (1_000 as Hlc) : undefined
  let now = T0
  const plan = new WarmupPlan({ peers: peers.map((p) => p.id), maxBytes, snapshotClock, nowMs: now })
  const pending: WarmupPlanOutput[] = []
  const all: WarmupPlanOutput[] = []
  const answers = new Map<number, WarmupSliceResult>()
  const take = (): void => {
    const out = drainPlan(plan)
    expect(all.some((o) => o.type === 'done') && out.length > 0, 'nothing after done').to.equal(false)
    all.push(...out)
    pending.push(...out.filter((o) => o.type === 'digest' || o.type === 'since'))
  }
  take()
  for (let steps = 0; pending.length > 0; steps++) {
    expect(steps, 'the plan ends').to.be.below(10_000)
    const [req] = pending.splice(rng.int(pending.length), 1)
    now += rng.int(50)
    const peer = byId.get((req as { peer: string }).peer)!
    if (req.type === 'digest') {
      plan.handleDigest(peer.id, peer.digestFails ? undefined : digestOf(peer.id, { horizon: peer.horizon }), now)
    } else if (req.type === 'since') {
      const dead = peer.served >= peer.diesAfter || rng.next() < peer.flaky
      const holds = (peer.holdsBytes * (req.hi - req.lo)) / SPACE
      const r: WarmupSliceResult = dead ? 'failed' : holds > req.maxBytes ? 'cut' : 'complete'
      if (!dead) peer.served++
      answers.set(req.id, r)
      plan.handleSince(req.id, r, now)
    }
    take()
  }

  const done = all.filter((o) => o.type === 'done')
  expect(done, 'done once').to.have.length(1)
  expect(all.at(-1)!.type, 'done is last').to.equal('done')
  const result = resultOf(all)!
  const answering = peers.filter((p) => !p.digestFails)
  const asked = sinces(all)

  // Every since request goes to a peer that answered its digest, after every digest was settled.
  for (const s of asked) expect(byId.get(s.peer)!.digestFails, `${s.peer} never answered its digest`).to.equal(false)

  // The snapshot: discarded when an answering peer's horizon is above its clock, used otherwise.
  if (snapshotClock === undefined) expect(result.snapshot).to.equal('none')
  else {
    const above = answering.some((p) => p.horizon > snapshotClock)
    expect(result.snapshot).to.equal(above ? 'discarded' : 'used')
    const snapAt = all.findIndex((o) => o.type === 'snapshot')
    expect(snapAt >= 0).to.equal(!above)
    if (!above) expect(snapAt, 'the snapshot is applied before any since').to.be.below(all.findIndex((o) => o.type === 'since') >>> 0)
  }
  const sinceHlc = result.snapshot === 'used' ? snapshotClock : 0
  for (const s of asked) expect(s.hlc).to.equal(sinceHlc)

  // Coverage: what was served (complete or cut) never overlaps, and what it leaves out lies in
  // failed requests and is given up.
  const served = asked.filter((s) => answers.get(s.id) !== 'failed').sort((a, b) => a.lo - b.lo)
  let at = 0
  let holes = 0
  for (const s of served) {
    expect(s.lo, `slices overlap at ${s.lo}`).to.be.at.least(at)
    if (s.lo > at) holes++
    at = s.hi
  }
  if (at < SPACE && answering.length > 0) holes++
  if (answering.length === 0) expect(result.failedSlices).to.equal(1)
  else expect(holes, 'uncovered stretches are at most the slices given up').to.be.at.most(result.failedSlices)
  if (answering.length > 0 && result.failedSlices === 0) expect(at === SPACE && holes === 0, 'the whole space served').to.equal(true)
  // Given up only when no peer was left: every answering peer failed some request (or the retry bound ran out).
  if (result.failedSlices > 0 && answering.length > 0 && asked.length - answering.length < MAX_WARMUP_RETRY_REQUESTS) {
    for (const p of answering) {
      expect(asked.some((s) => s.peer === p.id && answers.get(s.id) === 'failed'), `${p.id} never failed, yet a slice was given up`).to
        .equal(true)
    }
  }

  // Budget: the slices standing at the end share at most maxBytes.
  const standing = asked.filter((s) => answers.get(s.id) !== 'failed' || !asked.some((t) => t.id > s.id && t.lo >= s.lo && t.hi <= s.hi))
  expect(standing.reduce((sum, s) => sum + s.maxBytes, 0)).to.be.at.most(maxBytes)

  // G4: baselines only when nothing was cut or given up, and then for every origin reported.
  const cut = served.some((s) => answers.get(s.id) === 'cut')
  expect(result.complete).to.equal(answering.length > 0 ? !cut && result.failedSlices === 0 : peers.length === 0)
  const baselines = all.filter((o) => o.type === 'baseline')
  if (!result.complete) expect(baselines, 'no baseline after a cut or a failure').to.have.length(0)
  else expect(baselines).to.have.length(answering.length)
  expect(result.peers).to.equal(answering.length)
  expect(result.requests).to.equal(asked.length)
  expect(result.ms).to.equal(now - T0)
}

describe('replication/warmup plan: seeded runs against simulated peers', () => {
  it('plan over peers that answer, fail, die, cut budgets and hold horizons keeps G4 and asks every slice until served or given up', () => {
    forSeeds(500, 'npx mocha --no-config test/replication/warmup-plan.test.ts', runOnce)
  })
})
