// Receive progress per origin: which seqs of each origin's sequence a replica has seen, so the
// node can tell a gap (and pull the range from the origin's log) and report a digest for
// anti-entropy (per-origin max contiguous seq; docs/node.md, "Gaps, tails and fallback").
//
// Per origin: `contiguous` (every seq ≤ it was seen) and a short sorted list of disjoint seq
// ranges seen above it; the holes between are the gaps. Bounds (G7):
// - at most maxRangesPerOrigin ranges: one more and the lowest hole is given up (counted in
//   `abandoned`): range repair cannot serve that much, the node falls back to since(T);
// - at most maxOrigins origins, least recently noted dropped first;
// - a newer epoch of a node id replaces the older ones (the node restarted; its old sequence
//   is over).
// The first seq seen of an unknown origin starts it: the seqs before it were made before this
// replica listened and are the business of warm-up, not of gap repair (`start` sets another
// baseline) — while `assumePrefix` holds, i.e. while the node warms up. That prefix is only
// assumed: the warm-up's baseline (`start`) lowers it again when it is below, since what the
// warm-up streamed ends there (and `warmedUp()` reopens a prefix no baseline covered). Scenario (found by the soak, bench/soak.ts):
//   1. node N restarts; its warm-up peer P answers since(0) at seq 40 of writer W;
//   2. W goes on writing 41..99 to the members it knows — not yet N;
//   3. W learns of N and sends 100: N's first sighting of W takes 1..99 as seen;
//   4. the warm-up baselines W at 40: without lowering, 41..99 were never wanted, for good.
// After the warm-up (`warmedUp()`), an origin N has not heard of is new since then (a
// restarted node's new epoch, or one the other side of a healed partition wrote in): every seq
// from 1 is wanted.

import { DEFAULT_MAX_RANGES_PER_ORIGIN, DEFAULT_MAX_TRACKED_ORIGINS } from './constants.ts'
import { originKey, type Origin } from './delta.ts'
import { positiveInt } from '../lib/foundation/index.ts'

export interface SeqTrackerInit {
  /**
   * Origins tracked; the least recently noted is dropped past it. Each costs ~200 B plus its
   * ranges. A safe integer ≥ 1.
   * @default 1024 (DEFAULT_MAX_TRACKED_ORIGINS)
   */
  maxOrigins?: number
  /**
   * Disjoint seq ranges kept above one origin's contiguous prefix (16 B each). A safe
   * integer ≥ 1.
   * @default 64 (DEFAULT_MAX_RANGES_PER_ORIGIN)
   */
  maxRangesPerOrigin?: number
}

/** One origin's progress, as reported by `digest()`. */
export interface OriginProgress {
  readonly origin: Origin
  /** Every seq ≤ this was seen. */
  readonly contiguous: number
  /** The highest seq seen. */
  readonly highest: number
  /** Seqs given up as unrepairable by range requests (see the file header). */
  readonly abandoned: number
}

/** A missing seq range, inclusive. */
export interface SeqGap {
  readonly from: number
  readonly to: number
}

interface State {
  origin: Origin
  contiguous: number
  /** Flat [start0, end0, start1, end1, ...], sorted, disjoint, non-adjacent, all > contiguous + 1. */
  ranges: number[]
  abandoned: number
  /** The seqs up to this were taken as seen by a first sighting (assumePrefix), not received; 0: none. */
  assumed: number
  /** False once dropped from the map (the cached #lastState must not be used then). */
  live: boolean
}

export class SeqTracker {
  readonly maxOrigins: number
  readonly maxRangesPerOrigin: number
  /**
   * Whether an unknown origin's seqs below the first one seen count as seen (warm-up brings
   * them): true until `warmedUp()`.
   */
  #assumePrefix = true
  readonly #states = new Map<string, State>()
  /** node id → key of its newest epoch's state. */
  readonly #epochOf = new Map<string, string>()
  /** The last origin object noted and its state: decoded batches share one origin object, so
      a run of deltas from one batch skips the key string and the two Map operations. */
  #lastOrigin: Origin | undefined = undefined
  #lastState: State | undefined = undefined

  constructor(init: SeqTrackerInit = {}) {
    this.maxOrigins = positiveInt('SeqTracker', 'maxOrigins', init.maxOrigins ?? DEFAULT_MAX_TRACKED_ORIGINS)
    this.maxRangesPerOrigin = positiveInt('SeqTracker', 'maxRangesPerOrigin', init.maxRangesPerOrigin ?? DEFAULT_MAX_RANGES_PER_ORIGIN)
  }

  get size(): number {
    return this.#states.size
  }

  get assumePrefix(): boolean {
    return this.#assumePrefix
  }

