// The frames of one replication stream (docs/replication-engine.md): everything two members
// say to each other about replication travels as one of these, each frame one message of the
// stream (the adapter length-prefixes them). Round trip:
//
//   const bytes = encodeFrame({ kind: 'want', origin, from: 5, to: 9, maxBytes: 1 << 20 })
//   decodeFrame(bytes)  // → the same object; a `batch` field is a view of `bytes`
//
// Layout: u8 REPLICATION_FRAME_VERSION · u8 kind code (FrameKindCode) · the kind's fields;
// every integer an unsigned LEB128 varint; deltas travel as crdt delta batches (crdt/codec.ts,
// their own bounds apply), length-prefixed, decoded by the engine with decodeDeltas.
//
//   batch  := flags(0) ackCount { ackId index } bytes(deltas)   -- live replication; `index`
//             is the delta of the batch each ack request names
//   acked  := count { ackId u8 outcome }                         -- ack answers (ACK_OUTCOMES)
//   want   := origin from to maxBytes                            -- gap repair: ask the origin
//   range  := origin from u8 unavailable bytes(deltas)           -- its answer, from its log
//   since  := origin hlc maxBytes lo span                        -- fallback: ask any member, keys
//             whose keyHash32 is in [lo, lo + span)
//   state  := origin has u8 complete lo span bytes(deltas)       -- its answer: since(hlc) of that slice
//   digest := u8 replyWanted digest                              -- anti-entropy
//   origin := string nodeId · epoch
//
// Every count and length is checked against a named MAX_* (and against what the rest of the
// input could hold) before anything is allocated; decodeFrame throws only DecodeError. The kind
// codes and the outcome codes are on the wire: both tables are APPEND-ONLY.

import { DecodeError, DecodeErrorCode, Decoder, Encoder } from '../foundation/index.ts'
import {
  DELTA_OUTCOMES,
  MAX_BATCH_BYTES,
  readDigest,
  readOrigin,
  writeDigest,
  writeOrigin,
  type DeltaOutcome,
  type Origin,
  type ReplicaDigest,
} from '../../crdt/index.ts'

/** The version byte that opens every frame. Bump it on any incompatible change. */
export const REPLICATION_FRAME_VERSION = 1

/** Kind codes. APPEND-ONLY: these numbers are on the wire. */
export const FrameKindCode = { batch: 1, acked: 2, want: 3, range: 4, since: 5, state: 6, digest: 7 } as const
export type FrameKind = keyof typeof FrameKindCode
const KIND_BY_CODE: readonly (FrameKind | undefined)[] = (() => {
  const t: (FrameKind | undefined)[] = []
  for (const [k, v] of Object.entries(FrameKindCode)) t[v] = k as FrameKind
  return t
})()

/** The key-hash space (lib/foundation/key-hash.ts's keyHash32): since requests name a slice of it. */
export const KEY_HASH_SPACE = 2 ** 32

/** Largest frame: one delta batch and its header. */
export const MAX_REPLICATION_FRAME_BYTES = MAX_BATCH_BYTES + 1024
/** Ack requests in one batch frame, and ack answers in one acked frame. */
export const MAX_ACKS_PER_FRAME = 4096
export { MAX_DIGEST_ORIGINS } from '../../crdt/index.ts'

/** What a delta did on the member that answers an ack request, by wire code (crdt/outcomes.ts). */
export const ACK_OUTCOMES = DELTA_OUTCOMES
export type AckOutcome = DeltaOutcome
const ACK_OUTCOME_CODE = new Map<AckOutcome, number>(ACK_OUTCOMES.map((o, i) => [o, i]))

export interface AckRequest {
  /** The writer's id for the write (opaque to the receiver). */
  readonly ackId: number
  /** Which delta of the batch. */
  readonly index: number
}

export interface AckAnswer {
  readonly ackId: number
  readonly outcome: AckOutcome
}

export type ReplicationFrame =
  | { kind: 'batch'; acks: readonly AckRequest[]; batch: Uint8Array }
  | { kind: 'acked'; answers: readonly AckAnswer[] }
  | { kind: 'want'; origin: Origin; from: number; to: number; maxBytes: number }
  | { kind: 'range'; origin: Origin; from: number; unavailable: boolean; batch: Uint8Array }
  | { kind: 'since'; origin: Origin; hlc: number; maxBytes: number; lo: number; span: number }
  | { kind: 'state'; origin: Origin; has: number; complete: boolean; lo: number; span: number; batch: Uint8Array }
  | { kind: 'digest'; replyWanted: boolean; digest: ReplicaDigest }

