// Expiry checks: our extension of Lifeguard's buddy system (not in the paper or memberlist).
//
// Why: a falsely accused member refutes at once, and its "alive" spreads by gossip, each node
// passing it on a bounded number of times. Infection-style spread leaves a tail: in the
// simulator at N = 100 with 10 % loss, one member in a hundred received none of the ~700
// copies of a refutation and kept the suspicion until its timer declared the member dead.
// The member was reachable all along; nobody asked it.
//
// What: shortly before a suspicion would expire, the suspecter pings the suspect itself,
// with the suspicion in front of the ping (as a buddy probe does). A live suspect answers
// with its current "alive" on the ack (swim.ts: a stale accusation is answered, not only an
// accusation at the current incarnation), which ends the suspicion by the ordinary
// incarnation rule; an ack alone proves nothing and changes nothing. A dead suspect answers
// nothing and the suspicion expires on time: the checks never delay a detection.
//
// Cost: `checks` pings per suspicion still held near its deadline. A real crash: every
// member pings the dead one `checks` times, once. A false suspicion: only the members the
// refutation missed ping, and each gets one ack.

/**
 * When the next check of a suspicion is due: `checks` pings, `spacingMs` apart, the last one
 * `spacingMs` before the deadline (time for the ack to come back). Infinity when all are sent.
 */
export function nextCheckMs(deadlineMs: number, checksSent: number, checks: number, spacingMs: number): number {
  if (checksSent >= checks) return Infinity
  return deadlineMs - (checks - checksSent) * spacingMs
}
