// since(T) with the cluster's hot keys first (docs/hints.md): the same deltas
// as Replica.since, each key exactly once, reordered so that the keys named in `hotKeys`
// come before everything else. Pure: a function of the replica and its inputs.
//
// Why: a warm-up is cut by the receiver's byte budget (chunkDeltas), so what comes first is
// what a small node ends up holding. since() already sends main before small — the serving
// node's own hot keys. With hints on, the serving node also knows what its peers found hot
// (HintReceiver.recentKeys): the keys a node taking over a peer's traffic needs first.
//
// Cost: two passes over the store instead of one (each since() is one), plus a Set of the
// hot keys. Within each pass the order is since()'s: tombstones and shadows first, then
// entries hottest first.

import type { Delta, Hlc, Replica, SinceOptions } from '../../crdt/index.ts'

export function* sinceHotFirst(replica: Replica, hlc: Hlc, hotKeys: Iterable<string>, options: SinceOptions = {}): IterableIterator<Delta> {
  const hot = new Set(hotKeys)
  const accept = options.keys
  if (hot.size === 0) {
    yield* replica.since(hlc, options)
    return
  }
  yield* replica.since(hlc, { keys: (k) => hot.has(k) && (accept === undefined || accept(k)) })
  yield* replica.since(hlc, { keys: (k) => !hot.has(k) && (accept === undefined || accept(k)) })
}
