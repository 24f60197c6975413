// The replication engine: every decision of the replication path, sans-IO (as membership/swim.ts
// is for SWIM). docs/replication-engine.md is the theory of operation; in short:
//
// - Inputs: write (a local delta), receive (one frame of a member's stream), memberUp and
//   memberDown (SWIM), sent (the adapter handed bytes to the transport), tick (a deadline
//   passed). Every input takes nowMs; nothing here reads a clock, opens a socket, sets a timer
//   or calls Math.random (a Prng seeded by the caller picks anti-entropy partners).
// - Outputs: drain poll() after every input, then arm one timer for nextDeadline().
// - Batching: a batch leaves at batchMaxDeltas or batchMaxBytes, or batchIntervalMs after its
//   first delta; it is encoded ONCE and the same bytes are output for every live member.
// - Flow control: the bytes output to a member and not yet reported `sent` are its queue. A
//   batch that would take it past maxQueueBytes is not output: the member is `behind` and gets
//   no batches until its queue drains to half the bound; then it is sent our digest and pulls
//   what it missed by repair. Other frames over the bound are dropped (their askers retry). So
//   memory per member is bounded whatever a slow or paused member does.
// - One apply path: every remote delta (batch, repair answer, ack request) goes through
//   #applyRemote: Replica.apply, the reason of a drop from Replica.lastDropReason, one
//   `applied` output.
// - Repair: a hole in an origin's seqs open gapGraceMs is asked of the origin (`want`, from its
//   log); when the origin is down, or its log no longer holds the range, of a random live
//   member (`since` the highest hlc received at or below the contiguous seq), whose answer
//   marks the range received up to what that member had. Anti-entropy: a digest to one random
//   live member every antiEntropyIntervalMs finds lost tails.
// - Acks: a write with an ackId asks every live member to answer with what the delta did
//   there; done when all answered (applied/stale acknowledge, anything else is a refusal) or
//   at ackTimeoutMs; members going down stop counting.
// - Offenders: frames that do not decode are counted per peer in a window; at
//   malformedLimit one `offender` output per window. Deltas that decode but break the
//   admission rule are refused alone by the replica: not the peer's fault.

import { DecodeError, keyHash32, Prng } from '../foundation/index.ts'
import {
  decodeDeltas,
  encodeChunks,
  encodeDeltas,
  newChunkTally,
  originKey,
  travelForm,
  type Delta,
  type DropReason,
  type Hlc,
  type Origin,
  type Replica,
  type ReplicaDigest,
} from '../../crdt/index.ts'
import {
  decodeFrame,
  encodeFrame,
  KEY_HASH_SPACE,
  type AckAnswer,
  type AckOutcome,
  type AckRequest,
  type ReplicationFrame,
} from './frames.ts'
import { AckTable, type AckDone } from './acks.ts'
import { MalformedCounter } from './offenders.ts'
import { MAX_PENDING_ACKS, MAX_REPAIRS_IN_FLIGHT, MAX_SINCE_REQUESTS_PER_ROUND, resolveTuning } from './options.ts'
import type { ReplicationTuning, ResolvedTuning } from './options.ts'
import { newStats, type ApplyOutcome, type EngineOutput, type ReplicationEngineStats } from './types.ts'

export interface ReplicationEngineInit extends ReplicationTuning {
  /** The replica whose deltas this engine replicates and to which it applies remote ones. */
  replica: Replica
  /** This node's member id (SWIM's), never a member of its own fan-out. */
  selfId: string
  /** Seeds the Prng that picks anti-entropy and fallback partners: one seed replays a run. */
  seed: number
}

/** Bytes per delta beyond key and value in the batch size estimate (the codec's overhead is ~15). */
const DELTA_ESTIMATE_OVERHEAD_BYTES = 32
/** The smallest chunk crdt's encodeChunks accepts. */
const MIN_CHUNK_BYTES = 2048
/** A repair answer's frame beyond its delta batch (kind, origin, seqs, flags). */
const ANSWER_HEADER_BYTES = 512

const DROPPED: Readonly<Record<DropReason | 'failed', ApplyOutcome>> = {
  inadmissible: Object.freeze({ dropped: 'inadmissible' }),
  'clock-drift': Object.freeze({ dropped: 'clock-drift' }),
  'below-horizon': Object.freeze({ dropped: 'below-horizon' }),
  'too-large': Object.freeze({ dropped: 'too-large' }),
  'invalid-yjs': Object.freeze({ dropped: 'invalid-yjs' }),
  failed: Object.freeze({ dropped: 'failed' }),
}

