// Cutting a stream of deltas (since(T), a log range) into batches for the wire: each batch's
// encoding stays under `chunkBytes`, and the stream stops once `budgetBytes` are spent (the
// receiver's budget: "send what fits, hottest first", docs/node.md "Warm-up"). Sizes are the
// upper bounds of deltaEncodedBytesMax, so nothing is encoded twice; an encoded chunk is
// usually 10–30 % below its bound.
//
// What the receiver can hold, and what can travel at all (issue 13: one delta must not poison
// a warm-up or a repair):
// - A set or merge whose key + value exceed the receiver's `entryBytesMax` travels as a
//   'ghost' of its version: the receiver could only drop the value and keep a shadow (what
//   Replica.apply does with a value its store refuses), so the ghost leaves it in the same
//   state (G4 holds) for a few bytes instead of the value, and the budget goes to entries it
//   can hold. Worked scenario (finding 7): a 256 KiB node warms up from a peer whose newest
//   entry weighs 230 KiB; sent whole, that one entry spent 88 % of the budget and left 36 of 60
//   small keys out.
// - A delta no receiver could decode (a value or expiry out of the wire's bounds: a bug of the
//   serving node, or a write admitted before the admission rule) travels as a ghost too: the
//   same seq, so a range repair moves past it instead of asking for it for ever. One whose key
//   or version cannot travel at all is left out and counted: no peer could ever send it, so
//   nobody waits for it. encodeChunks also splits a batch encodeDeltas still refuses (a bound
//   checked only there) until each refused delta stands alone, and leaves that one out.

import { tagsProblem } from './admission.ts'
import { intInRange, utf8Length } from '../lib/foundation/index.ts'
import { assertDelta, deltaEncodedBytesMax, encodeDeltas } from './codec.ts'
import { MAX_BATCH_BYTES, MAX_KEY_BYTES, MAX_NODE_ID_BYTES } from './constants.ts'
import { makeDelta, type Delta } from './delta.ts'
import type { Version } from './version.ts'

/** Bytes of a batch header beyond its deltas (format byte, tables, hlc base, count): a bound for one origin and a few node ids. */
const MAX_BATCH_HEADER_BYTES = 1024

export interface ChunkOptions {
  /**
   * Upper bound of one batch's encoded size. Keep it far below the transport's message limit
   * (gossipsub: 4 MiB, docs/node.md). Between 2 KiB and MAX_BATCH_BYTES (16 MiB).
   * @default 1 MiB
   */
  chunkBytes?: number
  /** Stop after this many bytes in all (the receiver's budget). @default unlimited */
  budgetBytes?: number
  /**
   * The largest entry the receiver can store, in UTF-8 key bytes + value bytes (its store's
   * maxEntryBytes minus its per-entry overhead): a set or merge above it travels as a 'ghost'
   * of its version. @default unlimited
   */
  entryBytesMax?: number
  /** Counts what the stream changed or left out; filled in as the generator runs. */
  tally?: ChunkTally
}

/** What a chunked stream sent, changed and left out. */
export interface ChunkTally {
  /** Deltas handed out (ghosts included). */
  deltas: number
  /** Sets and merges sent as ghosts because the receiver could not store their values. */
  tooLarge: number
  /** Deltas no receiver could decode, sent as ghosts of their versions. */
  unsendable: number
  /** Deltas left out: not even a ghost of them could travel (their key or version cannot). */
  skipped: number
  /** The byte budget stopped the stream before its source ran dry. */
  cut: boolean
}

/**
 * What a receiver asks for as entryBytesMax: its store's largest admitted charge less the
 * per-entry overhead (charge = UTF-8 key bytes + value bytes + overhead). With its own
 * `sizeOf`, a charge cannot be told from bytes: Number.MAX_SAFE_INTEGER (no limit).
 */
export function receivableEntryBytes(
  store: { readonly maxEntryBytes: number; readonly entryOverheadBytes: number },
  customSizeOf: boolean,
): number {
  return customSizeOf ? Number.MAX_SAFE_INTEGER : Math.max(1, store.maxEntryBytes - store.entryOverheadBytes)
}

export function newChunkTally(): ChunkTally {
  return { deltas: 0, tooLarge: 0, unsendable: 0, skipped: 0, cut: false }
}

/**
 * Groups `deltas` into arrays to pass to encodeDeltas, each delta in the form it can travel in
 * (see the file comment). A single delta larger than a chunk goes alone in its own batch.
 */
