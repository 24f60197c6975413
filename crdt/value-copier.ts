// How a replica copies a value it did not make before the value enters the store (a decoded
// delta's value is a view of the network buffer it was decoded from, and keeping it would keep
// that whole buffer alive). Two measured strategies (docs/replica-results.md):
//
// - 'each' (default): one fresh buffer per value. Memory is exactly what the store charges
//   (plus V8's ~100 B per ArrayBuffer), and a value's memory goes as soon as it is evicted.
//   It is the slower one: a fresh off-heap buffer per value costs ~1 µs of allocation and GC
//   on this project's machines, about half of an apply.
// - 'slab': values up to MAX_SLAB_VALUE_BYTES are copied into shared 64 KiB slabs (bump
//   allocation, never reused), larger ones into their own buffer. ~4× cheaper per copy, but a
//   slab stays alive while any value in it does: if a fraction f of the values written
//   together outlives the rest (S3-FIFO's promoted entries), the slab memory behind the live
//   values is about 1/f times their bytes. Choose it when apply throughput matters more than
//   a tight memory bound (a warm-up of many small values, a bench), never for large values.
//
// Why 'each' stays the default (measured, `npm run bench -- replica`, docs/replica-results.md
// "Slabs against one buffer per value"): slabs are faster (apply-new 1.55×, apply-update 1.47×,
// apply-evict 1.26× per CPU-second, medians of 8 runs), but their memory is not bounded by what
// the store charges.
// With 1 value in 10 read as it lands (promoted to main and kept, the rest evicted) the slabs
// kept 9.1 buffer bytes alive per byte of value held, against 1.00 for 'each': the store
// charges a value once, the slab behind it ~1/f times. A bounded slab needs the store to tell
// the copier when a value leaves (to compact or reuse a slab): not done.

/** Bytes of one slab. */
export const SLAB_BYTES = 64 * 1024
/** Values above this get their own buffer even in 'slab' mode (they would waste a slab's tail). */
export const MAX_SLAB_VALUE_BYTES = 1024

export type ValueCopy = 'each' | 'slab'

export class ValueCopier {
  readonly mode: ValueCopy
  #slab: Uint8Array = new Uint8Array(0)
  #used = 0

  constructor(mode: ValueCopy) {
    if (mode !== 'each' && mode !== 'slab') throw new TypeError(`Replica: valueCopy must be 'each' or 'slab', got ${String(mode)}`)
    this.mode = mode
  }

  /** A private copy of `value`. */
  copy(value: Uint8Array): Uint8Array {
    const n = value.byteLength
    if (this.mode === 'each' || n > MAX_SLAB_VALUE_BYTES) return value.slice()
    if (this.#used + n > this.#slab.byteLength) {
      this.#slab = new Uint8Array(SLAB_BYTES)
      this.#used = 0
    }
    const view = this.#slab.subarray(this.#used, this.#used + n)
    view.set(value)
    this.#used += n
    return view
  }
}
