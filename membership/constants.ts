// Defaults for the SWIM core, modelled on hashicorp/memberlist's DefaultLANConfig
// (config.go). Each value says what it costs; profiles in config.ts derive from these.

/**
 * Time between probes of one member. A crashed member is first probed, on average, within
 * about one interval (each member is probed once per round of N intervals by each node, so
 * by someone about once per interval). Cost: one ping + one ack per member per interval.
 */
export const PROBE_INTERVAL_MS = 1000

/**
 * How long a direct ping waits for its ack before asking relays. Must sit well above the
 * network's 99th-percentile round trip; memberlist's LAN value.
 */
export const PROBE_TIMEOUT_MS = 500

/** Relays asked with ping-req when a direct ping fails (SWIM's k). Cost: 4 messages each. */
export const INDIRECT_CHECKS = 3

/**
 * Each update is piggybacked retransmitMult × ceil(log10(n + 1)) times by each node that
 * holds it (memberlist `retransmitLimit`): 4 → 12 sends at n = 100, 20 at n = 10,000.
 */
export const RETRANSMIT_MULT = 4

/**
 * Suspicion timeout minimum = suspicionMult × max(1, log10(n)) × probeInterval:
 * 4 s at n ≤ 10, 12 s at n = 1,000, 16 s at n = 10,000. Longer gives a falsely accused member
 * more time to refute; shorter detects faster.
 */
export const SUSPICION_MULT = 4

/**
 * Lifeguard: the suspicion timeout starts at this multiple of the minimum and shrinks with
 * independent confirmations (memberlist's 6). With Lifeguard off it is 1 (fixed timeout).
 */
export const SUSPICION_MAX_TIMEOUT_MULT = 6

/**
 * Expiry checks (expiry-check.ts, our extension of the buddy system): pings a suspecter sends
 * the suspect itself before its suspicion expires, a probe timeout apart (stretched by the
 * health score, so a slow node checks earlier). With 10 % loss each way a check fails 19 %
 * of the time; 4 all fail 0.13 % of the time (2 did 3.6 %: 4 false deaths remained at
 * N = 1,000 in the simulator's degraded run). Cost: 4 pings per suspicion still held near its
 * deadline — for a real crash, by every member, once.
 */
export const EXPIRY_CHECKS = 4

/**
 * Lifeguard: a node's health score stretches its probe interval and timeout up to this
 * factor (memberlist's 8: at worst one probe per 8 s with a 4 s timeout).
 */
export const AWARENESS_MAX_MULTIPLIER = 8

/**
 * Full-state exchange with one random member, for joins and for healing partitions. Scaled
 * by ceil(log2(n) − log2(32)) + 1 above 32 members (memberlist `pushPullScale`): 30 s at
 * n ≤ 32, 180 s at n = 1,000, 300 s at n = 10,000, because each exchange costs O(state).
 */
export const PUSH_PULL_INTERVAL_MS = 30_000

/** Cluster size above which the push-pull interval grows with log2(n) (memberlist's 32). */
export const PUSH_PULL_SCALE_THRESHOLD = 32

/**
 * Gossip tick: when updates are waiting, send them to gossipNodes members. Nothing is sent
 * when there is nothing to say, so a quiet cluster pays only the probe traffic.
 */
export const GOSSIP_INTERVAL_MS = 200

/** Members gossiped to per gossip tick. Dissemination takes about log_{fanout}(n) ticks. */
export const GOSSIP_NODES = 3

/**
 * Byte budget for updates piggybacked on one message: memberlist's UDP buffer (1400 B, under
 * a typical 1500 B MTU). About 80 updates with short ids, about 20 with 52-char peer ids.
 */
export const MAX_PIGGYBACK_BYTES = 1400

/**
 * Members in one push-pull message. memberlist sends its whole state (up to 20 MB); at
 * 10,000 members that is about 0.3 MB per exchange and O(n) work for the receiver, so
 * above this bound a node sends itself plus a rotating window of its view, and the
 * remainder arrives in later exchanges and by gossip. 1,024 × ~10-70 B ≈ 10-70 kB; at
 * n = 10,000 (interval 300 s) about 7 members per node per period.
 */
export const MAX_PUSH_PULL_MEMBERS = 1024

/**
 * Updates held for piggybacking. When more are waiting, the most-retransmitted are dropped
 * first (they have spread furthest). Cost: one small byte array each.
 */
export const MAX_BROADCAST_QUEUE = 4096

/** Open ping-req relays held at once; past it the oldest is dropped (no ack, no nack). */
export const MAX_RELAYS = 128

/** Members this node will track. Alive updates for new members past it are refused and counted. */
export const MAX_MEMBERS = 1 << 20

/**
 * A push-pull reply that echoes an epoch *below* this node's own is reported as a twin only
 * once this node has run this long (twin.ts). Before, it may be the late answer to a request
 * of this node's previous life: the peer queued it while the old connection broke and its
 * frame stream dialled the id again (reaching the new process) within its open timeout, 2 s
 * (lib/networking/swim-service.ts, SWIM_OPEN_TIMEOUT_MS). 10 s is five times that.
 */
export const PREVIOUS_LIFE_ECHO_GRACE_MS = 10_000

/** Other processes (epochs) found running with this node's id that the core remembers; more are not reported. */
export const MAX_TWIN_EPOCHS = 64

/** A join push-pull with no reply is retried after this long... */
export const JOIN_RETRY_MS = 2000
/** ...this many times in all. */
export const MAX_JOIN_ATTEMPTS = 5

// Wire bounds (codec.ts). Every length off the wire is checked against one of these before
// anything is allocated.

/** A member id (a libp2p peer id is 52 chars in base58; room to spare). */
export const MAX_ID_BYTES = 128
/** One address (a multiaddr string). */
export const MAX_ADDR_BYTES = 256
/** Addresses carried per member. */
export const MAX_ADDRS = 16
/** Updates in one message: the piggyback budget cannot hold more than this anyway. */
export const MAX_UPDATES = 512
/** Members in one push-pull message that a receiver accepts (senders use MAX_PUSH_PULL_MEMBERS). */
export const MAX_PUSH_PULL_MEMBERS_WIRE = 65_536
/** Incarnations are unsigned 32-bit, as in memberlist. */
export const MAX_INCARNATION = 0xffffffff
/** Epochs (a run's start, ms of the wall clock, or any per-start number) fit a float64 exactly. */
export const MAX_EPOCH = Number.MAX_SAFE_INTEGER
/** Sequence numbers wrap below 2^32 so they stay small varints. */
export const MAX_SEQ = 0xffffffff
