// Defaults of the cache node (createCacheNode), each with where it comes from. Those of
// replication decisions are defined once, with the replication engine's (lib/replication/
// options.ts), and re-exported here.

import { DEFAULT_MALFORMED_WINDOW_MS } from '../replication/index.ts'

export {
  DEFAULT_ACK_TIMEOUT_MS,
  DEFAULT_ANTI_ENTROPY_INTERVAL_MS,
  DEFAULT_BATCH_INTERVAL_MS,
  DEFAULT_BATCH_MAX_BYTES,
  DEFAULT_BATCH_MAX_DELTAS,
  DEFAULT_GAP_GRACE_MS,
  DEFAULT_GOSSIP_ABOVE_MEMBERS,
  DEFAULT_MALFORMED_LIMIT,
} from '../replication/index.ts'

/** Listen on loopback, any free port: nothing is exposed unless the user asks. */
export const DEFAULT_LISTEN = ['/ip4/127.0.0.1/tcp/0'] as const

/** Cluster name: part of the gossipsub topic `also-cache/<cluster>/deltas/1`. */
export const DEFAULT_CLUSTER = 'default'

/** Store capacity: 64 MiB of charges (see S3FifoStore's entryOverheadBytes). */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024

/** Bytes one repair answer may carry (a range, or a since(T) fallback); a warm-up request pulls as much per chunk. */
export const DEFAULT_REPAIR_MAX_BYTES = 8 * 1024 * 1024

/** Peers a warm-up streams from at once, each a slice of the key-hash space. */
export const DEFAULT_WARMUP_PEERS = 2

/** Longest `close()` waits for the SWIM "left" broadcast to go out. */
export const DEFAULT_LEAVE_TIMEOUT_MS = 1_000

/** The window over which malformed messages are counted. */
export const MALFORMED_WINDOW_MS = DEFAULT_MALFORMED_WINDOW_MS

/** How long a peer past the malformed limit is refused. */
export const DEFAULT_BAN_MS = 60_000

/** Peers whose malformed counts are tracked at once (oldest dropped first). */
export const MAX_TRACKED_OFFENDERS = 1024
