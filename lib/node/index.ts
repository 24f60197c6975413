// The node layer: wires replica, membership and networking together. Public surface.
export { CacheNode, createCacheNode } from './cache-node.ts'
export type { NodeStats } from './stats.ts'
export type { CacheNodeInit } from './options.ts'
export type { HotKeyHintsTuning } from '../hints/index.ts'
export type {
  CacheEntry,
  CacheNodeEventMap,
  DeltaDropped,
  DroppedReason,
  IdentityConflict,
  InternalError,
  JoinFailed,
  KeyChanged,
  KeyChangeOp,
  PeerBanned,
  SnapshotRefused,
  SyncDone,
  SyncProgress,
  AckOptions,
  ClearOptions,
  DeleteWriteOptions,
  WriteOptions,
  WriteResult,
} from './events.ts'
export { NodeClosedError } from './errors.ts'
export { MAX_TIMEOUT_MS } from './write-options.ts'
export { MAX_TAGS_PER_INVALIDATION } from './cache-node.ts'
export type { SetManyEntry } from './write-batch.ts'
export { AckRefusedError, AckTimeoutError } from './acks.ts'
export type { AckRefusal } from './acks.ts'
export { DEFAULT_LOADER_TIMEOUT_MS, loaded, LoaderError, LoaderTimeoutError } from './get-or-load.ts'
export type { LoadedEntry } from './get-or-load.ts'
export { ValueCodecError } from './value-codec.ts'
export type { ValueCodec, ValueCodecOption } from './value-codec.ts'
export type { GetOrLoadOptions, GetOrLoadStatus, GetOrLoadStatusName, Loaded, LoaderFn } from './get-or-load.ts'

// For the CLI and the public API (lib/index.ts); not all of it is public.
export { DEFAULT_LISTEN } from './constants.ts'
export { checkWriteOptions, type CheckedWriteOptions } from './write-options.ts'
export { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from './prometheus.ts'
export { SnapshotError, type SnapshotErrorReason, type SnapshotState } from './snapshot.ts'
export type { TakeoverStats, TakeoverWindow } from './takeover.ts'
export type { HotKeyHintsStats } from '../hints/index.ts'