interface Member {
  readonly id: string
  alive: boolean
  /** Bytes output to it and not yet reported sent. */
  queued: number
  /** Past maxQueueBytes: no batches until the queue drains to half of it. */
  behind: boolean
}

interface Want {
  readonly origin: Origin
  upTo: number
  /** When the hole was first seen (or when to look again, minus the grace). */
  sinceMs: number
  /** When the last request left; -Infinity when none is outstanding. */
  askedAtMs: number
  /** Ask another member (`since`) next, not the origin. */
  fallback: boolean
  /**
   * The since round under way: key-hash slices still to pull (the last one is asked next), the
   * least `has` any slice's answer reported, and the requests made. A slice whose answer the
   * byte budget cut is split in two and each half asked again: hottest first is not hlc order,
   * so a cut answer cannot be resumed by raising hlc.
   */
  round: { slices: [lo: number, span: number][]; has: number; requests: number } | undefined
}

export class ReplicationEngine {
  readonly tuning: ResolvedTuning
  readonly selfId: string
  readonly #replica: Replica
  readonly #rng: Prng
  readonly #stats = newStats()
  readonly #members = new Map<string, Member>()
  /** Live members, for fan-out and random picks (rebuilt on up/down). */
  #alive: Member[] = []
  readonly #offenders: MalformedCounter
  #out: (EngineOutput | undefined)[] = []
  #outHead = 0
  #batch: Delta[] = []
  #batchBytes = 0
  #batchAcks: AckRequest[] = []
  #batchDueMs = Infinity
  readonly #wants = new Map<string, Want>()
  /** originKey → highest hlc received at or below the origin's contiguous seq (the `since` point). */
  readonly #frontier = new Map<string, number>()
  #repairDueMs = Infinity
  readonly #acks: AckTable
  #antiEntropyDueMs = Infinity

  constructor(init: ReplicationEngineInit) {
    if (init === null || typeof init !== 'object') {
      throw new TypeError('ReplicationEngine: options object required ({ replica, selfId, seed })')
    }
    if (typeof init.selfId !== 'string' || init.selfId.length === 0) {
      throw new TypeError('ReplicationEngine: selfId must be a non-empty string')
    }
    this.tuning = resolveTuning(init)
    this.selfId = init.selfId
    this.#replica = init.replica
    this.#rng = new Prng(init.seed)
    this.#offenders = new MalformedCounter(this.tuning.malformedLimit, this.tuning.malformedWindowMs)
    this.#acks = new AckTable(this.tuning.ackTimeoutMs, this.tuning.ackRetryMs)
  }

  // ---- inputs ----