export function encodeFrame(f: ReplicationFrame): Uint8Array {
  const e = new Encoder('batch' in f ? f.batch.byteLength + 64 : 64)
  e.writeUint8(REPLICATION_FRAME_VERSION)
  e.writeUint8(FrameKindCode[f.kind])
  switch (f.kind) {
    case 'batch':
      e.writeUint8(0)
      e.writeVarUint(f.acks.length)
      for (const a of f.acks) {
        e.writeVarUint(a.ackId)
        e.writeVarUint(a.index)
      }
      e.writeBytes(f.batch)
      break
    case 'acked':
      e.writeVarUint(f.answers.length)
      for (const a of f.answers) {
        e.writeVarUint(a.ackId)
        e.writeUint8(ACK_OUTCOME_CODE.get(a.outcome) as number)
      }
      break
    case 'want':
      writeOrigin(e, f.origin)
      e.writeVarUint(f.from)
      e.writeVarUint(f.to)
      e.writeVarUint(f.maxBytes)
      break
    case 'range':
      writeOrigin(e, f.origin)
      e.writeVarUint(f.from)
      e.writeUint8(f.unavailable ? 1 : 0)
      e.writeBytes(f.batch)
      break
    case 'since':
      writeOrigin(e, f.origin)
      e.writeVarUint(f.hlc)
      e.writeVarUint(f.maxBytes)
      e.writeVarUint(f.lo)
      e.writeVarUint(f.span)
      break
    case 'state':
      writeOrigin(e, f.origin)
      e.writeVarUint(f.has)
      e.writeUint8(f.complete ? 1 : 0)
      e.writeVarUint(f.lo)
      e.writeVarUint(f.span)
      e.writeBytes(f.batch)
      break
    case 'digest':
      e.writeUint8(f.replyWanted ? 1 : 0)
      writeDigest(e, f.digest)
      break
  }
  const out = e.finish()
  if (out.byteLength > MAX_REPLICATION_FRAME_BYTES) {
    throw new RangeError(`encodeFrame: ${out.byteLength} B exceeds MAX_REPLICATION_FRAME_BYTES (${MAX_REPLICATION_FRAME_BYTES})`)
  }
  return out
}

/** Decodes one frame. Throws only DecodeError. `batch` fields are views of `bytes`. */
export function decodeFrame(bytes: Uint8Array): ReplicationFrame {
  if (bytes.byteLength > MAX_REPLICATION_FRAME_BYTES) {
    throw new DecodeError(DecodeErrorCode.limit, `replication frame of ${bytes.byteLength} B exceeds ${MAX_REPLICATION_FRAME_BYTES} B`)
  }
  const d = new Decoder(bytes)
  const version = d.readUint8()
  if (version !== REPLICATION_FRAME_VERSION) {
    throw new DecodeError(DecodeErrorCode.version, `replication frame version ${version}, this build speaks ${REPLICATION_FRAME_VERSION}`)
  }
  const code = d.readUint8()
  const kind = KIND_BY_CODE[code]
  if (kind === undefined) malformed(`unknown replication frame kind ${code}`)
  let f: ReplicationFrame
  switch (kind) {
    case 'batch': {
      const flags = d.readUint8()
      if (flags !== 0) malformed(`batch flags 0x${flags.toString(16)}: no flag is defined`)
      // Each request takes ≥ 2 bytes: a count above remaining / 2 cannot be honest.
      const n = d.readBoundedVarUint(Math.min(MAX_ACKS_PER_FRAME, Math.floor(d.remaining / 2)), 'ack requests')
      const acks: AckRequest[] = []
      for (let i = 0; i < n; i++) acks.push({ ackId: d.readVarUint(), index: d.readVarUint() })
      f = { kind, acks, batch: d.readBytes(MAX_BATCH_BYTES, 'delta batch') }
      break
    }
    case 'acked': {
      const n = d.readBoundedVarUint(Math.min(MAX_ACKS_PER_FRAME, Math.floor(d.remaining / 2)), 'ack answers')
      const answers: AckAnswer[] = []
      for (let i = 0; i < n; i++) {
        const ackId = d.readVarUint()
        const c = d.readUint8()
        const outcome = ACK_OUTCOMES[c]
        if (outcome === undefined) malformed(`unknown ack outcome ${c}`)
        answers.push({ ackId, outcome })
      }
      f = { kind, answers }
      break
    }
    case 'want': {
      const origin = readOrigin(d)
      const from = d.readVarUint()
      const to = d.readVarUint()
      if (from < 1 || to < from) malformed(`want ${from}..${to} is empty or starts below 1`)
      f = { kind, origin, from, to, maxBytes: d.readVarUint() }
      break
    }
    case 'range': {
      const origin = readOrigin(d)
      const from = d.readVarUint()
      if (from < 1) malformed('range answer from seq 0')
      f = { kind, origin, from, unavailable: readFlag(d, 'unavailable'), batch: d.readBytes(MAX_BATCH_BYTES, 'delta batch') }
      break
    }
    case 'since': {
      const origin = readOrigin(d)
      const hlc = d.readVarUint()
      const maxBytes = d.readVarUint()
      f = { kind, origin, hlc, maxBytes, ...readSlice(d) }
      break
    }
    case 'state': {
      const origin = readOrigin(d)
      const has = d.readVarUint()
      const complete = readFlag(d, 'complete')
      const slice = readSlice(d)
      f = { kind, origin, has, complete, ...slice, batch: d.readBytes(MAX_BATCH_BYTES, 'delta batch') }
      break
    }
    case 'digest': {
      const replyWanted = readFlag(d, 'replyWanted')
      f = { kind, replyWanted, digest: readDigest(d) }
      break
    }
  }
  d.expectEnd('replication frame')
  return f
}

function malformed(message: string): never {
  throw new DecodeError(DecodeErrorCode.malformed, message)
}

/** A slice of the key-hash space: 0 ≤ lo, 1 ≤ span, lo + span ≤ KEY_HASH_SPACE. */
function readSlice(d: Decoder): { lo: number; span: number } {
  const lo = d.readVarUint()
  const span = d.readVarUint()
  if (span < 1 || lo + span > KEY_HASH_SPACE) malformed(`key-hash slice [${lo}, ${lo} + ${span}) outside [0, 2^32)`)
  return { lo, span }
}

function readFlag(d: Decoder, what: string): boolean {
  const b = d.readUint8()
  if (b > 1) malformed(`${what} flag ${b}`)
  return b === 1
}
