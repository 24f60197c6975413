// Lifeguard dynamic suspicion timeouts (Dadgar et al. 2018, §IV-B; memberlist suspicion.go).
// A suspicion starts at `max` and shrinks towards `min` as independent members confirm it:
// a member that is really dead is soon suspected by several probers, while a false
// accusation by one slow node gets the full `max` for the accused to refute it.
//
//   timeout(c) = max(min, max − (max − min) · log(c + 1) / log(k + 1))
//
// after c of the k expected confirmations. With k < 1 (small clusters, or Lifeguard off)
// the timeout is simply `min`.

/**
 * Base suspicion timeout: mult × max(1, log10(max(1, n))) × probeInterval (memberlist
 * util.go `suspicionTimeout`). n is the estimated cluster size.
 */
export function suspicionTimeoutMs(suspicionMult: number, n: number, probeIntervalMs: number): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)))
  // memberlist keeps millisecond precision the same way (×1000, integer, ÷1000).
  return (suspicionMult * Math.floor(nodeScale * 1000) * probeIntervalMs) / 1000
}

/** Total timeout after `confirmations` of `k` expected, floored to whole ms, never below min. */
export function suspicionTotalMs(confirmations: number, k: number, minMs: number, maxMs: number): number {
  if (k < 1) return minMs
  const frac = Math.log(confirmations + 1) / Math.log(k + 1)
  const raw = Math.floor(maxMs - frac * (maxMs - minMs))
  return raw < minMs ? minMs : raw
}

/** How many independent confirmations shrink a suspicion fully: suspicionMult − 2, or 0 when n − 2 < that. */
export function expectedConfirmations(suspicionMult: number, n: number): number {
  const k = suspicionMult - 2
  return n - 2 < k ? 0 : k
}

/** One open suspicion: who has accused the member, and when it becomes a death. */
export class Suspicion {
  readonly startMs: number
  readonly k: number
  readonly minMs: number
  readonly maxMs: number
  readonly incarnation: number
  /** Expiry checks sent so far, and their spacing (expiry-check.ts; set by suspicions.ts). */
  checksSent = 0
  checkSpacingMs = 0
  /** Accusers so far; the first accuser does not count as a confirmation. */
  readonly #accusers: Set<string>
  #confirmations = 0
  #deadlineMs: number

  constructor(firstAccuser: string, incarnation: number, k: number, minMs: number, maxMs: number, startMs: number) {
    this.startMs = startMs
    this.k = k
    this.minMs = minMs
    this.maxMs = maxMs
    this.incarnation = incarnation
    this.#accusers = new Set([firstAccuser])
    this.#deadlineMs = startMs + suspicionTotalMs(0, k, minMs, maxMs)
  }

  get confirmations(): number {
    return this.#confirmations
  }

  /** True once k confirmations are in: confirm() takes no more (the common duplicate case). */
  get full(): boolean {
    return this.#confirmations >= this.k
  }

  get deadlineMs(): number {
    return this.#deadlineMs
  }

  /** Moves the deadline to `ms` if it is earlier (suspicions.ts: room for the expiry checks). */
  notBefore(ms: number): void {
    if (this.#deadlineMs < ms) this.#deadlineMs = ms
  }

  /**
   * Records an accusation by `from`. True when it was new and counted (the caller
   * re-gossips it so others shrink their timers too); false once k are in or `from` repeats.
   */
  confirm(from: string): boolean {
    if (this.#confirmations >= this.k) return false
    if (this.#accusers.has(from)) return false
    this.#accusers.add(from)
    this.#confirmations++
    this.#deadlineMs = this.startMs + suspicionTotalMs(this.#confirmations, this.k, this.minMs, this.maxMs)
    return true
  }
}
