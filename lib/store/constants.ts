// Defaults of S3FifoStore, each with where it comes from. See s3fifo.ts for the algorithm.

/**
 * Share of the capacity given to the small (probationary) FIFO.
 * Yang et al., SOSP 2023, §4: 10% "works well across traces"; libCacheSim's default.
 */
export const DEFAULT_SMALL_RATIO = 0.1

/**
 * Bound of the ghost FIFO, as a share of the capacity, measured in the charges of the
 * entries it remembers (the ghost itself holds only key, version and kind).
 * libCacheSim's S3FIFO.c default; the paper's prose says "as many entries as the main queue",
 * i.e. 0.9 of the capacity.
 */
export const DEFAULT_GHOST_RATIO = 0.9

/**
 * Frequency an entry must reach in the small queue to be promoted to main when it reaches
 * the small queue's tail. 2 is libCacheSim's default (`S3FIFO-0.1000-2`); the paper's prose
 * and its author's blog use 1. Both reproduce libCacheSim exactly (test/store/traces.test.ts).
 */
export const DEFAULT_PROMOTION_THRESHOLD = 2

/**
 * Cap of the frequency counter when an entry is reinserted in main: it comes back with
 * min(freq, MAIN_REINSERT_FREQ_CAP) − 1. The paper uses a 2-bit counter (cap 3); quick-cache
 * uses the same `MAX_F`. On a hit the counter is NOT capped (libCacheSim increments it
 * freely); we saturate it at FREQ_SATURATION, which is equivalent for every threshold ≤ 255.
 */
export const MAIN_REINSERT_FREQ_CAP = 3

/** Where the hit counter saturates (Uint8Array); promotionThreshold must stay at or below it. */
export const FREQ_SATURATION = 255

/**
 * Fixed charge added to every entry on top of its UTF-8 key bytes and value bytes, so that
 * `maxBytes` approximates the heap an entry really costs. Measured with
 * `npm run bench -- store` at 1,000,000 entries of 100 B values (node 24, x64):
 *   store bookkeeping (index Map entry + slot arrays)   ≈  70 B
 * + a Uint8Array value's own objects (view + ArrayBuffer + backing store record) ≈ 200 B
 * + a key string's header                              ≈  16 B
 * ≈ 286 B, rounded to 288. Values that are views into one shared buffer cost less; pass a
 * smaller figure (or 0 to charge keys and values only) if yours are.
 */
export const DEFAULT_ENTRY_OVERHEAD_BYTES = 288

/**
 * Slots allocated up front. The byte capacity decides how many entries fit, so this is only
 * an estimate: the slab doubles when full (never grows in small steps).
 * Cost: a 16 B record per slot (8 B more once some entry has a TTL), allocated but not
 * touched until used (slots are handed out in order).
 */
export const DEFAULT_ESTIMATED_ENTRIES = 1024

/**
 * Slots inspected for expired entries on each write while some entry has a TTL: the
 * incremental reclamation that keeps expired entries from waiting for eviction. With k = 2,
 * a slab of n slots is swept in n/2 writes; reads also reclaim what they touch.
 */
export const EXPIRY_SWEEP_SLOTS_PER_WRITE = 2

/**
 * Capacity of the hot-key ring (hot-ring.ts) a node uses when hot-key hints are on: the
 * promotions to main remembered between two drains (one hint round,
 * lib/hints/rounds.ts). Cost: 8 B per slot (a key reference) allocated once, and one array
 * write per promotion on the eviction path. A round's hint carries at most
 * 32 distinct keys (DEFAULT_HINT_KEYS_PER_ROUND) and the drain looks at 4 × that; a round of
 * 1,000 requests (bench/takeover.ts) inserts at most 1,000 keys into a node, so a ring of
 * 1,024 holds about a round's promotions whole. The store's own default is 0 (no ring):
 * a cache used alone, or a node with hints off (their default, docs/takeover-results.md),
 * pays nothing.
 */
export const DEFAULT_HOT_KEYS_MAX = 1024
