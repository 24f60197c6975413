// What one node sent and received, counted by channel (SWIM, replication) and, for
// replication, by frame kind (read from the frame's second byte, without decoding it).

import { FrameKindCode, type FrameKind } from '../index.ts'

const KINDS = Object.keys(FrameKindCode) as FrameKind[]
const SLOTS = Math.max(...Object.values(FrameKindCode)) + 1

/** Frame kinds that are repair: gap requests and answers, and anti-entropy digests. */
export const REPAIR_KINDS: readonly FrameKind[] = ['want', 'range', 'since', 'state', 'digest']

export interface KindCount {
  frames: number
  bytes: number
}

export class Traffic {
  swimSent = 0
  swimBytesSent = 0
  swimReceived = 0
  swimBytesReceived = 0
  /** Replication frames by kind code (index 0: a byte that names no kind). */
  readonly framesSent = new Float64Array(SLOTS)
  readonly bytesSent = new Float64Array(SLOTS)
  readonly framesReceived = new Float64Array(SLOTS)
  readonly bytesReceived = new Float64Array(SLOTS)

  reset(): void {
    this.swimSent = 0
    this.swimBytesSent = 0
    this.swimReceived = 0
    this.swimBytesReceived = 0
    for (const a of [this.framesSent, this.bytesSent, this.framesReceived, this.bytesReceived]) a.fill(0)
  }

  sent(bytes: Uint8Array): void {
    const k = kindSlot(bytes)
    this.framesSent[k]++
    this.bytesSent[k] += bytes.byteLength
  }

  received(bytes: Uint8Array): void {
    const k = kindSlot(bytes)
    this.framesReceived[k]++
    this.bytesReceived[k] += bytes.byteLength
  }
}

function kindSlot(bytes: Uint8Array): number {
  const k = bytes.byteLength > 1 ? bytes[1] : 0
  return k < SLOTS ? k : 0
}

/** Sums of many nodes' counters, by kind name. */
export function byKind(all: readonly Traffic[], which: 'sent' | 'received'): Record<FrameKind, KindCount> {
  const out = {} as Record<FrameKind, KindCount>
  for (const kind of KINDS) {
    const k = FrameKindCode[kind]
    let frames = 0
    let bytes = 0
    for (const t of all) {
      frames += which === 'sent' ? t.framesSent[k] : t.framesReceived[k]
      bytes += which === 'sent' ? t.bytesSent[k] : t.bytesReceived[k]
    }
    out[kind] = { frames, bytes }
  }
  return out
}
