// The takeover window: the hit ratio of this node's first reads after a member's death, the
// figure hot-key hints exist to raise (docs/hints.md). A metric of the node, not of hints:
// it is measured with hints off too, so the two can be compared.

import { positiveInt } from '../foundation/index.ts'

/** Reads after a member's death that TakeoverTracker measures. */
export const DEFAULT_TAKEOVER_WINDOW_READS = 10_000

export interface TakeoverWindow {
  /** The member whose death opened the window. */
  member: string
  /** Node clock at the death, ms. */
  sinceMs: number
  reads: number
  hits: number
  /** hits / reads (0 before the first read). */
  hitRatio: number
  /** The window has seen its `windowReads` reads. */
  done: boolean
}

export interface TakeoverStats {
  deaths: number
  /** The window opened by the most recent death, if any. */
  last: TakeoverWindow | undefined
}

/**
 * The hit ratio of this node's first `windowReads` reads after a member's death: the
 * figure hints exist to raise. The node calls memberDied() on SWIM's 'dead' event and
 * noteRead() on every get (two increments; no allocation). A new death restarts the window.
 */
export class TakeoverTracker {
  readonly windowReads: number
  #deaths = 0
  #member = ''
  #sinceMs = 0
  #reads = 0
  #hits = 0
  #open = false

  constructor(windowReads = DEFAULT_TAKEOVER_WINDOW_READS) {
    this.windowReads = positiveInt('TakeoverTracker', 'windowReads', windowReads)
  }

  memberDied(member: string, nowMs: number): void {
    this.#deaths++
    this.#member = member
    this.#sinceMs = nowMs
    this.#reads = 0
    this.#hits = 0
    this.#open = true
  }

  noteRead(hit: boolean): void {
    if (!this.#open) return
    this.#reads++
    if (hit) this.#hits++
    if (this.#reads >= this.windowReads) this.#open = false
  }

  stats(): TakeoverStats {
    if (this.#deaths === 0) return { deaths: 0, last: undefined }
    return {
      deaths: this.#deaths,
      last: {
        member: this.#member,
        sinceMs: this.#sinceMs,
        reads: this.#reads,
        hits: this.#hits,
        hitRatio: this.#reads === 0 ? 0 : this.#hits / this.#reads,
        done: !this.#open,
      },
    }
  }
}
