// Open ping-req relays: this node pinged a target on behalf of a requester and owes it an ack
// (if the target answers) or, with Lifeguard, a nack (if it stays silent past 80 % of the
// probe timeout, nack.ts). Entries expire after one probe timeout. Bounded: past `max` the
// oldest is dropped and the requester hears nothing, as if the relay had been lost.

import { relayNackDelayMs } from './nack.ts'
import { BoundedMap } from '../lib/foundation/index.ts'

export interface Relay {
  requester: string
  reqSeq: number
  nackAtMs: number
  expireAtMs: number
}

export class RelayTable {
  readonly max: number
  /** Our ping seq → the relay, oldest first. */
  readonly #open: BoundedMap<number, Relay>
  /** Relays dropped to stay within `max`. */
  dropped = 0

  constructor(max: number) {
    this.max = max
    this.#open = new BoundedMap(max)
  }

  get size(): number {
    return this.#open.size
  }

  /** Opens a relay under our own ping `seq`. */
  open(seq: number, requester: string, reqSeq: number, nack: boolean, nowMs: number, probeTimeoutMs: number): void {
    const nackAtMs = nack ? nowMs + relayNackDelayMs(probeTimeoutMs) : Infinity
    if (this.#open.set(seq, { requester, reqSeq, nackAtMs, expireAtMs: nowMs + probeTimeoutMs }) !== undefined) this.dropped++
  }

  /** Closes and returns the relay for an ack to our ping `seq`, if one is open. */
  close(seq: number): Relay | undefined {
    const r = this.#open.get(seq)
    if (r !== undefined) this.#open.delete(seq)
    return r
  }

  /** Calls `nack` for each relay whose nack is due, drops expired ones. */
  expire(nowMs: number, nack: (r: Relay) => void): void {
    for (const [seq, r] of this.#open) {
      if (r.nackAtMs <= nowMs) {
        r.nackAtMs = Infinity
        nack(r)
      }
      if (r.expireAtMs <= nowMs) this.#open.delete(seq)
    }
  }

  /** The earliest nack or expiry, Infinity when none is open. */
  nextDeadlineMs(): number {
    let min = Infinity
    for (const r of this.#open.values()) min = Math.min(min, r.nackAtMs, r.expireAtMs)
    return min
  }
}
