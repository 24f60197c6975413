// The sans-IO replication engine (docs/replication-engine.md): batching, fan-out with a
// byte-bounded queue per member, one apply path, gap repair, anti-entropy, acknowledgements and
// offender counting, with time as an argument; the frames of the replication stream; and the
// warm-up plan (which peer is asked which slice, what is baselined).
export { ReplicationEngine } from './engine.ts'
export type { ReplicationEngineInit } from './engine.ts'
export type { AckRefusal, ApplyOutcome, EngineOutput, ReplicationEngineStats } from './types.ts'
export {
  ACK_OUTCOMES,
  decodeFrame,
  encodeFrame,
  FrameKindCode,
  MAX_ACKS_PER_FRAME,
  MAX_DIGEST_ORIGINS,
  MAX_REPLICATION_FRAME_BYTES,
  REPLICATION_FRAME_VERSION,
} from './frames.ts'
export type { AckAnswer, AckOutcome, AckRequest, FrameKind, ReplicationFrame } from './frames.ts'
export {
  DEFAULT_ACK_RETRY_MS,
  DEFAULT_ACK_TIMEOUT_MS,
  DEFAULT_ANTI_ENTROPY_INTERVAL_MS,
  DEFAULT_BATCH_INTERVAL_MS,
  DEFAULT_BATCH_MAX_BYTES,
  DEFAULT_BATCH_MAX_DELTAS,
  DEFAULT_GAP_GRACE_MS,
  DEFAULT_GOSSIP_ABOVE_MEMBERS,
  DEFAULT_MALFORMED_LIMIT,
  DEFAULT_MALFORMED_WINDOW_MS,
  DEFAULT_MAX_QUEUE_BYTES,
  DEFAULT_REPAIR_ANSWER_MAX_BYTES,
  DEFAULT_REPAIR_TIMEOUT_MS,
  MAX_PENDING_ACKS,
  MAX_REPAIRS_IN_FLIGHT,
  MAX_SINCE_REQUESTS_PER_ROUND,
  MAX_TRACKED_PEERS,
} from './options.ts'
export type { ReplicationTuning } from './options.ts'
export { MAX_WARMUP_RETRY_REQUESTS, WarmupPlan } from './warmup-plan.ts'
export type { WarmupPlanInit, WarmupPlanOutput, WarmupPlanResult, WarmupSliceResult } from './warmup-plan.ts'
