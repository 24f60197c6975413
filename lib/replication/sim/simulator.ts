// Replication beside SWIM, in one process: N nodes, each a SWIM core (membership/swim.ts), a
// ReplicationEngine (lib/replication/engine.ts) and the crdt Replica it replicates, on one
// seeded simulated network. The simulator plays the node's adapter: SWIM's member events feed
// the engine (alive → memberUp; dead, left → memberDown; suspect changes nothing, as SWIM has
// not given the member up), so joins, crashes and partitions reach replication as in the node.
//
// Theory of operation (the SWIM simulator's, membership/sim/simulator.ts, with two channels):
// - One heap of events keyed by (time, insertion order): SWIM messages, replication frames,
//   each core's and each engine's one timer, and lost-frame reports. The loop pops the earliest
//   and hands it to the node it concerns, then drains that node: SWIM's sends and member events
//   (the events become engine inputs), the engine's outputs, and re-arms both timers.
// - Network: one-way delay delayMinMs + exponential(delayMeanMs) per message (so messages
//   reorder), loss and duplication per message, partitions by group (messages across groups
//   are lost). Both channels share it: a partition cuts SWIM and replication alike.
// - The engine's `sent(to, bytes)` is reported when a frame reaches its receiver or is lost
//   (lost frames are reported just after, as a stream write that failed), so an engine's queue
//   for a member is the bytes in flight to it.
// - Every replica starts warmed up (no warm-up planning yet): a joiner wants every seq from 1
//   and pulls what it lacks by repair, from anti-entropy digests.
// - Counted per node: SWIM messages and bytes, replication frames and bytes by frame kind,
//   sent and received; per write, the delay until each other replica applied it.

import { Prng } from '../../foundation/index.ts'
import { Replica, type Delta } from '../../../crdt/index.ts'
import { MemberDirectory, profiles, Swim, TimeHeap } from '../../../membership/index.ts'
import { ReplicationEngine } from '../index.ts'
import { Convergence } from './convergence.ts'
import { resolveSimOptions, type ReplicationSimOptions, type ResolvedSimOptions } from './options.ts'
import { Traffic } from './traffic.ts'

export interface ReplicationSimNode {
  readonly index: number
  readonly id: string
  /** False once crashed. */
  up: boolean
  swim: Swim | null
  engine: ReplicationEngine | null
  replica: Replica | null
  /** Partition group: messages between different groups are lost while partitioned. */
  group: number
  /** Local writes made on this node. */
  writes: number
  readonly traffic: Traffic
  /** When each of its own seqs was written (index = seq), for the apply delay. */
  readonly writtenAtMs: number[]
  swimTimerAt: number
  engineTimerAt: number
  /** No rejoin through a peer before this (rejoinOnContact). */
  rejoinAtMs: number
}

const Ev = { swim: 0, frame: 1, swimTimer: 2, engineTimer: 3, lost: 4 } as const
type EvKind = (typeof Ev)[keyof typeof Ev]

interface SimEvent {
  kind: EvKind
  /** The node the event is for (the receiver of a message). */
  node: ReplicationSimNode
  /** The sender of a message; for `lost`, the member the frame was for. */
  peer: ReplicationSimNode | null
  bytes: Uint8Array | null
  /** A duplicate the network made: the sender wrote the frame once, so it reports `sent` once. */
  copy: boolean
}

export class ReplicationSim {
  readonly options: ResolvedSimOptions
  readonly nodes: ReplicationSimNode[] = []
  /** The simulation's own randomness (workloads may draw from it too: one seed, one run). */
  readonly rng: Prng
  readonly convergence = new Convergence()
  readonly #byId = new Map<string, ReplicationSimNode>()
  readonly #heap = new TimeHeap<SimEvent>()
  readonly #directory = new MemberDirectory()
  #nowMs = 0
  #events = 0
  #lost = 0
  #partitioned = false
  #countedFromMs = 0
  /** Delay from a write until a remote replica applied it, one sample per (write, receiver). */
  readonly applyDelaysMs: number[] = []
  /** SWIM events by state, over all observers. */
  readonly memberEvents = { alive: 0, suspect: 0, dead: 0, left: 0 }
  /** Joins made because a peer SWIM held dead sent a frame (rejoinOnContact). */
  rejoins = 0

