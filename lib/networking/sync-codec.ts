// Messages of the sync protocol `/also-cache/<cluster>/sync/1.0.0` (docs/node.md): gap repair
// from an origin's log, since(T) state transfer (warm-up and fallback repair), anti-entropy
// digests, and acknowledged pushes. Each message is one length-prefixed frame (lpStream) holding:
//
//   version byte (SYNC_WIRE_VERSION) · kind byte (SyncKind) · fields of that kind
//
// Round trip:
//   const bytes = encodeSyncMessage({ kind: 'range', origin, from: 5, to: 9, maxBytes: 1 << 20, entryBytesMax: 1 << 16 })
//   decodeSyncMessage(bytes)  // → the same object
//
// The kind numbers are part of the protocol: the table is append-only. Deltas travel as
// batches of crdt/codec.ts inside a `deltas` or `push` message (their own bounds apply).
// Decoding validates every length and enum before allocating; bad input is a DecodeError.

import { DecodeError, DecodeErrorCode, Decoder, Encoder } from '../foundation/index.ts'
import {
  MAX_BATCH_BYTES,
  DELTA_OUTCOMES,
  MAX_DELTAS_PER_BATCH,
  readDigest,
  readOrigin,
  writeDigest,
  writeOrigin,
  type DeltaOutcome,
  type Origin,
  type ReplicaDigest,
} from '../../crdt/index.ts'

/**
 * Format version byte; a peer speaking another is answered with nothing and counted.
 * 2: `range` and `since` carry the requester's entryBytesMax, and `pushed` one outcome per
 * delta instead of a count of applied ones (version 1 had neither).
 */
export const SYNC_WIRE_VERSION = 2

/** Kind codes. APPEND-ONLY: these numbers are on the wire. */
export const SyncKindCode = {
  range: 1,
  since: 2,
  digest: 3,
  push: 4,
  deltas: 16,
  end: 17,
  unavailable: 18,
  digestReply: 19,
  pushed: 20,
  refused: 21,
} as const
export type SyncKind = keyof typeof SyncKindCode
const KIND_BY_CODE = new Map<number, SyncKind>(Object.entries(SyncKindCode).map(([k, v]) => [v, k as SyncKind]))

/** Largest frame accepted: one deltas chunk at most, plus headers. */
export const MAX_SYNC_FRAME_BYTES = MAX_BATCH_BYTES + 1024
export { MAX_DIGEST_ORIGINS } from '../../crdt/index.ts'
/** Key-hash space split among warm-up peers: [rangeLo, rangeHi) within [0, 2^32]. */
export const KEY_HASH_SPACE = 2 ** 32

/**
 * `entryBytesMax` of a request: the largest entry the requester can store, in UTF-8 key bytes
 * + value bytes. A set or merge above it is answered as a 'ghost' of its version (the requester
 * could only drop the value; its version still travels, for G4), so a byte budget is spent only
 * on what the requester can hold. Number.MAX_SAFE_INTEGER: no limit (a store with its own sizeOf).
 */
export type SyncMessage =
  /** Ask an origin for its own deltas from..to (inclusive) from its replication log. */
  | { kind: 'range'; origin: Origin; from: number; to: number; maxBytes: number; entryBytesMax: number }
  /** Ask for everything known with hlc > `hlc` whose key hash is in [rangeLo, rangeHi). */
  | { kind: 'since'; hlc: number; maxBytes: number; rangeLo: number; rangeHi: number; entryBytesMax: number }
  /** Anti-entropy: my digest; the answer is a digestReply with the peer's. */
  | { kind: 'digest'; digest: ReplicaDigest }
  /** Apply these deltas and answer `pushed` (acknowledged writes, G6). */
  | { kind: 'push'; batch: Uint8Array }
  /** A chunk of deltas (an encoded batch; the view aliases the frame). */
  | { kind: 'deltas'; batch: Uint8Array }
  /** The answer is over: `complete` false when the byte budget cut it short. */
  | { kind: 'end'; deltas: number; bytes: number; complete: boolean }
  /** The origin's log no longer holds the range: fall back to since(T). */
  | { kind: 'unavailable'; firstSeq: number }
  | { kind: 'digestReply'; digest: ReplicaDigest }
  /** What the push did, one outcome per delta in order (PUSH_OUTCOMES). */
  | { kind: 'pushed'; outcomes: PushOutcome[] }
  /** The request was refused (over a limit, or not served here); `reason` says why. */
  | { kind: 'refused'; reason: string }

const MAX_REASON_BYTES = 512

/** What a pushed delta did on the receiver, by wire code (crdt/outcomes.ts). */
export const PUSH_OUTCOMES = DELTA_OUTCOMES
export type PushOutcome = DeltaOutcome
const PUSH_OUTCOME_CODE = new Map<PushOutcome, number>(PUSH_OUTCOMES.map((o, i) => [o, i]))
/** Outcomes in one `pushed` answer: one per delta of a push batch at most. */
const MAX_PUSH_OUTCOMES = MAX_DELTAS_PER_BATCH

