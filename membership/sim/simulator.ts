// A deterministic discrete-event simulator for the SWIM core: N cores, a virtual clock and a
// simulated network, all driven from one seed, so the same seed on the same commit replays a
// run exactly (as tigerbeetle's VOPR).
//
// Theory of operation
// - One binary heap of events keyed by (time, insertion order): deliveries, timer expiries
//   and scheduled faults. The loop pops the earliest, hands it to the core it concerns,
//   then drains that core's sends (each becomes a delivery event, unless lost), its member
//   events (to the metrics) and re-arms its one timer from pollTimeout(). Cost per message:
//   one encode in the sender, one heap push and pop, one decode: O(log events).
// - Faults: per-message loss and duplication; one-way delay min + exponential(mean);
//   named partitions (halves, isolate) that drop messages across groups for a window;
//   slow nodes whose every input waits an independent uniform extra delay (CPU starvation);
//   crashes (state lost), optional restart with an empty view, graceful leaves, joins.
// - Every core shares one MemberDirectory and starts from the same member list, so a
//   core's view stores only what changed in it (members.ts): 10,000 views of 10,000
//   members take megabytes, not 500 MB of arrays whose lookups all miss the cache.
// - Events are pooled: a run has millions in flight over its course, each one object.

import { Swim } from '../index.ts'
import type { Outgoing } from '../index.ts'
import { MemberDirectory } from '../index.ts'
import { TimeHeap } from '../index.ts'
import { Prng } from '../../lib/foundation/index.ts'
import { profiles } from '../index.ts'
import { SimMetrics } from './metrics.ts'
import { simDefaults, churnDefault, type SimOptions } from './options.ts'

interface SimNode {
  index: number
  id: string
  core: Swim | null
  up: boolean
  slow: boolean
  leaving: boolean
  /** Partition group. */
  group: number
  /** Bumped at each restart so stale timer events of an earlier life are ignored. */
  life: number
  timerAt: number
}

const Ev = { deliver: 0, timer: 1, run: 2, crash: 3, restart: 4, join: 5, leave: 6, stop: 7, validate: 8 } as const
type EvKind = (typeof Ev)[keyof typeof Ev]

interface SimEvent {
  kind: EvKind
  node: SimNode
  from: string
  bytes: Uint8Array | null
  life: number
}

export interface SimResult {
  nodes: number
  periods: number
  seed: number
  lifeguard: boolean
  profile: string
  loss: number
  slow: number
  crashes: number
  joins: number
  leaves: number
  wallMs: number
  simulatedMs: number
  detection: { p50Ms: number | null; p99Ms: number | null; maxMs: number | null; detected: number; undetected: number }
  falseDead: number
  falseSuspect: number
  falseAccusations: number
  slowDead: number
  slowSuspect: number
  disseminationP99Ms: number | null
  disseminationIncomplete: number
  msgsPerMemberPerPeriod: number
  bytesPerMemberPerPeriod: number
  messages: number
  bytes: number
  events: number
}

export class Simulator {
  readonly options: SimOptions
  readonly durationMs: number
  readonly nodes: SimNode[] = []
  readonly #byId = new Map<string, SimNode>()
  readonly #heap = new TimeHeap<SimEvent>()
  /** Spent events for reuse: millions of messages are in flight over a run, and each is one. */
  readonly #pool: SimEvent[] = []
  readonly #rng: Prng
  readonly #directory = new MemberDirectory()
  readonly #metrics: SimMetrics
  #nowMs = 0
  #messages = 0
  #bytes = 0
  #events = 0
  #crashes = 0
  #joins = 0
  #leaves = 0
  #partitionActive = false

