// The engine's tuning: each option with its default and why, validated once at construction.

import { positiveInt, nonNegativeInt, intInRange } from '../foundation/index.ts'
import { MAX_BATCH_BYTES, MAX_DELTAS_PER_BATCH } from '../../crdt/index.ts'

/**
 * Deltas per batch (a gossip message on today's node). Measured with 3 processes on 2 cores, one publisher reached
 * ~150–170k deltas/s with 256 deltas per message, ~80k/s with 64 (docs/node.md, "Gossipsub:
 * what the node relies on"). A batch also flushes on DEFAULT_BATCH_MAX_BYTES or after
 * DEFAULT_BATCH_INTERVAL_MS.
 */
export const DEFAULT_BATCH_MAX_DELTAS = 256
/**
 * Bytes per batch (encoded). Far below gossipsub's 4 MiB cap: a message over a
 * receiver's inbound limit loses the whole stream from that peer (docs/node.md, "Gossipsub:
 * what the node relies on").
 */
export const DEFAULT_BATCH_MAX_BYTES = 512 * 1024
/**
 * Longest a write waits for its batch to fill before it is sent: bounds the replication lag
 * a lone write adds (the goal is a p99 lag ≤ 10 ms).
 */
export const DEFAULT_BATCH_INTERVAL_MS = 2
/**
 * Bytes output to one member and not yet reported `sent` by the adapter. Past it the member
 * gets no more batches (it is `behind`) until it drains below half of it; it catches up by
 * repair. 8 MiB: 16 full batches, about 60 ms of a saturated writer of 100 B values.
 */
export const DEFAULT_MAX_QUEUE_BYTES = 8 * 1024 * 1024
/**
 * How long a seq gap may stay open before it is repaired: gossip over several mesh paths can
 * reorder, and a gap that closes by itself needs no request.
 */
export const DEFAULT_GAP_GRACE_MS = 100
/**
 * Period of anti-entropy: a digest exchange with one random live member, pulling whatever
 * gossip missed (tail losses included). Cost: one small request per period per node.
 */
export const DEFAULT_ANTI_ENTROPY_INTERVAL_MS = 2_000
/** The most bytes one repair answer may carry (range or since). */
export const DEFAULT_REPAIR_ANSWER_MAX_BYTES = 4 * 1024 * 1024
/** A repair request unanswered this long is asked again (the answer may be lost). */
export const DEFAULT_REPAIR_TIMEOUT_MS = 1000
/** Deadline of an acknowledged write (G6) when the call gives none. */
export const DEFAULT_ACK_TIMEOUT_MS = 5_000
/** An ack request not answered is sent again this often (a member whose stream restarted). */
export const DEFAULT_ACK_RETRY_MS = 100
/**
 * Malformed messages (any protocol) a peer may send within DEFAULT_MALFORMED_WINDOW_MS before
 * it is disconnected and refused (the node's banMs; G7). A healthy peer sends none: one version
 * mismatch during a rolling upgrade stays far below it.
 */
export const DEFAULT_MALFORMED_LIMIT = 10
/** The window of malformedLimit. */
export const DEFAULT_MALFORMED_WINDOW_MS = 60_000

/**
 * Cluster size (members, this node included) above which batches go to the gossip mesh, one
 * publish each, instead of one copy to every member: a writer's direct fan-out costs it one
 * encryption and send per member, the mesh a bounded degree whatever the size. The simulator's
 * byte model (docs/replication-sim.md) puts the crossover, where the writer's N − 1 copies pass
 * what a mesh node of degree 6 sends and receives, at N ≈ 19 with batching and ≈ 27 without;
 * 24 sits between. Acks, repair and anti-entropy stay on the direct streams either way.
 */
export const DEFAULT_GOSSIP_ABOVE_MEMBERS = 24

/** Acknowledged writes waiting at once; past it a new one finishes at once with every member missing. */
export const MAX_PENDING_ACKS = 65_536
/**
 * Repair requests in flight at once (the node's repair.ts uses it too). Each may bring a repair
 * answer's bytes, so this bounds what one digest can set off: a peer naming many origins
 * cannot start a storm of pulls.
 */
export const MAX_REPAIRS_IN_FLIGHT = 4
/**
 * since requests one repair round may make while halving key-hash slices whose answer the byte
 * budget cut: 64 × repairAnswerMaxBytes at most per round; past it the round starts over an
 * anti-entropy period later.
 */
