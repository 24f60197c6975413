// The delta: one change to one key, as it travels between replicas (docs/replication.md §6).
//
//   (origin, seq, op, key, version, base?, value?, expiresAt?)
//
// - op 'set' carries the value; 'delete' is a tombstone; 'merge' carries a yjs update and the
//   version of the document it edits (`base`); 'ghost' says "a version this recent exists but
//   the sender does not hold its value" (an evicted, expired or unstorable write): it drops an
//   older value on the receiver and blocks older writes, but never deletes anything as new or
//   newer, and the real write with that version is still applied when it arrives.
// - tags (set and merge only): the entry's tags; `invalidateTags` deletes every entry written
//   with one of them before it (crdt/tags.ts). op 'invalidate' carries one tag as its key and
//   its stamp as its version (userVersion 0).
// - op 'clear' is a range tombstone: `key` is a prefix ('' for every key) and `version` its
//   stamp (userVersion 0); every write to a key with that prefix stamped before it is gone
//   (crdt/clears.ts has the rule).
// - origin = (nodeId, epoch) of the replica that sent it; `seq` is that origin's contiguous
//   sequence number (1, 2, 3, ...) for deltas of its own writes, and 0 for state transfer
//   (since(T) streams what a replica holds, which is not part of any sequence).
// - expiresAt is absolute ms (G5); undefined: never expires.

import type { Version } from './version.ts'

/** Delta operations. The numeric wire codes are in codec.ts (append-only). */
export const DeltaOp = { set: 'set', delete: 'delete', merge: 'merge', ghost: 'ghost', clear: 'clear', invalidate: 'invalidate' } as const
export type DeltaOp = (typeof DeltaOp)[keyof typeof DeltaOp]

/** Who sent a delta: a node in one run of its process (the epoch changes at every start). */
export interface Origin {
  readonly nodeId: string
  /** Distinct for every start of the node (e.g. its start time in ms); a safe integer ≥ 0. */
  readonly epoch: number
}

export interface Delta {
  readonly op: DeltaOp
  /** The key; for a clear, the prefix it clears ('' for all). */
  readonly key: string
  /** The write's version; for a merge, the merge's own stamp (its base is in `base`). */
  readonly version: Version
  /** merge only: the version of the set/delete that started the document this edits. */
  readonly base: Version | undefined
  /** set: the value; merge: a yjs update or state; delete and ghost: undefined. May alias a network buffer. */
  readonly value: Uint8Array | undefined
  /** Absolute expiry in ms; undefined: never. */
  readonly expiresAt: number | undefined
  readonly origin: Origin
  /** ≥ 1: position in the origin's sequence; 0: state transfer, in no sequence. */
  readonly seq: number
  /** set and merge only: the entry's tags (1 to MAX_TAGS_PER_ENTRY, distinct); undefined: none. */
  readonly tags: readonly string[] | undefined
}

/** A delta object (always this shape). */
export function makeDelta(
  op: DeltaOp,
  key: string,
  version: Version,
  base: Version | undefined,
  value: Uint8Array | undefined,
  expiresAt: number | undefined,
  origin: Origin,
  seq: number,
  tags?: readonly string[],
): Delta {
  return { op, key, version, base, value, expiresAt, origin, seq, tags }
}

/** A stable string for an origin, for maps: `${epoch}/${nodeId}`. */
export function originKey(origin: Origin): string {
  return `${origin.epoch}/${origin.nodeId}`
}
