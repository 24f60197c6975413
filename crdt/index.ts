// The replica core: hybrid logical clock, version order, LWW map over the S3-FIFO store with
// tombstones, ghosts and horizon, yjs-mergeable values, and the delta codec. Pure: no I/O, no
// timers, no clock reads. The node is this core plus transport. docs/replication.md is the
// theory of operation.
export { Replica } from './replica.ts'
export type {
  ApplyResult,
  DeleteOptions,
  DropReason,
  ReplicaDigest,
  SinceOptions,
  ReplicaEntry,
  ReplicaInit,
  ReplicaStats,
  ReplicaStoreInit,
  SetOptions,
} from './replica.ts'
export { HybridLogicalClock, HLC_ZERO, hlcFromParts, hlcLogical, hlcPhysicalMs, isHlc } from './hlc.ts'
export type { Hlc, HybridLogicalClockInit } from './hlc.ts'
export { compareVersions, isVersion, makeVersion, maxVersion, ZERO_VERSION } from './version.ts'
export type { Version } from './version.ts'
export { DeltaOp, makeDelta, originKey } from './delta.ts'
export type { Delta, Origin } from './delta.ts'
export { assertDelta, decodeDeltas, deltaEncodedBytesMax, DELTA_FORMAT_VERSION, DeltaOpCode, encodeDeltas } from './codec.ts'
export { batchId, BATCH_ID_FORMAT, MAX_BATCH_ID_HEADER_BYTES } from './batch-id.ts'
export { chunkDeltas, encodeChunks, newChunkTally, receivableEntryBytes, travelForm } from './chunks.ts'
export type { ValueCopy } from './value-copier.ts'
export type { ChunkOptions, ChunkTally } from './chunks.ts'
export { OriginLog } from './origin-log.ts'
export type { OriginLogInit } from './origin-log.ts'
export { SeqTracker } from './seq-tracker.ts'
export type { OriginProgress, SeqGap, SeqTrackerInit } from './seq-tracker.ts'
export { EMPTY_YJS_STATE, foldYjsUpdates } from './yjs-value.ts'
export { ClockDriftError, YjsValueError } from './errors.ts'
export {
  WriteRefusedError,
  keyProblem,
  tagProblem,
  tagsProblem,
  ttlProblem,
  userVersionProblem,
  valueProblem,
  refuse,
} from './admission.ts'
export type { WriteArgument } from './admission.ts'
export {
  DEFAULT_LOG_MAX_BYTES,
  DEFAULT_MAX_CLEAR_RANGES,
  DEFAULT_LOG_MAX_DELTAS,
  DEFAULT_MAX_CLOCK_DRIFT_MS,
  DEFAULT_MAX_RANGES_PER_ORIGIN,
  DEFAULT_MAX_TRACKED_ORIGINS,
  HLC_LOGICAL_BITS,
  HLC_MAX_PHYSICAL_MS,
  MAX_BATCH_BYTES,
  MAX_DELTAS_PER_BATCH,
  MAX_KEY_BYTES,
  MAX_TAG_BYTES,
  MAX_TAGS_PER_ENTRY,
  DEFAULT_MAX_TAG_INVALIDATIONS,
  MAX_NODE_ID_BYTES,
  MAX_NODES_PER_BATCH,
  MAX_ORIGINS_PER_BATCH,
  MAX_VALUE_BYTES,
  MAX_FRAME_BYTES,
  MAX_TTL_MS,
  MAX_WRITE_VALUE_BYTES,
} from './constants.ts'
export { MAX_DIGEST_ORIGINS, readDigest, readOrigin, writeDigest, writeOrigin } from './digest-codec.ts'
export { DELTA_OUTCOMES, type DeltaOutcome } from './outcomes.ts'
