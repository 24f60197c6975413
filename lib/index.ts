// also-cache: the public API. Everything a user imports comes from here.

// The store (single-process use, and the replica's storage).
export { S3FifoStore } from './store/index.ts'
export type { S3FifoStoreInit, StoreTuning, StoreEntry, StoreSetOptions, StoreStats, GhostEntry, GhostKind } from './store/index.ts'

// The cache node.
export {
  createCacheNode,
  CacheNode,
  AckRefusedError,
  AckTimeoutError,
  LoaderError,
  LoaderTimeoutError,
  NodeClosedError,
  DEFAULT_LOADER_TIMEOUT_MS,
  MAX_TIMEOUT_MS,
} from './node/index.ts'
export type {
  AckRefusal,
  CacheNodeInit,
  NodeStats,
  CacheEntry,
  CacheNodeEventMap,
  DeltaDropped,
  DroppedReason,
  InternalError,
  JoinFailed,
  PeerBanned,
  SnapshotRefused,
  IdentityConflict,
  SyncDone,
  SyncProgress,
  WriteOptions,
  DeleteWriteOptions,
  AckOptions,
  WriteResult,
  GetOrLoadOptions,
  HotKeyHintsTuning,
  Loaded,
  LoaderFn,
} from './node/index.ts'
export { renderPrometheus, PROMETHEUS_CONTENT_TYPE } from './node/index.ts'
export { SnapshotError } from './node/index.ts'
export type { SnapshotErrorReason, SnapshotState } from './node/index.ts'
export { generateClusterKey, InvalidClusterKeyError } from './networking/index.ts'
export { IdentityFileError, IdentityInUseError } from './networking/index.ts'
export { ListenError } from './networking/index.ts'

// Errors shared by every layer.
export { AlsoCacheError, DecodeError, DecodeErrorCode, EntryTooLargeError } from './foundation/index.ts'

// The replica core (sans-IO): the same LWW map the node runs, for tests and simulations.
export * from '../crdt/index.ts'

// Membership types the node's API returns.
export type { Member, MemberStateName } from '../membership/index.ts'
