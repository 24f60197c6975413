// The engine's tuning: each option with its default and why, validated once at construction.

import { positiveInt, nonNegativeInt, intInRange } from '../foundation/index.ts'
import { MAX_BATCH_BYTES, MAX_DELTAS_PER_BATCH } from '../../crdt/index.ts'

/** A batch leaves at this many deltas (gossipsub measurements chose it: docs/node.md). */
export const DEFAULT_BATCH_MAX_DELTAS = 256
/** ...or at this many bytes (estimated: key + value + 32 B per delta). */
export const DEFAULT_BATCH_MAX_BYTES = 512 * 1024
/** ...or this long after its first delta: a lone write waits at most this. */
export const DEFAULT_BATCH_INTERVAL_MS = 2
/**
 * Bytes output to one member and not yet reported `sent` by the adapter. Past it the member
 * gets no more batches (it is `behind`) until it drains below half of it; it catches up by
 * repair. 8 MiB: 16 full batches, about 60 ms of a saturated writer of 100 B values.
 */
export const DEFAULT_MAX_QUEUE_BYTES = 8 * 1024 * 1024
/** A hole in an origin's seqs stays open this long before it is asked for (reordering). */
export const DEFAULT_GAP_GRACE_MS = 100
/** One digest exchange with one random live member this often (finds lost tails). */
export const DEFAULT_ANTI_ENTROPY_INTERVAL_MS = 2000
/** The most bytes one repair answer may carry (range or since). */
export const DEFAULT_REPAIR_MAX_BYTES = 4 * 1024 * 1024
/** A repair request unanswered this long is asked again (the answer may be lost). */
export const DEFAULT_REPAIR_TIMEOUT_MS = 1000
/** An acknowledged write not answered by every live member by then finishes with `missing`. */
export const DEFAULT_ACK_TIMEOUT_MS = 5000
/** An ack request not answered is sent again this often (a member whose stream restarted). */
export const DEFAULT_ACK_RETRY_MS = 100
/** Frames that fail to decode, per member and window, tolerated before an `offender` output. */
export const DEFAULT_MALFORMED_LIMIT = 10
/** The window of malformedLimit. */
export const DEFAULT_MALFORMED_WINDOW_MS = 60_000

/** Acknowledged writes waiting at once; past it a new one finishes at once with every member missing. */
export const MAX_PENDING_ACKS = 65_536
/** Repair requests in flight at once (each may bring repairMaxBytes). */
export const MAX_REPAIRS_IN_FLIGHT = 4
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
  /** @default 4 MiB (DEFAULT_REPAIR_MAX_BYTES) */
  repairMaxBytes?: number
  /** @default 1000 (DEFAULT_REPAIR_TIMEOUT_MS) */
  repairTimeoutMs?: number
  /** @default 5000 (DEFAULT_ACK_TIMEOUT_MS) */
  ackTimeoutMs?: number
  /** @default 100 (DEFAULT_ACK_RETRY_MS) */
  ackRetryMs?: number
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
    repairMaxBytes: intInRange(w, 'repairMaxBytes', t.repairMaxBytes ?? DEFAULT_REPAIR_MAX_BYTES, 4096, MAX_BATCH_BYTES / 2),
    repairTimeoutMs: positiveInt(w, 'repairTimeoutMs', t.repairTimeoutMs ?? DEFAULT_REPAIR_TIMEOUT_MS),
    ackTimeoutMs: positiveInt(w, 'ackTimeoutMs', t.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS),
    ackRetryMs: positiveInt(w, 'ackRetryMs', t.ackRetryMs ?? DEFAULT_ACK_RETRY_MS),
    malformedLimit: nonNegativeInt(w, 'malformedLimit', t.malformedLimit ?? DEFAULT_MALFORMED_LIMIT),
    malformedWindowMs: positiveInt(w, 'malformedWindowMs', t.malformedWindowMs ?? DEFAULT_MALFORMED_WINDOW_MS),
  }
}
