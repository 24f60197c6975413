// Deltas from peers (gossip, repair, warm-up, acknowledged pushes) applied to the replica and
// accounted for: the identity-conflict detector and repair see every one, hot-key hints hear of
// every key now held, and a refused one is announced (`delta:dropped`) with the reason the
// replica refused it. An exception of ours while applying costs only that delta (repair asks
// again) and is reported as our bug, never charged to the peer, whose bytes decoded.

import type { ApplyResult, Delta, Hlc, Origin, Replica } from '../../crdt/index.ts'
import type { DeltaDropped, DroppedReason } from './events.ts'

/** What a remote delta did here (the outcomes a push answers with). */
export type ApplyOutcome = 'applied' | 'stale' | DroppedReason | 'failed'

export interface RemoteApplyInit {
  replica: Replica
  now: () => number
  /** A delta of `origin` stamped `hlc` came from `from` (the identity-conflict detector). */
  noteOrigin: (origin: Origin, hlc: Hlc, from: string) => void
  /** Every received delta, applied or not (repair tracks seqs from it). */
  noteDelta: (d: Delta) => void
  /** A key this node now holds (hot-key hints); undefined without hints. */
  noteHeld: ((key: string) => void) | undefined
  onDropped: (e: DeltaDropped) => void
  /** Code of ours threw (a bug): reported, never charged to the peer. */
  onInternalError: (where: string, err: unknown) => void
}

export class RemoteApply {
  readonly #i: RemoteApplyInit

  constructor(init: RemoteApplyInit) {
    this.#i = init
  }

  /** Applies a delta from peer `from` and accounts for it. Returns what it did. */
  apply(d: Delta, from: string): ApplyOutcome {
    let result: ApplyResult
    try {
      result = this.#i.replica.apply(d, this.#i.now())
    } catch (err) {
      // The bytes decoded: whatever threw is ours, not the peer's. Only this delta is lost
      // (repair asks again); the rest of its chunk goes on.
      this.#i.onInternalError('apply a received delta', err)
      return 'failed'
    }
    return this.accountFor(d, result, from)
  }

  /** Accounts for a delta already applied (the replicator applies gossip itself). */
  accountFor(d: Delta, result: ApplyResult, from: string): ApplyOutcome {
    if (d.seq > 0) this.#i.noteOrigin(d.origin, d.version.hlc, from)
    this.#i.noteDelta(d)
    if (result === 'applied') this.#i.noteHeld?.(d.key)
    if (result !== 'dropped') return result
    // The replica names the reason of its last drop (set by the apply that just returned).
    const reason = this.#i.replica.lastDropReason!
    this.#i.onDropped({ key: d.key, origin: d.origin.nodeId, from, reason })
    return reason
  }
}
