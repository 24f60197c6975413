// What the engine outputs and reports (docs/replication-engine.md, "Outputs").

import type { Delta, DropReason, ReplicaDigest } from '../../crdt/index.ts'
import type { AckOutcome } from './frames.ts'

/** What one remote delta did here: the replica's result, with the reason of a drop. */
export type ApplyOutcome = 'applied' | 'stale' | { readonly dropped: DropReason | 'failed' }

/** A member that answered an acknowledged write by refusing it, and why. */
export interface AckRefusal {
  readonly member: string
  /** What the member said: 'clock-drift', 'too-large', 'below-horizon', 'invalid-yjs', 'inadmissible' or 'failed'. */
  readonly reason: Exclude<AckOutcome, 'applied' | 'stale'>
}

export type EngineOutput =
  /** A frame for one member's replication stream. A batch is encoded once: the same bytes go to every member. */
  | { readonly type: 'send'; readonly to: string; readonly bytes: Uint8Array }
  /**
   * A delta batch (crdt's encodeDeltas bytes) for the gossip mesh: in clusters above
   * gossipAboveMembers a batch is published once instead of sent to each member.
   */
  | { readonly type: 'publish'; readonly bytes: Uint8Array }
  /** Every remote delta, whatever frame brought it, once, with what it did here. */
  | {
      readonly type: 'applied'
      readonly delta: Delta
      readonly from: string
      readonly outcome: ApplyOutcome
      /** Brought by live replication (a batch, from the stream or the mesh), not by repair or warm-up. */
      readonly live: boolean
      /** What Replica.apply threw, when the outcome is `{ dropped: 'failed' }` (a bug of ours). */
      readonly error?: unknown
    }
  /**
   * An acknowledged write finished: every live member answered (`missing` empty), or its
   * deadline passed (`missing` lists who did not answer). Succeeded iff both lists are empty.
   */
  | { readonly type: 'ack'; readonly ackId: number; readonly missing: readonly string[]; readonly refused: readonly AckRefusal[] }
  /** A member's digest arrived (informational: the node checks it for another process with its id). */
  | { readonly type: 'digest'; readonly from: string; readonly digest: ReplicaDigest }
  /** A peer sent malformedLimit frames that do not decode within the window: ban it, hang up. */
  | { readonly type: 'offender'; readonly peer: string; readonly malformed: number }
  /** A member's send queue passed maxQueueBytes: it gets no batches until it drains, and catches up by repair. */
  | { readonly type: 'behind'; readonly peer: string }

export interface ReplicationEngineStats {
  /** Local deltas written. */
  writes: number
  /** Batches encoded (each output once per member it went to, or published once). */
  batches: number
  /** Of batches: published to the gossip mesh (clusters above gossipAboveMembers). */
  gossipPublished: number
  /** Batches the gossip mesh delivered (receiveGossip). */
  gossipReceived: number
  framesSent: number
  bytesSent: number
  framesReceived: number
  bytesReceived: number
  /** Remote deltas by outcome (every path: batch, repair answer, ack request). */
  applied: number
  stale: number
  dropped: number
  /** Of applied and stale: deltas that came in batches (stream or mesh), not by repair or warm-up. */
  liveDeltas: number
  /** Of dropped: the apply threw (a bug of ours: never charged to the peer). */
  applyErrors: number
  /**
   * Local deltas a batch could not encode (a bug: admitted deltas always encode), sent as ghosts
   * of their versions or left out; the rest of their batch went.
   */
  unsendable: number
  /** Frames that did not decode, and offender outputs. */
  malformed: number
  offenders: number
  /** Times a member was switched to catch-up, and back. */
  behind: number
  caughtUp: number
  /** Batches a member did not get because it was behind. */
  batchesSkipped: number
  /** Frames other than batches not sent because the member's queue was full (the asker retries). */
  framesDropped: number
  /** Bytes output and not yet reported sent, over all members, and the most any one member held. */
  queuedBytes: number
  maxQueuedBytes: number
  repair: {
    /** `want` (range from the origin) and `since` (fallback to another member) requests. */
    rangeRequests: number
    sinceRequests: number
    rangeDeltas: number
    sinceDeltas: number
    /** Requests served to peers. */
    served: number
    antiEntropyRounds: number
    /** Origins with a seq hole still wanted. */
    pendingOrigins: number
  }
  acks: {
    started: number
    /** Finished with every live member applied. */
    succeeded: number
    /** Finished with a refusal or a member missing at the deadline. */
    failed: number
    pending: number
  }
}

export function newStats(): ReplicationEngineStats {
  return {
    writes: 0,
    batches: 0,
    gossipPublished: 0,
    gossipReceived: 0,
    framesSent: 0,
    bytesSent: 0,
    framesReceived: 0,
    bytesReceived: 0,
    applied: 0,
    stale: 0,
    dropped: 0,
    liveDeltas: 0,
    applyErrors: 0,
    unsendable: 0,
    malformed: 0,
    offenders: 0,
    behind: 0,
    caughtUp: 0,
    batchesSkipped: 0,
    framesDropped: 0,
    queuedBytes: 0,
    maxQueuedBytes: 0,
    repair: { rangeRequests: 0, sinceRequests: 0, rangeDeltas: 0, sinceDeltas: 0, served: 0, antiEntropyRounds: 0, pendingOrigins: 0 },
    acks: { started: 0, succeeded: 0, failed: 0, pending: 0 },
  }
}
