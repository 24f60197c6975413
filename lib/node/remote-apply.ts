// What the node does with every remote delta the replication engine applied (lib/replication/:
// the one apply path — live stream, gossip, repair, warm-up): the lag tracker measures live
// ones, the identity-conflict detector sees every origin and hlc, hot-key hints hear of every
// key now held, a change is announced (`key:changed`, only while someone listens), and a
// refused one is announced (`delta:dropped`) with the reason the replica gave. An exception of
// ours while applying cost only that delta (repair asks again): it is reported as our bug,
// never charged to the peer, whose bytes decoded.

import type { Delta, Hlc, Origin } from '../../crdt/index.ts'
import type { ApplyOutcome } from '../replication/index.ts'
import type { DeltaDropped } from './events.ts'
import type { KeyChangeOp } from './key-changed.ts'

export interface RemoteAccountingInit {
  /** A delta stamped `hlc` became visible here at `nowMs` (live replication only: lag.ts). */
  noteLag: (hlc: Hlc, nowMs: number) => void
  /** A delta of `origin` stamped `hlc` came from `from` (the identity-conflict detector). */
  noteOrigin: (origin: Origin, hlc: Hlc, from: string) => void
  /** A key this node now holds (hot-key hints); undefined without hints. */
  noteHeld: ((key: string) => void) | undefined
  onDropped: (e: DeltaDropped) => void
  /** Whether anyone listens to `key:changed`: asked before an event is built, so none is built for nobody. */
  keyChangesWatched: () => boolean
  /** The delta changed its key here (`op` when it is not the delta's own: a dropped value is a 'delete'). */
  onKeyChanged: (d: Delta, from: string, op?: KeyChangeOp) => void
  /** Code of ours threw (a bug): reported, never charged to the peer. */
  onInternalError: (where: string, err: unknown) => void
}

export class RemoteAccounting {
  readonly #i: RemoteAccountingInit

  constructor(init: RemoteAccountingInit) {
    this.#i = init
  }

  /** Accounts for one remote delta and what applying it did (the engine's `applied` output). */
  account(d: Delta, outcome: ApplyOutcome, from: string, live: boolean, nowMs: number, error?: unknown): void {
    if (d.seq > 0) this.#i.noteOrigin(d.origin, d.version.hlc, from)
    if (outcome === 'applied') {
      if (live) this.#i.noteLag(d.version.hlc, nowMs)
      if (d.op !== 'clear' && d.op !== 'invalidate') this.#i.noteHeld?.(d.key)
      if (this.#i.keyChangesWatched()) this.#i.onKeyChanged(d, from)
      return
    }
    if (live && outcome === 'stale') this.#i.noteLag(d.version.hlc, nowMs)
    if (typeof outcome === 'string') return
    if (outcome.dropped === 'failed') return this.#i.onInternalError('apply a received delta', error)
    // A value too large for this store drops the older one held here (crdt/replica.ts: a miss is safe).
    if (outcome.dropped === 'too-large' && this.#i.keyChangesWatched()) this.#i.onKeyChanged(d, from, 'delete')
    this.#i.onDropped({ key: d.key, origin: d.origin.nodeId, from, reason: outcome.dropped })
  }
}
