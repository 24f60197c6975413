// A simulated network for the replication engine: N engines, each with its own crdt Replica,
// in one process, exchanging frames over links with a per-message delay (which reorders),
// loss, duplication, partitions, and members that pause (they neither read nor run: frames to
// them wait in the transport, so their senders' queues fill). All randomness comes from one
// seed; time is simulated (no clock is read).
//
//   const sim = new SimNetwork({ n: 3, seed: 7, loss: 0.05 })
//   sim.set(0, 'k', bytes)              // a write on node 0
//   sim.run(5_000)                      // advance simulated time by 5 s
//   sim.converged()                     // every replica holds the same entries and versions
//
// The adapter's part is played here: drain poll() after every input, deliver `send` outputs,
// report `sent` when a frame leaves the link (delivered or lost), tick at nextDeadline().
// Also used by bench/replication-engine.ts (lossless, zero delay) with per-node timing.

import { Prng } from '../../lib/foundation/index.ts'
import { Replica, type Delta, type ReplicaInit } from '../../crdt/index.ts'
import { ReplicationEngine, type EngineOutput, type ReplicationTuning } from '../../lib/replication/index.ts'

export interface SimOptions {
  n: number
  seed: number
  /** Per-message delay, uniform in [min, max] ms. @default [1, 10] */
  delayMs?: readonly [number, number]
  /** Probability that a frame is lost. @default 0 */
  loss?: number
  /** Probability that a frame is delivered twice. @default 0 */
  duplicate?: number
  tuning?: ReplicationTuning
  /** Store capacity of each replica. @default 64 MiB */
  replicaMaxBytes?: number
  /** More options for node `index`'s replica (a log that holds one delta, an epoch). @default none */
  replicaInit?: (index: number) => Partial<ReplicaInit>
  /** Keep every output of every node (tests); the bench counts only. @default true */
  record?: boolean
  /** Time spent in each node's code is measured (bench). @default false */
  time?: boolean
  /** Called with every output other than `send`, as it is polled (properties checked at that moment). */
  onEvent?: (node: SimNode, output: EngineOutput) => void
}

interface Message {
  at: number
  order: number
  from: number
  to: number
  bytes: Uint8Array
}

export interface SimNode {
  readonly index: number
  readonly id: string
  readonly replica: Replica
  readonly engine: ReplicationEngine
  paused: boolean
  /** Outputs other than `send`, in order (when recording). */
  readonly events: EngineOutput[]
  /** `applied` outputs. */
  appliedOutputs: number
  framesSent: number
  bytesSent: number
  /** Time spent in this node's replica and engine calls, ms (with `time`). */
  busyMs: number
}

export class SimNetwork {
  readonly nodes: SimNode[] = []
  readonly rng: Prng
  now = 0
  readonly #o: Required<Omit<SimOptions, 'tuning' | 'onEvent' | 'replicaInit'>> &
    Pick<SimOptions, 'onEvent' | 'replicaInit'> & { tuning: ReplicationTuning }
  /** A binary min-heap of messages in flight, by (at, order). */
  readonly #heap: Message[] = []
  #order = 0
  /** Frames for paused nodes, waiting in the transport. */
  readonly #held: Message[] = []
  readonly #cut = new Set<string>()
  /** Every key written, for the convergence check. */
  readonly keys = new Set<string>()

