// also-cache: the public API. Everything a user imports comes from here.
export { S3FifoStore } from './store/index.ts'
export type { S3FifoStoreInit, StoreEntry, StoreSetOptions, StoreStats, GhostEntry, GhostKind } from './store/index.ts'
export { AlsoCacheError, DecodeError, DecodeErrorCode, EntryTooLargeError } from './errors.ts'
