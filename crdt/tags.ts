// Tags: `set(key, value, { tags })` and `invalidateTags(tags)` (docs/replication.md, "Tags").
// The replica keeps two structures here: the latest invalidation of each tag (TagTable) and
// which keys were written with each tag (TagIndex), so an invalidation finds its entries
// without a pass over the store.
//
// The rule. An invalidation of tag t stamped S (hlc, node id; userVersion 0) covers every write
// tagged t whose stamp is below S. A covered write becomes a tombstone at its own version, on
// every replica, whatever the order of arrival: as if it had been deleted right after it was
// made. Its own version, not S (unlike a clear, crdt/clears.ts), because an invalidation says
// nothing about the key's untagged writes: an untagged write newer than the covered one still
// wins, an older one still loses (the tombstone keeps the covered write's place in the order).
// The transformation keeps every version, so the state is a function of the set of deltas
// received (test/crdt/tags.test.ts checks it against the rule on shuffled histories).
//
// Bounded: the latest invalidation per tag only, at most maxInvalidations tags; past it the
// oldest is forgotten into the floor: a tagged write stamped below the floor that arrives
// later is treated as covered whatever its tags (a miss here, never a value an invalidation
// removed). Like the clears' floor and the horizon, it is this replica's own.

import { stampBefore } from './clears.ts'
import type { Version } from './version.ts'

export class TagTable {
  readonly #max: number
  readonly #latest = new Map<string, Version>()
  #floor: Version | undefined

  /** @param maxInvalidations tags whose latest invalidation is kept (≥ 1); past it, the floor. */
  constructor(maxInvalidations: number) {
    this.#max = maxInvalidations
  }

  get size(): number {
    return this.#latest.size
  }

  /** The stamp below which every tagged write is covered (invalidations forgotten past the bound). */
  get floor(): Version | undefined {
    return this.#floor
  }

  /** Records an invalidation; false when a later one of the same tag (or the floor) already covers it. */
  add(tag: string, stamp: Version): boolean {
    if (this.#floor !== undefined && !stampBefore(this.#floor, stamp)) return false
    const held = this.#latest.get(tag)
    if (held !== undefined && !stampBefore(held, stamp)) return false
    this.#latest.set(tag, stamp)
    while (this.#latest.size > this.#max) this.#forgetOldest()
    return true
  }

  /**
   * The stamp of the latest invalidation that covers a write of `version` carrying `tags`, or
   * undefined. Free while nothing was invalidated; else one Map probe per tag.
   */
  cover(tags: readonly string[] | undefined, version: Version): Version | undefined {
    if (tags === undefined || (this.#latest.size === 0 && this.#floor === undefined)) return undefined
    let latest = this.#floor
    for (const t of tags) {
      const s = this.#latest.get(t)
      if (s !== undefined && (latest === undefined || stampBefore(latest, s))) latest = s
    }
    return latest !== undefined && stampBefore(version, latest) ? latest : undefined
  }

  /** Every tag's latest invalidation stamped above `hlc` (a since(T) answer carries them). */
  *since(hlc: number): IterableIterator<[string, Version]> {
    for (const [tag, stamp] of this.#latest) if (stamp.hlc > hlc) yield [tag, stamp]
  }

  validate(): void {
    if (this.#latest.size > this.#max) throw new Error('TagTable: over its bound')
    const floor = this.#floor
    if (floor === undefined) return
    for (const [tag, s] of this.#latest) if (!stampBefore(floor, s)) throw new Error(`TagTable: ${tag} is below the floor`)
  }

  #forgetOldest(): void {
    let oldest: Version | undefined
    for (const s of this.#latest.values()) if (oldest === undefined || stampBefore(s, oldest)) oldest = s
    const floor = oldest as Version
    this.#floor = floor
    for (const [tag, s] of this.#latest) if (!stampBefore(floor, s)) this.#latest.delete(tag)
  }
}

/**
 * Which keys were written with each tag. A key stays listed until its tagged version leaves the
 * store for good (the replica calls `remove` from onForget, on replacement, on clears) or the
 * tag is invalidated (`take`), so the index holds at most (entries + ghosts) × tags per entry.
 * Tag strings are interned: entries with the same tag share one string.
 */
export class TagIndex {
  /** Tag → the tag's one string (interned) and the keys written with it. */
  readonly #byTag = new Map<string, { tag: string; keys: Set<string> }>()

  get tags(): number {
    return this.#byTag.size
  }

  /** Lists `key` under each tag; returns the tags as interned strings (keep these, not the input). */
  add(key: string, tags: readonly string[]): readonly string[] {
    const interned: string[] = []
    for (const t of tags) {
      let listed = this.#byTag.get(t)
      if (listed === undefined) {
        listed = { tag: t, keys: new Set() }
        this.#byTag.set(t, listed)
      }
      listed.keys.add(key)
      interned.push(listed.tag)
    }
    return interned
  }

  remove(key: string, tags: readonly string[]): void {
    for (const t of tags) {
      const listed = this.#byTag.get(t)
      if (listed === undefined) continue
      listed.keys.delete(key)
      if (listed.keys.size === 0) this.#byTag.delete(t)
    }
  }

  /** The keys listed under `tag`, which is forgotten (the caller re-adds the keys it keeps). */
  take(tag: string): string[] {
    const listed = this.#byTag.get(tag)
    if (listed === undefined) return []
    this.#byTag.delete(tag)
    return [...listed.keys]
  }

  /** Whether `key` is listed under `tag`. */
  has(tag: string, key: string): boolean {
    return this.#byTag.get(tag)?.keys.has(key) === true
  }

  /** How many (tag, key) listings are held (tests and stats). */
  listings(): number {
    let n = 0
    for (const listed of this.#byTag.values()) n += listed.keys.size
    return n
  }
}