  /**
   * A local delta (from replica.set/delete/merge) to replicate. With `ackId`, every live
   * member is asked to answer what it did there, and an `ack` output follows. ackIds must be
   * unique among the writes still waiting (RangeError otherwise).
   */
  write(delta: Delta, nowMs: number, ackId?: number, ackTimeoutMs?: number): void {
    this.#stats.writes++
    let acked = false
    if (ackId !== undefined) acked = this.#startAck(delta, ackId, nowMs, ackTimeoutMs)
    // Nobody to send it to: it stays in the replica's log for later members' repair.
    if (this.#alive.length === 0) return
    if (acked && this.#gossiping()) {
      // The mesh carries the batch; the ack request goes straight to every member (an acked write is rare: sent twice).
      this.#sendAckRequest(ackId as number, delta, this.#alive)
      acked = false
    }
    const size = delta.key.length + (delta.value === undefined ? 0 : delta.value.byteLength) + DELTA_ESTIMATE_OVERHEAD_BYTES
    // A delta that would take the batch past its bound sends the batch first: a large value travels alone.
    if (this.#batch.length > 0 && this.#batchBytes + size > this.tuning.batchMaxBytes) this.#flush()
    if (acked) this.#batchAcks.push({ ackId: ackId as number, index: this.#batch.length })
    this.#batch.push(delta)
    this.#batchBytes += size
    if (this.#batch.length === 1) this.#batchDueMs = nowMs + this.tuning.batchIntervalMs
    if (this.#batch.length >= this.tuning.batchMaxDeltas || this.#batchBytes >= this.tuning.batchMaxBytes) this.#flush()
  }

  /** One frame from member `from`'s replication stream. */
  receive(from: string, bytes: Uint8Array, nowMs: number): void {
    this.#stats.framesReceived++
    this.#stats.bytesReceived += bytes.byteLength
    let f: ReplicationFrame
    try {
      f = decodeFrame(bytes)
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err
      return this.#malformed(from, nowMs)
    }
    switch (f.kind) {
      case 'batch':
        return this.#onBatch(from, f.acks, f.batch, nowMs)
      case 'acked':
        for (const a of f.answers) {
          const done = this.#acks.answer(from, a)
          if (done !== undefined) this.#ackDone(done)
        }
        return
      case 'want':
        return this.#serveRange(from, f.origin, f.from, f.to, f.maxBytes)
      case 'range':
        return this.#onRange(from, f.origin, f.from, f.unavailable, f.batch, nowMs)
      case 'since':
        return this.#serveSince(from, f.origin, f.hlc, f.maxBytes, f.lo, f.span)
      case 'state':
        return this.#onState(from, f, nowMs)
      case 'digest':
        this.#out.push({ type: 'digest', from, digest: f.digest })
        this.#compare(f.digest, nowMs)
        if (f.replyWanted) this.#sendDigest(from, false)
        return
    }
  }

  /**
   * A delta batch (crdt's encodeDeltas bytes) the gossip mesh delivered, `from` the peer that
   * forwarded it: applied like a batch frame. Used in clusters above gossipAboveMembers.
   */
  receiveGossip(from: string, batch: Uint8Array, nowMs: number): void {
    this.#stats.gossipReceived++
    this.#stats.bytesReceived += batch.byteLength
    const deltas = this.#decodeBatch(from, batch, nowMs)
    if (deltas !== undefined) this.#applyAll(from, deltas, nowMs, true)
  }

  /**
   * Deltas that came by another way (the warm-up stream, a snapshot), through the same apply
   * path as every other remote delta: one `applied` output each, holes noted for repair.
   */
  applyReceived(from: string, deltas: readonly Delta[], nowMs: number): ApplyOutcome[] {
    const outcomes: ApplyOutcome[] = []
    this.#applyAll(from, deltas, nowMs, false, outcomes)
    return outcomes
  }

  /**
   * After a complete warm-up: `origin`'s seqs up to `contiguous` count as received (what was
   * streamed holds them), and since(`hlc`) is where a fallback repair of it starts.
   */
  baseline(origin: Origin, contiguous: number, hlc: number): void {
    this.#replica.progress.start(origin, contiguous)
    const key = originKey(origin)
    if (hlc > (this.#frontier.get(key) ?? 0)) this.#frontier.set(key, hlc)
  }

  /** A digest that came by another way (a warm-up's digest exchange): wants what it shows we lack. */
  noteDigest(digest: ReplicaDigest, nowMs: number): void {
    this.#compare(digest, nowMs)
  }

  /**
   * The node is closing: every acknowledged write still waiting finishes now, with the members
   * that had not answered as `missing` (an `ack` output each), instead of never.
   */
  close(_nowMs: number): void {
    for (const done of this.#acks.finishAll()) this.#ackDone(done)
  }

  /** Sends the batch being filled now, whatever its size (the node's flush()). */
  flush(_nowMs: number): void {
    this.#flush()
  }

  /** SWIM says `id` is alive (again). */
  memberUp(id: string, nowMs: number): void {
    if (id === this.selfId) return
    let m = this.#members.get(id)
    if (m === undefined) {
      m = { id, alive: true, queued: 0, behind: false }
      this.#members.set(id, m)
      // New members go last in the map, so appending keeps #alive in the map's order without a
      // rebuild: a node learning N members at start costs O(N), not O(N²).
      this.#alive.push(m)
    } else if (m.alive) return
    else {
      m.alive = true
      this.#rebuildAlive()
    }
    if (this.#antiEntropyDueMs === Infinity) this.#antiEntropyDueMs = nowMs + this.tuning.antiEntropyIntervalMs
  }

  /** SWIM says `id` is dead or left: its stream is gone (queue dropped) and it stops counting for acks. */
  memberDown(id: string, _nowMs: number): void {
    const m = this.#members.get(id)
    if (m === undefined || !m.alive) return
    m.alive = false
    this.#unqueue(m, m.queued)
    m.behind = false
    this.#rebuildAlive()
    for (const done of this.#acks.memberDown(id)) this.#ackDone(done)
  }

  /**
   * The adapter handed `bytes` bytes output for `to` to the transport (its write completed):
   * they leave `to`'s queue. A behind member whose queue drains to half the bound is caught up.
   */
  sent(to: string, bytes: number, _nowMs: number): void {
    const m = this.#members.get(to)
    if (m === undefined) return
    this.#unqueue(m, bytes)
    if (m.behind && m.alive && m.queued <= this.tuning.maxQueueBytes / 2) {
      m.behind = false
      this.#stats.caughtUp++
      // Our digest tells it what it missed; its own repair pulls it.
      this.#sendDigest(to, false)
    }
  }

  /** A deadline passed (an early or repeated tick is harmless: only what is due runs). */
  tick(nowMs: number): void {
    if (nowMs >= this.#batchDueMs) this.#flush()
    if (nowMs >= this.#repairDueMs) this.#repairTick(nowMs)
    if (nowMs >= this.#acks.dueMs) this.#ackTick(nowMs)
    if (nowMs >= this.#antiEntropyDueMs) {
      this.#antiEntropyDueMs = nowMs + this.tuning.antiEntropyIntervalMs
      const m = this.#randomMember()
      if (m !== undefined) {
        this.#stats.repair.antiEntropyRounds++
        this.#sendDigest(m.id, true)
      }
    }
  }

  // ---- outputs ----

  poll(): EngineOutput | undefined {
    if (this.#outHead === this.#out.length) {
      if (this.#outHead > 0) {
        this.#out = []
        this.#outHead = 0
      }
      return undefined
    }
    const o = this.#out[this.#outHead]
    this.#out[this.#outHead++] = undefined
    return o
  }

  nextDeadline(): number | undefined {
    const t = Math.min(this.#batchDueMs, this.#repairDueMs, this.#acks.dueMs, this.#antiEntropyDueMs)
    return t === Infinity ? undefined : t
  }

  stats(): ReplicationEngineStats {
    const s = this.#stats
    return { ...s, repair: { ...s.repair, pendingOrigins: this.#wants.size }, acks: { ...s.acks, pending: this.#acks.size } }
  }

  /** The members batches go to now (alive or suspected), this node excluded. */
  members(): string[] {
    return this.#alive.map((m) => m.id)
  }

  /** Bytes output to `id` and not yet reported sent. */
  queuedBytes(id: string): number {
    return this.#members.get(id)?.queued ?? 0
  }

  /** Is `id` switched to catch-up (no batches until its queue drains)? */
  isBehind(id: string): boolean {
    return this.#members.get(id)?.behind ?? false
  }

  // ---- batching and fan-out ----

  #flush(): void {
    const deltas = this.#batch
    const acks = this.#batchAcks
    this.#batch = []
    this.#batchAcks = []
    this.#batchBytes = 0
    this.#batchDueMs = Infinity
    if (deltas.length === 0 || this.#alive.length === 0) return
    let frame: Uint8Array
    try {
      let batch: Uint8Array
      let requests = acks
      try {
        batch = encodeDeltas(deltas)
      } catch {
        // A bug (admitted deltas always encode): one delta must not take its batch down.
        const t = travelling(deltas, acks)
        this.#stats.unsendable += t.unsendable
        if (t.batch === undefined) return
        batch = t.batch
        requests = t.acks
      }
      if (this.#gossiping()) {
        // Above gossipAboveMembers the mesh fans out: one publish, whatever the cluster's size.
        this.#stats.batches++
        this.#stats.gossipPublished++
        this.#stats.bytesSent += batch.byteLength
        this.#out.push({ type: 'publish', bytes: batch })
        return
      }
      frame = encodeFrame({ kind: 'batch', acks: requests, batch })
    } catch {
      // A bug: its deltas are in the log, peers repair the gap.
      this.#stats.framesDropped++
      return
    }
    this.#stats.batches++
    for (const m of this.#alive) {
      if (m.behind) {
        this.#stats.batchesSkipped++
        continue
      }
      if (m.queued + frame.byteLength > this.tuning.maxQueueBytes) {
        m.behind = true
        this.#stats.behind++
        this.#stats.batchesSkipped++
        this.#out.push({ type: 'behind', peer: m.id })
        continue
      }
      this.#send(m, frame)
    }
  }

  #send(m: Member, bytes: Uint8Array): void {
    m.queued += bytes.byteLength
    const s = this.#stats
    s.queuedBytes += bytes.byteLength
    if (m.queued > s.maxQueuedBytes) s.maxQueuedBytes = m.queued
    s.framesSent++
    s.bytesSent += bytes.byteLength
    this.#out.push({ type: 'send', to: m.id, bytes })
  }

  /** Sends a frame other than a batch to a live member if its queue has room; false if not. */
  #trySend(to: string, f: ReplicationFrame | Uint8Array): boolean {
    const m = this.#members.get(to)
    if (m === undefined || !m.alive) return false
    const bytes = f instanceof Uint8Array ? f : encodeFrame(f)
    if (m.queued + bytes.byteLength > this.tuning.maxQueueBytes) {
      this.#stats.framesDropped++
      return false
    }
    this.#send(m, bytes)
    return true
  }

  #unqueue(m: Member, bytes: number): void {
    const n = Math.min(bytes, m.queued)
    m.queued -= n
    this.#stats.queuedBytes -= n
  }

  /** Batches go to the gossip mesh (one publish) instead of to each member: above gossipAboveMembers. */
  #gossiping(): boolean {
    return this.#alive.length + 1 > this.tuning.gossipAboveMembers
  }

  #rebuildAlive(): void {
    this.#alive = [...this.#members.values()].filter((m) => m.alive)
  }

  #randomMember(): Member | undefined {
    const alive = this.#alive
    return alive.length === 0 ? undefined : alive[this.#rng.int(alive.length)]
  }

  // ---- the one apply path ----

  #applyRemote(d: Delta, from: string, nowMs: number, live: boolean): ApplyOutcome {
    let outcome: ApplyOutcome
    const s = this.#stats
    try {
      const r = this.#replica.apply(d, nowMs)
      if (r === 'dropped') {
        outcome = DROPPED[this.#replica.lastDropReason ?? 'inadmissible']
        s.dropped++
      } else {
        outcome = r
        if (r === 'applied') s.applied++
        else s.stale++
      }
      if (live) s.liveDeltas++
    } catch (err) {
      // The bytes decoded: whatever threw is ours, never the peer's. Only this delta is lost.
      s.dropped++
      s.applyErrors++
      this.#out.push({ type: 'applied', delta: d, from, outcome: DROPPED.failed, live, error: err })
      return DROPPED.failed
    }
    this.#out.push({ type: 'applied', delta: d, from, outcome, live })
    return outcome
  }

  /** Decodes a frame's delta batch; one that does not decode counts against the peer. */
  #decodeBatch(from: string, batch: Uint8Array, nowMs: number): Delta[] | undefined {
    try {
      return decodeDeltas(batch)
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err
      this.#malformed(from, nowMs)
      return undefined
    }
  }

  /** Applies a batch's deltas, then notes each origin's holes and frontier. */
  #applyAll(from: string, deltas: readonly Delta[], nowMs: number, live: boolean, outcomes?: ApplyOutcome[]): void {
    for (const d of deltas) {
      const o = this.#applyRemote(d, from, nowMs, live)
      outcomes?.push(o)
    }
    // Decoded batches share one origin object per origin: usually one, so this loop is short.
    let seen: Origin | undefined
    for (const d of deltas) {
      if (d.seq === 0 || d.origin === seen) continue
      seen = d.origin
      this.#noteOrigin(d.origin, deltas, nowMs)
    }
  }

  #noteOrigin(origin: Origin, deltas: readonly Delta[], nowMs: number): void {
    const p = this.#replica.progress.progress(origin)
    if (p === undefined || origin.nodeId === this.selfId) return
    if (p.highest > p.contiguous) this.#want(origin, p.highest, nowMs)
    const key = originKey(origin)
    let hlc = this.#frontier.get(key) ?? 0
    for (const d of deltas) if (d.origin === origin && d.seq > 0 && d.seq <= p.contiguous && d.version.hlc > hlc) hlc = d.version.hlc
    if (hlc > 0) this.#frontier.set(key, hlc)
  }

  #onBatch(from: string, acks: readonly AckRequest[], batch: Uint8Array, nowMs: number): void {
    const deltas = this.#decodeBatch(from, batch, nowMs)
    if (deltas === undefined) return
    if (acks.length === 0) return this.#applyAll(from, deltas, nowMs, true)
    const outcomes: ApplyOutcome[] = []
    this.#applyAll(from, deltas, nowMs, true, outcomes)
    const answers: AckAnswer[] = []
    for (const a of acks) if (a.index < outcomes.length) answers.push({ ackId: a.ackId, outcome: ackOutcome(outcomes[a.index]) })
    if (answers.length > 0) this.#trySend(from, { kind: 'acked', answers })
  }

  // ---- acks ----

  /** Registers an acknowledged write; false when it finished at once (nobody to wait for, or too many waiting). */
  #startAck(delta: Delta, ackId: number, nowMs: number, timeoutMs: number | undefined): boolean {
    if (!Number.isSafeInteger(ackId) || ackId < 0) {
      throw new RangeError(`ReplicationEngine.write: ackId must be a safe integer ≥ 0, got ${ackId}`)
    }
    if (this.#acks.has(ackId)) throw new RangeError(`ReplicationEngine.write: ackId ${ackId} is already waiting`)
    this.#stats.acks.started++
    const members = this.#alive.map((m) => m.id)
    if (members.length === 0 || this.#acks.size >= MAX_PENDING_ACKS) {
      this.#ackDone({ ackId, missing: members.sort(), refused: [] })
      return false
    }
    if (timeoutMs !== undefined && (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0)) {
      throw new RangeError(`ReplicationEngine.write: ackTimeoutMs must be a positive safe integer, got ${timeoutMs}`)
    }
    this.#acks.start(ackId, delta, members, nowMs, timeoutMs)
    return true
  }

  #ackDone(done: AckDone): void {
    if (done.missing.length === 0 && done.refused.length === 0) this.#stats.acks.succeeded++
    else this.#stats.acks.failed++
    this.#out.push({ type: 'ack', ackId: done.ackId, missing: done.missing, refused: done.refused })
  }

  /** Deadlines pass; unanswered requests are sent again alone, encoded once for the members still waiting. */
  #ackTick(nowMs: number): void {
    const done = this.#acks.tick(nowMs, (p) => this.#sendAckRequest(p.ackId, p.delta, p.waiting))
    for (const d of done) this.#ackDone(d)
  }

  /** The write alone in a batch frame asking for an answer, encoded once for every member named. */
  #sendAckRequest(ackId: number, delta: Delta, to: Iterable<string | Member>): void {
    let batch: Uint8Array | undefined
    try {
      batch = encodeDeltas([delta])
    } catch {
      // A bug (admitted deltas always encode): its ghost goes, or nothing (the write times out).
      batch = travelling([delta], []).batch
      if (batch === undefined) return
    }
    const frame = encodeFrame({ kind: 'batch', acks: [{ ackId, index: 0 }], batch })
    for (const m of to) this.#trySend(typeof m === 'string' ? m : m.id, frame)
  }

  // ---- repair and anti-entropy ----

  #want(origin: Origin, upTo: number, nowMs: number): void {
    const key = originKey(origin)
    const w = this.#wants.get(key)
    if (w === undefined) {
      this.#wants.set(key, { origin, upTo, sinceMs: nowMs, askedAtMs: -Infinity, fallback: false, round: undefined })
      const due = nowMs + this.tuning.gapGraceMs
      if (due < this.#repairDueMs) this.#repairDueMs = due
    } else if (upTo > w.upTo) w.upTo = upTo
  }

  #repairTick(nowMs: number): void {
    const t = this.tuning
    let inflight = 0
    for (const w of this.#wants.values()) if (w.askedAtMs + t.repairTimeoutMs > nowMs) inflight++
    let due = Infinity
    for (const [key, w] of this.#wants) {
      const p = this.#replica.progress.progress(w.origin)
      if (p === undefined) {
        // No longer tracked (the tracker's bound): nothing to repair against.
        this.#wants.delete(key)
        this.#frontier.delete(key)
        continue
      }
      if (p.contiguous >= w.upTo) {
        this.#wants.delete(key)
        continue
      }
      const askAt = Math.max(w.sinceMs + t.gapGraceMs, w.askedAtMs + t.repairTimeoutMs)
      if (askAt > nowMs) {
        due = Math.min(due, askAt)
        continue
      }
      if (inflight >= MAX_REPAIRS_IN_FLIGHT) {
        due = Math.min(due, nowMs + Math.max(1, t.gapGraceMs))
        continue
      }
      if (this.#ask(w, key, p.contiguous + 1)) {
        inflight++
        w.askedAtMs = nowMs
        due = Math.min(due, nowMs + t.repairTimeoutMs)
      } else {
        // Nobody to ask, or no room in the queue: look again an anti-entropy period later.
        w.sinceMs = nowMs + t.antiEntropyIntervalMs - t.gapGraceMs
        due = Math.min(due, nowMs + t.antiEntropyIntervalMs)
      }
    }
    this.#repairDueMs = due
  }

  /** Asks the origin for the range, or (fallback) a random live member for since(frontier). */
  #ask(w: Want, key: string, from: number): boolean {
    const maxBytes = this.tuning.repairAnswerMaxBytes
    const origin = this.#members.get(w.origin.nodeId)
    // A since round under way goes on with since: its origin's log did not hold the range a moment ago either.
    if (!w.fallback && w.round === undefined && origin !== undefined && origin.alive) {
      this.#stats.repair.rangeRequests++
      return this.#trySend(origin.id, { kind: 'want', origin: w.origin, from, to: w.upTo, maxBytes })
    }
    w.fallback = false
    const peer = origin !== undefined && origin.alive ? origin : this.#randomMember()
    if (peer === undefined) return false
    w.round ??= { slices: [[0, KEY_HASH_SPACE]], has: Infinity, requests: 0 }
    if (w.round.requests === MAX_SINCE_REQUESTS_PER_ROUND) {
      // Too big to pull this way now: the round starts over an anti-entropy period later.
      w.round = undefined
      return false
    }
    w.round.requests++
    const [lo, span] = w.round.slices[w.round.slices.length - 1]
    this.#stats.repair.sinceRequests++
    return this.#trySend(peer.id, { kind: 'since', origin: w.origin, hlc: this.#frontier.get(key) ?? 0, maxBytes, lo, span })
  }

  /**
   * The bytes an answer to `to` may carry: the asker's budget, ours, and the room left in its
   * queue (an answer that does not fit would be dropped; the asker pulls the rest next time).
   * Undefined when not even the smallest chunk fits.
   */
  #answerBudget(to: string, maxBytes: number): number | undefined {
    const m = this.#members.get(to)
    if (m === undefined || !m.alive) return undefined
    const budget = Math.min(maxBytes, this.tuning.repairAnswerMaxBytes, this.tuning.maxQueueBytes - m.queued - ANSWER_HEADER_BYTES)
    if (budget >= MIN_CHUNK_BYTES) return budget
    this.#stats.framesDropped++
    return undefined
  }

  #serveRange(to: string, origin: Origin, from: number, upTo: number, maxBytes: number): void {
    const mine = this.#replica.origin
    const budget = this.#answerBudget(to, maxBytes)
    if (budget === undefined) return
    const deltas = origin.nodeId === mine.nodeId && origin.epoch === mine.epoch ? this.#replica.log.range(from, upTo, budget) : undefined
    let batch: Uint8Array | undefined
    if (deltas !== undefined) {
      // Deltas that cannot travel go as ghosts under the same seq (crdt/chunks.ts): one bad delta never stalls a range.
      batch = encodeChunks(deltas, { chunkBytes: budget, budgetBytes: budget }).next().value ?? undefined
    }
    this.#stats.repair.served++
    this.#trySend(to, { kind: 'range', origin, from, unavailable: deltas === undefined, batch: batch ?? encodeDeltas([]) })
  }

