// The piggyback queue (memberlist's TransmitLimitedQueue). Each update waiting to spread is
// kept once per member: a newer update about the same member replaces the older one. take()
// fills a byte budget with the least-transmitted updates first, and an update is dropped
// after `limit` transmits (retransmitMult × ceil(log10(n + 1))).
//
// Updates live in one dense array (swap-remove), with their total size kept. The common case
// is a queue that fits the budget whole: take() then sends everything in one pass. Otherwise
// one counting pass over the transmit counts finds the cut-off, and a second pass takes the
// updates below it, then those at it, newest first. Either way O(queue) with no allocation.

import type { Slot } from './directory.ts'

interface Broadcast {
  slot: Slot
  bytes: Uint8Array
  transmits: number
  /** Position in #items. */
  index: number
}

export class BroadcastQueue {
  readonly max: number
  readonly #items: Broadcast[] = []
  readonly #bySlot = new Map<Slot, Broadcast>()
  #bytes = 0
  readonly #taken: Broadcast[] = []
  readonly #bytesAt: number[] = []

  constructor(max: number) {
    this.max = max
  }

  /** Updates waiting to be sent. */
  get size(): number {
    return this.#items.length
  }

  /** Queues an encoded update about `slot`, replacing any older one about it. */
  queue(slot: Slot, bytes: Uint8Array): void {
    const old = this.#bySlot.get(slot)
    if (old !== undefined) {
      this.#bytes += bytes.byteLength - old.bytes.byteLength
      old.bytes = bytes
      old.transmits = 0
      // Move it to the end: the end of the array is "newest".
      this.#removeAt(old.index)
      old.index = this.#items.length
      this.#items.push(old)
      return
    }
    const b: Broadcast = { slot, bytes, transmits: 0, index: this.#items.length }
    this.#items.push(b)
    this.#bySlot.set(slot, b)
    this.#bytes += bytes.byteLength
    if (this.#items.length > this.max) this.#dropMostSent()
  }

  /**
   * Appends to `out` updates whose total size fits `budgetBytes`, fewest transmits first,
   * counts a transmit for each and drops those that reach `limit`. Returns the bytes used.
   */
  take(budgetBytes: number, limit: number, out: Uint8Array[]): number {
    const items = this.#items
    if (items.length === 0) return 0
    const taken = this.#taken
    let used = 0
    if (this.#bytes <= budgetBytes) {
      // The common case, in one pass: all of it goes, and what reaches the limit retires.
      // Backwards, because a retirement moves the last item (already visited) into its place.
      for (let i = items.length - 1; i >= 0; i--) {
        const item = items[i]
        if (item.transmits < limit) {
          out.push(item.bytes)
          used += item.bytes.byteLength
          item.transmits++
        }
        if (item.transmits >= limit) this.#retire(item)
      }
      return used
    } else {
      // Bytes per transmit count, then the highest count whose lower counts all fit.
      const bytesAt = this.#bytesAt
      bytesAt.length = 0
      for (let t = 0; t < limit; t++) bytesAt.push(0)
      for (const item of items) if (item.transmits < limit) bytesAt[item.transmits] += item.bytes.byteLength
      let cut = 0
      let below = 0
      while (cut < limit && below + bytesAt[cut] <= budgetBytes) below += bytesAt[cut++]
      for (const item of items) {
        if (item.transmits < cut) {
          out.push(item.bytes)
          used += item.bytes.byteLength
          taken.push(item)
        }
      }
      for (let i = items.length - 1; i >= 0 && cut < limit; i--) {
        const item = items[i]
        if (item.transmits !== cut || used + item.bytes.byteLength > budgetBytes) continue
        out.push(item.bytes)
        used += item.bytes.byteLength
        taken.push(item)
      }
    }
    for (const item of taken) item.transmits++
    taken.length = 0
    // Drop whatever has reached the limit (the limit may also have shrunk with n).
    for (let i = items.length - 1; i >= 0; i--) if (items[i].transmits >= limit) this.#retire(items[i])
    return used
  }

  #retire(item: Broadcast): void {
    this.#removeAt(item.index)
    this.#bySlot.delete(item.slot)
    this.#bytes -= item.bytes.byteLength
  }

  /** Removes items[i] by moving the last item into its place. */
  #removeAt(i: number): void {
    const items = this.#items
    const last = items.pop() as Broadcast
    if (i < items.length) {
      items[i] = last
      last.index = i
    }
  }

  /** Over the bound: the update sent most often has spread furthest; drop it. */
  #dropMostSent(): void {
    let worst = this.#items[0]
    for (const item of this.#items) if (item.transmits > worst.transmits) worst = item
    this.#retire(worst)
  }

  /** Recounts from scratch. */
  validate(): void {
    let bytes = 0
    this.#items.forEach((item, i) => {
      if (item.index !== i) throw new Error(`BroadcastQueue: item at ${i} thinks it is at ${item.index}`)
      if (this.#bySlot.get(item.slot) !== item) throw new Error('BroadcastQueue: item not indexed by its slot')
      bytes += item.bytes.byteLength
    })
    if (this.#bySlot.size !== this.#items.length) {
      throw new Error(`BroadcastQueue: ${this.#bySlot.size} indexed but ${this.#items.length} held`)
    }
    if (bytes !== this.#bytes) throw new Error(`BroadcastQueue: ${this.#bytes} bytes counted but ${bytes} held`)
    if (this.#items.length > this.max) throw new Error('BroadcastQueue: over its bound')
  }
}
