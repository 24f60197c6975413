// Cutting a stream of deltas (since(T), a log range) into batches for the wire: each batch's
// encoding stays under `chunkBytes`, and the stream stops once `budgetBytes` are spent (the
// receiver's budget: "send what fits, hottest first", DESIGN §5). Sizes are the upper bounds
// of deltaEncodedBytesMax, so nothing is encoded twice; an encoded chunk is usually 10–30 %
// below its bound.

import { deltaEncodedBytesMax } from './codec.ts'
import { MAX_BATCH_BYTES } from './constants.ts'
import type { Delta } from './delta.ts'

/** Bytes of a batch header beyond its deltas (format byte, tables, hlc base, count): a bound for one origin and a few node ids. */
const BATCH_HEADER_BYTES_MAX = 1024

export interface ChunkOptions {
  /**
   * Upper bound of one batch's encoded size. Keep it far below the transport's message limit
   * (gossipsub: 4 MiB, STACK.md). Between 2 KiB and MAX_BATCH_BYTES (16 MiB).
   * @default 1 MiB
   */
  chunkBytes?: number
  /** Stop after this many bytes in all (the receiver's budget). @default unlimited */
  budgetBytes?: number
}

/**
 * Groups `deltas` into arrays to pass to encodeDeltas. A single delta larger than a chunk goes
 * alone in its own batch (still within MAX_BATCH_BYTES, which bounds every value).
 */
export function* chunkDeltas(deltas: Iterable<Delta>, options: ChunkOptions = {}): Generator<Delta[]> {
  const chunkBytes = options.chunkBytes ?? 1024 * 1024
  const budget = options.budgetBytes ?? Number.POSITIVE_INFINITY
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 2048 || chunkBytes > MAX_BATCH_BYTES) {
    throw new TypeError(`chunkDeltas: chunkBytes must be an integer in [2048, ${MAX_BATCH_BYTES}], got ${String(chunkBytes)}`)
  }
  if (!(budget >= 0)) throw new TypeError(`chunkDeltas: budgetBytes must be ≥ 0, got ${String(budget)}`)
  let chunk: Delta[] = []
  let chunkSize = BATCH_HEADER_BYTES_MAX
  let spent = 0
  for (const d of deltas) {
    const size = deltaEncodedBytesMax(d)
    if (spent + size > budget) break
    spent += size
    if (chunk.length > 0 && chunkSize + size > chunkBytes) {
      yield chunk
      chunk = []
      chunkSize = BATCH_HEADER_BYTES_MAX
    }
    chunk.push(d)
    chunkSize += size
  }
  if (chunk.length > 0) yield chunk
}
