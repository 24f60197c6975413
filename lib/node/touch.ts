// touch: a new expiry for a key held here, replicated.
//
// What travels: a set of the bytes held, with the entry's userVersion and tags, a new hlc from this
// node's clock and the new absolute expiry — a new last-writer-wins version of the same value.
// Every receiver applies it by the rules it already has (crdt/replica.ts), so it converges with
// no new wire op and no new rule, and a peer that never saw the key gets the value with it.
// Its wire cost is a set's: key + value + version + expiry. An expiry-only delta would save the
// value's bytes but needs a new op in the wire format and a rule for a touch that arrives
// before the set it extends (it would have to be kept, versioned, and merged): not worth it for
// the values a cache holds.
//
// Ordering, since it is a write like a set:
//   - a later set or delete (a higher version) wins over it, as over any set;
//   - it keeps the entry's userVersion, so a write with a higher userVersion (the database's
//     next row) wins whatever the clocks say, and the touch never lifts a row's version;
//   - a concurrent set or delete with the same userVersion is ordered by hlc: if the touch's is
//     higher, the touched bytes win everywhere (exactly as two concurrent sets). Writers that
//     must not lose a concurrent update pass userVersion, as the write-through recipe does.
//
// Refused: a yjs document with merges folded in (a set of its state would start a new document
// and discard merges still in flight on the old one); set the key again instead.

import { keyProblem, refuse, ttlProblem, WriteRefusedError, type Delta, type Replica } from '../../crdt/index.ts'

const WHERE = 'CacheNode.touch'

/** The delta that gives `key` a new ttl, or undefined when the key is not held here (or expired). */
export function touchDelta(replica: Replica, key: string, ttlMs: number, nowMs: number): Delta | undefined {
  refuse('key', WHERE, keyProblem(key))
  if (ttlMs === undefined) throw new WriteRefusedError('ttlMs', `${WHERE}: ttlMs is required (the new time to live, in ms)`)
  refuse('ttlMs', WHERE, ttlProblem(ttlMs))
  const held = replica.getEntry(key, nowMs)
  if (held === undefined) return undefined
  if (held.lastMerge !== undefined) {
    throw new WriteRefusedError(
      'key',
      `${WHERE}: "${key.length > 64 ? key.slice(0, 61) + '...' : key}" holds a yjs document: a touch would discard merges ` +
        'still in flight; set the key again to change its expiry',
    )
  }
  // The entry's tags travel with it: a touched entry is still found by invalidateTags.
  const tags = held.tags
  return replica.set(key, held.value, { ttlMs, userVersion: held.version.userVersion, ...(tags === undefined ? {} : { tags }) }, nowMs)
}
