// Replication lag: for every delta received by gossip, (local wall clock at apply) − (the
// physical part of its hlc), i.e. how long ago its writer stamped it. On one host or with NTP
// this is the time from write to visibility here; across hosts it also contains their clock
// offset (a few ms with NTP). Kept as a ring of the last LAG_SAMPLES samples (8 KiB), so
// percentiles describe recent traffic and memory stays bounded.

import { hlcPhysicalMs, type Hlc } from '../../crdt/index.ts'

/** Samples kept for the percentiles. */
export const LAG_SAMPLES = 1024

export interface LagStats {
  /** Deltas measured since start (all of them, not only those in the ring). */
  samples: number
  /** Sum of every measured lag since start, in ms (a Prometheus summary's _sum). */
  sumMs: number
  p50Ms: number
  p99Ms: number
  maxMs: number
}

export class LagTracker {
  readonly #ring = new Float64Array(LAG_SAMPLES)
  #count = 0
  #sumMs = 0

  note(hlc: Hlc, nowMs: number): void {
    const lag = Math.max(0, nowMs - hlcPhysicalMs(hlc))
    this.#ring[this.#count++ % LAG_SAMPLES] = lag
    this.#sumMs += lag
  }

  stats(): LagStats {
    const n = Math.min(this.#count, LAG_SAMPLES)
    if (n === 0) return { samples: 0, sumMs: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 }
    const sorted = this.#ring.slice(0, n).sort()
    const at = (q: number): number => sorted[Math.min(n - 1, Math.ceil(q * n) - 1)]
    return { samples: this.#count, sumMs: this.#sumMs, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted[n - 1] }
  }
}
