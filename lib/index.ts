// also-cache: the public API. Everything a user imports comes from here.
export { S3FifoStore } from './store/index.ts'
export type { S3FifoStoreInit, StoreEntry, StoreSetOptions, StoreStats, GhostEntry, GhostKind } from './store/index.ts'
export { AlsoCacheError, DecodeError, DecodeErrorCode, EntryTooLargeError } from './errors.ts'
export { createCacheNode, CacheNode, AckTimeoutError, LoaderError } from './node/index.ts'
export type { CacheNodeInit, NodeStats, CacheEntry, CacheNodeEventMap, DeltaDropped, DroppedReason, SyncDone, SyncProgress, WriteOptions, GetOrLoadOptions, Loaded, LoaderFn } from './node/index.ts'
export { Replica, compareVersions, encodeDeltas, decodeDeltas, ClockDriftError, YjsValueError } from '../crdt/index.ts'
export type { Delta, Version, Hlc, ReplicaInit, ApplyResult } from '../crdt/index.ts'
export type { Member, MemberStateName } from '../membership/index.ts'
