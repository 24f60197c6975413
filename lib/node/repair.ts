// Repair: pulls what gossip missed (docs/node.md, "Gaps, tails and fallback").
//
// - Gaps: the replica notes every seq it receives; a hole in an origin's sequence that stays
//   open past gapGraceMs is pulled from the origin's own replication log (sync `range`).
// - Tails: a lost last message leaves no hole. Anti-entropy finds it: every period this node
//   exchanges digests with one random live member and wants every origin's seqs up to the
//   highest the peer has seen (and up to the peer's own last seq).
// - Fallback: when the origin's log no longer holds the range, or the origin is gone, the
//   node asks a live peer P for its digest, then for since(T), where T is the highest hlc this
//   node received from that origin at or below its contiguous seq. An origin's hlcs grow with
//   its seqs, so every missing delta P has seen has an hlc > T. Then the range is marked seen
//   only up to P's own contiguous seq for that origin — never beyond what P had: the rest
//   stays wanted until a peer that has it answers.
//   Worked scenario (found by the chaos matrix): 1. A is paused long enough for B and C to
//   declare it dead; 2. on resume A's last write (seq 3) reaches nobody; 3. A's digest tells
//   B it misses seq 3, but A is dead in B's view, so B falls back to C; 4. C never had seq 3:
//   marking it seen would keep B on the old value for ever. B marks only up to C's 2 — and
//   since A itself sent the digest, it is reachable: B asks A for the range anyway.
// - No loop on one delta: a range answer counts by the progress it makes, not by its deltas.
//   One that leaves the first wanted seq missing (the origin could not send that delta: its
//   key cannot travel) falls back to since(T) at once, which settles the range, instead of
//   asking for the same range every tick. The serving side sends what cannot travel or what
//   this node cannot store as ghosts, so a delta never fails a whole request (crdt/chunks.ts);
//   a delta whose apply throws (a bug of ours) is counted and skipped, its seq noted.
// Bounds: one repair in flight per origin, at most `repairMaxBytes` per request, wanted
// origins bounded by the replica's SeqTracker (its maxOrigins): untracked origins are pruned.

import { peerIdFromString } from '@libp2p/peer-id'
import { originKey, type Delta, type Origin, type Replica, type ReplicaDigest } from '../../crdt/index.ts'
import { KEY_HASH_SPACE, UNBOUNDED_ENTRY_BYTES, type SyncService } from '../networking/index.ts'
import { MAX_REPAIRS_IN_FLIGHT } from '../replication/index.ts'

export interface RepairInit {
  replica: Replica
  sync: SyncService
  now: () => number
  selfId: string
  isAlive: (id: string) => boolean
  /** Does SWIM know this node id (in any state)? Origins of strangers are never repaired. */
  isMember: (id: string) => boolean
  /** A random live member other than this node, or undefined. */
  randomPeer: () => string | undefined
  gapGraceMs: number
  repairIntervalMs: number
  antiEntropyIntervalMs: number
  repairMaxBytes: number
  /**
   * The largest entry this node's store can hold, in UTF-8 key + value bytes: peers send
   * larger values as ghosts of their versions. @default unlimited (UNBOUNDED_ENTRY_BYTES)
   */
  entryBytesMax?: number
  /** Applies a repaired delta (the node counts it like a gossip one). */
  apply: (delta: Delta, from: string) => void
  /** Every digest compared, ours asked for or theirs sent (the node checks it for its own id). */
  onDigest?: (theirs: ReplicaDigest, from: string | undefined) => void
}

export interface RepairStats {
  rangeRequests: number
  rangeDeltas: number
  sinceFallbacks: number
  sinceDeltas: number
  antiEntropyRounds: number
  failures: number
  /** Range answers that did not deliver the first wanted seq: settled by since(T) instead. */
  stalledRanges: number
  /** Repaired deltas whose apply threw (a bug of ours, never the sender's): skipped, seq noted. */
  applyErrors: number
}

/**
 * since() requests one fallback may make while halving key-hash slices that the byte budget
 * cut short: 64 × repairMaxBytes (8 MiB) = 512 MiB at most per fallback.
 */
export const MAX_FALLBACK_REQUESTS = 64

interface Want {
  origin: Origin
  /** The origin itself sent us a digest since the want began: reachable, whatever SWIM says. */
  originReachable: boolean
  /** Seqs up to this are wanted. */
  upTo: number
  /** When the want was first noticed (grace for reordering). */
  sinceMs: number
  busy: boolean
}