  constructor(init: Partial<SimOptions> & Pick<SimOptions, 'nodes' | 'periods' | 'seed'>) {
    const o: SimOptions = { ...simDefaults, ...init }
    this.options = o
    if (!Number.isInteger(o.nodes) || o.nodes < 2) throw new TypeError(`nodes must be an integer ≥ 2, got ${o.nodes}`)
    if (!(o.periods > 0)) throw new TypeError(`periods must be positive, got ${o.periods}`)
    for (const k of ['loss', 'slow', 'duplicate'] as const) {
      if (!(o[k] >= 0 && o[k] <= 1)) throw new TypeError(`${k} must be in [0, 1], got ${o[k]}`)
    }
    this.#rng = new Prng(o.seed)
    const interval = profiles[o.profile].probeIntervalMs
    this.durationMs = o.periods * interval
    const n = o.nodes
    const joins = o.joins ?? churnDefault(n)
    const leaves = Math.min(o.leaves ?? churnDefault(n), Math.floor(n / 4))
    const crashes = Math.min(n - 1, o.crash < 1 ? Math.round(o.crash * n) : Math.floor(o.crash))

    const ids: string[] = []
    for (let i = 0; i < n + joins; i++) ids.push(`n${i}`)
    for (const id of ids) this.#directory.intern(id)
    const initial = ids.slice(0, n)
    const order = this.#shuffle(n)
    // Roles from one shuffle: the first `crashes` crash, the next `leaves` leave, and slow
    // nodes are drawn independently so that a slow node may also crash.
    const crashSet = order.slice(0, crashes)
    const leaveSet = order.slice(crashes, crashes + leaves)
    const reference = new Uint8Array(n + joins)
    for (let i = 0; i < n + joins; i++) {
      const node: SimNode = {
        index: i,
        id: ids[i],
        core: null,
        up: false,
        slow: false,
        leaving: false,
        group: 0,
        life: 0,
        timerAt: Infinity,
      }
      this.nodes.push(node)
      this.#byId.set(node.id, node)
      if (i < n) reference[i] = 1
    }
    for (const i of crashSet) reference[i] = 0
    for (const i of leaveSet) reference[i] = 0
    const slowCount = Math.round(o.slow * n)
    for (const i of this.#shuffle(n).slice(0, slowCount)) this.nodes[i].slow = true
    this.#metrics = new SimMetrics(n + joins, reference)

    for (let i = 0; i < n; i++) this.#start(this.nodes[i], initial)
    const at = (lo: number, hi: number): number => Math.floor(this.durationMs * (lo + this.#rng.next() * (hi - lo)))
    for (const i of crashSet) this.#schedule(at(0.1, 0.5), Ev.crash, this.nodes[i])
    for (const i of leaveSet) this.#schedule(at(0.1, 0.6), Ev.leave, this.nodes[i])
    for (let j = 0; j < joins; j++) this.#schedule(at(0.1, 0.6), Ev.join, this.nodes[n + j])
    if (o.partition === 'halves') for (const node of this.nodes) node.group = node.index < n / 2 ? 0 : 1
    if (o.partition === 'isolate') this.nodes[order[n - 1]].group = 1
    if (o.validateEveryMs > 0) this.#schedule(o.validateEveryMs, Ev.validate, this.nodes[0])
  }

  get nowMs(): number {
    return this.#nowMs
  }

  /** Runs to the end of the configured duration and reports. */
  run(): SimResult {
    const t0 = performance.now()
    this.runUntil(this.durationMs)
    for (const node of this.nodes) node.core?.validate()
    return this.result(performance.now() - t0)
  }

  /** Processes every event up to and including `untilMs`. */
  runUntil(untilMs: number): void {
    const heap = this.#heap
    const o = this.options
    while (heap.peekTime() <= untilMs) {
      const t = heap.peekTime()
      const ev = heap.pop() as SimEvent
      this.#nowMs = t
      this.#partitionActive = o.partition !== 'none' && t >= o.partitionStartMs && t < o.partitionStartMs + o.partitionDurationMs
      this.#events++
      if (!this.#dispatch(ev, t)) {
        ev.bytes = null
        this.#pool.push(ev)
      }
    }
    this.#nowMs = Math.max(this.#nowMs, untilMs)
  }

  /** Handles one event; true when the event went back into the heap (not to be reused yet). */
  #dispatch(ev: SimEvent, t: number): boolean {
    const node = ev.node
    switch (ev.kind) {
      case Ev.deliver:
      case Ev.timer:
        if (!node.up || (ev.kind === Ev.timer && (ev.life !== node.life || t !== node.timerAt))) return false
        if (node.slow) {
          // CPU starvation: each input waits an independent random stall before the node
          // gets to it (inputs may overtake each other; the core still sees time advance).
          const runAt = t + this.#rng.next() * this.options.slowDelayMaxMs
          ev.kind = Ev.run
          ev.life = node.life
          this.#heap.push(runAt, ev)
          return true
        }
        this.#input(node, ev, t)
        return false
      case Ev.run:
        if (node.up && ev.life === node.life) this.#input(node, ev, t)
        return false
      case Ev.crash:
        if (!node.up) return false
        node.up = false
        node.core = null
        node.timerAt = Infinity
        this.#crashes++
        this.#metrics.crashed(node.index, t)
        // An observer that had already declared it dead (say, while cut off by a partition)
        // will see no new event about it: it has detected the crash from the start.
        for (const o of this.nodes) {
          const st = o.core?.member(node.id)?.state
          if (st === 'dead' || st === 'left') this.#metrics.heldDeadAtCrash(node.index, o.index, t)
        }
        this.options.trace?.(`${t} ${node.id} crash`)
        if (this.options.restartAfterMs > 0) this.#schedule(t + this.options.restartAfterMs, Ev.restart, node)
        return false
      case Ev.restart:
      case Ev.join: {
        if (node.up) return false
        node.life++
        this.#start(node, undefined)
        const seed = this.#randomUpNode(node)
        if (seed !== undefined) node.core?.join([seed.id], t)
        if (ev.kind === Ev.join) {
          this.#joins++
          this.#metrics.joined(node.index, t)
        }
        this.options.trace?.(`${t} ${node.id} ${ev.kind === Ev.join ? 'join' : 'restart'} via ${seed?.id}`)
        this.#flush(node, t)
        return false
      }
      case Ev.leave:
        if (!node.up || node.core === null) return false
        node.leaving = true
        node.core.leave(t)
        this.#leaves++
        this.#metrics.left(node.index, t)
        this.options.trace?.(`${t} ${node.id} leave`)
        this.#flush(node, t)
        // Linger long enough for the "left" to go out on a few gossip rounds, then stop.
        this.#schedule(t + profiles[this.options.profile].probeIntervalMs, Ev.stop, node)
        return false
      case Ev.stop:
        node.up = false
        node.core = null
        node.timerAt = Infinity
        return false
      case Ev.validate:
        for (const n of this.nodes) n.core?.validate()
        this.#schedule(t + this.options.validateEveryMs, Ev.validate, node)
        return false
    }
  }

  #input(node: SimNode, ev: SimEvent, t: number): void {
    const core = node.core as Swim
    if (ev.bytes !== null) core.handleMessage(ev.from, ev.bytes, t)
    else core.handleTimeout(t)
    this.#flush(node, t)
  }

  #start(node: SimNode, members: readonly string[] | undefined): void {
    node.core = new Swim({
      id: node.id,
      seed: this.#rng.nextUint32(),
      nowMs: this.#nowMs,
      members,
      directory: this.#directory,
      config: { profile: this.options.profile, lifeguard: this.options.lifeguard },
    })
    node.up = true
    node.leaving = false
    node.timerAt = Infinity
    this.#flush(node, this.#nowMs)
  }

