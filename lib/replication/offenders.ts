// Offender counting: frames that do not decode, per peer, in a window started by the peer's
// first failure. At `limit` within the window the peer is an offender — reported once per
// window (the adapter bans it and hangs up). At most MAX_TRACKED_PEERS peers are counted,
// oldest forgotten first, so a flood of peer ids cannot grow this.

import { BoundedMap } from '../foundation/index.ts'
import { MAX_TRACKED_PEERS } from './options.ts'

interface PeerRecord {
  count: number
  windowStartMs: number
  reported: boolean
}

export class MalformedCounter {
  readonly #limit: number
  readonly #windowMs: number
  readonly #peers = new BoundedMap<string, PeerRecord>(MAX_TRACKED_PEERS)

  constructor(limit: number, windowMs: number) {
    this.#limit = limit
    this.#windowMs = windowMs
  }

  /** Counts one malformed frame of `peer`; returns the window's count when the peer just became an offender. */
  note(peer: string, nowMs: number): number | undefined {
    let r = this.#peers.get(peer)
    if (r === undefined || nowMs - r.windowStartMs >= this.#windowMs) {
      r = { count: 0, windowStartMs: nowMs, reported: false }
      this.#peers.set(peer, r)
    }
    r.count++
    if (r.count < this.#limit || r.reported) return undefined
    r.reported = true
    return r.count
  }
}
