// The replication log of one origin: the last deltas a replica made, by their contiguous seq,
// so that a peer that missed some (a gossip message lost, a subscriber that joined late) can
// pull the range from it (docs/node.md, "Gaps, tails and fallback"). Bounded by count and by
// bytes, oldest out first; a range that starts before the oldest seq held is answered
// `undefined`, which tells the node to fall back to since(T).
//
// Storage: a plain array used as a queue with a moving start index, compacted when more than
// half of it is dead, so append and trim are amortised O(1) and lookup by seq is O(1)
// (index = seq − firstSeq).

import { DEFAULT_LOG_MAX_BYTES, DEFAULT_LOG_MAX_DELTAS, LOG_DELTA_OVERHEAD_BYTES } from './constants.ts'
import type { Delta } from './delta.ts'
import { nonNegativeInt } from '../lib/foundation/index.ts'

export interface OriginLogInit {
  /**
   * Most deltas kept. Each costs its key and value bytes plus ~100 B; 0 keeps none (every
   * gap then falls back to since(T)). A safe integer ≥ 0.
   * @default 65_536 (DEFAULT_LOG_MAX_DELTAS: see constants.ts)
   */
  maxDeltas?: number
  /**
   * Most bytes kept, counted as key length + value bytes + LOG_DELTA_OVERHEAD_BYTES (96) per
   * delta. The log shares value buffers with the store, so a value held by both is counted
   * twice here and once in memory. A safe integer ≥ 0.
   * @default 16 MiB (DEFAULT_LOG_MAX_BYTES)
   */
  maxBytes?: number
}

export class OriginLog {
  readonly maxDeltas: number
  readonly maxBytes: number
  #items: Delta[] = []
  #charges: number[] = []
  #start = 0
  #bytes = 0
  /** The seq of #items[#start]; when empty, the next seq expected. */
  #firstSeq = 1

  constructor(init: OriginLogInit = {}) {
    this.maxDeltas = nonNegativeInt('OriginLog', 'maxDeltas', init.maxDeltas ?? DEFAULT_LOG_MAX_DELTAS)
    this.maxBytes = nonNegativeInt('OriginLog', 'maxBytes', init.maxBytes ?? DEFAULT_LOG_MAX_BYTES)
  }

  /** Deltas held. */
  get size(): number {
    return this.#items.length - this.#start
  }

  /** Bytes charged for the deltas held. */
  get bytes(): number {
    return this.#bytes
  }

  /** The oldest seq held (lastSeq + 1 when empty). */
  get firstSeq(): number {
    return this.#firstSeq
  }

  /** The newest seq appended (0 before the first). */
  get lastSeq(): number {
    return this.#firstSeq + this.size - 1
  }

  /** Appends the next delta; its seq must be lastSeq + 1 (asserted: seqs are contiguous). */
  append(delta: Delta): void {
    if (delta.seq !== this.lastSeq + 1) {
      throw new Error(`OriginLog: seq ${delta.seq} appended after ${this.lastSeq}: seqs must be contiguous`)
    }
    const charge = delta.key.length + (delta.value === undefined ? 0 : delta.value.byteLength) + LOG_DELTA_OVERHEAD_BYTES
    this.#items.push(delta)
    this.#charges.push(charge)
    this.#bytes += charge
    while (this.size > this.maxDeltas || (this.#bytes > this.maxBytes && this.size > 0)) this.#dropOldest()
    if (this.#start > 1024 && this.#start * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#start)
      this.#charges = this.#charges.slice(this.#start)
      this.#start = 0
    }
  }

  /**
   * Deltas fromSeq..toSeq (inclusive, clipped to lastSeq), stopping before the byte charge
   * passes maxBytes (at least one delta is returned when any is in range). `undefined` when
   * fromSeq is older than the log holds: the caller falls back to since(T). An empty array
   * when fromSeq > lastSeq (nothing to send yet).
   */
  range(fromSeq: number, toSeq = Number.MAX_SAFE_INTEGER, maxBytes = Number.POSITIVE_INFINITY): Delta[] | undefined {
    if (!Number.isSafeInteger(fromSeq) || fromSeq < 1) throw new RangeError(`OriginLog.range: fromSeq must be ≥ 1, got ${fromSeq}`)
    if (fromSeq < this.#firstSeq) return undefined
    const last = Math.min(toSeq, this.lastSeq)
    const out: Delta[] = []
    let bytes = 0
    for (let seq = fromSeq; seq <= last; seq++) {
      const i = this.#start + seq - this.#firstSeq
      if (out.length > 0 && bytes + this.#charges[i] > maxBytes) break
      bytes += this.#charges[i]
      out.push(this.#items[i])
    }
    return out
  }

  /** Recounts from scratch; throws on any inconsistency. */
  validate(): void {
    let bytes = 0
    for (let i = this.#start; i < this.#items.length; i++) {
      bytes += this.#charges[i]
      if (this.#items[i].seq !== this.#firstSeq + i - this.#start) throw new Error(`OriginLog: seq gap at index ${i}`)
    }
    if (bytes !== this.#bytes) throw new Error(`OriginLog: ${bytes} B counted, ${this.#bytes} B tracked`)
    if (this.size > this.maxDeltas) throw new Error('OriginLog: over maxDeltas')
    if (this.#bytes > this.maxBytes) throw new Error('OriginLog: over maxBytes')
  }

  #dropOldest(): void {
    this.#bytes -= this.#charges[this.#start]
    ;(this.#items as (Delta | undefined)[])[this.#start] = undefined
    this.#start++
    this.#firstSeq++
  }
}
