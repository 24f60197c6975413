// The store layer: pure, no I/O. Public surface of lib/store/.
export { S3FifoStore } from './s3fifo.ts'
export type { S3FifoStoreInit, StoreEntry, StoreSetOptions, StoreStats } from './s3fifo.ts'
export type { GhostEntry, GhostKind } from './ghost.ts'
export {
  DEFAULT_ENTRY_OVERHEAD_BYTES,
  DEFAULT_GHOST_RATIO,
  DEFAULT_PROMOTION_THRESHOLD,
  DEFAULT_SMALL_RATIO,
} from './constants.ts'
