// Range clears: what `clear({ prefix })` leaves behind, a versioned range tombstone per prefix
// (docs/replication.md, "Clears"). The replica keeps this table; the store keeps the keys.
//
// The rule. A clear of prefix P stamped S (its hlc and node id; a clear carries no
// userVersion) covers every write to a key starting with P whose stamp is below S: written
// before the clear, in hybrid logical time. Stamps, not versions, because a clear is an event
// in time: a write with a high userVersion made before it is cleared too. What a covered write
// becomes on every replica, whatever the order of arrival:
//   - userVersion 0: nothing (the range itself keeps refusing it);
//   - userVersion u > 0: a tombstone of version (u, S): a later write with a lower userVersion
//     still loses to it (G3: the database said u), a later one with u' ≥ u wins (its stamp is
//     above S).
// The latest clear that matches a key decides (S is the highest covering stamp), so the
// outcome is a function of the set of deltas received, not of their order (tested in
// test/crdt/clears.test.ts by replaying shuffled, duplicated histories).
//
// Bounded: a clear made redundant by another (a prefix of it, stamped as late or later) is not
// kept, and `clear()` of everything (prefix '') drops every older range. Past maxRanges
// ranges, the oldest is forgotten into the floor: from then on a write stamped before the
// floor that arrives is treated as covered whatever its key — what lands late is a miss here
// (a tombstone where the key holds something), never a value the forgotten clear removed.
// Held entries are not touched by the floor: every clear already removed what it covered
// when it was applied. Like the replica's horizon, the floor is this replica's own: two
// replicas may differ by such misses, never by a value one of them should not serve.

import type { Version } from './version.ts'

/** A range tombstone: every key starting with `prefix` written before `stamp` is gone. */
export interface ClearRange {
  readonly prefix: string
  /** The clear's version: userVersion 0, its hlc and node id. */
  readonly stamp: Version
}

/** Whether write stamp `a` is before clear stamp `b`: (hlc, nodeId) order, userVersion aside. */
export function stampBefore(a: Version, b: Version): boolean {
  return a.hlc < b.hlc || (a.hlc === b.hlc && a.nodeId < b.nodeId)
}

export class ClearTable {
  readonly #max: number
  readonly #byPrefix = new Map<string, Version>()
  /** The latest stamp of the ranges forgotten past the bound; every write before it is covered. */
  #floor: Version | undefined
  /** Distinct prefix lengths held, ascending: a cover lookup probes one prefix of the key per length. */
  #lengths: number[] = []

  /** @param maxRanges ranges held; past it the oldest goes into the floor (see the top of this file); ≥ 2. */
  constructor(maxRanges: number) {
    this.#max = maxRanges
  }

  get size(): number {
    return this.#byPrefix.size
  }

  /** The stamp below which every write is covered (ranges forgotten past the bound), if any. */
  get floor(): Version | undefined {
    return this.#floor
  }

  /**
   * Adds a clear. Returns whether the store must apply it: false when it is redundant (a
   * range held, or the floor, already covers all it covers).
   */
  add(prefix: string, stamp: Version): boolean {
    if (this.#coveredBy(prefix, stamp)) return false
    this.#insert(prefix, stamp)
    while (this.#byPrefix.size > this.#max) this.#forgetOldest()
    return true
  }

  /**
   * The stamp of the latest range (or the floor) that covers a write of `version` to `key`,
   * or undefined when none does. Free while the table is empty; else one Map probe per
   * distinct prefix length up to the key's.
   */
  cover(key: string, version: Version): Version | undefined {
    if (this.#byPrefix.size === 0 && this.#floor === undefined) return undefined
    let latest = this.#floor
    for (const len of this.#lengths) {
      if (len > key.length) break
      const stamp = this.#byPrefix.get(len === key.length ? key : key.slice(0, len))
      if (stamp !== undefined && (latest === undefined || stampBefore(latest, stamp))) latest = stamp
    }
    return latest !== undefined && stampBefore(version, latest) ? latest : undefined
  }

  /** Every range with a stamp hlc above `hlc` (a since(T) answer carries them). */
  *since(hlc: number): IterableIterator<ClearRange> {
    for (const [prefix, stamp] of this.#byPrefix) if (stamp.hlc > hlc) yield { prefix, stamp }
  }

  /** The highest hlc of any range held (0 when none). */
  get latestHlc(): number {
    let top = 0
    for (const stamp of this.#byPrefix.values()) if (stamp.hlc > top) top = stamp.hlc
    return top
  }

  /** Throws when a held range is redundant or the length list disagrees (tests). */
  validate(): void {
    for (const [prefix, stamp] of this.#byPrefix) {
      for (const [other, s] of this.#byPrefix) {
        if (other !== prefix && prefix.startsWith(other) && !stampBefore(s, stamp)) {
          throw new Error(`ClearTable: range ${JSON.stringify(prefix)} is redundant under ${JSON.stringify(other)}`)
        }
      }
    }
    const lengths = [...new Set([...this.#byPrefix.keys()].map((p) => p.length))].sort((a, b) => a - b)
    if (lengths.join() !== this.#lengths.join()) throw new Error('ClearTable: prefix lengths out of date')
    if (this.#byPrefix.size > this.#max) throw new Error('ClearTable: over its bound')
    const floor = this.#floor
    if (floor !== undefined) {
      for (const [prefix, stamp] of this.#byPrefix) {
        if (!stampBefore(floor, stamp)) throw new Error(`ClearTable: range ${JSON.stringify(prefix)} is below the floor`)
      }
    }
  }

  /** Whether a held range covers everything (prefix, stamp) would: a prefix of it, as late or later. */
  #coveredBy(prefix: string, stamp: Version): boolean {
    if (this.#floor !== undefined && !stampBefore(this.#floor, stamp)) return true
    for (const len of this.#lengths) {
      if (len > prefix.length) break
      const held = this.#byPrefix.get(len === prefix.length ? prefix : prefix.slice(0, len))
      if (held !== undefined && !stampBefore(held, stamp)) return true
    }
    return false
  }

  /** Inserts a range, dropping those it makes redundant: longer prefixes of it stamped earlier. */
  #insert(prefix: string, stamp: Version): void {
    for (const [other, s] of this.#byPrefix) {
      if (other.startsWith(prefix) && stampBefore(s, stamp)) this.#byPrefix.delete(other)
    }
    this.#byPrefix.set(prefix, stamp)
    this.#lengths = [...new Set([...this.#byPrefix.keys()].map((p) => p.length))].sort((a, b) => a - b)
  }

  /** The oldest range is forgotten into the floor, and with it every range no later than it. */
  #forgetOldest(): void {
    let oldest: Version | undefined
    for (const stamp of this.#byPrefix.values()) if (oldest === undefined || stampBefore(stamp, oldest)) oldest = stamp
    const floor = oldest as Version
    this.#floor = floor
    for (const [prefix, stamp] of this.#byPrefix) if (!stampBefore(floor, stamp)) this.#byPrefix.delete(prefix)
    this.#lengths = [...new Set([...this.#byPrefix.keys()].map((p) => p.length))].sort((a, b) => a - b)
  }
}
