// Lifeguard nacks (Dadgar et al. 2018, §IV-A). A ping-req relay that gets no ack from the
// target answers the requester with a nack. A requester that asked three relays and heard
// nothing at all (no ack, no nack) learns that *its own* messages are not getting through,
// which feeds its awareness score (awareness.ts) rather than an accusation's confidence.

/** Fraction of the probe timeout after which a relay sends its nack: the paper's 80 %. */
export const RELAY_NACK_FRACTION = 0.8

/** When a relay that has heard no ack sends the nack, relative to receiving the ping-req. */
export function relayNackDelayMs(probeTimeoutMs: number): number {
  return Math.floor(probeTimeoutMs * RELAY_NACK_FRACTION)
}

/** How many nacks the prober may expect: one per relay asked, or none with Lifeguard off. */
export function expectedNacks(relaysAsked: number, lifeguard: boolean): number {
  return lifeguard ? relaysAsked : 0
}
