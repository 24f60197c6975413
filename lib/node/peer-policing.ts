// Peer policing: bad bytes from a peer, on any protocol (gossip, sync, SWIM, hints), are
// counted per peer; a peer past malformedLimit within MALFORMED_WINDOW_MS is banned (refused
// for banMs) and hung up on. A healthy peer sends none, so the limit only ever catches a
// broken or hostile one; the counts are bounded (MAX_TRACKED_OFFENDERS, oldest dropped first)
// so that a flood of peer ids cannot grow them. See docs/node.md, "Trust and bounds".

import { BoundedMap } from '../foundation/index.ts'
import { MALFORMED_WINDOW_MS, MAX_TRACKED_OFFENDERS } from './constants.ts'
import type { PeerBanned } from './events.ts'

export interface PeerPolicingInit {
  now: () => number
  /** Malformed messages within MALFORMED_WINDOW_MS that get a peer banned. */
  malformedLimit: number
  /** How long a banned peer is refused. */
  banMs: number
  /** Refuses `peer` for `banMs` and hangs up on it. */
  ban: (peer: string, banMs: number) => void
  /** Announces a ban (the node's `peer:banned` event). */
  onBanned: (e: PeerBanned) => void
}

/** One offender: malformed messages in the current window, when the window began, and in all. */
interface Offence {
  count: number
  sinceMs: number
  total: number
}

export class PeerPolicing {
  readonly #i: PeerPolicingInit
  /** Per offending peer, in the order last (re)opened: the first is the one dropped past the bound. */
  readonly #malformed = new BoundedMap<string, Offence>(MAX_TRACKED_OFFENDERS)

  constructor(init: PeerPolicingInit) {
    this.#i = init
  }

  /** Counts malformed input from `from`; bans it once it reaches the limit within the window. */
  noteMalformed(from: string): void {
    const now = this.#i.now()
    let o = this.#malformed.get(from)
    if (o === undefined || now - o.sinceMs > MALFORMED_WINDOW_MS) {
      o = { count: 0, sinceMs: now, total: o?.total ?? 0 }
      this.#malformed.set(from, o)
    }
    o.count++
    o.total++
    if (o.count < this.#i.malformedLimit) return
    o.count = 0
    this.#i.ban(from, this.#i.banMs)
    this.#i.onBanned({ peer: from, malformed: o.total, untilMs: now + this.#i.banMs })
  }

  /** Malformed messages in all, per peer still tracked (stats().malformedByPeer). */
  byPeer(): Record<string, number> {
    return Object.fromEntries([...this.#malformed].map(([peer, o]) => [peer, o.total]))
  }
}