  #flush(node: SimNode, t: number): void {
    const core = node.core
    if (core === null) return
    for (let m = core.pollSend(); m !== undefined; m = core.pollSend()) this.#transmit(node, m, t)
    const trace = this.options.trace
    for (let e = core.pollEvent(); e !== undefined; e = core.pollEvent()) {
      const subject = this.#byId.get(e.id)
      if (subject === undefined) continue
      this.#metrics.onEvent(node.index, node.id, subject, e, t)
      trace?.(`${t} ${node.id} sees ${e.id} ${e.state} inc=${e.incarnation}${e.by === '' ? '' : ` by=${e.by}`}`)
    }
    // A deadline already past (a suspicion shrunk by a late confirmation) fires now.
    const next = Math.max(core.pollTimeout() ?? Infinity, t)
    if (next !== node.timerAt) {
      node.timerAt = next
      if (next !== Infinity) this.#heap.push(next, this.#event(Ev.timer, node, '', null, node.life))
    }
  }

  #transmit(from: SimNode, m: Outgoing, t: number): void {
    this.#messages++
    this.#bytes += m.bytes.byteLength
    const to = this.#byId.get(m.to)
    if (to === undefined) return
    const o = this.options
    const rng = this.#rng
    if (o.loss > 0 && rng.next() < o.loss) return
    if (this.#partitionActive && from.group !== to.group) return
    const copies = o.duplicate > 0 && rng.next() < o.duplicate ? 2 : 1
    for (let c = 0; c < copies; c++) {
      const delay = o.delayMinMs - o.delayMeanMs * Math.log(1 - rng.next())
      this.#heap.push(t + delay, this.#event(Ev.deliver, to, from.id, m.bytes, 0))
    }
  }

  #schedule(t: number, kind: EvKind, node: SimNode): void {
    this.#heap.push(t, this.#event(kind, node, '', null, 0))
  }

  #event(kind: EvKind, node: SimNode, from: string, bytes: Uint8Array | null, life: number): SimEvent {
    const ev = this.#pool.pop()
    if (ev === undefined) return { kind, node, from, bytes, life }
    ev.kind = kind
    ev.node = node
    ev.from = from
    ev.bytes = bytes
    ev.life = life
    return ev
  }

  #shuffle(n: number): number[] {
    const a = Array.from({ length: n }, (_, i) => i)
    for (let i = n - 1; i > 0; i--) {
      const j = this.#rng.int(i + 1)
      ;[a[i], a[j]] = [a[j], a[i]]
    }
    return a
  }

  #randomUpNode(except: SimNode): SimNode | undefined {
    const n = this.options.nodes
    for (let tries = 0; tries < 64; tries++) {
      const c = this.nodes[this.#rng.int(n)]
      if (c !== except && c.up && !c.leaving) return c
    }
    return this.nodes.find((c) => c !== except && c.up && !c.leaving)
  }

  /**
   * True when every up, non-leaving node sees exactly the other up, non-leaving nodes as
   * alive (O(N²): for tests at small N).
   */
  converged(): boolean {
    const live = this.nodes.filter((n) => n.up && !n.leaving && n.core !== null)
    const want = live.map((n) => n.id).sort()
    for (const n of live) {
      const got = [...(n.core as Swim).aliveMembers(), n.id].sort()
      if (got.length !== want.length || got.some((id, i) => id !== want[i])) return false
    }
    return true
  }

  result(wallMs: number): SimResult {
    const o = this.options
    const m = this.#metrics
    const d = m.dissemination()
    const memberPeriods = o.nodes * o.periods
    return {
      nodes: o.nodes,
      periods: o.periods,
      seed: o.seed,
      lifeguard: o.lifeguard,
      profile: o.profile,
      loss: o.loss,
      slow: o.slow,
      crashes: this.#crashes,
      joins: this.#joins,
      leaves: this.#leaves,
      wallMs: Math.round(wallMs),
      simulatedMs: this.#nowMs,
      detection: m.detection(),
      falseDead: m.falseDead.size,
      falseSuspect: m.falseSuspect.size,
      falseAccusations: m.falseAccusations,
      slowDead: m.slowDead.size,
      slowSuspect: m.slowSuspect.size,
      disseminationP99Ms: d.p99Ms,
      disseminationIncomplete: d.incomplete,
      msgsPerMemberPerPeriod: round2(this.#messages / memberPeriods),
      bytesPerMemberPerPeriod: round2(this.#bytes / memberPeriods),
      messages: this.#messages,
      bytes: this.#bytes,
      events: this.#events,
    }
  }
}

function round2(v: number): number {
  return Math.round(v * 100) / 100
}
