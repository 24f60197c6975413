// Defaults of the cache node (createCacheNode), each with where it comes from.

/** Listen on loopback, any free port: nothing is exposed unless the user asks. */
export const DEFAULT_LISTEN = ['/ip4/127.0.0.1/tcp/0'] as const

/** Cluster name: part of the gossipsub topic `also-cache/<cluster>/deltas/1`. */
export const DEFAULT_CLUSTER = 'default'

/** Store capacity: 64 MiB of charges (see S3FifoStore's entryOverheadBytes). */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024

/**
 * Deltas per gossip message. Measured with 3 processes on 2 cores, one publisher reached
 * ~150–170k deltas/s with 256 deltas per message, ~80k/s with 64 (docs/node.md, "Gossipsub:
 * what the node relies on"). A batch also flushes on DEFAULT_BATCH_MAX_BYTES or after
 * DEFAULT_BATCH_INTERVAL_MS.
 */
export const DEFAULT_BATCH_MAX_DELTAS = 256

/**
 * Bytes per gossip message (encoded). Far below gossipsub's 4 MiB cap: a message over a
 * receiver's inbound limit loses the whole stream from that peer (docs/node.md, "Gossipsub:
 * what the node relies on").
 */
export const DEFAULT_BATCH_MAX_BYTES = 512 * 1024

/**
 * Longest a write waits for its batch to fill before it is sent: bounds the replication lag
 * a lone write adds (the goal: p99 lag ≤ 10 ms).
 */
export const DEFAULT_BATCH_INTERVAL_MS = 2

/**
 * Period of anti-entropy: a digest exchange with one random live member, pulling whatever
 * gossip missed (tail losses included). Cost: one small request per period per node.
 */
export const DEFAULT_ANTI_ENTROPY_INTERVAL_MS = 2_000

/**
 * How long a seq gap may stay open before it is repaired: gossip over several mesh paths can
 * reorder, and a gap that closes by itself needs no request.
 */
export const DEFAULT_GAP_GRACE_MS = 100

/** How often open gaps are checked (and repaired once older than the grace). */
export const DEFAULT_REPAIR_INTERVAL_MS = 100

/** Bytes pulled by one repair request (a range, or a since(T) fallback). */
export const DEFAULT_REPAIR_MAX_BYTES = 8 * 1024 * 1024

/** Peers a warm-up streams from at once, each a slice of the key-hash space. */
export const DEFAULT_WARMUP_PEERS = 2

/** Deadline of an acknowledged write (G6) when the call gives none. */
export const DEFAULT_ACK_TIMEOUT_MS = 5_000

/** Longest `close()` waits for the SWIM "left" broadcast to go out. */
export const DEFAULT_LEAVE_TIMEOUT_MS = 1_000

/**
 * Malformed messages (any protocol) a peer may send within MALFORMED_WINDOW_MS before it is
 * disconnected and refused for DEFAULT_BAN_MS (G7). A healthy peer sends none: one version
 * mismatch during a rolling upgrade stays far below it.
 */
export const DEFAULT_MALFORMED_LIMIT = 10

/** The window over which malformed messages are counted. */
export const MALFORMED_WINDOW_MS = 60_000

/** How long a peer past the malformed limit is refused. */
export const DEFAULT_BAN_MS = 60_000

/** Peers whose malformed counts are tracked at once (oldest dropped first). */
export const MAX_TRACKED_OFFENDERS = 1024