  constructor(init: ReplicationSimOptions) {
    const o = resolveSimOptions(init)
    this.options = o
    this.rng = new Prng(o.seed)
    const ids = Array.from({ length: o.nodes }, (_, i) => `n${i}`)
    for (const id of ids) this.#directory.intern(id)
    for (let i = 0; i < o.nodes; i++) this.#add()
    for (const node of this.nodes) this.#start(node, ids)
  }

  get nowMs(): number {
    return this.#nowMs
  }

  /** Events handled so far (messages, timers, reports). */
  get events(): number {
    return this.#events
  }

  /** Messages lost by the network (loss, partition, a crashed receiver), both channels. */
  get lost(): number {
    return this.#lost
  }

  /** When the counters were last reset (the report's window starts there). */
  get countedFromMs(): number {
    return this.#countedFromMs
  }

  /** Zeroes every count (traffic, writes, apply delays, losses): the report covers what follows. */
  resetCounters(): void {
    for (const n of this.nodes) {
      n.traffic.reset()
      n.writes = 0
    }
    this.applyDelaysMs.length = 0
    this.#lost = 0
    this.#countedFromMs = this.#nowMs
  }

  live(): ReplicationSimNode[] {
    return this.nodes.filter((n) => n.up)
  }

  // ---- workload and faults ----