  /**
   * The warm-up is over (its baselines are set): from now on an unknown origin is wanted from
   * seq 1, and a prefix still assumed — an origin no warm-up peer reported — is wanted again.
   */
  warmedUp(): void {
    this.#assumePrefix = false
    for (const s of [...this.#states.values()]) if (s.assumed > 0) this.start(s.origin, 0)
  }

  /**
   * Sets an origin's baseline: every seq ≤ `contiguous` counts as seen (e.g. after warm-up).
   * It only raises the prefix — except one a first sighting assumed: that is lowered to
   * `contiguous`, and the seqs really seen above stay seen (see the file header).
   */
  start(origin: Origin, contiguous: number): void {
    const s = this.#state(origin, contiguous + 1, false)
    if (s === undefined) return
    if (contiguous < s.assumed) {
      if (s.contiguous > s.assumed) s.ranges.unshift(s.assumed + 1, s.contiguous)
      s.contiguous = contiguous
      // Over the bound: forget the highest seqs seen rather than a hole (they are asked again).
      if (s.ranges.length > 2 * this.maxRangesPerOrigin) s.ranges.length = 2 * this.maxRangesPerOrigin
    }
    s.assumed = 0
    if (contiguous > s.contiguous) {
      s.contiguous = contiguous
      while (s.ranges.length > 0 && s.ranges[0] <= s.contiguous + 1) {
        s.contiguous = Math.max(s.contiguous, s.ranges[1])
        s.ranges.splice(0, 2)
      }
    }
  }

  /**
   * Records seq of origin. Returns false for a seq already seen (or of an epoch older than
   * the newest seen of that node), true for a new one. seq 0 (state transfer) is ignored.
   */
  note(origin: Origin, seq: number): boolean {
    if (seq === 0) return false
    const s = this.#state(origin, seq, true)
    if (s === undefined || seq <= s.contiguous) return false
    const r = s.ranges
    if (seq === s.contiguous + 1) {
      s.contiguous = seq
      if (r.length > 0 && r[0] === seq + 1) {
        s.contiguous = r[1]
        r.splice(0, 2)
      }
      return true
    }
    // Find the first range whose end ≥ seq − 1 (ranges are few: a linear scan).
    let i = 0
    while (i < r.length && r[i + 1] < seq - 1) i += 2
    if (i < r.length && r[i] <= seq && seq <= r[i + 1]) return false
    if (i < r.length && r[i + 1] === seq - 1) {
      r[i + 1] = seq
      if (i + 2 < r.length && r[i + 2] === seq + 1) {
        r[i + 1] = r[i + 3]
        r.splice(i + 2, 2)
      }
    } else if (i < r.length && r[i] === seq + 1) {
      r[i] = seq
    } else {
      r.splice(i, 0, seq, seq)
    }
    if (r.length > 2 * this.maxRangesPerOrigin) {
      s.abandoned += r[0] - s.contiguous - 1
      s.contiguous = r[1]
      r.splice(0, 2)
    }
    return true
  }

  /** The holes below the highest seq seen of `origin`, lowest first. */
  gaps(origin: Origin): SeqGap[] {
    const s = this.#states.get(originKey(origin))
    if (s === undefined) return []
    const out: SeqGap[] = []
    let prevEnd = s.contiguous
    for (let i = 0; i < s.ranges.length; i += 2) {
      out.push({ from: prevEnd + 1, to: s.ranges[i] - 1 })
      prevEnd = s.ranges[i + 1]
    }
    return out
  }

  /** The progress of one origin, or undefined if it is not tracked. */
  progress(origin: Origin): OriginProgress | undefined {
    const s = this.#states.get(originKey(origin))
    return s === undefined ? undefined : report(s)
  }

  /** Every tracked origin's progress (the anti-entropy digest). */
  digest(): OriginProgress[] {
    return Array.from(this.#states.values(), report)
  }

  /** Recounts from scratch; throws on any inconsistency. */
  validate(): void {
    if (this.#states.size > this.maxOrigins) throw new Error('SeqTracker: over maxOrigins')
    for (const s of this.#states.values()) {
      const r = s.ranges
      if (r.length % 2 !== 0 || r.length > 2 * this.maxRangesPerOrigin) throw new Error('SeqTracker: bad range list')
      let prev = s.contiguous + 1
      for (let i = 0; i < r.length; i += 2) {
        if (!(r[i] > prev && r[i] <= r[i + 1])) throw new Error(`SeqTracker: ranges not sorted and disjoint for ${originKey(s.origin)}`)
        prev = r[i + 1] + 1
      }
    }
  }

  /** `sighted`: a seq was received (note), not a baseline set (start). */
  #state(origin: Origin, firstSeq: number, sighted: boolean): State | undefined {
    if (origin === this.#lastOrigin && this.#lastState !== undefined && this.#lastState.live) return this.#lastState
    const s = this.#lookup(origin, firstSeq, sighted)
    this.#lastOrigin = origin
    this.#lastState = s
    return s
  }

  #lookup(origin: Origin, firstSeq: number, sighted: boolean): State | undefined {
    const key = originKey(origin)
    let s = this.#states.get(key)
    if (s !== undefined) {
      // Most recently noted last: Map order is the LRU order.
      this.#states.delete(key)
      this.#states.set(key, s)
      return s
    }
    const newest = this.#epochOf.get(origin.nodeId)
    if (newest !== undefined) {
      const old = this.#states.get(newest)
      if (old !== undefined && old.origin.epoch > origin.epoch) return undefined
      this.#states.delete(newest)
      if (old !== undefined) old.live = false
    }
    const assumed = sighted && this.#assumePrefix ? firstSeq - 1 : 0
    s = { origin, contiguous: sighted && !this.#assumePrefix ? 0 : firstSeq - 1, ranges: [], abandoned: 0, assumed, live: true }
    this.#states.set(key, s)
    this.#epochOf.set(origin.nodeId, key)
    if (this.#states.size > this.maxOrigins) {
      const [lruKey, lru] = this.#states.entries().next().value as [string, State]
      this.#states.delete(lruKey)
      lru.live = false
      if (this.#epochOf.get(lru.origin.nodeId) === lruKey) this.#epochOf.delete(lru.origin.nodeId)
    }
    return s
  }
}

function report(s: State): OriginProgress {
  const highest = s.ranges.length > 0 ? s.ranges[s.ranges.length - 1] : s.contiguous
  return { origin: s.origin, contiguous: s.contiguous, highest, abandoned: s.abandoned }
}
