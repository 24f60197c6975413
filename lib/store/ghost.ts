// The ghost queue: a FIFO of keys the store no longer holds, with the version each had and
// why it left (evicted from small, deleted, expired). It is bounded by the charges of the
// entries it remembers, not by their number, and never counts toward the store's capacity.
//
// Two jobs share it:
// - S3-FIFO admission: a key evicted from small and requested again while still in the ghost
//   goes straight to main (Yang et al., SOSP 2023).
// - Tombstones (G4, README): the version of an evicted, deleted or expired key, so that the
//   replica can refuse an older update for it. When a ghost falls out, its version is handed
//   to `onForget`, where the replica raises its horizon.
//
// Departure from quick-cache (whose ghost keeps only a u64 key hash): we keep the key string,
// because the replica's since(T) must stream tombstones and ghosts by key. Its memory stays
// bounded: every charge includes the key's bytes, and the ghost holds at most
// ghostRatio × maxBytes of charges.
//
// Storage: slots in parallel typed arrays with a doubly linked FIFO (head = newest) and a
// free-slot stack, like the store itself; removal from the middle (a ghost hit) is O(1).
// The ghost shares the store's key index: a ghost slot g is stored there as −1 − g, so one
// Map lookup tells a miss whether the key is a ghost, and an eviction turns an entry into a
// ghost by overwriting its index value (measured: this halves the Map work of a miss).

export const GhostKindCode = { evicted: 0, deleted: 1, expired: 2 } as const
export type GhostKindCode = (typeof GhostKindCode)[keyof typeof GhostKindCode]
export type GhostKind = keyof typeof GhostKindCode
const KIND_NAMES: readonly GhostKind[] = ['evicted', 'deleted', 'expired']

export type GhostSlot = number & { readonly __brand: 'GhostSlot' }
const NONE = -1

/** Index value of a ghost slot in the shared key index (store slots are ≥ 0). */
export function ghostIndexValue(slot: GhostSlot): number {
  return -1 - slot
}
/** The ghost slot behind a negative index value. */
export function ghostSlotOf(indexValue: number): GhostSlot {
  return (-1 - indexValue) as GhostSlot
}

export interface GhostEntry<V> {
  key: string
  version: V | undefined
  kind: GhostKind
}

export class GhostQueue<V> {
  readonly capacityBytes: number
  readonly #onForget: ((key: string, version: V | undefined) => void) | undefined
  /** Shared with the store: key → store slot (≥ 0) or ghostIndexValue(ghost slot) (< 0). */
  readonly #index: Map<string, number>
  #count = 0
  #keys: (string | undefined)[] = []
  /** Written only once some ghost has a version, so a plain cache pays nothing for it. */
  #versions: (V | undefined)[] = []
  #charge: Float64Array
  #kind: Uint8Array
  #prev: Int32Array
  #next: Int32Array
  #free: Int32Array
  #freeTop = 0
  #slots = 0
  #head = NONE
  #tail = NONE
  #bytes = 0
  /** Ghosts that fell out of the queue (their versions went to onForget). */
  forgotten = 0

  constructor(
    index: Map<string, number>,
    capacityBytes: number,
    initialSlots: number,
    onForget?: (key: string, version: V | undefined) => void,
  ) {
    this.#index = index
    this.capacityBytes = capacityBytes
    this.#onForget = onForget
    this.#charge = new Float64Array(0)
    this.#kind = new Uint8Array(0)
    this.#prev = new Int32Array(0)
    this.#next = new Int32Array(0)
    this.#free = new Int32Array(0)
    this.#grow(Math.max(16, initialSlots))
  }

  get size(): number {
    return this.#count
  }

  get bytes(): number {
    return this.#bytes
  }

  /** The slot remembering `key`, or -1. */
  find(key: string): GhostSlot | -1 {
    const v = this.#index.get(key)
    return v === undefined || v >= 0 ? NONE : ghostSlotOf(v)
  }

  kindAt(slot: GhostSlot): GhostKindCode {
    return this.#kind[slot] as GhostKindCode
  }

  versionAt(slot: GhostSlot): V | undefined {
    return this.#versions[slot]
  }

