// HotKeyRing: a bounded FIFO of the keys the store found hot — promoted from small to main —
// since the last drain. The node drains it once per hint round (lib/hints/rounds.ts) and tells
// its peers (lib/hints/codec.ts).
//
// Why promotions only, not main reinsertions too (measured, docs/takeover-results.md): a
// promotion is news (a key just proved itself), a reinsertion repeats what the main queue
// already said, every pass. Recording both tripled the hint bytes (cache2k_web12: 0.85% of
// the delta bytes against 0.26%) and did not raise the hit ratio after a takeover.
//
// Rules
// - record() runs on the eviction path only (never on `get`), and allocates nothing: the ring
//   is one preallocated array of key references, written in place; when full it overwrites
//   its oldest key and counts the loss.
// - drain(max, isHeld) hands out up to `max` distinct keys, newest first, that the store still
//   holds, and empties the ring. Its Set and result array are the only allocations, once per
//   round.
// - Capacity 0 turns recording off: record() returns at once and the array is empty.
// - boostTarget() is the arithmetic of S3FifoStore.boost, with its counters: a peer's hint
//   raises a held entry's frequency to min(freq, MAIN_REINSERT_FREQ_CAP), never lowers it,
//   never inserts. With freq ≥ promotionThreshold an entry in small is promoted when it
//   reaches small's tail instead of going to the ghost; in main, freq f lets it survive f more
//   passes of main's tail. The cap is the paper's 2-bit counter: a hint can never make a key
//   look hotter than three local hits would.

import { MAIN_REINSERT_FREQ_CAP } from './constants.ts'
import { nonNegativeInt } from '../foundation/index.ts'

export interface HotKeyStats {
  /** boost() calls that raised a held entry's frequency. */
  boosts: number
  /** boost() calls for a key not held (a no-op: boost never inserts). */
  boostsAbsent: number
  /** boost() calls on a held entry already at or above the asked frequency. */
  boostsNoop: number
  /** Promotions written to the ring (0 when its capacity is 0). */
  hotKeysRecorded: number
  /** Of those, overwritten before a drain took them (the ring was full). */
  hotKeysOverwritten: number
}

export class HotKeyRing {
  readonly capacity: number
  readonly #keys: (string | undefined)[]
  /** Next write position. */
  #head = 0
  #count = 0
  #recorded = 0
  #overwritten = 0
  #boosts = 0
  #boostsAbsent = 0
  #boostsNoop = 0

  constructor(capacity: number) {
    this.capacity = capacity
    this.#keys = new Array<string | undefined>(capacity).fill(undefined)
  }

  get size(): number {
    return this.#count
  }

  /** Promotions recorded so far. */
  get recorded(): number {
    return this.#recorded
  }

  /** Recorded keys overwritten before a drain (the ring was full). */
  get overwritten(): number {
    return this.#overwritten
  }

  record(key: string): void {
    const cap = this.capacity
    if (cap === 0) return
    this.#keys[this.#head] = key
    this.#head = this.#head + 1 === cap ? 0 : this.#head + 1
    if (this.#count < cap) this.#count++
    else this.#overwritten++
    this.#recorded++
  }

  /**
   * The frequency boost(key, freq) writes, given the entry's current one (−1: not held), or −1
   * for no change. Counts the outcome.
   */
  boostTarget(current: number, freq: number): number {
    if (typeof freq !== 'number' || !(freq >= 0)) throw new TypeError(`S3FifoStore.boost: freq must be a number ≥ 0, got ${String(freq)}`)
    if (current < 0) {
      this.#boostsAbsent++
      return -1
    }
    const target = freq < MAIN_REINSERT_FREQ_CAP ? Math.floor(freq) : MAIN_REINSERT_FREQ_CAP
    if (!(current < target)) {
      this.#boostsNoop++
      return -1
    }
    this.#boosts++
    return target
  }

  stats(): HotKeyStats {
    return {
      boosts: this.#boosts,
      boostsAbsent: this.#boostsAbsent,
      boostsNoop: this.#boostsNoop,
      hotKeysRecorded: this.#recorded,
      hotKeysOverwritten: this.#overwritten,
    }
  }

  /** Up to `max` distinct held keys, newest first; empties the ring. */
  drain(max: number, isHeld: (key: string) => boolean): string[] {
    nonNegativeInt('drainHotKeys', 'max', max)
    const out: string[] = []
    const cap = this.capacity
    if (this.#count === 0) return out
    const seen = new Set<string>()
    let pos = this.#head
    for (let i = 0; i < this.#count; i++) {
      pos = pos === 0 ? cap - 1 : pos - 1
      const key = this.#keys[pos] as string
      this.#keys[pos] = undefined
      if (out.length >= max || seen.has(key)) continue
      seen.add(key)
      if (isHeld(key)) out.push(key)
    }
    this.#count = 0
    this.#head = 0
    return out
  }

  /** Keys in the ring, oldest first (tests). */
  keys(): string[] {
    const out: string[] = []
    const cap = this.capacity
    for (let i = 0; i < this.#count; i++) out.push(this.#keys[(this.#head - this.#count + i + cap) % cap] as string)
    return out
  }

  clear(): void {
    this.#keys.fill(undefined)
    this.#count = 0
    this.#head = 0
  }

  /** Recounts the ring; throws on an inconsistency. */
  validate(): void {
    let n = 0
    for (const k of this.#keys) if (k !== undefined) n++
    if (n !== this.#count) throw new Error(`hot ring: ${n} keys held, ${this.#count} counted`)
    if (this.#count > this.capacity) throw new Error('hot ring: over capacity')
    if (this.#recorded - this.#overwritten < this.#count) throw new Error('hot ring: more keys than recorded')
  }
}