export function* chunkDeltas(deltas: Iterable<Delta>, options: ChunkOptions = {}): Generator<Delta[]> {
  const chunkBytes = options.chunkBytes ?? 1024 * 1024
  const budget = options.budgetBytes ?? Number.POSITIVE_INFINITY
  const entryBytesMax = options.entryBytesMax ?? Number.POSITIVE_INFINITY
  const tally = options.tally ?? newChunkTally()
  intInRange('chunkDeltas', 'chunkBytes', chunkBytes, 2048, MAX_BATCH_BYTES)
  if (!(budget >= 0)) throw new TypeError(`chunkDeltas: budgetBytes must be ≥ 0, got ${String(budget)}`)
  if (!(entryBytesMax >= 0)) throw new TypeError(`chunkDeltas: entryBytesMax must be ≥ 0, got ${String(entryBytesMax)}`)
  let chunk: Delta[] = []
  let chunkSize = MAX_BATCH_HEADER_BYTES
  let spent = 0
  for (const original of deltas) {
    const d = travelForm(original, entryBytesMax, tally)
    if (d === undefined) continue
    const size = deltaEncodedBytesMax(d)
    if (spent + size > budget) {
      tally.cut = true
      break
    }
    spent += size
    if (chunk.length > 0 && chunkSize + size > chunkBytes) {
      yield chunk
      chunk = []
      chunkSize = MAX_BATCH_HEADER_BYTES
    }
    chunk.push(d)
    chunkSize += size
    tally.deltas++
  }
  if (chunk.length > 0) yield chunk
}

/**
 * chunkDeltas, encoded: never throws on a delta's content. A chunk encodeDeltas refuses is
 * halved until the refused delta stands alone; that one is left out (tally.skipped).
 */
export function* encodeChunks(deltas: Iterable<Delta>, options: ChunkOptions = {}): Generator<Uint8Array> {
  const tally = options.tally ?? newChunkTally()
  for (const chunk of chunkDeltas(deltas, { ...options, tally })) yield* encodeOrSplit(chunk, tally)
}

function* encodeOrSplit(chunk: Delta[], tally: ChunkTally): Generator<Uint8Array> {
  let batch: Uint8Array
  try {
    batch = encodeDeltas(chunk)
  } catch {
    if (chunk.length === 1) {
      tally.deltas--
      tally.skipped++
      return
    }
    const mid = chunk.length >>> 1
    yield* encodeOrSplit(chunk.slice(0, mid), tally)
    yield* encodeOrSplit(chunk.slice(mid), tally)
    return
  }
  yield batch
}

/**
 * `d` as it can travel to a receiver that stores at most `entryBytesMax` key + value bytes:
 * itself, a ghost of its version, or undefined (it cannot travel at all).
 */
export function travelForm(d: Delta, entryBytesMax: number, tally: ChunkTally = newChunkTally()): Delta | undefined {
  if (!decodable(d)) {
    const ghost = ghostOf(d)
    if (ghost === undefined || !decodable(ghost)) {
      tally.skipped++
      return undefined
    }
    tally.unsendable++
    return ghost
  }
  const value = d.value
  // UTF-8 bytes of a key are between its length and 3 × its length: count them only in between.
  if (value !== undefined && value.byteLength + d.key.length * 3 > entryBytesMax && value.byteLength + utf8Length(d.key) > entryBytesMax) {
    tally.tooLarge++
    return ghostOf(d)
  }
  return d
}

/** A ghost of `d`'s register version (a merge's is its document's, `base`), same origin and seq. */
function ghostOf(d: Delta): Delta | undefined {
  const version = (d.op === 'merge' ? d.base : d.version) as Version | undefined
  if (version === undefined || d.origin === null || typeof d.origin !== 'object') return undefined
  return makeDelta('ghost', d.key, version, undefined, undefined, undefined, d.origin, d.seq)
}

/**
 * Would every receiver's decodeDeltas give back this delta? The checks of encodeDeltas
 * (assertDelta) plus the bounds only the decoder enforces: key and node id lengths, a
 * well-formed key (a lone surrogate would arrive as U+FFFD: another key), one batch's size.
 */
export function decodable(d: Delta): boolean {
  try {
    assertDelta(d)
  } catch {
    return false
  }
  const key = d.key
  if (!(key as WellFormedString).isWellFormed() || (key.length * 3 > MAX_KEY_BYTES && utf8Length(key) > MAX_KEY_BYTES)) return false
  if (!nodeIdFits(d.version.nodeId) || !nodeIdFits(d.origin.nodeId) || (d.base !== undefined && !nodeIdFits(d.base.nodeId))) return false
  if (d.tags !== undefined && tagsProblem(d.tags) !== undefined) return false
  return d.value === undefined || deltaEncodedBytesMax(d) + MAX_BATCH_HEADER_BYTES <= MAX_BATCH_BYTES
}

/** String.prototype.isWellFormed (ES2024, Node ≥ 20), not yet in this project's TypeScript lib. */
type WellFormedString = string & { isWellFormed(): boolean }

function nodeIdFits(id: string): boolean {
  return id.length * 3 <= MAX_NODE_ID_BYTES || utf8Length(id) <= MAX_NODE_ID_BYTES
}
