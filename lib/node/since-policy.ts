// What this node serves a peer's since(T) request (warm-up and repair's fallback): the deltas
// newer than T, restricted to the slice [lo, hi) of the key-hash space the peer asked for (a
// warm-up streams one slice from each of its peers). With hot-key hints on, the keys the
// cluster reported hot go first, so a warming node's first chunks are the ones most read.
// See docs/node.md, "Warm-up", and docs/hints.md.

import type { Delta, Hlc, Replica } from '../../crdt/index.ts'
import { keyHash32 } from '../foundation/index.ts'
import { sinceHotFirst } from '../hints/index.ts'
import { KEY_HASH_SPACE } from '../networking/index.ts'

/**
 * since(`hlc`) of `replica` over the keys whose keyHash32 is in [lo, hi); `hotKeys` (the keys
 * hints reported hot, maybe not held here) go first when there are any.
 */
export function serveSince(replica: Replica, hotKeys: readonly string[], hlc: number, lo: number, hi: number): Iterable<Delta> {
  // The whole space needs no key filter (and skips a hash per key).
  const all = lo === 0 && hi >= KEY_HASH_SPACE
  const options = all
    ? {}
    : {
        keys: (key: string) => {
          const h = keyHash32(key)
          return h >= lo && h < hi
        },
      }
  return hotKeys.length === 0 ? replica.since(hlc as Hlc, options) : sinceHotFirst(replica, hlc as Hlc, hotKeys, options)
}
