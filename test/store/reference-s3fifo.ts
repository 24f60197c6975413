// A deliberately simple S3-FIFO over plain arrays, written from the rules in docs/store.md and
// the rules at the top of lib/store/s3fifo.ts, for the model test. Arrays are newest first.
// Obviously correct beats fast: every operation is a linear scan.

export interface RefEntry {
  key: string
  charge: number
  freq: number
}
export interface RefGhost {
  key: string
  charge: number
  kind: 'evicted' | 'deleted' | 'expired'
}

export class ReferenceS3Fifo {
  small: RefEntry[] = []
  main: RefEntry[] = []
  ghost: RefGhost[] = []
  /** Hot-key ring: promotions to main, oldest first, at most hotCap. */
  hot: string[] = []
  hotCap = 1024
  readonly smallCap: number
  readonly mainCap: number
  readonly ghostCap: number
  readonly maxBytes: number
  readonly maxEntries: number
  readonly threshold: number

  constructor(maxBytes: number, threshold: number, maxEntries = Infinity, smallRatio = 0.1, ghostRatio = 0.9) {
    this.maxBytes = maxBytes
    this.maxEntries = maxEntries
    this.threshold = threshold
    this.smallCap = Math.floor(maxBytes * smallRatio)
    this.mainCap = maxBytes - this.smallCap
    this.ghostCap = Math.floor(maxBytes * ghostRatio)
  }

  bytes(q: RefEntry[]): number {
    return q.reduce((sum, e) => sum + e.charge, 0)
  }

  count(): number {
    return this.small.length + this.main.length
  }

  find(key: string): RefEntry | undefined {
    return this.small.find((e) => e.key === key) ?? this.main.find((e) => e.key === key)
  }

  get(key: string): boolean {
    const e = this.find(key)
    if (e === undefined) return false
    e.freq = Math.min(e.freq + 1, 255)
    return true
  }

  /** Returns 'tooLarge' when the store must throw EntryTooLargeError. */
  set(key: string, charge: number): 'ok' | 'tooLarge' {
    const inSmall = this.small.findIndex((e) => e.key === key)
    const inMain = this.main.findIndex((e) => e.key === key)
    if (inSmall !== -1 || inMain !== -1) {
      if (charge >= this.smallCap) return 'tooLarge'
      const queue = inSmall !== -1 ? this.small : this.main
      const [entry] = queue.splice(inSmall !== -1 ? inSmall : inMain, 1)
      this.makeRoom(charge, 0)
      entry.charge = charge
      queue.unshift(entry)
      return 'ok'
    }
    const g = this.ghost.findIndex((x) => x.key === key)
    const toMain = g !== -1 && this.ghost[g].kind === 'evicted'
    if (g !== -1) this.ghost.splice(g, 1)
    if (charge > this.smallCap) return 'tooLarge'
    this.makeRoom(charge, 1)
    if (charge === this.smallCap && !toMain) return 'tooLarge'
    ;(toMain ? this.main : this.small).unshift({ key, charge, freq: 0 })
    return 'ok'
  }

  delete(key: string): boolean {
    for (const q of [this.small, this.main]) {
      const i = q.findIndex((e) => e.key === key)
      if (i !== -1) {
        const [e] = q.splice(i, 1)
        this.remember(key, e.charge, 'deleted')
        return true
      }
    }
    return false
  }

  makeRoom(charge: number, extra: number): void {
    while (this.bytes(this.small) + this.bytes(this.main) + charge > this.maxBytes || this.count() + extra > this.maxEntries) {
      if (this.bytes(this.main) > this.mainCap || this.small.length === 0) this.evictMain()
      else this.evictSmall()
    }
  }

  evictSmall(): void {
    while (this.small.length > 0) {
      const e = this.small.pop() as RefEntry
      if (e.freq >= this.threshold) {
        e.freq = 0
        this.main.unshift(e)
        this.recordHot(e.key)
        continue
      }
      this.remember(e.key, e.charge, 'evicted')
      return
    }
  }

  evictMain(): void {
    while (this.main.length > 0) {
      const e = this.main.pop() as RefEntry
      if (e.freq >= 1) {
        e.freq = Math.min(e.freq, 3) - 1
        this.main.unshift(e)
        continue
      }
      return
    }
  }

  recordHot(key: string): void {
    if (this.hotCap === 0) return
    this.hot.push(key)
    if (this.hot.length > this.hotCap) this.hot.shift()
  }

  /** Up to max distinct held keys of the ring, newest first; empties it. */
  drainHot(max: number): string[] {
    const out: string[] = []
    for (const key of [...this.hot].reverse()) {
      if (out.length < max && !out.includes(key) && this.find(key) !== undefined) out.push(key)
    }
    this.hot = []
    return out
  }

  /** A peer's hint: raise a held entry's freq to min(freq, 3); never insert. */
  boost(key: string, freq: number): boolean {
    const e = this.find(key)
    const target = Math.min(freq, 3)
    if (e === undefined || e.freq >= target) return false
    e.freq = target
    return true
  }

  remember(key: string, charge: number, kind: RefGhost['kind']): void {
    const existing = this.ghost.find((g) => g.key === key)
    if (existing !== undefined) {
      existing.kind = kind
      existing.charge = charge
    } else if (charge <= this.ghostCap) {
      this.ghost.unshift({ key, charge, kind })
    }
    while (this.ghost.reduce((s, g) => s + g.charge, 0) > this.ghostCap) this.ghost.pop()
  }
}
