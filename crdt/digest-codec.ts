// The wire form of an origin and of a replica's digest, shared by every protocol that carries
// them (the sync protocol, the replication engine's frames). Built on the foundation's
// Encoder/Decoder; reading throws only DecodeError, and every count is bounded before anything
// is allocated.
//
//   origin:   string node id (1..MAX_NODE_ID_BYTES), varuint epoch
//   digest:   origin, varuint lastSeq, varuint clock, varuint horizon,
//             varuint count (≤ MAX_DIGEST_ORIGINS), count × (origin, varuint contiguous,
//             varuint highest ≥ contiguous, varuint abandoned)

import { DecodeError, DecodeErrorCode, type Decoder, type Encoder } from '../lib/foundation/index.ts'
import { MAX_NODE_ID_BYTES } from './constants.ts'
import type { Origin } from './delta.ts'
import type { Hlc } from './hlc.ts'
import type { ReplicaDigest } from './replica.ts'
import type { OriginProgress } from './seq-tracker.ts'

/** Origins in one digest, at most: a larger progress list is cut to its first MAX_DIGEST_ORIGINS. */
export const MAX_DIGEST_ORIGINS = 4096

/** Bytes of one progress entry, at least: a 1-byte node id and its length, then four varuints. */
const MIN_PROGRESS_BYTES = 6

export function writeOrigin(e: Encoder, o: Origin): void {
  e.writeString(o.nodeId)
  e.writeVarUint(o.epoch)
}

export function readOrigin(d: Decoder): Origin {
  const nodeId = d.readString(MAX_NODE_ID_BYTES, 'node id')
  if (nodeId.length === 0) throw new DecodeError(DecodeErrorCode.malformed, 'empty node id')
  return { nodeId, epoch: d.readVarUint() }
}

export function writeDigest(e: Encoder, g: ReplicaDigest): void {
  writeOrigin(e, g.origin)
  e.writeVarUint(g.lastSeq)
  e.writeVarUint(g.clock)
  e.writeVarUint(g.horizon)
  const progress = g.progress.slice(0, MAX_DIGEST_ORIGINS)
  e.writeVarUint(progress.length)
  for (const p of progress) {
    writeOrigin(e, p.origin)
    e.writeVarUint(p.contiguous)
    e.writeVarUint(p.highest)
    e.writeVarUint(p.abandoned)
  }
}

export function readDigest(d: Decoder): ReplicaDigest {
  const origin = readOrigin(d)
  const lastSeq = d.readVarUint()
  // Any varint is a valid Hlc (≤ 2^53 − 1); drift checks happen where hlcs are applied.
  const clock = d.readVarUint() as Hlc
  const horizon = d.readVarUint() as Hlc
  // A count the remaining bytes cannot hold is not honest: refused before allocating.
  const n = d.readBoundedVarUint(Math.min(MAX_DIGEST_ORIGINS, Math.floor(d.remaining / MIN_PROGRESS_BYTES)), 'digest origins')
  const progress: OriginProgress[] = []
  for (let i = 0; i < n; i++) {
    const o = readOrigin(d)
    const contiguous = d.readVarUint()
    const highest = d.readVarUint()
    if (highest < contiguous) {
      throw new DecodeError(DecodeErrorCode.malformed, `progress highest ${highest} < contiguous ${contiguous}`)
    }
    progress.push({ origin: o, contiguous, highest, abandoned: d.readVarUint() })
  }
  return { origin, lastSeq, clock, horizon, progress }
}
