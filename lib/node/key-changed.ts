// The `key:changed` event: what changed a key on this node — a local write, or a remote delta
// the replication engine applied (live stream, gossip, repair, warm-up) — with the writer's
// node id and the write's version, so a listener can keep something derived in step (an
// in-process object cache, a search index) on every node.
//
// Off unless listened to: the node asks CacheNodeEvents whether a listener is attached before
// it builds a detail, so a node nobody listens to pays one boolean read per write and per
// applied remote delta (bench/key-changed.ts measures both, with and without a listener).
//
// What does not make an event: a write that changed nothing here (stale: the key already
// held a higher version), a refused delta, eviction (local, never replicated), and expiry
// (lazy: an expired entry is found to be gone when read, by no timer, so there is no moment to
// announce). A touch reaches peers as a set of the same bytes with the new expiry: the writer
// announces 'touch', its peers 'set'.

import type { Delta, Version } from '../../crdt/index.ts'

/**
 * What happened to the key. 'delete' also covers a value dropped here because a newer version
 * exists that this node does not hold (a warm-up's ghost, or a value too large for this
 * store): the key is a miss here either way. 'clear' and 'invalidate' are one event per clear
 * or invalidated tag, not per key: `key` is the prefix cleared ('' for every key) or the tag,
 * and every key under it written before `version` is gone (docs/replication.md §4a, §4b).
 */
export type KeyChangeOp = 'set' | 'delete' | 'merge' | 'touch' | 'clear' | 'invalidate'

/** `key:changed`'s detail. */
export interface KeyChanged {
  /** The key; for 'clear' the prefix, for 'invalidate' the tag. */
  key: string
  op: KeyChangeOp
  /** The node that made the write (its id; this node's own for a local write). */
  origin: string
  /** The write's version (for a merge, the merge's own stamp). */
  version: Version
  /** The peer that delivered it; undefined for a write made on this node. */
  from: string | undefined
}

/** The event of a delta applied here: the op it reports, and the writer from its version. */
export function keyChangeOf(d: Delta, from: string | undefined, op: KeyChangeOp = opOf(d)): KeyChanged {
  // version.nodeId is the writer whoever delivered the delta: a warm-up's state transfer has
  // the serving node as its origin, but the version it carries is the writer's.
  return { key: d.key, op, origin: d.version.nodeId, version: d.version, from }
}

function opOf(d: Delta): KeyChangeOp {
  return d.op === 'ghost' ? 'delete' : d.op
}
