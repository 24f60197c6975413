// The warm-up plan's retry policy (lib/replication/warmup-plan.ts, docs/replication-engine.md
// "Warm-up plan"), side by side in one run on a model of the network: a failed slice re-split
// across every peer left (the plan) against the policy before it, retried whole on the next peer
// (lib/node/warmup.ts before the plan; reimplemented here as `NextPeerPlan`).
//
// Workload: a joiner warms up --data-mb of data (every peer holds all of it, spread evenly over
// the key-hash space; the budget never cuts) from N peers. Peer 0 dies at a fraction --die-at of
// its slice's undisturbed transfer time: its stream fails then, and any request to it afterwards
// fails at once (a refused dial). Transfers share bandwidth fairly: each peer sends at most
// --peer-mbps, the joiner takes at most --joiner-mbps, allocated by water-filling every
// simulated millisecond. Two regimes: sources-bound (WAN peers: 25 MB/s each, joiner 400 MB/s)
// and joiner-bound (loopback on 2 cores: peers 400 MB/s, the joiner 50 MB/s, the machine's
// measured decode-and-apply rate order of magnitude, docs/cluster-results.md).
//
//   npm run bench -- warmup-plan
//   npm run bench -- warmup-plan -- --peers 2,3,4,8 --die-at 0.1,0.5,0.9 --data-mb 100 --json
//
// Reported per regime, N and --die-at: simulated warm-up time with each policy and their ratio.
// It models time on the wire only; the plan's own CPU per request (wall time of 10,000 plans over
// 8 peers, one failing its slice, on this machine) is printed beside it.

import { parseArgs } from 'node:util'
import { WarmupPlan, type WarmupPlanOutput, type WarmupSliceResult } from '../lib/replication/index.ts'
import type { Hlc, ReplicaDigest } from '../crdt/index.ts'

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    peers: { type: 'string', default: '2,3,4,8' },
    'die-at': { type: 'string', default: '0.1,0.5,0.9' },
    'data-mb': { type: 'string', default: '100' },
    json: { type: 'boolean', default: false },
  },
  strict: true,
})

const SPACE = 2 ** 32
const MB = 1e6

/** What both policies expose to the simulation: the plan's own interface. */
interface Planner {
  handleDigest(peer: string, digest: ReplicaDigest | undefined, nowMs: number): void
  handleSince(id: number, result: WarmupSliceResult, nowMs: number): void
  poll(): WarmupPlanOutput | undefined
}

/** The policy before the plan: one slice per peer, a failed slice retried once, whole, on the next peer. */
class NextPeerPlan implements Planner {
  readonly #peers: string[]
  readonly #maxBytes: number
  readonly #out: WarmupPlanOutput[] = []
  readonly #slices: { lo: number; hi: number; index: number; retried: boolean }[] = []
  #answered = 0
  #open = 0

  constructor(peers: string[], maxBytes: number) {
    this.#peers = peers
    this.#maxBytes = maxBytes
    for (const peer of peers) this.#out.push({ type: 'digest', peer })
  }