export const MAX_SINCE_REQUESTS_PER_ROUND = 64
/** Peers whose malformed frames are counted (members and strangers alike), oldest forgotten first. */
export const MAX_TRACKED_PEERS = 4096

export interface ReplicationTuning {
  /** @default 256 (DEFAULT_BATCH_MAX_DELTAS) */
  batchMaxDeltas?: number
  /** @default 512 KiB (DEFAULT_BATCH_MAX_BYTES) */
  batchMaxBytes?: number
  /** @default 2 (DEFAULT_BATCH_INTERVAL_MS) */
  batchIntervalMs?: number
  /** @default 8 MiB (DEFAULT_MAX_QUEUE_BYTES) */
  maxQueueBytes?: number
  /** @default 100 (DEFAULT_GAP_GRACE_MS) */
  gapGraceMs?: number
  /** @default 2000 (DEFAULT_ANTI_ENTROPY_INTERVAL_MS) */
  antiEntropyIntervalMs?: number
  /** @default 4 MiB (DEFAULT_REPAIR_ANSWER_MAX_BYTES) */
  repairAnswerMaxBytes?: number
  /** @default 1000 (DEFAULT_REPAIR_TIMEOUT_MS) */
  repairTimeoutMs?: number
  /** @default 5000 (DEFAULT_ACK_TIMEOUT_MS) */
  ackTimeoutMs?: number
  /** @default 100 (DEFAULT_ACK_RETRY_MS) */
  ackRetryMs?: number
  /** @default 24 (DEFAULT_GOSSIP_ABOVE_MEMBERS) */
  gossipAboveMembers?: number
  /** @default 10 (DEFAULT_MALFORMED_LIMIT) */
  malformedLimit?: number
  /** @default 60,000 (DEFAULT_MALFORMED_WINDOW_MS) */
  malformedWindowMs?: number
}

export type ResolvedTuning = Required<ReplicationTuning>

export function resolveTuning(t: ReplicationTuning): ResolvedTuning {
  const w = 'ReplicationEngine'
  return {
    batchMaxDeltas: intInRange(w, 'batchMaxDeltas', t.batchMaxDeltas ?? DEFAULT_BATCH_MAX_DELTAS, 1, MAX_DELTAS_PER_BATCH),
    // Half the batch bound: one delta may take a batch past batchMaxBytes before it flushes.
    batchMaxBytes: intInRange(w, 'batchMaxBytes', t.batchMaxBytes ?? DEFAULT_BATCH_MAX_BYTES, 1, MAX_BATCH_BYTES / 2),
    batchIntervalMs: nonNegativeInt(w, 'batchIntervalMs', t.batchIntervalMs ?? DEFAULT_BATCH_INTERVAL_MS),
    maxQueueBytes: positiveInt(w, 'maxQueueBytes', t.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES),
    gapGraceMs: nonNegativeInt(w, 'gapGraceMs', t.gapGraceMs ?? DEFAULT_GAP_GRACE_MS),
    antiEntropyIntervalMs: positiveInt(w, 'antiEntropyIntervalMs', t.antiEntropyIntervalMs ?? DEFAULT_ANTI_ENTROPY_INTERVAL_MS),
    repairAnswerMaxBytes: intInRange(
      w,
      'repairAnswerMaxBytes',
      t.repairAnswerMaxBytes ?? DEFAULT_REPAIR_ANSWER_MAX_BYTES,
      4096,
      MAX_BATCH_BYTES / 2,
    ),
    repairTimeoutMs: positiveInt(w, 'repairTimeoutMs', t.repairTimeoutMs ?? DEFAULT_REPAIR_TIMEOUT_MS),
    ackTimeoutMs: positiveInt(w, 'ackTimeoutMs', t.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS),
    ackRetryMs: positiveInt(w, 'ackRetryMs', t.ackRetryMs ?? DEFAULT_ACK_RETRY_MS),
    gossipAboveMembers: positiveInt(w, 'gossipAboveMembers', t.gossipAboveMembers ?? DEFAULT_GOSSIP_ABOVE_MEMBERS),
    malformedLimit: nonNegativeInt(w, 'malformedLimit', t.malformedLimit ?? DEFAULT_MALFORMED_LIMIT),
    malformedWindowMs: positiveInt(w, 'malformedWindowMs', t.malformedWindowMs ?? DEFAULT_MALFORMED_WINDOW_MS),
  }
}
