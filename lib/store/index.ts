// The store layer: pure, no I/O. Public surface of lib/store/.
export { S3FifoStore } from './s3fifo.ts'
export type { S3FifoStoreInit, StoreEntry, StoreSetOptions, StoreStats } from './s3fifo.ts'
export type { GhostEntry, GhostKind } from './ghost.ts'
export type { HotKeyStats } from './hot-ring.ts'
export {
  DEFAULT_ENTRY_OVERHEAD_BYTES,
  DEFAULT_GHOST_RATIO,
  DEFAULT_HOT_KEYS_MAX,
  DEFAULT_PROMOTION_THRESHOLD,
  DEFAULT_SMALL_RATIO,
} from './constants.ts'
export {
  decodeHint,
  DEFAULT_HINT_ABSENT_KEYS_MAX,
  DEFAULT_HINT_BOOST_FREQ,
  DEFAULT_HINT_BYTES_PER_ROUND,
  DEFAULT_HINT_KEY_BYTES_MAX,
  DEFAULT_HINT_KEYS_PER_ROUND,
  encodeHint,
  HINT_FORMAT_VERSION,
  HINT_KEY_BYTES_MAX,
  HINT_KEYS_MAX,
  HINT_MESSAGE_BYTES_MAX,
  HintReceiver,
} from './hints.ts'
export type { Hint, HintReceiverInit, HintReceiverStats, HintStore } from './hints.ts'