export function encodeSyncMessage(m: SyncMessage): Uint8Array {
  const e = new Encoder(m.kind === 'deltas' || m.kind === 'push' ? m.batch.byteLength + 16 : 64)
  e.writeUint8(SYNC_WIRE_VERSION)
  e.writeUint8(SyncKindCode[m.kind])
  switch (m.kind) {
    case 'range':
      writeOrigin(e, m.origin)
      e.writeVarUint(m.from)
      e.writeVarUint(m.to)
      e.writeVarUint(m.maxBytes)
      e.writeVarUint(m.entryBytesMax)
      break
    case 'since':
      e.writeVarUint(m.hlc)
      e.writeVarUint(m.maxBytes)
      e.writeVarUint(m.rangeLo)
      e.writeVarUint(m.rangeHi)
      e.writeVarUint(m.entryBytesMax)
      break
    case 'digest':
    case 'digestReply':
      writeDigest(e, m.digest)
      break
    case 'push':
    case 'deltas':
      e.writeBytes(m.batch)
      break
    case 'end':
      e.writeVarUint(m.deltas)
      e.writeVarUint(m.bytes)
      e.writeUint8(m.complete ? 1 : 0)
      break
    case 'unavailable':
      e.writeVarUint(m.firstSeq)
      break
    case 'pushed':
      e.writeVarUint(m.outcomes.length)
      for (const o of m.outcomes) e.writeUint8(PUSH_OUTCOME_CODE.get(o) as number)
      break
    case 'refused':
      e.writeString(m.reason.slice(0, MAX_REASON_BYTES / 4))
      break
  }
  return e.finish()
}

export function decodeSyncMessage(bytes: Uint8Array): SyncMessage {
  if (bytes.byteLength > MAX_SYNC_FRAME_BYTES) {
    throw new DecodeError(DecodeErrorCode.limit, `sync frame of ${bytes.byteLength} B exceeds ${MAX_SYNC_FRAME_BYTES} B`)
  }
  const d = new Decoder(bytes)
  const version = d.readUint8()
  if (version !== SYNC_WIRE_VERSION) {
    throw new DecodeError(DecodeErrorCode.version, `sync wire version ${version}, this build speaks ${SYNC_WIRE_VERSION}`)
  }
  const code = d.readUint8()
  const kind = KIND_BY_CODE.get(code)
  if (kind === undefined) throw new DecodeError(DecodeErrorCode.malformed, `unknown sync message kind ${code}`)
  let m: SyncMessage
  switch (kind) {
    case 'range': {
      const origin = readOrigin(d)
      const from = d.readVarUint()
      const to = d.readVarUint()
      if (from < 1 || to < from) throw new DecodeError(DecodeErrorCode.malformed, `range ${from}..${to} is empty or starts below 1`)
      m = { kind, origin, from, to, maxBytes: d.readVarUint(), entryBytesMax: d.readVarUint() }
      break
    }
    case 'since': {
      const hlc = d.readVarUint()
      const maxBytes = d.readVarUint()
      const rangeLo = d.readBoundedVarUint(KEY_HASH_SPACE, 'rangeLo')
      const rangeHi = d.readBoundedVarUint(KEY_HASH_SPACE, 'rangeHi')
      if (rangeHi <= rangeLo) throw new DecodeError(DecodeErrorCode.malformed, `empty key range [${rangeLo}, ${rangeHi})`)
      m = { kind, hlc, maxBytes, rangeLo, rangeHi, entryBytesMax: d.readVarUint() }
      break
    }
    case 'digest':
    case 'digestReply':
      m = { kind, digest: readDigest(d) }
      break
    case 'push':
    case 'deltas':
      m = { kind, batch: d.readBytes(MAX_BATCH_BYTES, 'delta batch') }
      break
    case 'end': {
      const deltas = d.readVarUint()
      const sent = d.readVarUint()
      const flag = d.readUint8()
      if (flag > 1) throw new DecodeError(DecodeErrorCode.malformed, `end flag ${flag}`)
      m = { kind, deltas, bytes: sent, complete: flag === 1 }
      break
    }
    case 'unavailable':
      m = { kind, firstSeq: d.readVarUint() }
      break
    case 'pushed': {
      // One byte per outcome: a count above what is left cannot be honest.
      const n = d.readBoundedVarUint(Math.min(MAX_PUSH_OUTCOMES, d.remaining), 'push outcomes')
      const outcomes: PushOutcome[] = []
      for (let i = 0; i < n; i++) {
        const c = d.readUint8()
        const o = PUSH_OUTCOMES[c]
        if (o === undefined) throw new DecodeError(DecodeErrorCode.malformed, `unknown push outcome ${c}`)
        outcomes.push(o)
      }
      m = { kind, outcomes }
      break
    }
    case 'refused':
      m = { kind, reason: d.readString(MAX_REASON_BYTES, 'reason') }
      break
  }
  d.expectEnd('sync message')
  return m
}
