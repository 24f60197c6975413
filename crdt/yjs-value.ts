// yjs-mergeable values: the bytes of such a key are a Y.Doc state (Y.encodeStateAsUpdate),
// and a merge folds a yjs update into them. yjs updates commute, are associative and
// idempotent, so replicas that fold the same updates in any order, any number of times, hold
// the same document; the fold re-encodes the whole state, which is canonical (the same
// document encodes to the same bytes), so they also hold the same bytes.
//
// Cost: a fold decodes the state and the update into a fresh Y.Doc and encodes it again,
// O(document size) per merge. Fine for the small documents a cache holds; a key edited many
// times per second with a large document wants a live Y.Doc beside the cache instead.
//
// yjs decodes peer input with its own decoder (lib0), which this project does not fuzz:
// the replica bounds an update's size (MAX_VALUE_BYTES) and turns any throw into a refusal.

import * as Y from 'yjs'

/** The state of an empty document (what a merge folds into when the key holds nothing). */
export const EMPTY_YJS_STATE: Uint8Array = Y.encodeStateAsUpdate(new Y.Doc({ gc: true }))

/**
 * The state after folding `updates` into `state`, in order (the order does not change the
 * result). Throws whatever yjs throws on bytes that are not an update; callers wrap it.
 */
export function foldYjsUpdates(state: Uint8Array, ...updates: Uint8Array[]): Uint8Array {
  const doc = new Y.Doc({ gc: true })
  try {
    Y.applyUpdate(doc, state)
    for (const u of updates) Y.applyUpdate(doc, u)
    return Y.encodeStateAsUpdate(doc)
  } finally {
    doc.destroy()
  }
}

/** Whether two byte strings are equal (a fold that changed nothing is a stale merge). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
