// Options of S3FifoStore: the init type (every field optional but maxBytes, each with its
// default and cost) and their validation, resolved once at construction.

import {
  DEFAULT_ENTRY_OVERHEAD_BYTES,
  DEFAULT_ESTIMATED_ENTRIES,
  DEFAULT_GHOST_RATIO,
  DEFAULT_PROMOTION_THRESHOLD,
  DEFAULT_SMALL_RATIO,
  FREQ_SATURATION,
} from './constants.ts'
import { intInRange, nonNegativeInt, numberInRange, positiveInt } from '../foundation/index.ts'

/** Largest hot-key ring accepted (8 MiB of references): a bound, not a recommendation. */
const MAX_HOT_KEYS = 1 << 20

/**
 * The store's tuning: every option but its capacity and the hooks its owner wires (`now`,
 * `onForget`). What a replica (ReplicaStoreInit) and a node (CacheNodeInit.store) pass through.
 */
export interface StoreTuning {
  /**
   * Optional second bound, on the number of entries. Absent: only bytes bound the store.
   * @default Infinity
   */
  maxEntries?: number
  /**
   * Share of `maxBytes` for the small FIFO, where new keys wait to prove themselves. It also
   * caps one entry: an entry is admitted only if its charge is below floor(maxBytes ×
   * smallRatio) (see `maxEntryBytes`). Range (0, 1).
   * @default 0.1 (the paper's and libCacheSim's value)
   */
  smallRatio?: number
  /**
   * Bound of the ghost FIFO as a share of `maxBytes`, in the charges of the entries it
   * remembers. The ghost holds key + version + kind only, so its heap is a fraction of that.
   * 0 disables both ghost admission and tombstones (every forgotten version goes straight to
   * `onForget`). Range [0, 10].
   * @default 0.9 (libCacheSim's value)
   */
  ghostRatio?: number
  /**
   * Hits an entry needs while in the small FIFO to be promoted to main instead of dropped to
   * the ghost. Integer in [1, 255].
   * @default 2 (libCacheSim's default; the paper's prose uses 1)
   */
  promotionThreshold?: number
  /**
   * Fixed charge per entry on top of key and value bytes, so `maxBytes` approximates heap.
   * Ignored when `sizeOf` is given.
   * @default 288 (measured heap per entry beyond key and value bytes; see constants.ts)
   */
  entryOverheadBytes?: number
  /**
   * Custom charge of an entry; must return a positive safe integer. Called on every write,
   * so keep it cheap (it must not touch the store). `() => 1` turns maxBytes into an entry
   * count.
   * @default UTF-8 key bytes + value.byteLength + entryOverheadBytes
   */
  sizeOf?: (key: string, value: Uint8Array) => number
  /**
   * Slots to allocate up front; they double when full. Only an estimate: bytes decide.
   * @default 1024
   */
  estimatedEntries?: number
  /**
   * Capacity of the hot-key ring: keys promoted to main since the last `drainHotKeys`, for the
   * node's hot-key hints (docs/hints.md). When full, the oldest key is
   * overwritten (counted in `hotKeysOverwritten`). 0: no ring, nothing recorded (a cache used
   * alone, or a node with hints off, needs none). Cost: 8 B per slot up front, one array
   * write per promotion; `get` is untouched. Integer in [0, 1,048,576]; a node
   * with hints on uses DEFAULT_HOT_KEYS_MAX (1,024).
   * @default 0
   */
  hotKeysMax?: number
}

export interface S3FifoStoreInit<V = unknown> extends StoreTuning {
  /**
   * Capacity in bytes: the sum of the charges of the entries held never exceeds it. An
   * entry's charge is its UTF-8 key bytes + value bytes + `entryOverheadBytes`, or
   * `sizeOf(key, value)` when given. Required; must make `maxBytes × smallRatio ≥ 2`.
   */
  maxBytes: number
  /**
   * Clock for expiry checks, in ms comparable with `expiresAt`. Read at most once per
   * operation, and only when an entry with a TTL is involved.
   * @default Date.now
   */
  now?: () => number
  /**
   * Called when the store forgets a key's version for good: a ghost falls out of the ghost
   * FIFO, an entry is dropped from main (main drops skip the ghost, as in the paper), or a
   * ghost is too large to remember. The replica raises its horizon here (G4, README). Runs
   * synchronously inside the store operation: it must not call back into the store.
   */
  onForget?: (key: string, version: V | undefined) => void
}