  constructor(o: SimOptions) {
    this.#o = {
      delayMs: [1, 10],
      loss: 0,
      duplicate: 0,
      replicaMaxBytes: 64 * 1024 * 1024,
      record: true,
      time: false,
      tuning: {},
      ...o,
    }
    this.rng = new Prng(o.seed)
    for (let i = 0; i < o.n; i++) {
      const id = `n${i}`
      const replica = new Replica({ maxBytes: this.#o.replicaMaxBytes, ...this.#o.replicaInit?.(i), nodeId: id })
      // No warm-up in this slice: every node starts with the cluster, so every seq is wanted from 1.
      replica.progress.warmedUp()
      const engine = new ReplicationEngine({ replica, selfId: id, seed: this.rng.nextUint32(), ...this.#o.tuning })
      const node = { index: i, id, replica, engine, paused: false, events: [], appliedOutputs: 0, framesSent: 0, bytesSent: 0, busyMs: 0 }
      this.nodes.push(node)
    }
    for (const a of this.nodes) for (const b of this.nodes) if (a !== b) this.#call(a, () => a.engine.memberUp(b.id, this.now))
  }

  // ---- workload ----

  set(i: number, key: string, value: Uint8Array, ackId?: number): Delta {
    const node = this.nodes[i]
    this.keys.add(key)
    let d: Delta | undefined
    this.#call(node, () => {
      d = node.replica.set(key, value, {}, this.now)
      node.engine.write(d, this.now, ackId)
    })
    return d as Delta
  }

  delete(i: number, key: string, ackId?: number): Delta {
    const node = this.nodes[i]
    this.keys.add(key)
    let d: Delta | undefined
    this.#call(node, () => {
      d = node.replica.delete(key, {}, this.now)
      node.engine.write(d, this.now, ackId)
    })
    return d as Delta
  }

  /** Bytes from `from` to node `to` as if they came off its stream (a hostile peer's). */
  inject(from: string, to: number, bytes: Uint8Array): void {
    const node = this.nodes[to]
    this.#call(node, () => node.engine.receive(from, bytes, this.now))
  }

  // ---- faults ----

  partition(groupA: readonly number[], groupB: readonly number[]): void {
    for (const a of groupA) for (const b of groupB) this.#cut.add(`${a}|${b}`).add(`${b}|${a}`)
  }

  heal(): void {
    this.#cut.clear()
  }

  pause(i: number): void {
    this.nodes[i].paused = true
  }

  resume(i: number): void {
    const node = this.nodes[i]
    node.paused = false
    // What waited in the transport arrives now, in the order it was sent.
    const mine = this.#held.filter((m) => m.to === i).sort((a, b) => a.order - b.order)
    this.#held.splice(0, this.#held.length, ...this.#held.filter((m) => m.to !== i))
    for (const m of mine) this.#push({ ...m, at: this.now })
  }

  memberDown(at: number, id: number): void {
    const node = this.nodes[at]
    this.#call(node, () => node.engine.memberDown(this.nodes[id].id, this.now))
  }

  memberUp(at: number, id: number): void {
    const node = this.nodes[at]
    this.#call(node, () => node.engine.memberUp(this.nodes[id].id, this.now))
  }

  /** No more loss or duplication from now on (faults end). */
  quiet(): void {
    this.#o.loss = 0
    this.#o.duplicate = 0
    this.heal()
  }

  // ---- time ----

  /** Advances simulated time by `ms`, delivering frames and firing deadlines in order. */
  run(ms: number): void {
    const until = this.now + ms
    for (;;) {
      const top = this.#heap[0]
      const tMessage = top === undefined ? Infinity : top.at
      let tTick = Infinity
      for (const n of this.nodes) {
        if (n.paused) continue
        const d = n.engine.nextDeadline()
        if (d !== undefined && d < tTick) tTick = d
      }
      const t = Math.min(tMessage, tTick)
      if (t > until) break
      if (t > this.now) this.now = t
      if (tMessage <= tTick) this.#deliver(this.#pop() as Message)
      else {
        for (const n of this.nodes) {
          if (n.paused) continue
          const d = n.engine.nextDeadline()
          if (d !== undefined && d <= this.now) this.#call(n, () => n.engine.tick(this.now))
        }
      }
    }
    this.now = until
  }

  /** Runs until no frame is in flight (and deadlines due by then have fired), at most `maxMs`. */
  settle(maxMs = 60_000): void {
    const until = this.now + maxMs
    while (this.#heap.length > 0 && this.now < until) this.run(Math.min(10, until - this.now))
  }

  get inFlight(): number {
    return this.#heap.length + this.#held.length
  }

  // ---- checks ----

  /** Every replica's state as sorted lines: key, op, version, value (the same idea as history.ts `converged`). */
  state(i: number): string[] {
    const r = this.nodes[i].replica
    const out: string[] = []
    for (const d of r.since(0 as never)) {
      const v = d.version
      const value = d.value === undefined ? '' : Buffer.from(d.value).toString('hex')
      out.push(`${d.key} ${d.op} ${v.userVersion}.${v.hlc}.${v.nodeId} ${value}`)
    }
    return out.sort()
  }

  /** Which nodes differ from node 0 (empty: converged). */
  divergent(): number[] {
    const first = this.state(0).join('\n')
    return this.nodes.filter((n) => this.state(n.index).join('\n') !== first).map((n) => n.index)
  }

  converged(): boolean {
    return this.divergent().length === 0
  }

  // ---- the adapter's part ----

  #call(node: SimNode, f: () => void): void {
    if (this.#o.time) {
      const t0 = performance.now()
      f()
      this.#drain(node)
      node.busyMs += performance.now() - t0
    } else {
      f()
      this.#drain(node)
    }
  }

  #drain(node: SimNode): void {
    for (let o = node.engine.poll(); o !== undefined; o = node.engine.poll()) {
      if (o.type === 'send') {
        node.framesSent++
        node.bytesSent += o.bytes.byteLength
        this.#transmit(node.index, Number(o.to.slice(1)), o.bytes)
        continue
      }
      if (o.type === 'applied') node.appliedOutputs++
      if (this.#o.record) node.events.push(o)
      this.#o.onEvent?.(node, o)
    }
  }

  #transmit(from: number, to: number, bytes: Uint8Array): void {
    const o = this.#o
    const lost = this.#cut.has(`${from}|${to}`) || (o.loss > 0 && this.rng.next() < o.loss)
    if (lost) {
      // The transport took the bytes and lost them: they leave the sender's queue.
      const src = this.nodes[from]
      this.#call(src, () => src.engine.sent(this.nodes[to].id, bytes.byteLength, this.now))
      return
    }
    const copies = o.duplicate > 0 && this.rng.next() < o.duplicate ? 2 : 1
    for (let c = 0; c < copies; c++) {
      const [min, max] = o.delayMs
      const at = this.now + min + (max > min ? this.rng.next() * (max - min) : 0)
      this.#push({ at, order: this.#order++, from, to, bytes: c === 0 ? bytes : bytes.slice() })
    }
  }

  #deliver(m: Message): void {
    const dst = this.nodes[m.to]
    if (dst.paused) {
      this.#held.push(m)
      return
    }
    const src = this.nodes[m.from]
    this.#call(dst, () => dst.engine.receive(src.id, m.bytes, this.now))
    this.#call(src, () => src.engine.sent(dst.id, m.bytes.byteLength, this.now))
  }

  #push(m: Message): void {
    const h = this.#heap
    h.push(m)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!before(h[i], h[p])) break
      ;[h[i], h[p]] = [h[p], h[i]]
      i = p
    }
  }

  #pop(): Message | undefined {
    const h = this.#heap
    if (h.length === 0) return undefined
    const top = h[0]
    const last = h.pop() as Message
    if (h.length > 0) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && before(h[l], h[m])) m = l
        if (r < h.length && before(h[r], h[m])) m = r
        if (m === i) break
        ;[h[i], h[m]] = [h[m], h[i]]
        i = m
      }
    }
    return top
  }
}

function before(a: Message, b: Message): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order)
}

/** One engine over its own replica (warmed up), for tests that drive engines by hand. */
export function engineNode(
  id: string,
  tuning: ReplicationTuning = {},
  replicaInit: Partial<ReplicaInit> = {},
): { replica: Replica; engine: ReplicationEngine } {
  const replica = new Replica({ nodeId: id, maxBytes: 16 * 1024 * 1024, ...replicaInit })
  replica.progress.warmedUp()
  return { replica, engine: new ReplicationEngine({ replica, selfId: id, seed: 1, ...tuning }) }
}

/** Every output an engine has queued, in order. */
export function drain(e: ReplicationEngine): EngineOutput[] {
  const out: EngineOutput[] = []
  for (let o = e.poll(); o !== undefined; o = e.poll()) out.push(o)
  return out
}
