// Defaults and wire bounds of the replica core, each with where it comes from. Every bound
// here is part of the G7 promise (nothing unbounded): change one only with its reason.

/**
 * Logical-counter bits of a hybrid logical clock timestamp (see hlc.ts). 11 bits = 2,048
 * events per millisecond before the clock runs ahead of physical time; the other 42 bits hold
 * milliseconds since 1970, enough until the year 2109, and 42 + 11 = 53 bits fit a float64
 * exactly (Number.MAX_SAFE_INTEGER = 2^53 − 1).
 */
export const HLC_LOGICAL_BITS = 11
/** 2^HLC_LOGICAL_BITS: one physical millisecond in HLC units. */
export const HLC_LOGICAL_SCALE = 2 ** HLC_LOGICAL_BITS
/** 2^42 − 1 ms ≈ 2109-05-15: the last physical time an HLC can encode. */
export const HLC_MAX_PHYSICAL_MS = 2 ** (53 - HLC_LOGICAL_BITS) - 1

/**
 * How far ahead of local physical time a remote timestamp may be before it is refused (G7).
 * NTP keeps hosts within milliseconds, and a paused VM or a host without NTP drifts seconds to
 * minutes; 60 s accepts all of those (refusing a healthy node's writes would silently keep
 * them off this replica) and still stops a clock that is hours or years ahead from winning
 * every write for the rest of time: its writes win for at most 60 s of others' writes.
 */
export const DEFAULT_MAX_CLOCK_DRIFT_MS = 60_000

/**
 * Deltas kept in a replica's own replication log for gap repair (origin-log.ts). At the ~150k
 * deltas/s one gossipsub publisher reached (docs/node.md, "Gossipsub: what the node relies on")
 * this is about 0.4 s of a saturated writer, and minutes of an ordinary one; a receiver further
 * behind falls back to since(T).
 */
export const DEFAULT_LOG_MAX_DELTAS = 65_536
/** Byte bound of the replication log (value bytes + key bytes + fixed overhead per delta). */
export const DEFAULT_LOG_MAX_BYTES = 16 * 1024 * 1024
/** Charge per logged delta on top of its key and value bytes (object, version, origin refs). */
export const LOG_DELTA_OVERHEAD_BYTES = 96

/** Origins a replica tracks receive progress for (seq-tracker.ts); the least recent go first. */
export const DEFAULT_MAX_TRACKED_ORIGINS = 1024
/**
 * Disjoint seq ranges held above the contiguous prefix of one origin. More holes than this
 * means the gap is beyond what range repair can serve: the lowest holes are given up (and
 * reported as lost, so the node falls back to since(T)).
 */
export const DEFAULT_MAX_RANGES_PER_ORIGIN = 64

// ---- Wire bounds of the delta codec (codec.ts). Every length off the wire is checked
// against one of these before anything is allocated for it.

/** Whole encoded batch. Gossipsub caps messages at 4 MiB (docs/node.md); sync chunks may be larger. */
export const MAX_BATCH_BYTES = 16 * 1024 * 1024
/** One key, in UTF-8 bytes: the wire bound and the admission rule's bound (admission.ts). */
export const MAX_KEY_BYTES = 64 * 1024
/**
 * Tags on one entry (`set(key, value, { tags })`). Tags are held beside the entry and are not
 * part of its charge in maxBytes: this and MAX_TAG_BYTES bound what they add (2 KiB at most,
 * usually a few references to strings shared with the tag index).
 */
export const MAX_TAGS_PER_ENTRY = 16
/** One tag, in UTF-8 bytes (non-empty). */
export const MAX_TAG_BYTES = 128
/**
 * Tag invalidations a replica keeps (crdt/tags.ts), the latest per tag: each costs ~100 B plus
 * its tag. Past it, the oldest is forgotten into the tag floor: a tagged write stamped below it
 * that arrives later is a miss (a tombstone at its own version).
 */
export const DEFAULT_MAX_TAG_INVALIDATIONS = 16_384
/**
 * One value or yjs update off the wire (the decoder's bound). Writes are admitted only up to
 * MAX_WRITE_VALUE_BYTES; a decodable delta between the two is refused alone, never its batch.
 */
export const MAX_VALUE_BYTES = MAX_BATCH_BYTES

// ---- The admission rule (admission.ts): what a write may be, on the writer and every receiver.

/**
 * The smallest message any transport of the node carries whole: gossipsub's 4 MiB (its own
 * cap, the same on every node). A single delta must always fit one such message.
 */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024
/**
 * Largest value (or yjs update) a write may carry: MAX_FRAME_BYTES less room for the longest
 * key (MAX_KEY_BYTES) and 64 KiB of framing (batch header, varints, gossip envelope ~150 B).
 * = 4,063,232 B. The store's own bound (its largest entry, a tenth of maxBytes by default)
 * may be lower; the node's `maxValueBytes` is the smaller of the two.
 */
export const MAX_WRITE_VALUE_BYTES = MAX_FRAME_BYTES - MAX_KEY_BYTES - 64 * 1024
/**
 * Longest ttl a write may carry: 10 years (365-day years). Expiry times stay exact integers
 * (far below 2^53) and inside the hlc's physical range (till 2109) until 2099. A larger ttl
 * once overflowed the codec in the publish path. Omit the ttl for an entry that never expires.
 */
export const MAX_TTL_MS = 10 * 365 * 24 * 3600 * 1000
/**
 * Distinct range clears a replica keeps (crdt/clears.ts): each costs ~100 B plus its prefix.
 * Past it, the two oldest fold into one clear of everything at the later stamp (more keys
 * cleared than asked: a miss is safe). Clears made redundant by a later clear of a prefix of
 * theirs are not kept, and `clear()` of everything drops every older range.
 */
export const DEFAULT_MAX_CLEAR_RANGES = 1024
/** One node id (libp2p peer ids are ~52 characters). */
export const MAX_NODE_ID_BYTES = 256
/** Distinct node ids named in one batch. */
export const MAX_NODES_PER_BATCH = 4096
/** Distinct origins (node id + epoch) in one batch. */
export const MAX_ORIGINS_PER_BATCH = 4096
/**
 * Deltas in one batch. Also bounded by the input: a delta takes at least
 * MIN_ENCODED_DELTA_BYTES, so a count above remaining / MIN is refused before the loop.
 */
export const MAX_DELTAS_PER_BATCH = 1 << 20
/** flags + origin index + seq + key length + hlc offset + node index: one byte each at least. */
export const MIN_ENCODED_DELTA_BYTES = 6
