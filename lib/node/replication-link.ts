// The replication adapter: runs the sans-IO engine (lib/replication/) over libp2p. It makes no
// replication decision — batching, fan-out, flow control, repair, anti-entropy, acks and
// offender counting are the engine's — it feeds the engine and performs what it polls out:
//
//   write / flush / applyReceived ─┐                         ┌─ send    → frame stream to a member
//   frames of replication streams ─┤                         ├─ publish → gossipsub (large clusters)
//   gossipsub delta batches       ─┼─→ ReplicationEngine ──→─┼─ applied → accounting (lag, events)
//   SWIM: member up / down        ─┤                         ├─ ack     → the write's promise
//   timer at nextDeadline()       ─┘                         └─ offender → ban
//
// - Streams: one long-lived frame stream per member (lib/networking/frame-streams.ts), opened
//   on the first frame. The engine counts the bytes it output for a member until the transport
//   reports them handed to the stream (onSent): that is the queue its flow control bounds. A
//   frame the transport refuses or drops is reported sent too: it is lost, and repair or the
//   ack retry makes up for it, as for a frame lost on the wire.
// - Gossip: the cluster's delta topic is always subscribed and validated (decoded once, in the
//   validator, so gossipsub never forwards what does not decode); the engine publishes there
//   only above gossipAboveMembers members (docs/replication-engine.md, "Direct or gossip").
// - Time: the engine gets the node's wall clock (it stamps and expires what it applies); one
//   timer is armed for the engine's next deadline after every input.

import { TopicValidatorResult, type GossipSub, type GossipsubMessage } from '@libp2p/gossipsub'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { Delta, Origin, Replica, ReplicaDigest } from '../../crdt/index.ts'
import { decodeDeltas } from '../../crdt/index.ts'
import { DecodeError } from '../foundation/index.ts'
import { FrameStreams, replicationProtocol, type FrameStreamsStats } from '../networking/index.ts'
import {
  FrameKindCode,
  MAX_REPLICATION_FRAME_BYTES,
  REPLICATION_FRAME_VERSION,
  ReplicationEngine,
  type ApplyOutcome,
  type EngineOutput,
  type ReplicationEngineStats,
  type ReplicationTuning,
} from '../replication/index.ts'
import { AckRefusedError, AckTimeoutError } from './acks.ts'

/** Frames queued per member in the transport; the engine's byte bound (maxQueueBytes) is what binds. */
const MAX_QUEUED_FRAMES = 65_536
/** How long to wait for a member's replication stream to open before dropping what was queued. */
const OPEN_TIMEOUT_MS = 2_000

export interface ReplicationLinkInit {
  cluster: string
  selfId: string
  replica: Replica
  /** The node's wall clock. */
  now: () => number
  tuning: ReplicationTuning
  /** Seeds the engine's picks of anti-entropy and repair partners. */
  seed: number
  registrar: Registrar
  connectionManager: ConnectionManager
  pubsub: GossipSub
  /** The gossipsub topic of delta batches (lib/networking/gossip-message-id.ts's deltaTopic). */
  topic: string
  /** Every remote delta once, with what it did here; `live` when live replication brought it (not repair or warm-up). */
  onApplied: (delta: Delta, outcome: ApplyOutcome, from: string, live: boolean, nowMs: number, error?: unknown) => void
  /** A member's digest arrived (anti-entropy): the identity-conflict check reads it. */
  onDigest: (digest: ReplicaDigest, from: string) => void
  /** A peer sent frames that do not decode past the engine's limit: ban it. */
  onOffender: (peer: string, malformed: number) => void
  /** A peer's stream or gossip message did not decode (counted per peer by the node's policing). */
  onMalformed: (from: string) => void
  /** Code of ours threw (a bug): reported, never charged to a peer. */
  onInternalError: (where: string, err: unknown) => void
  /** @internal Drop this incoming batch? (fault injection for gap-repair tests) */
  dropIncoming?: () => boolean
}

/** NodeStats.replication: the engine's counts, the transport's, and the fault injection's. */
export type ReplicationStats = Omit<ReplicationEngineStats, 'repair'> & {
  transport: FrameStreamsStats
  /** @internal Incoming batches dropped by fault injection. */
  injectedDrops: number
}

interface AckWaiter {
  readonly key: string
  readonly timeoutMs: number
  readonly resolve: () => void
  readonly reject: (err: Error) => void
}

export class ReplicationLink {
  readonly #i: ReplicationLinkInit
  readonly engine: ReplicationEngine
  readonly #frames: FrameStreams
  #timer: ReturnType<typeof setTimeout> | undefined
  #timerAt = Infinity
  #running = false
  #driving = false
  #nextAckId = 0
  readonly #acks = new Map<number, AckWaiter>()
  /** flush() callers waiting for the queues to drain. */
  #drainWaiters: (() => void)[] = []
  #injectedDrops = 0
  /** Gossiped batches the topic validator rejected (they never reach the engine). */
  #gossipMalformed = 0
  readonly #onGossip = (e: CustomEvent<GossipsubMessage>): void => this.#receiveGossip(e.detail)
  /** Batches the validator decoded, by message bytes, until their message event. */
  readonly #validated = new WeakSet<Uint8Array>()

