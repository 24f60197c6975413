// The piggyback queue (memberlist's TransmitLimitedQueue). Each update waiting to spread is
// kept once per member: a newer update about the same member replaces the older one. take()
// fills a byte budget with the least-transmitted updates first (newest first within a
// transmit count), and an update is dropped after `limit` transmits
// (retransmitMult × ceil(log10(n + 1))).
//
// Updates sit in buckets by transmit count, so take() touches only what it sends plus the
// replaced entries it discards on the way: O(sent), not O(queue) per message.

import type { Slot } from './directory.ts'

interface Broadcast {
  slot: Slot
  bytes: Uint8Array
  transmits: number
  live: boolean
}

export class BroadcastQueue {
  readonly max: number
  readonly #buckets: Broadcast[][] = [[]]
  /** Entries per bucket, in one small array: take() skips empty buckets without touching them
   * (at 10,000 simulated nodes every bucket array is a cache miss). */
  readonly #counts: number[] = [0]
  readonly #bySlot = new Map<Slot, Broadcast>()
  /** Entries in buckets, live or replaced. */
  #stored = 0
  readonly #taken: Broadcast[] = []

  constructor(max: number) {
    this.max = max
  }

  /** Updates waiting to be sent. */
  get size(): number {
    return this.#bySlot.size
  }

  /** Queues an encoded update about `slot`, replacing any older one about it. */
  queue(slot: Slot, bytes: Uint8Array): void {
    const old = this.#bySlot.get(slot)
    if (old !== undefined) old.live = false
    const b: Broadcast = { slot, bytes, transmits: 0, live: true }
    this.#bySlot.set(slot, b)
    this.#buckets[0].push(b)
    this.#counts[0]++
    this.#stored++
    if (this.#bySlot.size > this.max || this.#stored > 2 * this.max) this.#prune()
  }

  /**
   * Appends to `out` updates whose total size fits `budgetBytes`, counts a transmit for each
   * and drops those that reach `limit`. Returns the bytes used.
   */
  take(budgetBytes: number, limit: number, out: Uint8Array[]): number {
    if (this.#bySlot.size === 0) return 0
    let used = 0
    const taken = this.#taken
    const counts = this.#counts
    for (let t = 0; t < counts.length && used < budgetBytes; t++) {
      if (counts[t] === 0) continue
      const b = this.#buckets[t]
      for (let i = b.length - 1; i >= 0; i--) {
        const item = b[i]
        if (!item.live || item.transmits >= limit) {
          this.#removeAt(b, t, i)
          if (item.live) this.#retire(item)
          continue
        }
        if (used + item.bytes.byteLength > budgetBytes) continue
        used += item.bytes.byteLength
        out.push(item.bytes)
        this.#removeAt(b, t, i)
        taken.push(item)
      }
    }
    for (const item of taken) {
      item.transmits++
      if (item.transmits >= limit) {
        this.#retire(item)
        continue
      }
      while (this.#buckets.length <= item.transmits) {
        this.#buckets.push([])
        this.#counts.push(0)
      }
      this.#buckets[item.transmits].push(item)
      this.#counts[item.transmits]++
      this.#stored++
    }
    taken.length = 0
    return used
  }

  #removeAt(b: Broadcast[], t: number, i: number): void {
    b[i] = b[b.length - 1]
    b.pop()
    this.#counts[t]--
    this.#stored--
  }

  #retire(item: Broadcast): void {
    item.live = false
    if (this.#bySlot.get(item.slot) === item) this.#bySlot.delete(item.slot)
  }

  /** Drops replaced entries, then the most-transmitted live ones, until under the bound. */
  #prune(): void {
    for (let t = 0; t < this.#buckets.length; t++) {
      const b = this.#buckets[t]
      for (let i = b.length - 1; i >= 0; i--) if (!b[i].live) this.#removeAt(b, t, i)
    }
    for (let t = this.#buckets.length - 1; t >= 0 && this.#bySlot.size > this.max; t--) {
      const b = this.#buckets[t]
      // Oldest first within the bucket: index 0 was pushed earliest.
      while (b.length > 0 && this.#bySlot.size > this.max) {
        const item = b.shift() as Broadcast
        this.#counts[t]--
        this.#stored--
        this.#retire(item)
      }
    }
  }

  /** Recounts from scratch. */
  validate(): void {
    let stored = 0
    let live = 0
    for (let t = 0; t < this.#buckets.length; t++) {
      if (this.#counts[t] !== this.#buckets[t].length) throw new Error(`BroadcastQueue: bucket ${t} count ${this.#counts[t]} but holds ${this.#buckets[t].length}`)
      for (const item of this.#buckets[t]) {
        stored++
        if (item.transmits !== t) throw new Error(`BroadcastQueue: item with ${item.transmits} transmits in bucket ${t}`)
        if (item.live) {
          live++
          if (this.#bySlot.get(item.slot) !== item) throw new Error('BroadcastQueue: live item not indexed')
        }
      }
    }
    if (stored !== this.#stored) throw new Error(`BroadcastQueue: stored ${this.#stored} but recount ${stored}`)
    if (live !== this.#bySlot.size) throw new Error(`BroadcastQueue: ${this.#bySlot.size} indexed but ${live} live`)
    if (this.#bySlot.size > this.max) throw new Error('BroadcastQueue: over its bound')
  }
}