  entry(key: string): GhostEntry<V> | undefined {
    const slot = this.find(key)
    if (slot === NONE) return undefined
    return { key, version: this.#versions[slot], kind: KIND_NAMES[this.#kind[slot]] }
  }

  /**
   * Remembers `key`. A key already in the ghost keeps its place in the FIFO (as libCacheSim
   * does) and takes the new version, kind and charge. A charge larger than the whole ghost is
   * not remembered: its version is forgotten at once (and the key leaves the index).
   * The caller has already taken the key out of the store (its index value is overwritten).
   */
  insert(key: string, version: V | undefined, kind: GhostKindCode, charge: number): void {
    this.insertAt(this.find(key), key, version, kind, charge)
  }

  /**
   * `insert` for a caller that already looked the key up: `existing` is its ghost slot, or -1
   * when the key is in neither the store nor the ghost. Skips insert's own index probe.
   */
  insertAt(existing: GhostSlot | -1, key: string, version: V | undefined, kind: GhostKindCode, charge: number): void {
    if (existing !== NONE) {
      this.#versions[existing] = version
      this.#kind[existing] = kind
      this.#bytes += charge - this.#charge[existing]
      this.#charge[existing] = charge
      if (charge > this.capacityBytes) this.forget(existing)
      else this.#trim()
      return
    }
    this.add(key, version, kind, charge)
  }

  /**
   * Remembers a key known not to be in the ghost (an entry the store just let go of): skips
   * the lookup `insert` makes.
   */
  add(key: string, version: V | undefined, kind: GhostKindCode, charge: number): void {
    if (charge > this.capacityBytes) {
      this.#index.delete(key)
      this.forgotten++
      this.#onForget?.(key, version)
      return
    }
    if (this.#freeTop === 0) this.#grow(this.#slots * 2)
    const slot = this.#free[--this.#freeTop] as GhostSlot
    this.#keys[slot] = key
    if (version !== undefined || slot < this.#versions.length) this.#versions[slot] = version
    this.#charge[slot] = charge
    this.#kind[slot] = kind
    this.#prev[slot] = NONE
    this.#next[slot] = this.#head
    if (this.#head !== NONE) this.#prev[this.#head] = slot
    else this.#tail = slot
    this.#head = slot
    this.#index.set(key, ghostIndexValue(slot))
    this.#count++
    this.#bytes += charge
    this.#trim()
  }

  /**
   * Drops a ghost without forgetting its version: the key is going back into the store,
   * which overwrites its index value.
   */
  remove(slot: GhostSlot): void {
    this.#unlink(slot)
  }

  /** Drops a ghost, takes its key out of the index, and hands its version to onForget. */
  forget(slot: GhostSlot): void {
    const key = this.#keys[slot] as string
    const version = this.#versions[slot]
    this.#unlink(slot)
    this.#index.delete(key)
    this.forgotten++
    this.#onForget?.(key, version)
  }

  /** Every ghost, newest first, as of the call (later changes are not seen). */
  *entries(): IterableIterator<GhostEntry<V>> {
    const keys: string[] = []
    for (let s = this.#head; s !== NONE; s = this.#next[s]) keys.push(this.#keys[s] as string)
    for (const key of keys) {
      const e = this.entry(key)
      if (e !== undefined) yield e
    }
  }

  /** Forgets every ghost (each version goes to onForget). */
  clear(): void {
    while (this.#tail !== NONE) this.forget(this.#tail as GhostSlot)
  }

  /** Recounts everything from scratch and throws on any inconsistency. */
  validate(): void {
    let count = 0
    let bytes = 0
    let prev = NONE
    for (let s = this.#head; s !== NONE; s = this.#next[s]) {
      if (this.#prev[s] !== prev) throw new Error(`ghost: broken back link at slot ${s}`)
      const key = this.#keys[s]
      if (key === undefined || this.#index.get(key) !== ghostIndexValue(s as GhostSlot)) {
        throw new Error(`ghost: slot ${s} not indexed`)
      }
      count++
      bytes += this.#charge[s]
      prev = s
      if (count > this.#slots) throw new Error('ghost: cycle in the FIFO')
    }
    if (prev !== this.#tail) throw new Error('ghost: tail is not the last slot')
    if (count !== this.#count) throw new Error(`ghost: ${count} linked, ${this.#count} counted`)
    if (count + this.#freeTop !== this.#slots) throw new Error('ghost: slots leaked')
    if (bytes !== this.#bytes) throw new Error(`ghost: ${bytes} B counted, ${this.#bytes} B tracked`)
    if (bytes > this.capacityBytes) throw new Error(`ghost: ${bytes} B over its bound ${this.capacityBytes} B`)
  }

  /** Oldest ghosts fall out until the bound holds (each charge is ≤ the bound, so it ends). */
  #trim(): void {
    while (this.#bytes > this.capacityBytes) this.forget(this.#tail as GhostSlot)
  }

  #unlink(slot: number): void {
    const p = this.#prev[slot]
    const n = this.#next[slot]
    if (p !== NONE) this.#next[p] = n
    else this.#head = n
    if (n !== NONE) this.#prev[n] = p
    else this.#tail = p
    this.#count--
    this.#bytes -= this.#charge[slot]
    this.#keys[slot] = undefined
    if (slot < this.#versions.length) this.#versions[slot] = undefined
    this.#free[this.#freeTop++] = slot
  }

  #grow(slots: number): void {
    const old = this.#slots
    this.#charge = growFloat64(this.#charge, slots)
    this.#kind = growUint8(this.#kind, slots)
    this.#prev = growInt32(this.#prev, slots)
    this.#next = growInt32(this.#next, slots)
    const free = new Int32Array(slots)
    free.set(this.#free.subarray(0, this.#freeTop))
    // Push new slots so that the lowest index is handed out first.
    for (let s = slots - 1; s >= old; s--) free[this.#freeTop++] = s
    this.#free = free
    this.#slots = slots
  }
}

export function growFloat64(a: Float64Array, n: number): Float64Array {
  const b = new Float64Array(n)
  b.set(a)
  return b
}
export function growInt32(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n)
  b.set(a)
  return b
}
export function growUint8(a: Uint8Array, n: number): Uint8Array {
  const b = new Uint8Array(n)
  b.set(a)
  return b
}