export interface ResolvedStoreOptions<V> {
  maxBytes: number
  maxEntries: number
  smallCapacityBytes: number
  mainCapacityBytes: number
  ghostCapacityBytes: number
  promotionThreshold: number
  entryOverheadBytes: number
  sizeOf: ((key: string, value: Uint8Array) => number) | undefined
  now: () => number
  estimatedEntries: number
  onForget: ((key: string, version: V | undefined) => void) | undefined
  hotKeysMax: number
}

export function resolveStoreOptions<V>(init: S3FifoStoreInit<V>): ResolvedStoreOptions<V> {
  if (init === null || typeof init !== 'object') throw new TypeError('S3FifoStore: options object required ({ maxBytes })')
  const maxBytes = positiveInt('S3FifoStore', 'maxBytes', init.maxBytes)
  const maxEntries = init.maxEntries ?? Infinity
  if (maxEntries !== Infinity && (!Number.isSafeInteger(maxEntries) || maxEntries <= 0)) {
    throw new TypeError(`S3FifoStore: maxEntries must be a positive integer or absent, got ${String(maxEntries)}`)
  }
  const smallRatio = init.smallRatio ?? DEFAULT_SMALL_RATIO
  if (typeof smallRatio !== 'number' || !(smallRatio > 0 && smallRatio < 1)) {
    throw new TypeError(`S3FifoStore: smallRatio must be in (0, 1), got ${String(smallRatio)}`)
  }
  const ghostRatio = numberInRange('S3FifoStore', 'ghostRatio', init.ghostRatio ?? DEFAULT_GHOST_RATIO, 0, 10)
  const promotionThreshold = init.promotionThreshold ?? DEFAULT_PROMOTION_THRESHOLD
  intInRange('S3FifoStore', 'promotionThreshold', promotionThreshold, 1, FREQ_SATURATION)
  const entryOverheadBytes = nonNegativeInt('S3FifoStore', 'entryOverheadBytes', init.entryOverheadBytes ?? DEFAULT_ENTRY_OVERHEAD_BYTES)
  if (init.sizeOf !== undefined && typeof init.sizeOf !== 'function') {
    throw new TypeError('S3FifoStore: sizeOf must be a function (key, value) => bytes')
  }
  if (init.now !== undefined && typeof init.now !== 'function') {
    throw new TypeError('S3FifoStore: now must be a function returning ms')
  }
  if (init.onForget !== undefined && typeof init.onForget !== 'function') {
    throw new TypeError('S3FifoStore: onForget must be a function (key, version) => void')
  }
  const estimatedEntries = positiveInt('S3FifoStore', 'estimatedEntries', init.estimatedEntries ?? DEFAULT_ESTIMATED_ENTRIES)
  const hotKeysMax = intInRange('S3FifoStore', 'hotKeysMax', init.hotKeysMax ?? 0, 0, MAX_HOT_KEYS)
  // floor() as libCacheSim sizes its queues; both floors are part of the exact replay.
  const smallCapacityBytes = Math.floor(maxBytes * smallRatio)
  if (smallCapacityBytes < 2) {
    throw new TypeError(
      `S3FifoStore: maxBytes × smallRatio must be at least 2 (got ${maxBytes} × ${smallRatio}); ` +
        'no entry could be admitted: raise maxBytes',
    )
  }
  return {
    maxBytes,
    maxEntries,
    smallCapacityBytes,
    mainCapacityBytes: maxBytes - smallCapacityBytes,
    ghostCapacityBytes: Math.floor(maxBytes * ghostRatio),
    promotionThreshold,
    entryOverheadBytes,
    sizeOf: init.sizeOf,
    now: init.now ?? Date.now,
    estimatedEntries,
    onForget: init.onForget,
    hotKeysMax,
  }
}
