// Lifeguard local health awareness (Dadgar, Phillips, Currey 2018, §IV-A; memberlist
// awareness.go). A node that misses its own acks and nacks is more likely to be the slow one
// than its peers are to be dead, so it raises a health score and stretches its probe interval
// and timeouts by (score + 1) instead of accusing others.
//
// Score events (memberlist's, kept as is):
//   successful probe                          −1
//   failed probe, relays asked for nacks      +(expected nacks − nacks received)
//   failed probe, no relays to ask            +1
//   had to refute a suspicion about itself    +1

/** Clamps `score + delta` into [0, maxMultiplier − 1]. */
export function applyAwarenessDelta(score: number, delta: number, maxMultiplier: number): number {
  const next = score + delta
  if (next < 0) return 0
  if (next > maxMultiplier - 1) return maxMultiplier - 1
  return next
}

/** timeout × (score + 1): at score 0 the configured timeout, at most maxMultiplier × it. */
export function scaleTimeoutMs(timeoutMs: number, score: number): number {
  return timeoutMs * (score + 1)
}

/** The awareness delta after one probe round (see the table above). */
export function probeAwarenessDelta(acked: boolean, expectedNacks: number, nacksReceived: number): number {
  if (acked) return -1
  if (expectedNacks > 0) return nacksReceived < expectedNacks ? expectedNacks - nacksReceived : 0
  return 1
}

/** The health score of this node. With maxMultiplier 1 (Lifeguard off) it stays at 0. */
export class Awareness {
  readonly maxMultiplier: number
  #score = 0

  constructor(maxMultiplier: number) {
    this.maxMultiplier = maxMultiplier
  }

  get score(): number {
    return this.#score
  }

  apply(delta: number): void {
    this.#score = applyAwarenessDelta(this.#score, delta, this.maxMultiplier)
  }

  scale(timeoutMs: number): number {
    return scaleTimeoutMs(timeoutMs, this.#score)
  }
}