  #onRange(from: string, origin: Origin, first: number, unavailable: boolean, batch: Uint8Array, nowMs: number): void {
    const deltas = this.#decodeBatch(from, batch, nowMs)
    if (deltas === undefined) return
    this.#stats.repair.rangeDeltas += deltas.length
    this.#applyAll(from, deltas, nowMs, false)
    const w = this.#wants.get(originKey(origin))
    if (w === undefined) return
    w.askedAtMs = -Infinity
    const p = this.#replica.progress.progress(origin)
    // The log no longer holds the range, or the first seq wanted did not come: asking the same again would get the same.
    if (unavailable || (p !== undefined && p.contiguous < first)) w.fallback = true
    this.#repairDueMs = Math.min(this.#repairDueMs, nowMs)
  }

  #serveSince(to: string, origin: Origin, hlc: number, maxBytes: number, lo: number, span: number): void {
    const budget = this.#answerBudget(to, maxBytes)
    if (budget === undefined) return
    const tally = newChunkTally()
    const chunks: Uint8Array[] = []
    // One chunk of the whole budget: the stream is hottest first, not in hlc order, so a cut answer cannot be resumed.
    const whole = lo === 0 && span === KEY_HASH_SPACE
    const keys = whole
      ? undefined
      : (k: string): boolean => {
          const h = keyHash32(k)
          return h >= lo && h - lo < span
        }
    for (const c of encodeChunks(this.#replica.since(hlc as Hlc, keys === undefined ? {} : { keys }), {
      chunkBytes: budget,
      budgetBytes: budget,
      tally,
    })) {
      chunks.push(c)
      if (chunks.length > 1) break
    }
    const mine = this.#replica.origin
    const own = origin.nodeId === mine.nodeId && origin.epoch === mine.epoch
    const has = own ? this.#replica.log.lastSeq : (this.#replica.progress.progress(origin)?.contiguous ?? 0)
    this.#stats.repair.served++
    const complete = !tally.cut && chunks.length <= 1
    this.#trySend(to, { kind: 'state', origin, has, complete, lo, span, batch: chunks[0] ?? encodeDeltas([]) })
  }

  #onState(from: string, f: Extract<ReplicationFrame, { kind: 'state' }>, nowMs: number): void {
    const deltas = this.#decodeBatch(from, f.batch, nowMs)
    if (deltas === undefined) return
    this.#stats.repair.sinceDeltas += deltas.length
    this.#applyAll(from, deltas, nowMs, false)
    const w = this.#wants.get(originKey(f.origin))
    if (w === undefined) return
    w.askedAtMs = -Infinity
    this.#repairDueMs = Math.min(this.#repairDueMs, nowMs)
    const round = w.round
    const top = round?.slices[round.slices.length - 1]
    // An answer to another round (late, or duplicated) only brought deltas.
    if (round === undefined || top === undefined || top[0] !== f.lo || top[1] !== f.span) return
    round.slices.pop()
    if (!f.complete) {
      if (f.span < 2) {
        w.round = undefined
        w.sinceMs = nowMs + this.tuning.antiEntropyIntervalMs - this.tuning.gapGraceMs
        return
      }
      const half = Math.floor(f.span / 2)
      round.slices.push([f.lo, half], [f.lo + half, f.span - half])
      return
    }
    round.has = Math.min(round.has, f.has)
    if (round.slices.length > 0) return
    w.round = undefined
    const mine = this.#replica.progress.progress(f.origin)?.contiguous ?? 0
    // Received up to what the members that answered had of the origin, never beyond: the rest stays wanted.
    if (round.has > mine) this.#replica.progress.start(f.origin, Math.min(w.upTo, round.has))
    else w.sinceMs = nowMs + this.tuning.antiEntropyIntervalMs - this.tuning.gapGraceMs
  }

  #sendDigest(to: string, replyWanted: boolean): void {
    this.#trySend(to, { kind: 'digest', replyWanted, digest: this.#replica.digest() })
  }

  /** Wants whatever the peer has seen that we have not (of members' origins only: G7). */
  #compare(theirs: ReplicaDigest, nowMs: number): void {
    if (theirs.origin.nodeId !== this.selfId) this.#wantIfBehind(theirs.origin, theirs.lastSeq, nowMs)
    for (const p of theirs.progress) if (p.origin.nodeId !== this.selfId) this.#wantIfBehind(p.origin, p.highest, nowMs)
  }

  #wantIfBehind(origin: Origin, highest: number, nowMs: number): void {
    const tracker = this.#replica.progress
    const mine = tracker.progress(origin)
    if (mine === undefined) {
      // Never heard of it: everything it wrote is wanted — but only of a member: a digest naming strangers sets off nothing.
      if (highest === 0 || !this.#members.has(origin.nodeId)) return
      // Nor while this node warms up: the warm-up streams that origin's state (and baselines
      // it); pulling its seqs from 1 now would stream the whole store a second time.
      if (tracker.assumePrefix) return
      tracker.start(origin, 0)
      if (tracker.progress(origin) === undefined) return
    } else if (mine.contiguous >= highest) return
    this.#want(origin, highest, nowMs)
  }

  // ---- offenders ----

  #malformed(from: string, nowMs: number): void {
    this.#stats.malformed++
    const count = this.#offenders.note(from, nowMs)
    if (count === undefined) return
    this.#stats.offenders++
    this.#out.push({ type: 'offender', peer: from, malformed: count })
  }
}

