// A binary min-heap of items keyed by time, ties broken by insertion order so that a run is
// deterministic (two events at the same millisecond pop in the order they were pushed).
// Used by the core for suspicion deadlines and by the simulator as its event queue, where it
// holds every in-flight message: push and pop are O(log n) with no per-op allocation beyond
// the caller's item.

export class TimeHeap<T> {
  #times: number[] = []
  #seqs: number[] = []
  #items: T[] = []
  #seq = 0

  get size(): number {
    return this.#items.length
  }

  /** The earliest time, or Infinity when empty. */
  peekTime(): number {
    return this.#items.length === 0 ? Infinity : this.#times[0]
  }

  peek(): T | undefined {
    return this.#items[0]
  }

  push(time: number, item: T): void {
    const times = this.#times
    const seqs = this.#seqs
    const items = this.#items
    const seq = this.#seq++
    let i = items.length
    times.push(time)
    seqs.push(seq)
    items.push(item)
    while (i > 0) {
      const p = (i - 1) >> 1
      if (times[p] < time || (times[p] === time && seqs[p] < seq)) break
      times[i] = times[p]
      seqs[i] = seqs[p]
      items[i] = items[p]
      i = p
    }
    times[i] = time
    seqs[i] = seq
    items[i] = item
  }

  /** Removes and returns the earliest item (undefined when empty). */
  pop(): T | undefined {
    const items = this.#items
    const n = items.length
    if (n === 0) return undefined
    const top = items[0]
    const times = this.#times
    const seqs = this.#seqs
    const lastTime = times.pop() as number
    const lastSeq = seqs.pop() as number
    const lastItem = items.pop() as T
    const m = n - 1
    if (m === 0) return top
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= m) break
      const r = l + 1
      let c = l
      if (r < m && (times[r] < times[l] || (times[r] === times[l] && seqs[r] < seqs[l]))) c = r
      if (times[c] > lastTime || (times[c] === lastTime && seqs[c] > lastSeq)) break
      times[i] = times[c]
      seqs[i] = seqs[c]
      items[i] = items[c]
      i = c
    }
    times[i] = lastTime
    seqs[i] = lastSeq
    items[i] = lastItem
    return top
  }

  clear(): void {
    this.#times.length = 0
    this.#seqs.length = 0
    this.#items.length = 0
  }

  /** Recounts the heap property from scratch (tests call it after random operations). */
  validate(): void {
    const t = this.#times
    const s = this.#seqs
    for (let i = 1; i < t.length; i++) {
      const p = (i - 1) >> 1
      if (t[p] > t[i] || (t[p] === t[i] && s[p] > s[i])) throw new Error(`TimeHeap: heap property broken at ${i}`)
    }
    if (t.length !== this.#items.length || s.length !== t.length) throw new Error('TimeHeap: array lengths differ')
  }
}