  handleDigest(): void {
    if (++this.#answered < this.#peers.length) return
    const n = this.#peers.length
    for (let i = 0; i < n; i++) this.#ask(Math.floor((SPACE * i) / n), Math.floor((SPACE * (i + 1)) / n), i, i, false)
  }

  handleSince(id: number, result: WarmupSliceResult): void {
    this.#open--
    const s = this.#slices[id]
    if (result === 'failed' && !s.retried) this.#ask(s.lo, s.hi, s.index, (s.index + 1) % this.#peers.length, true)
    if (this.#open === 0) this.#out.push({ type: 'done', result: undefined as never })
  }

  poll(): WarmupPlanOutput | undefined {
    return this.#out.shift()
  }

  #ask(lo: number, hi: number, index: number, peerAt: number, retried: boolean): void {
    const id = this.#slices.length
    this.#slices.push({ lo, hi, index, retried })
    this.#open++
    const maxBytes = Math.floor(this.#maxBytes / this.#peers.length)
    this.#out.push({ type: 'since', id, peer: this.#peers[peerAt], hlc: 0 as Hlc, lo, hi, maxBytes })
  }
}

interface Regime {
  name: string
  peerBytesPerMs: number
  joinerBytesPerMs: number
}

const REGIMES: Regime[] = [
  { name: 'sources-bound', peerBytesPerMs: (25 * MB) / 1000, joinerBytesPerMs: (400 * MB) / 1000 },
  { name: 'joiner-bound', peerBytesPerMs: (400 * MB) / 1000, joinerBytesPerMs: (50 * MB) / 1000 },
]

interface Transfer {
  id: number
  peer: string
  left: number
}

/** Water-filling: each transfer gets an equal share of the joiner, never more than its peer's share. */
function rates(active: Transfer[], r: Regime): Map<number, number> {
  const perPeer = new Map<string, number>()
  for (const t of active) perPeer.set(t.peer, (perPeer.get(t.peer) ?? 0) + 1)
  const caps = active.map((t) => ({ id: t.id, cap: r.peerBytesPerMs / perPeer.get(t.peer)! })).sort((a, b) => a.cap - b.cap)
  const out = new Map<number, number>()
  let room = r.joinerBytesPerMs
  caps.forEach((c, i) => {
    const share = Math.min(c.cap, room / (caps.length - i))
    out.set(c.id, share)
    room -= share
  })
  return out
}

/** Simulated ms until the planner outputs done. */
function simulate(planner: Planner, peers: string[], dataBytes: number, dieAtMs: number, r: Regime): number {
  const active: Transfer[] = []
  let now = 0
  let finished = false
  const drain = (): void => {
    for (let o = planner.poll(); o !== undefined; o = planner.poll()) {
      if (o.type === 'digest') planner.handleDigest(o.peer, digestOf(o.peer), now)
      else if (o.type === 'since') {
        if (o.peer === peers[0] && now >= dieAtMs) planner.handleSince(o.id, 'failed', now)
        else active.push({ id: o.id, peer: o.peer, left: (dataBytes * (o.hi - o.lo)) / SPACE })
      } else if (o.type === 'done') finished = true
    }
  }
  drain()
  while (!finished) {
    now++
    if (now > 10_000_000) throw new Error('the warm-up never ends')
    const rate = rates(active, r)
    for (const t of [...active]) {
      const dead = t.peer === peers[0] && now >= dieAtMs
      t.left -= rate.get(t.id)!
      if (dead || t.left <= 0) {
        active.splice(active.indexOf(t), 1)
        planner.handleSince(t.id, dead ? 'failed' : 'complete', now)
      }
    }
    drain()
  }
  return now
}

function digestOf(peer: string): ReplicaDigest {
  return { origin: { nodeId: peer, epoch: 1 }, lastSeq: 0, clock: 0 as Hlc, horizon: 0 as Hlc, progress: [] }
}

/** Wall µs per since request the plan decides: 10,000 warm-ups from 8 peers, p0's slice failing. */
function planCpuUsPerRequest(): number {
  const peers = Array.from({ length: 8 }, (_, i) => `p${i}`)
  let requests = 0
  const t0 = performance.now()
  for (let run = 0; run < 10_000; run++) {
    const plan = new WarmupPlan({ peers, maxBytes: 1 << 30, nowMs: 0 })
    for (let o = plan.poll(); o !== undefined; o = plan.poll()) {
      if (o.type === 'digest') plan.handleDigest(o.peer, digestOf(o.peer), 0)
      else if (o.type === 'since') {
        requests++
        plan.handleSince(o.id, o.peer === 'p0' ? 'failed' : 'complete', 0)
      }
    }
  }
  return ((performance.now() - t0) * 1000) / requests
}

const dataBytes = Number(values['data-mb']) * MB
const rows: Record<string, string | number>[] = []
for (const r of REGIMES) {
  for (const n of values.peers.split(',').map(Number)) {
    const peers = Array.from({ length: n }, (_, i) => `p${i}`)
    const sliceMs = dataBytes / n / Math.min(r.peerBytesPerMs, r.joinerBytesPerMs / n)
    for (const f of values['die-at'].split(',').map(Number)) {
      const dieAtMs = Math.max(1, Math.round(f * sliceMs))
      const before = simulate(new NextPeerPlan(peers, dataBytes * 2), peers, dataBytes, dieAtMs, r)
      const plan = simulate(new WarmupPlan({ peers, maxBytes: dataBytes * 2, nowMs: 0 }), peers, dataBytes, dieAtMs, r)
      rows.push({ regime: r.name, peers: n, dieAt: f, nextPeerMs: before, planMs: plan, ratio: Number((plan / before).toFixed(2)) })
    }
  }
}
const cpuUs = planCpuUsPerRequest()
if (values.json) {
  for (const row of rows) console.log(JSON.stringify(row))
  console.log(JSON.stringify({ planCpuUsPerRequest: Number(cpuUs.toFixed(2)) }))
}
else {
  console.log(`warm-up of ${values['data-mb']} MB, peer p0 dies during it (simulated ms; ratio = plan / next peer)`)
  console.log('regime          peers  die-at   next peer      plan   ratio')
  for (const x of rows) {
    console.log(
      `${String(x.regime).padEnd(15)} ${String(x.peers).padStart(5)}  ${String(x.dieAt).padStart(6)}  ` +
        `${String(x.nextPeerMs).padStart(10)}  ${String(x.planMs).padStart(8)}  ${String(x.ratio).padStart(6)}`,
    )
  }
  console.log(`the plan's own cost: ${cpuUs.toFixed(2)} µs per since request (wall, 8 peers, one failing)`)
}
