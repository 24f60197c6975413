// The identity of a delta batch, read from its header without decoding the batch: the origin
// (node id and epoch) and seq of its first delta, its delta count and its length in bytes. A
// node publishes each of its seqs in exactly one batch, and a new epoch at every start, so no
// two batches of honest nodes share it — it serves as the gossip message id instead of a hash
// of the whole batch (lib/networking/gossip-message-id.ts). The length costs nothing to read
// and keeps apart two messages that share a header but not their bytes (a batch and a cut or
// padded copy of it: each is validated on its own, not dropped as a duplicate of the other).
//
// The read is bounded (MAX_BATCH_ID_HEADER_BYTES) and never throws: input that is not a batch
// header this build reads, or whose first delta has seq 0 (state transfer, never gossiped),
// gives `undefined`, and the caller falls back to a hash. It checks only what it reads: a batch
// with a readable header and a broken body gets an id all the same; deciding whether a batch
// is valid stays with decodeDeltas (the topic validator).
//
// Id layout: u8 BATCH_ID_FORMAT, varint nodeIdLength, nodeId bytes (as on the wire), varint
// epoch, varint firstSeq, varint deltaCount, varint byteLength.

import { DELTA_FORMAT_VERSION } from './codec.ts'
import { MAX_DELTAS_PER_BATCH, MAX_NODE_ID_BYTES, MAX_NODES_PER_BATCH, MAX_ORIGINS_PER_BATCH } from './constants.ts'

/**
 * Most header bytes read for an id. A batch of one writer's deltas has a header of about 70 B
 * (one node id of ~52 B); a batch whose first delta lies further in gets the hash instead.
 */
export const MAX_BATCH_ID_HEADER_BYTES = 1024

/** The first byte of every batch id (a new layout gets a new byte). */
export const BATCH_ID_FORMAT = 1

const FLAG_RESERVED = 0b1110_0000
/** Varints longer than this are not read (as the Decoder: up to 2^53 − 1; hlcs need all 8 bytes). */
const MAX_VARINT_BYTES = 8

/** The batch's id, or undefined when `bytes` does not start with a readable batch header. */
export function batchId(bytes: Uint8Array): Uint8Array | undefined {
  const end = Math.min(bytes.byteLength, MAX_BATCH_ID_HEADER_BYTES)
  let pos = 0
  // One varint at `pos`, or -1 when it is cut by `end`, longer than MAX_VARINT_BYTES or past 2^53 − 1.
  const varint = (): number => {
    let result = 0
    let mul = 1
    for (let i = 0; i < MAX_VARINT_BYTES && pos < end; i++) {
      const b = bytes[pos++]
      result += (b & 0x7f) * mul
      if (b < 0x80) return Number.isSafeInteger(result) ? result : -1
      mul *= 0x80
    }
    return -1
  }
  if (end < 1 || bytes[pos++] !== DELTA_FORMAT_VERSION) return undefined
  const nodeCount = varint()
  if (nodeCount < 1 || nodeCount > MAX_NODES_PER_BATCH) return undefined
  // Where each node id starts and ends: at most one per 2 header bytes, so this stays small.
  const nodeAt: number[] = []
  for (let i = 0; i < nodeCount; i++) {
    const length = varint()
    if (length < 0 || length > MAX_NODE_ID_BYTES || pos + length > end) return undefined
    nodeAt.push(pos, pos + length)
    pos += length
  }
  const originCount = varint()
  if (originCount < 1 || originCount > MAX_ORIGINS_PER_BATCH) return undefined
  const originNode: number[] = []
  const originEpoch: number[] = []
  for (let i = 0; i < originCount; i++) {
    const nodeIndex = varint()
    const epoch = varint()
    if (nodeIndex < 0 || nodeIndex >= nodeCount || epoch < 0) return undefined
    originNode.push(nodeIndex)
    originEpoch.push(epoch)
  }
  if (varint() < 0) return undefined // hlcBase
  const deltaCount = varint()
  if (deltaCount < 1 || deltaCount > MAX_DELTAS_PER_BATCH || pos >= end) return undefined
  const flags = bytes[pos++]
  if ((flags & FLAG_RESERVED) !== 0) return undefined
  const originIndex = varint()
  const seq = varint()
  if (originIndex < 0 || originIndex >= originCount || seq < 1) return undefined
  const from = nodeAt[2 * originNode[originIndex]]
  const to = nodeAt[2 * originNode[originIndex] + 1]
  const id = new Uint8Array(1 + 2 + (to - from) + 4 * MAX_VARINT_BYTES)
  let out = 0
  const put = (v: number): void => {
    while (v >= 0x80) {
      id[out++] = (v % 0x80) | 0x80
      v = Math.floor(v / 0x80)
    }
    id[out++] = v
  }
  id[out++] = BATCH_ID_FORMAT
  put(to - from)
  id.set(bytes.subarray(from, to), out)
  out += to - from
  put(originEpoch[originIndex])
  put(seq)
  put(deltaCount)
  put(bytes.byteLength)
  return id.subarray(0, out)
}
