// A Map that holds at most `max` entries and drops the oldest: a bounded memory of recent keys
// (hinted keys, banned peers, open relays) that a flood of new keys cannot grow. "Oldest" is
// insertion order, and setting a key again makes it the newest, so it is an LRU by writes
// (reads do not refresh). `set` returns the key it dropped, for the caller to count drops.
//
//   const recent = new BoundedMap<string, true>(2)
//   recent.set('a', true); recent.set('b', true)
//   recent.set('c', true)  // → 'a' (dropped)
//   recent.newestFirst()   // ['c', 'b']
//
// Keys must not be `undefined` (set's return would not tell "dropped undefined" from "none").

import { nonNegativeInt } from './options.ts'

export class BoundedMap<K, V> implements Iterable<[K, V]> {
  /** The most entries held; 0 holds none (every set is dropped at once). */
  readonly max: number
  /** Oldest first: Map iteration is insertion order. */
  readonly #map = new Map<K, V>()

  constructor(max: number) {
    this.max = nonNegativeInt('BoundedMap', 'max', max)
  }

  get size(): number {
    return this.#map.size
  }

  get(key: K): V | undefined {
    return this.#map.get(key)
  }

  has(key: K): boolean {
    return this.#map.has(key)
  }

  /**
   * Sets `key` as the newest entry; past `max`, drops the oldest. Returns the dropped key
   * (with max 0, `key` itself), or undefined when nothing was dropped.
   */
  set(key: K, value: V): K | undefined {
    this.#map.delete(key)
    this.#map.set(key, value)
    if (this.#map.size <= this.max) return undefined
    const oldest = this.#map.keys().next().value as K
    this.#map.delete(oldest)
    return oldest
  }

  delete(key: K): boolean {
    return this.#map.delete(key)
  }

  clear(): void {
    this.#map.clear()
  }

  /** Keys, oldest first. */
  keys(): MapIterator<K> {
    return this.#map.keys()
  }

  /** Values, oldest first. */
  values(): MapIterator<V> {
    return this.#map.values()
  }

  /** Entries, oldest first. Deleting while iterating is safe, as for a Map. */
  entries(): MapIterator<[K, V]> {
    return this.#map.entries()
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.#map.entries()
  }

  /** Up to `limit` keys, newest first. */
  newestFirst(limit: number = this.#map.size): K[] {
    const all = [...this.#map.keys()]
    return all.slice(Math.max(0, all.length - limit)).reverse()
  }
}
