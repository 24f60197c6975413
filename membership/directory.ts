// Member ids ↔ dense slot numbers. The member table keeps per-member state in typed arrays
// indexed by slot, so a lookup by id is one Map.get and the rest is array indexing.
//
// One core owns one directory. A simulator running thousands of cores in one process may
// give them all the same directory: slots then mean the same member everywhere, and a view
// that starts as the shared starting list costs only what changed in it (members.ts).

/** A slot number: an index into the member table's arrays, never a count. */
export type Slot = number & { readonly __brand: 'Slot' }

export class MemberDirectory {
  readonly #slots = new Map<string, Slot>()
  readonly #ids: string[] = []
  readonly #lists = new WeakMap<readonly string[], Int32Array>()
  readonly #ranges = new WeakMap<Int32Array, boolean>()

  get size(): number {
    return this.#ids.length
  }

  slotOf(id: string): Slot | undefined {
    return this.#slots.get(id)
  }

  /** The slot for `id`, allocating one if it has none. */
  intern(id: string): Slot {
    let s = this.#slots.get(id)
    if (s === undefined) {
      s = this.#ids.length as Slot
      this.#ids.push(id)
      this.#slots.set(id, s)
    }
    return s
  }

  /**
   * Slots for a list of ids, interned. Memoized per list: a simulator that gives the same
   * starting list to 10,000 cores interns it once, not 10,000 times.
   */
  slotsOf(ids: readonly string[]): Int32Array {
    let slots = this.#lists.get(ids)
    if (slots === undefined) {
      slots = Int32Array.from(ids, (id) => this.intern(id))
      this.#lists.set(ids, slots)
    }
    return slots
  }

  /** True when `slots` (from slotsOf) is exactly 0, 1, …, length − 1. Memoized. */
  isRange(slots: Int32Array): boolean {
    let r = this.#ranges.get(slots)
    if (r === undefined) {
      r = true
      for (let i = 0; i < slots.length && r; i++) r = slots[i] === i
      this.#ranges.set(slots, r)
    }
    return r
  }

  idOf(slot: Slot): string {
    return this.#ids[slot]
  }
}