  constructor(init: ReplicationLinkInit) {
    this.#i = init
    this.engine = new ReplicationEngine({ ...init.tuning, replica: init.replica, selfId: init.selfId, seed: init.seed })
    this.#frames = new FrameStreams(
      { registrar: init.registrar, connectionManager: init.connectionManager },
      {
        protocol: replicationProtocol(init.cluster),
        maxFrameBytes: MAX_REPLICATION_FRAME_BYTES,
        maxQueuedFrames: MAX_QUEUED_FRAMES,
        // Room for the engine's bound and one more frame: the engine's flow control binds, not this.
        maxQueuedBytes: this.engine.tuning.maxQueueBytes + MAX_REPLICATION_FRAME_BYTES,
        openTimeoutMs: OPEN_TIMEOUT_MS,
        onFrame: (from, frame) => this.#receive(from, frame),
        onFramingError: (from) => init.onMalformed(from),
        onSent: (to, bytes) => this.#sent(to, bytes),
        onDropped: (to, bytes) => this.#sent(to, bytes),
      },
    )
  }

  async start(): Promise<void> {
    await this.#frames.start()
    const { pubsub, topic } = this.#i
    pubsub.topicValidators.set(topic, (peer, msg) => {
      try {
        // Decoded here so that gossipsub never forwards what does not decode; decoded again on
        // delivery by the engine (rare: only clusters above gossipAboveMembers publish).
        decodeDeltas(msg.data)
        this.#validated.add(msg.data)
        return TopicValidatorResult.Accept
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err
        this.#gossipMalformed++
        this.#i.onMalformed(peer.toString())
        return TopicValidatorResult.Reject
      }
    })
    pubsub.subscribe(topic)
    pubsub.addEventListener('gossipsub:message', this.#onGossip)
    this.#running = true
    this.#drive()
  }

  /** Sends what is queued and waits (at most `timeoutMs`) until the transport holds no more than a batch per member. */
  async flush(timeoutMs: number): Promise<void> {
    if (!this.#running) return
    this.engine.flush(this.#i.now())
    this.#drive()
    if (this.#drained()) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs)
      function done(): void {
        clearTimeout(timer)
        resolve()
      }
      this.#drainWaiters.push(done)
    })
  }

  async stop(flushTimeoutMs: number): Promise<void> {
    if (!this.#running) return
    await this.flush(flushTimeoutMs)
    // Acknowledged writes still waiting settle now (AckTimeoutError naming who did not answer).
    this.engine.close(this.#i.now())
    this.#drive()
    this.#running = false
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    const { pubsub, topic } = this.#i
    pubsub.removeEventListener('gossipsub:message', this.#onGossip)
    pubsub.unsubscribe(topic)
    pubsub.topicValidators.delete(topic)
    await this.#frames.stop()
    for (const done of this.#drainWaiters.splice(0)) done()
  }

  // ---- inputs ----

  /** Replicates a local delta; with `ackTimeoutMs`, resolves once every live member applied it (G6). */
  write(delta: Delta, ackTimeoutMs?: number): Promise<void> | undefined {
    const now = this.#i.now()
    if (ackTimeoutMs === undefined) {
      this.engine.write(delta, now)
      this.#drive()
      return undefined
    }
    const ackId = this.#nextAckId++
    const done = new Promise<void>((resolve, reject) => this.#acks.set(ackId, { key: delta.key, timeoutMs: ackTimeoutMs, resolve, reject }))
    this.engine.write(delta, now, ackId, ackTimeoutMs)
    this.#drive()
    return done
  }

  /** Deltas received by another way (warm-up stream, sync push, snapshot): the engine's one apply path. */
  applyReceived(from: string, deltas: readonly Delta[]): ApplyOutcome[] {
    const outcomes = this.engine.applyReceived(from, deltas, this.#i.now())
    this.#drive()
    return outcomes
  }

  /** After a complete warm-up: `origin`'s seqs up to `contiguous` are held. */
  baseline(origin: Origin, contiguous: number, hlc: number): void {
    this.engine.baseline(origin, contiguous, hlc)
  }

  /** A digest a peer sent by the sync protocol (warm-up): repair pulls what it shows we lack. */
  noteDigest(digest: ReplicaDigest): void {
    this.engine.noteDigest(digest, this.#i.now())
    this.#drive()
  }

  /** SWIM: `id` is alive or suspected (it still counts), or dead or left. */
  memberUp(id: string): void {
    this.engine.memberUp(id, this.#i.now())
    this.#drive()
  }

  memberDown(id: string): void {
    this.engine.memberDown(id, this.#i.now())
    this.#frames.close(id, 'member down')
    this.#drive()
  }

  stats(): ReplicationStats {
    const { repair: _repair, ...engine } = this.engine.stats()
    const malformed = engine.malformed + this.#gossipMalformed
    return { ...engine, malformed, transport: { ...this.#frames.stats }, injectedDrops: this.#injectedDrops }
  }

  // ---- the loop ----

  #receive(from: string, frame: Uint8Array): void {
    if (this.#i.dropIncoming !== undefined && isBatchFrame(frame) && this.#i.dropIncoming()) {
      this.#injectedDrops++
      return
    }
    try {
      this.engine.receive(from, frame, this.#i.now())
    } catch (err) {
      // Frames that do not decode are counted by the engine; anything thrown is ours.
      this.#i.onInternalError('receive a replication frame', err)
    }
    this.#drive()
  }

  #receiveGossip(m: GossipsubMessage): void {
    if (m.msg.topic !== this.#i.topic) return
    // Only what the validator accepted (it runs first, for every message of the topic).
    if (!this.#validated.delete(m.msg.data)) return
    if (this.#i.dropIncoming?.() === true) {
      this.#injectedDrops++
      return
    }
    try {
      this.engine.receiveGossip(m.propagationSource.toString(), m.msg.data, this.#i.now())
    } catch (err) {
      this.#i.onInternalError('receive a gossiped batch', err)
    }
    this.#drive()
  }

  #sent(to: string, bytes: number): void {
    this.engine.sent(to, bytes, this.#i.now())
    this.#drive()
    if (this.#drainWaiters.length > 0 && this.#drained()) for (const done of this.#drainWaiters.splice(0)) done()
  }

  /** Every member's transport queue holds at most one batch (or the member is behind: repair catches it up). */
  #drained(): boolean {
    const bound = this.engine.tuning.batchMaxBytes
    for (const id of this.engine.members()) if (!this.engine.isBehind(id) && this.engine.queuedBytes(id) > bound) return false
    return true
  }

  /** Performs every output, then arms the timer for the next deadline. Re-entrant calls join the running loop. */
  #drive(): void {
    if (this.#driving) return
    this.#driving = true
    try {
      // One clock read per drain, not per delta (a batch's outputs are one instant).
      const nowMs = this.#i.now()
      for (let o = this.engine.poll(); o !== undefined; o = this.engine.poll()) this.#perform(o, nowMs)
    } finally {
      this.#driving = false
    }
    this.#arm()
  }

  #perform(o: EngineOutput, nowMs: number): void {
    try {
      switch (o.type) {
        case 'send':
          if (!this.#running || !this.#frames.send(o.to, o.bytes)) this.engine.sent(o.to, o.bytes.byteLength, nowMs)
          return
        case 'publish':
          // Refused when no peer is subscribed yet: the deltas are in the log; repair pulls them.
          if (this.#running) void this.#i.pubsub.publish(this.#i.topic, o.bytes).catch(() => {})
          return
        case 'applied':
          return this.#i.onApplied(o.delta, o.outcome, o.from, o.live, nowMs, o.error)
        case 'ack':
          return this.#ackDone(o.ackId, o.missing, o.refused)
        case 'offender':
          return this.#i.onOffender(o.peer, o.malformed)
        case 'digest':
          return this.#i.onDigest(o.digest, o.from)
        case 'behind':
          // Counted by the engine (stats().replication.behind); it catches up by repair.
          return
      }
    } catch (err) {
      this.#i.onInternalError(`perform the replication engine's ${o.type} output`, err)
    }
  }

  #ackDone(ackId: number, missing: readonly string[], refused: Extract<EngineOutput, { type: 'ack' }>['refused']): void {
    const w = this.#acks.get(ackId)
    if (w === undefined) return
    this.#acks.delete(ackId)
    if (refused.length > 0) w.reject(new AckRefusedError(w.key, refused, missing))
    else if (missing.length > 0) w.reject(new AckTimeoutError(w.key, missing, w.timeoutMs))
    else w.resolve()
  }

  #arm(): void {
    if (!this.#running) return
    const at = this.engine.nextDeadline()
    if (at === undefined || at >= this.#timerAt) return
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timerAt = at
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, at - this.#i.now()))
  }

  #fire(): void {
    this.#timer = undefined
    this.#timerAt = Infinity
    try {
      this.engine.tick(this.#i.now())
    } catch (err) {
      this.#i.onInternalError('run the replication engine', err)
    }
    this.#drive()
  }
}

/** A frame whose header says `batch` (read without decoding it: the fault injection's filter). */
function isBatchFrame(frame: Uint8Array): boolean {
  return frame.length > 1 && frame[0] === REPLICATION_FRAME_VERSION && frame[1] === FrameKindCode.batch
}
