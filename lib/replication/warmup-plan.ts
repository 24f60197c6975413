// The warm-up plan: what a new or restarted node asks of which peer, decided without I/O
// (docs/replication-engine.md, "Warm-up plan"). The node's driver (lib/node/warmup.ts) performs
// each request with the sync protocol and hands the answer back; this file holds every decision.
//
// Rules:
// 1. Every chosen peer is asked its digest first. A peer that does not answer is not used.
// 2. Once every digest is settled, the snapshot (if one loaded) is used when no answering peer's
//    horizon is above its clock, or when no peer answered at all; otherwise it is discarded (G4:
//    a peer whose ghost of a newer delete fell out can no longer tell this node to drop a value
//    the file still holds). Used, every since() asks from its clock instead of 0.
// 3. The 32-bit key-hash space is split into one slice per answering peer, each asked of its
//    peer with an even share of the byte budget (floor(maxBytes / peers)).
// 4. A slice whose request fails marks its peer failed and is re-split across every peer not
//    marked failed, least busy first, its budget shared evenly; when none is left, a slice on its
//    first try is asked once more of the peer that just failed (a reset stream is worth one more
//    try, and a lone peer has no other). A slice that fails after that is given up. Retries are
//    bounded by MAX_WARMUP_RETRY_REQUESTS.
// 5. A slice that comes back cut by its budget is served: hottest first is neither hlc nor seq
//    order, so what was cut cannot be named or resumed, and is left to repair.
// 6. Only when nothing was cut or given up is every origin baselined, at the lowest contiguous seq
//    the peers reported (0 unless every peer reported it). Worked scenario (issue 13, finding 7):
//    the budget cut 36 of 60 keys; baselined as complete, their seqs counted as received, and
//    anti-entropy, which compares seqs, never asked for them again.
//
// Calling order: construct with the time, then drain poll() until it returns undefined, perform
// the requests, and for each answer call handleDigest or handleSince with the time, then drain
// poll() again. The last output is `done`, once. Time must not go backwards.

import { originKey, type Hlc, type Origin, type ReplicaDigest } from '../../crdt/index.ts'
import { KEY_HASH_SPACE } from './frames.ts'

/**
 * Requests a warm-up may make after its first round (one slice per peer), across all its
 * re-splits: each failed slice becomes at most one request per remaining peer, so without a
 * bound n peers failing one after another could ask up to n! slices. 256 is far above what a
 * warm-up from the default 2 peers (at most 2 retries) or from 16 peers failing in turn needs.
 */
export const MAX_WARMUP_RETRY_REQUESTS = 256

export interface WarmupPlanInit {
  /** The peers to warm up from, distinct; slices are laid out in this order. */
  readonly peers: readonly string[]
  /** This node's byte budget for the whole warm-up (its maxBytes), split evenly over the slices. */
  readonly maxBytes: number
  /** The clock of the snapshot loaded from disk, when there is one. */
  readonly snapshotClock?: Hlc
  readonly nowMs: number
}

/** What a since() request brought: everything, a budget cut (the coldest entries left out), or nothing (it failed). */
export type WarmupSliceResult = 'complete' | 'cut' | 'failed'

export interface WarmupPlanResult {
  /** False when a budget cut a slice short or a slice was given up: then no origin was baselined. */
  readonly complete: boolean
  /** Slices no peer could serve (1 when peers were chosen and none answered its digest). */
  readonly failedSlices: number
  /** 'used': applied, then since(its clock); 'discarded': a peer had forgotten newer state. */
  readonly snapshot: 'none' | 'used' | 'discarded'
  /** Peers that answered their digest. */
  readonly peers: number
  /** since() requests made, retries included. */
  readonly requests: number
  /** From the plan's construction to its last input. */
  readonly ms: number
}

export type WarmupPlanOutput =
  /** Ask `peer` its digest (send this node's own); answer with handleDigest. */
  | { readonly type: 'digest'; readonly peer: string }
  /** Apply the loaded snapshot now: the plan uses it. Output once, before any since request. */
  | { readonly type: 'snapshot' }
  /** Stream since(hlc) of the key hashes in [lo, hi) from `peer`, within maxBytes; answer with handleSince(id, …). */
  | {
      readonly type: 'since'
      readonly id: number
      readonly peer: string
      readonly hlc: Hlc
      readonly lo: number
      readonly hi: number
      readonly maxBytes: number
    }
  /** Mark the origin's seqs up to `contiguous` as received (the replica's baseline). */
  | { readonly type: 'baseline'; readonly origin: Origin; readonly contiguous: number; readonly hlc: number }
  /** The warm-up is over. Last output, once. */
  | { readonly type: 'done'; readonly result: WarmupPlanResult }

type SliceState = 'asked' | 'complete' | 'cut' | 'resplit' | 'given-up'

interface Slice {
  readonly id: number
  readonly lo: number
  readonly hi: number
  readonly maxBytes: number
  readonly peer: string
  /** 1 for a first-round slice; a re-split or repeated slice has its parent's tries + 1. */
  readonly tries: number
  state: SliceState
}

