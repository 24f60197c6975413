// The store layer: pure, no I/O. Public surface of lib/store/.
export { S3FifoStore } from './s3fifo.ts'
export type { S3FifoStoreInit, StoreTuning, StoreEntry, StoreSetOptions, StoreStats } from './s3fifo.ts'
export { GhostKindCode, type GhostEntry, type GhostKind } from './ghost.ts'
export type { HotKeyStats } from './hot-ring.ts'
export {
  DEFAULT_ENTRY_OVERHEAD_BYTES,
  DEFAULT_GHOST_RATIO,
  DEFAULT_HOT_KEYS_MAX,
  DEFAULT_PROMOTION_THRESHOLD,
  DEFAULT_SMALL_RATIO,
  MAIN_REINSERT_FREQ_CAP,
} from './constants.ts'