/**
 * A batch encodeDeltas refused, without what cannot travel: each such delta goes as a ghost of
 * its version under its seq (receivers see no hole, as a range repair would serve it), or is
 * left out when not even that can travel (crdt/chunks.ts travelForm); ack requests follow their
 * deltas (one left out is never answered: its write times out). `batch` undefined: none left.
 */
function travelling(
  deltas: readonly Delta[],
  acks: readonly AckRequest[],
): { batch: Uint8Array | undefined; acks: AckRequest[]; unsendable: number } {
  const kept: Delta[] = []
  const at: number[] = []
  let unsendable = 0
  for (const d of deltas) {
    let t = travelForm(d, Number.POSITIVE_INFINITY)
    if (t !== undefined) {
      try {
        encodeDeltas([t])
      } catch {
        t = undefined
      }
    }
    if (t !== d) unsendable++
    at.push(t === undefined ? -1 : kept.length)
    if (t !== undefined) kept.push(t)
  }
  const moved = acks.flatMap((a) => (at[a.index] >= 0 ? [{ ackId: a.ackId, index: at[a.index] }] : []))
  return { batch: kept.length === 0 ? undefined : encodeDeltas(kept), acks: moved, unsendable }
}

function ackOutcome(o: ApplyOutcome): AckOutcome {
  return typeof o === 'string' ? o : o.dropped
}
