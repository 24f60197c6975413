// also-cache: the public API. What a user calls, and the types of its arguments and results;
// each name here is a semver promise (docs/api.md lists them). The sans-IO replica core, for
// tests and simulations, is the subpath `also-cache/replica` (lib/replica.ts).

// The cache node.
export { createCacheNode, CacheNode, loaded } from './node/index.ts'
export type {
  AckOptions,
  CacheEntry,
  CacheNodeEventMap,
  CacheNodeInit,
  ClearOptions,
  DeleteWriteOptions,
  DeltaDropped,
  DroppedReason,
  GetOrLoadOptions,
  GetOrLoadStatus,
  GetOrLoadStatusName,
  HotKeyHintsStats,
  HotKeyHintsTuning,
  IdentityConflict,
  InternalError,
  JoinFailed,
  KeyChanged,
  KeyChangeOp,
  Loaded,
  LoadedEntry,
  LoaderFn,
  ValueCodec,
  ValueCodecOption,
  NodeStats,
  PeerBanned,
  SetManyEntry,
  SnapshotRefused,
  SnapshotState,
  SyncDone,
  SyncProgress,
  TakeoverStats,
  WriteOptions,
  WriteResult,
} from './node/index.ts'
export type { Member, MemberStateName, SwimConfigInit } from '../membership/index.ts'
export type { Hlc, ReplicaStats, Version } from '../crdt/index.ts'

// The store, alone in one process (also the replica's storage).
export { S3FifoStore } from './store/index.ts'
export type { GhostEntry, GhostKind, S3FifoStoreInit, StoreEntry, StoreSetOptions, StoreStats, StoreTuning } from './store/index.ts'

// Operations: Prometheus text for stats(), and a key for a private cluster.
export { renderPrometheus, PROMETHEUS_CONTENT_TYPE } from './node/index.ts'
export { generateClusterKey } from './networking/index.ts'

// What a write may be (README "What a write may be"): the bounds a caller can check its input against.
export { MAX_KEY_BYTES, MAX_TAG_BYTES, MAX_TAGS_PER_ENTRY, MAX_TTL_MS, MAX_WRITE_VALUE_BYTES } from '../crdt/index.ts'
export { MAX_TAGS_PER_INVALIDATION, MAX_TIMEOUT_MS } from './node/index.ts'

// Errors: every error thrown on purpose is an AlsoCacheError with a stable `code`.
export { AlsoCacheError, EntryTooLargeError } from './foundation/index.ts'
export { WriteRefusedError, YjsValueError } from '../crdt/index.ts'
export type { WriteArgument } from '../crdt/index.ts'
export {
  AckRefusedError,
  AckTimeoutError,
  LoaderError,
  ValueCodecError,
  LoaderTimeoutError,
  NodeClosedError,
  SnapshotError,
} from './node/index.ts'
export type { AckRefusal, SnapshotErrorReason } from './node/index.ts'
export { IdentityFileError, IdentityInUseError, InvalidClusterKeyError, ListenError } from './networking/index.ts'
