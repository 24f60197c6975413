// The node layer: wires replica, membership and networking together. Public surface.
export { CacheNode, createCacheNode } from './cache-node.ts'
export type { NodeStats } from './cache-node.ts'
export type { CacheNodeInit } from './options.ts'
export type { CacheEntry, CacheNodeEventMap, DeltaDropped, DroppedReason, JoinFailed, PeerBanned, SnapshotRefused, IdentityConflict, SyncDone, SyncProgress, WriteOptions } from './events.ts'
export { AckTimeoutError } from './acks.ts'
export { LoaderError } from './get-or-load.ts'
export type { GetOrLoadOptions, Loaded, LoaderFn } from './get-or-load.ts'
