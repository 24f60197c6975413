// A first-in first-out queue drained by poll(): how the core hands out its sends and member
// events. It empties in place once drained, so a steady stream reuses one array.

export class Outbox<T> {
  readonly #items: T[] = []
  #head = 0

  push(item: T): void {
    this.#items.push(item)
  }

  /** The oldest item not yet polled, or undefined when all have been. */
  poll(): T | undefined {
    if (this.#head === this.#items.length) return undefined
    const item = this.#items[this.#head++]
    if (this.#head === this.#items.length) this.#items.length = this.#head = 0
    return item
  }
}
