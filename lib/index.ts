// also-cache: the public API. Everything a user imports comes from here.

// The store (single-process use, and the replica's storage).
export { S3FifoStore } from './store/index.ts'
export type { S3FifoStoreInit, StoreEntry, StoreSetOptions, StoreStats, GhostEntry, GhostKind } from './store/index.ts'

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
  WriteResult,
  GetOrLoadOptions,
  Loaded,
  LoaderFn,
} from './node/index.ts'
export { renderPrometheus, PROMETHEUS_CONTENT_TYPE } from './node/prometheus.ts'
export { SnapshotError } from './node/snapshot.ts'
export type { SnapshotErrorReason, SnapshotState } from './node/snapshot.ts'
export { generateClusterKey, InvalidClusterKeyError } from './networking/cluster-key.ts'
export { IdentityFileError, IdentityInUseError } from './networking/identity.ts'
export { ListenError } from './networking/listen-error.ts'

// Errors shared by every layer.
export { AlsoCacheError, DecodeError, DecodeErrorCode, EntryTooLargeError } from './errors.ts'

// The replica core (sans-IO): the same LWW map the node runs, for tests and simulations.
export * from '../crdt/index.ts'

// Membership types the node's API returns.
export type { Member, MemberStateName } from '../membership/index.ts'
