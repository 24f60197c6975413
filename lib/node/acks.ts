// The errors of acknowledged writes (G6, README). A write with `ack: 'all'` goes with an ack
// request to every member SWIM considers alive or suspect (lib/replication/engine.ts decides,
// lib/node/replication-link.ts settles the call), and the call resolves once each has applied
// it. An acknowledgement means applied: the member answers what the write did
// there, and only 'applied' or 'stale' (it already held this write or a newer one) count. A
// member that refuses it (clock too far ahead, value too large for its store, older than what
// it forgot, ...) is not retried — the answer would not change — and the call rejects with an
// AckRefusedError naming the member and the reason. A member SWIM declares dead or left while we
// wait no longer counts; a member that fails to answer is retried until the deadline; at the
// deadline the call rejects with an AckTimeoutError naming who did not answer.
//
// This is the answer to "what if a node crashes before it sends its update": invalidate with
// ack before the database write, set after it (README, write-through recipe).

import { AlsoCacheError } from '../foundation/index.ts'
import type { AckRefusal } from '../replication/index.ts'

export class AckTimeoutError extends AlsoCacheError {
  /** Member ids that had not acknowledged the write at the deadline. */
  readonly missing: readonly string[]
  constructor(key: string, missing: readonly string[], timeoutMs: number) {
    super(
      'ERR_ACK_TIMEOUT',
      `write of "${key}" was not acknowledged within ${timeoutMs} ms by ${missing.length} member(s): ${missing.join(', ')}. ` +
        'The write is applied here and will still reach them by gossip and repair; if you need it ' +
        'everywhere before going on, retry, or wait until SWIM declares them dead',
    )
    this.missing = missing
  }
}

/** A member that answered an acknowledged write by refusing it, and why (the engine decides it). */
export type { AckRefusal }

/**
 * Members refused an acknowledged write: it is applied here (and wherever else it was
 * accepted) but not on them, and retrying will not change that. `refused` names each with its
 * reason; `missing` lists members that did not answer at all by the deadline (maybe none).
 */
export class AckRefusedError extends AlsoCacheError {
  readonly refused: readonly AckRefusal[]
  readonly missing: readonly string[]
  constructor(key: string, refused: readonly AckRefusal[], missing: readonly string[]) {
    super(
      'ERR_ACK_REFUSED',
      `write of "${key}" was refused by ${refused.length} member(s): ${refused.map((r) => `${r.member} (${r.reason})`).join(', ')}` +
        (missing.length > 0 ? `; not acknowledged by ${missing.join(', ')}` : '') +
        '. Those members do not hold it: for clock-drift fix the clocks (NTP) or raise maxClockDriftMs; for too-large ' +
        'write a smaller value or give them a larger maxBytes',
    )
    this.refused = refused
    this.missing = missing
  }
}