export class Repair {
  readonly #i: RepairInit
  readonly #wants = new Map<string, Want>()
  /** originKey → highest hlc received at or below the origin's contiguous seq. */
  readonly #frontier = new Map<string, number>()
  #repairTimer: ReturnType<typeof setInterval> | undefined
  #aeTimer: ReturnType<typeof setInterval> | undefined
  #aeBusy = false
  #inflight = 0
  readonly stats: RepairStats = {
    rangeRequests: 0,
    rangeDeltas: 0,
    sinceFallbacks: 0,
    sinceDeltas: 0,
    antiEntropyRounds: 0,
    failures: 0,
    stalledRanges: 0,
    applyErrors: 0,
  }
  readonly #entryBytesMax: number

  constructor(init: RepairInit) {
    this.#i = init
    this.#entryBytesMax = init.entryBytesMax ?? UNBOUNDED_ENTRY_BYTES
  }

  start(): void {
    this.#repairTimer = setInterval(() => this.#tick(), this.#i.repairIntervalMs)
    this.#aeTimer = setInterval(() => void this.antiEntropy(), this.#i.antiEntropyIntervalMs)
    this.#repairTimer.unref?.()
    this.#aeTimer.unref?.()
  }

  stop(): void {
    clearInterval(this.#repairTimer)
    clearInterval(this.#aeTimer)
  }

  /** Origins with seqs still wanted (for stats: per-peer sync state). */
  get pendingOrigins(): number {
    return this.#wants.size
  }

  /** After every applied delta with a seq: track the frontier and notice holes. */
  noteDelta(d: Delta): void {
    if (d.seq === 0 || d.origin.nodeId === this.#i.selfId) return
    const p = this.#i.replica.progress.progress(d.origin)
    if (p === undefined) return
    const key = originKey(d.origin)
    if (d.seq <= p.contiguous && d.version.hlc > (this.#frontier.get(key) ?? 0)) this.#frontier.set(key, d.version.hlc)
    if (p.highest > p.contiguous) this.#want(d.origin, p.highest)
  }

  /** Baselines an origin after a warm-up: its seqs up to `contiguous` count as received. */
  baseline(origin: Origin, contiguous: number, hlc: number): void {
    this.#i.replica.progress.start(origin, contiguous)
    const key = originKey(origin)
    if (hlc > (this.#frontier.get(key) ?? 0)) this.#frontier.set(key, hlc)
  }

  /**
   * Compares a peer's digest with ours and wants whatever the peer has seen that we have not.
   * `from`: who sent it (a digest from the origin itself proves it reachable).
   */
  compare(theirs: ReplicaDigest, from?: string): void {
    this.#i.onDigest?.(theirs, from)
    const self = this.#i.selfId
    if (theirs.origin.nodeId !== self) this.#wantIfBehind(theirs.origin, theirs.lastSeq, from === theirs.origin.nodeId)
    for (const p of theirs.progress) if (p.origin.nodeId !== self) this.#wantIfBehind(p.origin, p.highest, false)
  }

  /** One anti-entropy round with a random live member. */
  async antiEntropy(): Promise<void> {
    const peer = this.#i.randomPeer()
    if (peer === undefined || this.#aeBusy) return
    this.#aeBusy = true
    try {
      this.compare(await this.#i.sync.digest(peerIdFromString(peer), this.#i.replica.digest()), peer)
      this.stats.antiEntropyRounds++
    } catch {
      this.stats.failures++
    } finally {
      this.#aeBusy = false
    }
  }

  #wantIfBehind(origin: Origin, highest: number, fromOrigin: boolean): void {
    const mine = this.#i.replica.progress.progress(origin)
    if (mine === undefined) {
      // Never heard of it: start it at 0 so that everything it wrote is wanted — but only for
      // a node SWIM knows: a digest naming strangers must not set off pulls (G7).
      if (highest === 0 || !this.#i.isMember(origin.nodeId)) return
      this.#i.replica.progress.start(origin, 0)
    } else if (mine.contiguous >= highest) return
    this.#want(origin, highest, fromOrigin)
  }

  #want(origin: Origin, upTo: number, originReachable = false): void {
    const key = originKey(origin)
    const w = this.#wants.get(key)
    if (w === undefined) this.#wants.set(key, { origin, originReachable, upTo, sinceMs: this.#i.now(), busy: false })
    else {
      if (upTo > w.upTo) w.upTo = upTo
      if (originReachable) w.originReachable = true
    }
  }

  #tick(): void {
    const now = this.#i.now()
    for (const [key, w] of this.#wants) {
      const p = this.#i.replica.progress.progress(w.origin)
      if (p === undefined) {
        this.#wants.delete(key)
        this.#frontier.delete(key)
        continue
      }
      if (p.contiguous >= w.upTo) {
        this.#wants.delete(key)
        continue
      }
      if (w.busy || now - w.sinceMs < this.#i.gapGraceMs) continue
      if (this.#inflight >= MAX_REPAIRS_IN_FLIGHT) break
      w.busy = true
      this.#inflight++
      void this.#repair(w, p.contiguous + 1)
        .catch(() => void this.stats.failures++)
        .finally(() => {
          w.busy = false
          this.#inflight--
        })
    }
  }

  async #repair(w: Want, from: number): Promise<void> {
    const origin = w.origin
    const to = w.upTo
    if (this.#i.isAlive(origin.nodeId) || w.originReachable) {
      try {
        this.stats.rangeRequests++
        const got = await this.#i.sync.range(peerIdFromString(origin.nodeId), origin, from, to, this.#i.repairMaxBytes, this.#entryBytesMax)
        if (got !== 'unavailable') {
          this.#applyAll(got, origin.nodeId)
          this.stats.rangeDeltas += got.length
          if ((this.#i.replica.progress.progress(origin)?.contiguous ?? 0) >= from) return
          // Seq `from` did not come: asking for the same range again would get the same answer.
          if (got.length > 0) this.stats.stalledRanges++
        }
      } catch {
        this.stats.failures++
      }
    }
    if (!(await this.#fallback(origin, to))) {
      // Nothing gained: wait an anti-entropy period before asking again (not every tick).
      w.sinceMs = this.#i.now() + this.#i.antiEntropyIntervalMs - this.#i.gapGraceMs
    }
  }

  /** Applies each delta alone: one that throws (a bug of ours) must not stop the rest. */
  #applyAll(deltas: readonly Delta[], from: string): void {
    for (const d of deltas) {
      try {
        this.#i.apply(d, from)
      } catch {
        this.stats.applyErrors++
      }
    }
  }

  /**
   * since(T) from a live peer P (the origin itself when alive), then marks the range received
   * up to what P itself had of it (its digest, taken first) — and only if every byte of it
   * arrived: since() sends hottest first, not in hlc order, so a stream the byte budget cut
   * cannot be resumed by raising T. A cut slice of the key-hash space is split in two and each
   * half asked for again, up to MAX_FALLBACK_REQUESTS requests. Returns whether it completed.
   */
  async #fallback(origin: Origin, to: number): Promise<boolean> {
    const peer = this.#i.isAlive(origin.nodeId) ? origin.nodeId : this.#i.randomPeer()
    if (peer === undefined) return false
    const key = originKey(origin)
    const hlc = this.#frontier.get(key) ?? 0
    try {
      const pid = peerIdFromString(peer)
      const theirs = await this.#i.sync.digest(pid, this.#i.replica.digest())
      const has =
        originKey(theirs.origin) === key
          ? theirs.lastSeq
          : (theirs.progress.find((p) => originKey(p.origin) === key)?.contiguous ?? 0)
      const mine = this.#i.replica.progress.progress(origin)?.contiguous ?? 0
      if (has <= mine) return false // P has nothing of the range we lack
      this.stats.sinceFallbacks++
      const slices: [number, number][] = [[0, KEY_HASH_SPACE]]
      for (let requests = 0; slices.length > 0; requests++) {
        if (requests === MAX_FALLBACK_REQUESTS) return false // too big to pull this way now; stays wanted
        const [lo, hi] = slices.pop() as [number, number]
        const onChunk = (deltas: Delta[]): void => {
          this.#applyAll(deltas, peer)
          this.stats.sinceDeltas += deltas.length
        }
        const r = await this.#i.sync.since(pid, hlc, lo, hi, this.#i.repairMaxBytes, onChunk, this.#entryBytesMax)
        if (r.complete) continue
        if (hi - lo < 2) return false
        const mid = lo + Math.floor((hi - lo) / 2)
        slices.push([lo, mid], [mid, hi])
      }
      this.#i.replica.progress.start(origin, Math.min(to, has))
      return true
    } catch {
      this.stats.failures++
      return false
    }
  }
}