export class WarmupPlan {
  readonly #peers: readonly string[]
  readonly #maxBytes: number
  readonly #snapshotClock: Hlc | undefined
  readonly #startedMs: number
  #lastMs: number
  /** Digest answers; a peer that failed its digest maps to undefined. */
  readonly #digests = new Map<string, ReplicaDigest | undefined>()
  /** Answering peers, in init order. */
  #serving: string[] = []
  readonly #failed = new Set<string>()
  readonly #inFlight = new Map<string, number>()
  readonly #slices: Slice[] = []
  readonly #outbox: WarmupPlanOutput[] = []
  #sinceHlc = 0 as Hlc
  #snapshot: WarmupPlanResult['snapshot']
  #retries = 0
  #done = false

  constructor(init: WarmupPlanInit) {
    if (!Number.isSafeInteger(init.maxBytes) || init.maxBytes < 0) {
      throw new RangeError(`WarmupPlan: maxBytes must be a non-negative safe integer, got ${init.maxBytes}`)
    }
    if (new Set(init.peers).size !== init.peers.length) throw new TypeError('WarmupPlan: peers must be distinct')
    this.#peers = [...init.peers]
    this.#maxBytes = init.maxBytes
    this.#snapshotClock = init.snapshotClock
    this.#snapshot = init.snapshotClock === undefined ? 'none' : 'discarded'
    this.#startedMs = init.nowMs
    this.#lastMs = init.nowMs
    for (const peer of this.#peers) this.#outbox.push({ type: 'digest', peer })
    if (this.#peers.length === 0) this.#afterDigests()
  }

  /** A peer's digest arrived (`digest`), or asking it failed (`undefined`). */
  handleDigest(peer: string, digest: ReplicaDigest | undefined, nowMs: number): void {
    if (!this.#peers.includes(peer) || this.#digests.has(peer)) throw new Error(`WarmupPlan: no digest of ${peer} is awaited`)
    this.#tick(nowMs)
    this.#digests.set(peer, digest)
    if (this.#digests.size === this.#peers.length) this.#afterDigests()
  }

  /** The since() request `id` ended: served whole, cut by its budget, or failed. */
  handleSince(id: number, result: WarmupSliceResult, nowMs: number): void {
    const slice = this.#slices[id]
    if (slice === undefined || slice.state !== 'asked') throw new Error(`WarmupPlan: no since request ${id} is awaited`)
    this.#tick(nowMs)
    this.#inFlight.set(slice.peer, (this.#inFlight.get(slice.peer) ?? 1) - 1)
    if (result === 'failed') this.#retry(slice)
    else slice.state = result
    if (!this.#slices.some((s) => s.state === 'asked')) this.#finish()
  }

  /** The next request or decision, in order; undefined when there is nothing to do until an answer comes. */
  poll(): WarmupPlanOutput | undefined {
    return this.#outbox.shift()
  }

  /** True once `done` has been output (or is waiting in the outbox). */
  get done(): boolean {
    return this.#done
  }

  /** Peers that answered their digest (all the peers asked, until the digests are settled). */
  get peers(): number {
    return this.#digests.size < this.#peers.length ? this.#peers.length : this.#serving.length
  }

  /**
   * Recounts the plan from scratch (tests and the simulator call it): once slices are laid out,
   * the slices still standing (not re-split) tile [0, 2^32) exactly, in-flight counts match,
   * and no slice was asked of a peer that did not answer its digest.
   */
  validate(): void {
    const standing = this.#slices.filter((s) => s.state !== 'resplit').sort((a, b) => a.lo - b.lo)
    if (this.#slices.length > 0) {
      let at = 0
      for (const s of standing) {
        if (s.lo !== at || s.hi <= s.lo) throw new Error(`WarmupPlan: slices do not tile the key-hash space at ${at} (${s.lo}, ${s.hi})`)
        at = s.hi
      }
      if (at !== KEY_HASH_SPACE) throw new Error(`WarmupPlan: slices end at ${at}, not 2^32`)
    }
    for (const peer of this.#peers) {
      const asked = this.#slices.filter((s) => s.peer === peer && s.state === 'asked').length
      const counted = this.#inFlight.get(peer) ?? 0
      if (asked !== counted) throw new Error(`WarmupPlan: ${peer} has ${asked} requests in flight, counted ${counted}`)
    }
    for (const s of this.#slices) {
      if (!this.#serving.includes(s.peer)) throw new Error(`WarmupPlan: slice ${s.id} asked of ${s.peer}, which did not answer its digest`)
    }
    if (this.#retries > MAX_WARMUP_RETRY_REQUESTS) throw new Error(`WarmupPlan: ${this.#retries} retries`)
  }

  #tick(nowMs: number): void {
    if (this.#done) throw new Error('WarmupPlan: input after done')
    if (nowMs < this.#lastMs) throw new RangeError(`WarmupPlan: time went backwards (${nowMs} < ${this.#lastMs})`)
    this.#lastMs = nowMs
  }

  /** Every digest is settled: decide the snapshot and lay out one slice per answering peer (rules 2 and 3). */
  #afterDigests(): void {
    this.#serving = this.#peers.filter((p) => this.#digests.get(p) !== undefined)
    const clock = this.#snapshotClock
    if (clock !== undefined) {
      const usable = this.#serving.every((p) => this.#digests.get(p)!.horizon <= clock)
      if (usable || this.#serving.length === 0) {
        this.#snapshot = 'used'
        this.#sinceHlc = clock
        this.#outbox.push({ type: 'snapshot' })
      }
    }
    const n = this.#serving.length
    if (n === 0) return this.#finish()
    const budget = Math.floor(this.#maxBytes / n)
    for (let i = 0; i < n; i++) {
      const lo = Math.floor((KEY_HASH_SPACE * i) / n)
      const hi = Math.floor((KEY_HASH_SPACE * (i + 1)) / n)
      this.#ask(lo, hi, budget, this.#serving[i], 1)
    }
  }

  /** Rule 4: a failed slice is re-split across the peers not failed, or asked once more of its own, or given up. */
  #retry(slice: Slice): void {
    this.#failed.add(slice.peer)
    const left = MAX_WARMUP_RETRY_REQUESTS - this.#retries
    const others = this.#serving.filter((p) => !this.#failed.has(p))
    if (left === 0) {
      slice.state = 'given-up'
      return
    }
    if (others.length === 0) {
      if (slice.tries > 1) {
        slice.state = 'given-up'
        return
      }
      slice.state = 'resplit'
      this.#retries++
      this.#ask(slice.lo, slice.hi, slice.maxBytes, slice.peer, slice.tries + 1)
      return
    }
    // Least busy first; ties in the peers' own order, so a run replays exactly.
    const order = others
      .map((peer, i) => ({ peer, i, busy: this.#inFlight.get(peer) ?? 0 }))
      .sort((a, b) => a.busy - b.busy || a.i - b.i)
    const k = Math.min(order.length, left, slice.hi - slice.lo)
    const width = slice.hi - slice.lo
    const budget = Math.floor(slice.maxBytes / k)
    slice.state = 'resplit'
    this.#retries += k
    for (let j = 0; j < k; j++) {
      const lo = slice.lo + Math.floor((width * j) / k)
      const hi = slice.lo + Math.floor((width * (j + 1)) / k)
      this.#ask(lo, hi, budget, order[j].peer, slice.tries + 1)
    }
  }

  #ask(lo: number, hi: number, maxBytes: number, peer: string, tries: number): void {
    const id = this.#slices.length
    this.#slices.push({ id, lo, hi, maxBytes, peer, tries, state: 'asked' })
    this.#inFlight.set(peer, (this.#inFlight.get(peer) ?? 0) + 1)
    this.#outbox.push({ type: 'since', id, peer, hlc: this.#sinceHlc, lo, hi, maxBytes })
  }

  /** Nothing is in flight: baseline if nothing was left out (rule 6), then done. */
  #finish(): void {
    const failedSlices =
      this.#serving.length === 0 ? (this.#peers.length > 0 ? 1 : 0) : this.#slices.filter((s) => s.state === 'given-up').length
    const cut = this.#slices.some((s) => s.state === 'cut')
    const complete = failedSlices === 0 && !cut
    if (complete) this.#baselines()
    this.#done = true
    const result: WarmupPlanResult = {
      complete,
      failedSlices,
      snapshot: this.#snapshot,
      peers: this.#serving.length,
      requests: this.#slices.length,
      ms: this.#lastMs - this.#startedMs,
    }
    this.#outbox.push({ type: 'done', result })
  }

  /**
   * Each origin at the lowest contiguous seq any peer reported for it (0 unless every peer
   * reported it), and each peer's own origin at its last seq, with the least clock reported.
   * Everything up to it is in what was streamed: each since() ran after its peer's digest;
   * gossip received during the warm-up above it is repaired as a gap.
   */
  #baselines(): void {
    const digests = this.#serving.map((p) => this.#digests.get(p)!)
    const low = new Map<string, { origin: Origin; contiguous: number; hlc: number; reportedBy: number }>()
    for (const d of digests) {
      const seenHere = new Set<string>()
      const seen = (origin: Origin, contiguous: number, hlc: number): void => {
        const k = originKey(origin)
        const cur = low.get(k)
        const first = !seenHere.has(k)
        seenHere.add(k)
        if (cur === undefined) low.set(k, { origin, contiguous, hlc, reportedBy: 1 })
        else {
          cur.contiguous = Math.min(cur.contiguous, contiguous)
          cur.hlc = Math.min(cur.hlc, hlc)
          if (first) cur.reportedBy++
        }
      }
      seen(d.origin, d.lastSeq, d.clock)
      for (const p of d.progress) seen(p.origin, p.contiguous, 0)
    }
    for (const { origin, contiguous, hlc, reportedBy } of low.values()) {
      this.#outbox.push({ type: 'baseline', origin, contiguous: reportedBy === digests.length ? contiguous : 0, hlc })
    }
  }
}
