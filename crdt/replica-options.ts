// Options of Replica: the init type (each field with its default and cost) and their
// validation, resolved once at construction.

import type { S3FifoStoreInit, StoreTuning } from '../lib/store/index.ts'
import { DEFAULT_MAX_CLEAR_RANGES, DEFAULT_MAX_CLOCK_DRIFT_MS, DEFAULT_MAX_TAG_INVALIDATIONS, MAX_NODE_ID_BYTES } from './constants.ts'
import type { OriginLogInit } from './origin-log.ts'
import type { SeqTrackerInit } from './seq-tracker.ts'
import type { ValueCopy } from './value-copier.ts'
import type { Version } from './version.ts'
import { intInRange, nonNegativeInt, nonNegativeNumber } from '../lib/foundation/index.ts'

/** Store tuning for the replica's S3FifoStore; the replica owns its clock and onForget. */
export interface ReplicaStoreInit extends StoreTuning {
  /** The store's capacity (S3FifoStoreInit.maxBytes), when ReplicaInit.maxBytes is not given. */
  maxBytes?: number
}

export interface ReplicaInit {
  /**
   * This node's id (its libp2p peer id): the last tie-breaker of the version order and the
   * origin of its deltas. A non-empty string of at most 256 UTF-8 bytes. Required.
   */
  nodeId: string
  /**
   * This run of the node: must differ at every start (the node passes its start time in ms,
   * or a counter it persists), so a restarted node's seq can start again at 1 without its new
   * deltas being taken for duplicates of its old ones (docs/replication.md §6). A safe integer ≥ 0.
   * @default 0 (fine for a replica that is never restarted, e.g. in tests)
   */
  epoch?: number
  /**
   * Capacity of the store in bytes (see S3FifoStoreInit.maxBytes); required unless
   * `store.maxBytes` is given. Ghosts and tombstones take up to ghostRatio (0.9) × this on top,
   * in charges.
   */
  maxBytes?: number
  /** Further store tuning (smallRatio, ghostRatio, entryOverheadBytes, ...). @default {} */
  store?: ReplicaStoreInit
  /**
   * Largest lead of a remote hlc over local time that `apply` accepts (G7); deltas further
   * ahead are 'dropped' and counted. See HybridLogicalClockInit.maxClockDriftMs.
   * @default 60_000 (DEFAULT_MAX_CLOCK_DRIFT_MS)
   */
  maxClockDriftMs?: number
  /**
   * How `apply` copies a remote value before it enters the store: 'each' (a buffer per value:
   * memory exactly as charged) or 'slab' (64 KiB shared slabs: ~2× the apply throughput for
   * small values, but a slab lives while any of its values does: measured 9.1 bytes kept per
   * byte held when 1 value in 10 survives eviction). See value-copier.ts for why 'each' is
   * the default.
   * @default 'each'
   */
  valueCopy?: ValueCopy
  /** Bounds of this replica's own replication log (gap repair). @default {} (65,536 deltas, 16 MiB) */
  log?: OriginLogInit
  /** Bounds of the receive-progress tracker. @default {} (1,024 origins, 64 ranges each) */
  tracker?: SeqTrackerInit
  /**
   * Range clears kept before the two oldest fold into a clear of everything (crdt/clears.ts).
   * Integer in [2, 65,536].
   * @default 1024 (DEFAULT_MAX_CLEAR_RANGES)
   */
  maxClearRanges?: number
  /**
   * Tags whose latest invalidation is kept before the oldest goes into the tag floor
   * (crdt/tags.ts). Integer in [1, 1,048,576].
   * @default 16,384 (DEFAULT_MAX_TAG_INVALIDATIONS)
   */
  maxTagInvalidations?: number
}

export interface ResolvedReplicaOptions {
  nodeId: string
  epoch: number
  store: S3FifoStoreInit<Version>
  maxClockDriftMs: number
  log: OriginLogInit
  tracker: SeqTrackerInit
  valueCopy: ValueCopy
  maxClearRanges: number
  maxTagInvalidations: number
}

export function resolveReplicaOptions(init: ReplicaInit): ResolvedReplicaOptions {
  if (init === null || typeof init !== 'object') throw new TypeError('Replica: options object required ({ nodeId, maxBytes })')
  const { nodeId } = init
  if (typeof nodeId !== 'string' || nodeId.length === 0 || Buffer.byteLength(nodeId) > MAX_NODE_ID_BYTES) {
    throw new TypeError(`Replica: nodeId must be a non-empty string of at most ${MAX_NODE_ID_BYTES} UTF-8 bytes`)
  }
  const epoch = nonNegativeInt('Replica', 'epoch', init.epoch ?? 0)
  const maxBytes = init.maxBytes ?? init.store?.maxBytes
  if (maxBytes === undefined) throw new TypeError('Replica: maxBytes is required (the store has no default capacity)')
  const maxClockDriftMs = nonNegativeNumber('Replica', 'maxClockDriftMs', init.maxClockDriftMs ?? DEFAULT_MAX_CLOCK_DRIFT_MS)
  return {
    nodeId,
    epoch,
    store: { ...init.store, maxBytes },
    maxClockDriftMs,
    log: init.log ?? {},
    tracker: init.tracker ?? {},
    valueCopy: init.valueCopy ?? 'each',
    maxClearRanges: intInRange('Replica', 'maxClearRanges', init.maxClearRanges ?? DEFAULT_MAX_CLEAR_RANGES, 2, 65_536),
    maxTagInvalidations: intInRange(
      'Replica',
      'maxTagInvalidations',
      init.maxTagInvalidations ?? DEFAULT_MAX_TAG_INVALIDATIONS,
      1,
      1 << 20,
    ),
  }
}
