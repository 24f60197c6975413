// The ghost FIFO: keys the store no longer holds, with the version each had and why it left
// (evicted from small, deleted, expired). It is bounded by the charges of the entries it
// remembers, not by their number, and never counts toward the store's capacity.
//
// Two jobs share it:
// - S3-FIFO admission: a key evicted from small and requested again while still in the ghost
//   goes straight to main (Yang et al., SOSP 2023).
// - Tombstones (G4, README): the version of an evicted, deleted or expired key, so that the
//   replica can refuse an older update for it. When a ghost falls out, its version is handed
//   to `onForget`, where the replica raises its horizon.
//
// Rules (libCacheSim's, docs/store.md): a key already in the ghost keeps its place in the FIFO
// and takes the new version, kind and charge; a charge larger than the whole ghost is not
// remembered (its version is forgotten at once); otherwise the oldest ghosts fall out until the
// new one fits.
//
// Departure from quick-cache (whose ghost keeps only a u64 key hash): we keep the key string,
// because the replica's since(T) must stream tombstones and ghosts by key. Its memory stays
// bounded: every charge includes the key's bytes, and the ghost holds at most
// ghostRatio × maxBytes of charges.
//
// Storage: the ghost is a third queue in the store's slab (s3fifo.ts): a ghost is a slot with
// its key, version and charge but no value, its kind kept in the slot's frequency byte, linked
// through the same prev/next links. An entry that leaves for the ghost keeps its slot, and so
// does a ghost that comes back as an entry: the key's index value never changes on either
// step, so neither touches the Map. Measured on the miss-heavy traces (docs/store.md): the
// separate ghost slab it replaces cost one more Map.set per miss (the index value rewritten
// from entry to ghost) and another when a ghost came back.

export const GhostKindCode = { evicted: 0, deleted: 1, expired: 2 } as const
export type GhostKindCode = (typeof GhostKindCode)[keyof typeof GhostKindCode]
export type GhostKind = keyof typeof GhostKindCode
export const KIND_NAMES: readonly GhostKind[] = ['evicted', 'deleted', 'expired']

export interface GhostEntry<V> {
  key: string
  version: V | undefined
  kind: GhostKind
}

// Growth of the expiry array (s3fifo.ts doubles the slab when full).
export function growFloat64(a: Float64Array, n: number): Float64Array {
  const b = new Float64Array(n)
  b.set(a)
  return b
}