  /** A local set on node `i` now, replicated by its engine. */
  write(i: number, key: string, value: Uint8Array): Delta {
    const node = this.nodes[i]
    if (!node.up) throw new RangeError(`ReplicationSim.write: node ${node.id} is down`)
    const replica = node.replica as Replica
    const d = replica.set(key, value, {}, this.#nowMs)
    node.writes++
    node.writtenAtMs[d.seq] = this.#nowMs
    this.convergence.wrote(key, d.version, this.#nowMs)
    ;(node.engine as ReplicationEngine).write(d, this.#nowMs)
    this.#drainEngine(node)
    return d
  }

  /** Cuts the network between groups: each listed group is one side, unlisted nodes another. */
  partition(...groups: readonly (readonly number[])[]): void {
    for (const n of this.nodes) n.group = 0
    groups.forEach((g, k) => {
      for (const i of g) this.nodes[i].group = k + 1
    })
    this.#partitioned = true
  }

  heal(): void {
    for (const n of this.nodes) n.group = 0
    this.#partitioned = false
  }

  /** Node `i` stops at once (its state is lost); SWIM finds out by probing. */
  crash(i: number): void {
    const node = this.nodes[i]
    if (!node.up) return
    node.up = false
    node.swim = null
    node.engine = null
    node.swimTimerAt = Infinity
    node.engineTimerAt = Infinity
    this.convergence.nodeDown(i, this.#nowMs)
  }

  /** A new node joins through a random live member, with an empty replica; returns its index. */
  join(): number {
    const live = this.live()
    if (live.length === 0) throw new RangeError('ReplicationSim.join: no live node to join through')
    const node = this.#add()
    this.#directory.intern(node.id)
    this.#start(node, undefined)
    const seed = live[this.rng.int(live.length)]
    ;(node.swim as Swim).join([seed.id], this.#nowMs)
    this.#flushSwim(node)
    this.convergence.nodeUp(node.index, node.replica as Replica, this.#nowMs)
    return node.index
  }

  /** Starts counting toward convergence (after the last write). */
  trackConvergence(): void {
    const replicas = new Map<number, Replica>()
    for (const n of this.nodes) if (n.up) replicas.set(n.index, n.replica as Replica)
    this.convergence.start(replicas, this.#nowMs)
  }

  // ---- time ----

  /** Processes every event up to and including `untilMs`. */
  runUntil(untilMs: number): void {
    const heap = this.#heap
    while (heap.peekTime() <= untilMs) {
      const t = heap.peekTime()
      const ev = heap.pop() as SimEvent
      this.#nowMs = t
      this.#events++
      this.#dispatch(ev, t)
    }
    this.#nowMs = Math.max(this.#nowMs, untilMs)
  }

  run(ms: number): void {
    this.runUntil(this.#nowMs + ms)
  }

  /**
   * Runs until convergence is tracked and reached, at most `maxMs` more; checks every `stepMs`.
   * Returns the convergence time after the last write, or undefined if not reached.
   */
  runToConvergence(maxMs: number, stepMs = 10): number | undefined {
    if (!this.convergence.tracking) this.trackConvergence()
    const until = this.#nowMs + maxMs
    while (Number.isNaN(this.convergence.convergedAtMs) && this.#nowMs < until) this.runUntil(Math.min(until, this.#nowMs + stepMs))
    const c = this.convergence
    return Number.isNaN(c.convergedAtMs) ? undefined : c.convergedAtMs - c.lastWriteMs
  }

  // ---- the loop ----

  #dispatch(ev: SimEvent, t: number): void {
    const node = ev.node
    switch (ev.kind) {
      case Ev.swim: {
        if (!node.up) return
        const from = ev.peer as ReplicationSimNode
        node.traffic.swimReceived++
        node.traffic.swimBytesReceived += (ev.bytes as Uint8Array).byteLength
        ;(node.swim as Swim).handleMessage(from.id, ev.bytes as Uint8Array, t)
        this.#flushSwim(node)
        return
      }
      case Ev.frame: {
        const from = ev.peer as ReplicationSimNode
        const bytes = ev.bytes as Uint8Array
        if (node.up) {
          node.traffic.received(bytes)
          if (this.options.rejoinOnContact) this.#rejoinIfDead(node, from, t)
          ;(node.engine as ReplicationEngine).receive(from.id, bytes, t)
          this.#drainEngine(node)
        } else this.#lost++
        // The write completed (or was lost with the stream): it leaves the sender's queue.
        if (from.up && !ev.copy) {
          ;(from.engine as ReplicationEngine).sent(node.id, bytes.byteLength, t)
          this.#drainEngine(from)
        }
        return
      }
      case Ev.lost: {
        const to = ev.peer as ReplicationSimNode
        if (!node.up) return
        ;(node.engine as ReplicationEngine).sent(to.id, (ev.bytes as Uint8Array).byteLength, t)
        this.#drainEngine(node)
        return
      }
      case Ev.swimTimer:
        if (!node.up || t !== node.swimTimerAt) return
        ;(node.swim as Swim).handleTimeout(t)
        this.#flushSwim(node)
        return
      case Ev.engineTimer:
        if (!node.up || t !== node.engineTimerAt) return
        node.engineTimerAt = Infinity
        ;(node.engine as ReplicationEngine).tick(t)
        this.#drainEngine(node)
        return
    }
  }

  /**
   * As the node's networking does when a peer SWIM holds dead connects again (its stream is
   * opened by a member that sees this node alive): join through it, at most once per probe
   * interval. Without it a healed partition waits for SWIM's push-pull to a dead member.
   */
  #rejoinIfDead(node: ReplicationSimNode, from: ReplicationSimNode, t: number): void {
    const swim = node.swim as Swim
    const state = swim.member(from.id)?.state
    if (state !== undefined && state !== 'dead' && state !== 'left') return
    if (t < node.rejoinAtMs) return
    node.rejoinAtMs = t + profiles[this.options.profile].probeIntervalMs
    this.rejoins++
    swim.join([from.id], t)
    this.#flushSwim(node)
  }

  #add(): ReplicationSimNode {
    const index = this.nodes.length
    const node: ReplicationSimNode = {
      index,
      id: `n${index}`,
      up: false,
      swim: null,
      engine: null,
      replica: null,
      group: 0,
      writes: 0,
      traffic: new Traffic(),
      writtenAtMs: [],
      swimTimerAt: Infinity,
      engineTimerAt: Infinity,
      rejoinAtMs: 0,
    }
    this.nodes.push(node)
    this.#byId.set(node.id, node)
    return node
  }

  #start(node: ReplicationSimNode, members: readonly string[] | undefined): void {
    const o = this.options
    const replica = new Replica({ nodeId: node.id, maxBytes: o.replicaMaxBytes })
    // No warm-up planning yet: every seq of every origin is wanted from 1.
    replica.progress.warmedUp()
    node.replica = replica
    node.engine = new ReplicationEngine({ replica, selfId: node.id, seed: this.rng.nextUint32(), ...o.tuning })
    node.swim = new Swim({
      id: node.id,
      seed: this.rng.nextUint32(),
      nowMs: this.#nowMs,
      members,
      directory: this.#directory,
      config: { profile: o.profile, lifeguard: o.lifeguard },
    })
    node.up = true
    // A starting view raises no events: the adapter tells the engine of every member it starts with.
    if (members !== undefined) for (const id of members) node.engine.memberUp(id, this.#nowMs)
    this.#flushSwim(node)
  }

  /** SWIM's sends go out; its member events become engine inputs; its timer is re-armed. */
  #flushSwim(node: ReplicationSimNode): void {
    const swim = node.swim
    if (swim === null) return
    const t = this.#nowMs
    for (let m = swim.pollSend(); m !== undefined; m = swim.pollSend()) {
      const to = this.#byId.get(m.to)
      node.traffic.swimSent++
      node.traffic.swimBytesSent += m.bytes.byteLength
      if (to !== undefined) this.#transmit(Ev.swim, node, to, m.bytes)
    }
    const engine = node.engine as ReplicationEngine
    let touched = false
    for (let e = swim.pollEvent(); e !== undefined; e = swim.pollEvent()) {
      this.memberEvents[e.state]++
      if (e.state === 'alive') engine.memberUp(e.id, t)
      else if (e.state === 'dead' || e.state === 'left') engine.memberDown(e.id, t)
      else continue
      touched = true
    }
    if (touched) this.#drainEngine(node)
    // A deadline already past (a suspicion shrunk by a late confirmation) fires now.
    const next = Math.max(swim.pollTimeout() ?? Infinity, t)
    if (next !== node.swimTimerAt) {
      node.swimTimerAt = next
      if (next !== Infinity) this.#heap.push(next, { kind: Ev.swimTimer, node, peer: null, bytes: null, copy: false })
    }
  }

  /** The engine's outputs: frames go out, applied deltas are measured; its timer is re-armed. */
  #drainEngine(node: ReplicationSimNode): void {
    const engine = node.engine
    if (engine === null) return
    const t = this.#nowMs
    for (let o = engine.poll(); o !== undefined; o = engine.poll()) {
      if (o.type === 'send') {
        node.traffic.sent(o.bytes)
        const to = this.#byId.get(o.to)
        if (to !== undefined) this.#transmit(Ev.frame, node, to, o.bytes)
      } else if (o.type === 'applied' && o.outcome === 'applied') {
        const d = o.delta
        if (d.seq > 0) {
          const at = this.#byId.get(d.origin.nodeId)?.writtenAtMs[d.seq]
          if (at !== undefined) this.applyDelaysMs.push(t - at)
        }
        this.convergence.applied(node.index, d, t)
      }
    }
    const next = Math.max(engine.nextDeadline() ?? Infinity, t)
    if (next < node.engineTimerAt) {
      node.engineTimerAt = next
      this.#heap.push(next, { kind: Ev.engineTimer, node, peer: null, bytes: null, copy: false })
    } else if (next === Infinity) node.engineTimerAt = Infinity
  }

  #transmit(kind: EvKind, from: ReplicationSimNode, to: ReplicationSimNode, bytes: Uint8Array): void {
    const o = this.options
    const rng = this.rng
    if ((o.loss > 0 && rng.next() < o.loss) || (this.#partitioned && from.group !== to.group)) {
      this.#lost++
      // A lost frame leaves the sender's queue too, reported as soon as the sender is done.
      if (kind === Ev.frame) this.#heap.push(this.#nowMs, { kind: Ev.lost, node: from, peer: to, bytes, copy: false })
      return
    }
    const copies = o.duplicate > 0 && rng.next() < o.duplicate ? 2 : 1
    for (let c = 0; c < copies; c++) {
      const delay = o.delayMinMs - o.delayMeanMs * Math.log(1 - rng.next())
      this.#heap.push(this.#nowMs + delay, { kind, node: to, peer: from, bytes, copy: c > 0 })
    }
  }
}
