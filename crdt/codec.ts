// The delta batch codec: versioned, length-prefixed binary in the style of lib0 (Encoder and
// Decoder of lib/foundation). Round trip:
//
//   const bytes = encodeDeltas([delta1, delta2])
//   decodeDeltas(bytes)  // → [delta1', delta2'] equal field by field; values alias `bytes`
//
// Layout (format version 1; every integer is an unsigned LEB128 varint unless noted):
//
//   batch   := u8 FORMAT_VERSION
//              nodeCount  { string nodeId }            -- node ids, referenced by index
//              originCount { nodeIndex epoch }         -- origins, referenced by index
//              hlcBase                                  -- the smallest hlc in the batch
//              deltaCount { delta }
//   delta   := u8 flags                                 -- bits 0-1 op code, 2 expiresAt,
//                                                          3 userVersion, 4 base, 5 op code's
//                                                          third bit (op = bits 0-1 + 4 × bit 5);
//                                                          6 tags; 7 zero
//              originIndex seq
//              string key
//              [userVersion] (hlc − hlcBase) nodeIndex
//              [base: userVersion hlc nodeIndex]        -- merge only, always present there
//              [expiresAt]
//              [bytes value]                            -- set and merge only
//              [tagCount { string tag }]                -- set and merge only; 1..MAX_TAGS_PER_ENTRY
//
// A clear (op 4) and an invalidate (op 5) are a key (the prefix; the tag) and a version only:
// no userVersion, expiry, base or tags.
//
// Interning node ids and origins keeps a batch of one writer's deltas to ~1 byte per id, and
// the hlc offset from the batch base to 1–4 bytes instead of 8: a 100 B value travels in about
// 115 B. Every count and length is checked against a named bound in constants.ts before
// anything is allocated; running out of input is ERR_DECODE_TRUNCATED, a bad flag, index or
// enum is ERR_DECODE_MALFORMED, an over-bound length is ERR_DECODE_LIMIT, an unknown format
// byte is ERR_DECODE_VERSION. Decoded values ALIAS the input: the replica copies a value
// before it enters the store (Replica.apply, through value-copier.ts).

import { DecodeError, DecodeErrorCode } from '../lib/foundation/index.ts'
import { Decoder } from '../lib/foundation/index.ts'
import { Encoder } from '../lib/foundation/index.ts'
import {
  MAX_BATCH_BYTES,
  MAX_DELTAS_PER_BATCH,
  MAX_KEY_BYTES,
  MAX_NODE_ID_BYTES,
  MAX_NODES_PER_BATCH,
  MAX_ORIGINS_PER_BATCH,
  MAX_TAG_BYTES,
  MAX_TAGS_PER_ENTRY,
  MAX_VALUE_BYTES,
  MIN_ENCODED_DELTA_BYTES,
} from './constants.ts'
import { makeDelta, type Delta, type DeltaOp, type Origin } from './delta.ts'
import type { Hlc } from './hlc.ts'
import { isVersion, makeVersion, type Version } from './version.ts'

/** The format byte that opens every batch. Bump it on any incompatible change. */
export const DELTA_FORMAT_VERSION = 1

/**
 * Wire codes of the ops. APPEND-ONLY: these numbers are part of the protocol; never reuse or
 * renumber one. Codes 0-3 sit in flag bits 0-1; code 4 and up set bit 5 (the op's third bit),
 * so a build from before clears refuses a clear as malformed instead of misreading it: every
 * node of a cluster must run a build that knows clears before one is made.
 */
export const DeltaOpCode = { set: 0, delete: 1, merge: 2, ghost: 3, clear: 4, invalidate: 5 } as const
const OPS: readonly (DeltaOp | undefined)[] = ['set', 'delete', 'merge', 'ghost', 'clear', 'invalidate']

const FLAG_OP_MASK = 0b11
const FLAG_EXPIRES = 1 << 2
const FLAG_USER_VERSION = 1 << 3
const FLAG_BASE = 1 << 4
const FLAG_OP_HIGH = 1 << 5
const FLAG_TAGS = 1 << 6
const FLAG_RESERVED = 0b1000_0000

/** Bytes per delta beyond key and value, for sizing the first buffer (not a bound). */
const ESTIMATED_DELTA_OVERHEAD_BYTES = 16

// Per-delta table indexes between the two passes of encodeDeltas, reused across calls (the
// function is synchronous): a fresh typed array per batch costs an off-heap allocation.
let scratchNodeIndex = new Uint32Array(256)
let scratchOriginIndex = new Uint32Array(256)

/** Encodes a batch. Throws TypeError/RangeError on a malformed delta (a programmer error). */
export function encodeDeltas(deltas: readonly Delta[]): Uint8Array {
  if (deltas.length > MAX_DELTAS_PER_BATCH) {
    throw new RangeError(`encodeDeltas: ${deltas.length} deltas exceed MAX_DELTAS_PER_BATCH (${MAX_DELTAS_PER_BATCH}): split the batch`)
  }
  // Pass 1: the node id and origin tables, the hlc base, and each delta's table indexes. A
  // batch is usually one writer's deltas, so a one-entry cache answers most lookups.
  const nodes = new Map<string, number>()
  const originList: Origin[] = []
  const originByKey = new Map<string, number>()
  if (scratchNodeIndex.length < deltas.length) {
    scratchNodeIndex = new Uint32Array(Math.max(deltas.length, scratchNodeIndex.length * 2))
    scratchOriginIndex = new Uint32Array(scratchNodeIndex.length)
  }
  const nodeIndex = scratchNodeIndex
  const originIndex = scratchOriginIndex
  let lastNode: string | undefined
  let lastNodeIndex = 0
  let lastOrigin: Origin | undefined
  let lastOriginIndex = 0
  let hlcBase = Number.MAX_SAFE_INTEGER
  let estimate = 64
  for (let i = 0; i < deltas.length; i++) {
    const d = deltas[i]
    assertDelta(d, i)
    const id = d.version.nodeId
    if (id !== lastNode) {
      lastNode = id
      lastNodeIndex = internNode(nodes, id)
    }
    nodeIndex[i] = lastNodeIndex
    if (d.origin !== lastOrigin) {
      lastOrigin = d.origin
      const ok = `${d.origin.epoch}/${d.origin.nodeId}`
      let index = originByKey.get(ok)
      if (index === undefined) {
        index = originList.length
        originList.push(d.origin)
        originByKey.set(ok, index)
        internNode(nodes, d.origin.nodeId)
      }
      lastOriginIndex = index
    }
    originIndex[i] = lastOriginIndex
    if (d.base !== undefined) internNode(nodes, d.base.nodeId)
    if (d.version.hlc < hlcBase) hlcBase = d.version.hlc
    estimate += d.key.length + (d.value === undefined ? 0 : d.value.byteLength) + ESTIMATED_DELTA_OVERHEAD_BYTES
  }
  if (deltas.length === 0) hlcBase = 0
  if (nodes.size > MAX_NODES_PER_BATCH || originList.length > MAX_ORIGINS_PER_BATCH) {
    throw new RangeError('encodeDeltas: too many distinct node ids or origins in one batch: split the batch')
  }
  const e = new Encoder(estimate)
  e.writeUint8(DELTA_FORMAT_VERSION)
  e.writeVarUint(nodes.size)
  for (const id of nodes.keys()) e.writeString(id)
  e.writeVarUint(originList.length)
  for (const o of originList) {
    e.writeVarUint(nodes.get(o.nodeId) as number)
    e.writeVarUint(o.epoch)
  }
  e.writeVarUint(hlcBase)
  e.writeVarUint(deltas.length)
  for (let i = 0; i < deltas.length; i++) {
    const d = deltas[i]
    const v = d.version
    const code = opCode(d.op)
    let flags = (code & FLAG_OP_MASK) | ((code & 4) << 3)
    if (d.expiresAt !== undefined) flags |= FLAG_EXPIRES
    if (v.userVersion !== 0) flags |= FLAG_USER_VERSION
    if (d.base !== undefined) flags |= FLAG_BASE
    const tags = d.tags
    if (tags !== undefined) flags |= FLAG_TAGS
    e.writeUint8(flags)
    e.writeVarUint(originIndex[i])
    e.writeVarUint(d.seq)
    e.writeString(d.key)
    if (v.userVersion !== 0) e.writeVarUint(v.userVersion)
    e.writeVarUint(v.hlc - hlcBase)
    e.writeVarUint(nodeIndex[i])
    if (d.base !== undefined) {
      e.writeVarUint(d.base.userVersion)
      e.writeVarUint(d.base.hlc)
      e.writeVarUint(nodes.get(d.base.nodeId) as number)
    }
    if (d.expiresAt !== undefined) e.writeVarUint(d.expiresAt)
    if (d.value !== undefined) e.writeBytes(d.value)
    if (tags !== undefined) {
      e.writeVarUint(tags.length)
      for (const t of tags) e.writeString(t)
    }
  }
  const out = e.finish()
  if (out.byteLength > MAX_BATCH_BYTES) {
    throw new RangeError(`encodeDeltas: batch of ${out.byteLength} B exceeds MAX_BATCH_BYTES (${MAX_BATCH_BYTES}): split it`)
  }
  return out
}

/**
 * Decodes a batch. Throws only DecodeError (with a stable code). The deltas' values are views
 * of `bytes`: copy them before keeping them beyond `bytes`' life (Replica.apply does).
 */
export function decodeDeltas(bytes: Uint8Array): Delta[] {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodeDeltas: bytes must be a Uint8Array')
  if (bytes.byteLength > MAX_BATCH_BYTES) {
    throw new DecodeError(DecodeErrorCode.limit, `batch of ${bytes.byteLength} B exceeds MAX_BATCH_BYTES (${MAX_BATCH_BYTES})`)
  }
  const d = new Decoder(bytes)
  const format = d.readUint8()
  if (format !== DELTA_FORMAT_VERSION) {
    throw new DecodeError(DecodeErrorCode.version, `delta format ${format} is not spoken here (this build speaks ${DELTA_FORMAT_VERSION})`)
  }
  const nodeCount = boundedCount(d, MAX_NODES_PER_BATCH, 1, 'node id count')
  const nodes: string[] = []
  for (let i = 0; i < nodeCount; i++) nodes.push(d.readString(MAX_NODE_ID_BYTES, 'node id'))
  const originCount = boundedCount(d, MAX_ORIGINS_PER_BATCH, 2, 'origin count')
  const origins: Origin[] = []
  for (let i = 0; i < originCount; i++) {
    const nodeId = nodes[index(d, nodeCount, 'origin node index')]
    const epoch = d.readVarUint()
    origins.push({ nodeId, epoch })
  }
  const hlcBase = d.readVarUint()
  const count = boundedCount(d, MAX_DELTAS_PER_BATCH, MIN_ENCODED_DELTA_BYTES, 'delta count')
  const out: Delta[] = []
  for (let i = 0; i < count; i++) {
    const flags = d.readUint8()
    if ((flags & FLAG_RESERVED) !== 0) malformed(`delta ${i} has reserved flag bits set (0x${flags.toString(16)})`)
    const op = OPS[(flags & FLAG_OP_MASK) | ((flags & FLAG_OP_HIGH) >> 3)]
    if (op === undefined) malformed(`delta ${i} has an unknown op code (flags 0x${flags.toString(16)})`)
    if ((op === 'clear' || op === 'invalidate') && (flags & (FLAG_EXPIRES | FLAG_USER_VERSION | FLAG_TAGS)) !== 0) {
      malformed(`delta ${i}: a ${op} carries no expiry, userVersion or tags`)
    }
    const origin = origins[index(d, originCount, 'origin index')]
    const seq = d.readVarUint()
    const key = d.readString(MAX_KEY_BYTES, 'key')
    const userVersion = (flags & FLAG_USER_VERSION) !== 0 ? nonZero(d.readVarUint(), 'userVersion') : 0
    const hlc = hlcBase + d.readVarUint()
    if (hlc > Number.MAX_SAFE_INTEGER) malformed(`delta ${i}: hlc beyond 2^53 - 1`)
    const version = makeVersion(userVersion, hlc as Hlc, nodes[index(d, nodeCount, 'node index')])
    let base: Version | undefined
    if ((flags & FLAG_BASE) !== 0) {
      if (op !== 'merge') malformed(`delta ${i}: only a merge carries a base version`)
      const bu = d.readVarUint()
      const bh = d.readVarUint() as Hlc
      base = makeVersion(bu, bh, nodes[index(d, nodeCount, 'base node index')])
    } else if (op === 'merge') {
      malformed(`delta ${i}: a merge must carry its base version`)
    }
    const expiresAt = (flags & FLAG_EXPIRES) !== 0 ? d.readVarUint() : undefined
    const value = op === 'set' || op === 'merge' ? d.readBytes(MAX_VALUE_BYTES, 'value') : undefined
    let tags: string[] | undefined
    if ((flags & FLAG_TAGS) !== 0) {
      if (value === undefined) malformed(`delta ${i}: only a set or a merge carries tags`)
      const n = d.readBoundedVarUint(MAX_TAGS_PER_ENTRY, 'tag count')
      if (n === 0) malformed(`delta ${i}: no tags are encoded by omission, never as an empty list`)
      tags = []
      for (let t = 0; t < n; t++) tags.push(d.readString(MAX_TAG_BYTES, 'tag'))
    }
    out.push(makeDelta(op, key, version, base, value, expiresAt, origin, seq, tags))
  }
  d.expectEnd('delta batch')
  return out
}

/**
 * Upper bound of the bytes `delta` adds to a batch (for filling a byte budget, e.g. a since(T)
 * chunk, without encoding twice). Key length is counted at 3 bytes per UTF-16 unit.
 */
export function deltaEncodedBytesMax(delta: Delta): number {
  const value = delta.value === undefined ? 0 : delta.value.byteLength + 8
  let tags = 0
  if (delta.tags !== undefined) for (const t of delta.tags) tags += 3 * t.length + 8
  return 1 + 8 + 8 + 8 + 3 * delta.key.length + 8 + 8 + 8 + (delta.base === undefined ? 0 : 24) + 8 + value + tags
}

/** Checks a delta before it is encoded (paired with the checks in decodeDeltas). */
export function assertDelta(d: Delta, i = 0): void {
  if (d === null || typeof d !== 'object') throw new TypeError(`delta ${i}: not an object`)
  if (opCode(d.op) < 0) throw new TypeError(`delta ${i}: unknown op ${String(d.op)}`)
  if (typeof d.key !== 'string') throw new TypeError(`delta ${i}: key must be a string`)
  if (!isVersion(d.version)) throw new TypeError(`delta ${i}: malformed version`)
  if ((d.op === 'merge') !== (d.base !== undefined)) throw new TypeError(`delta ${i}: a merge, and only a merge, carries a base`)
  if (d.base !== undefined && !isVersion(d.base)) throw new TypeError(`delta ${i}: malformed base version`)
  const hasValue = d.op === 'set' || d.op === 'merge'
  if (hasValue !== d.value instanceof Uint8Array) throw new TypeError(`delta ${i}: op ${d.op} ${hasValue ? 'needs' : 'takes no'} value`)
  if (d.expiresAt !== undefined && !(Number.isSafeInteger(d.expiresAt) && d.expiresAt >= 0)) {
    throw new TypeError(`delta ${i}: expiresAt must be a safe integer ms ≥ 0`)
  }
  if (d.origin === null || typeof d.origin !== 'object' || typeof d.origin.nodeId !== 'string') {
    throw new TypeError(`delta ${i}: malformed origin`)
  }
  if (!Number.isSafeInteger(d.origin.epoch) || d.origin.epoch < 0) {
    throw new TypeError(`delta ${i}: origin epoch must be a safe integer ≥ 0`)
  }
  if (!Number.isSafeInteger(d.seq) || d.seq < 0) throw new TypeError(`delta ${i}: seq must be a safe integer ≥ 0`)
  if ((d.op === 'clear' || d.op === 'invalidate') && (d.expiresAt !== undefined || d.version.userVersion !== 0)) {
    throw new TypeError(`delta ${i}: a ${d.op} carries no expiry and userVersion 0`)
  }
  const tags = d.tags
  if (tags !== undefined) {
    if (!hasValue) throw new TypeError(`delta ${i}: only a set or a merge carries tags`)
    if (!Array.isArray(tags) || tags.length === 0 || tags.length > MAX_TAGS_PER_ENTRY || !tags.every((t) => typeof t === 'string')) {
      throw new TypeError(`delta ${i}: tags must be 1 to ${MAX_TAGS_PER_ENTRY} strings, or undefined`)
    }
  }
}

/** The wire code of an op, or -1 (a switch: cheaper than a keyed lookup on the hot path). */
function opCode(op: DeltaOp): number {
  switch (op) {
    case 'set':
      return DeltaOpCode.set
    case 'delete':
      return DeltaOpCode.delete
    case 'merge':
      return DeltaOpCode.merge
    case 'ghost':
      return DeltaOpCode.ghost
    case 'clear':
      return DeltaOpCode.clear
    case 'invalidate':
      return DeltaOpCode.invalidate
    default:
      return -1
  }
}

function internNode(nodes: Map<string, number>, id: string): number {
  let index = nodes.get(id)
  if (index === undefined) {
    index = nodes.size
    nodes.set(id, index)
  }
  return index
}

/** A count off the wire: ≤ its bound and ≤ what the rest of the input can hold. */
function boundedCount(d: Decoder, max: number, minItemBytes: number, what: string): number {
  const n = d.readBoundedVarUint(max, what)
  if (n * minItemBytes > d.remaining) {
    throw new DecodeError(DecodeErrorCode.truncated, `${what} ${n} needs at least ${n * minItemBytes} B, ${d.remaining} B left`)
  }
  return n
}

function index(d: Decoder, size: number, what: string): number {
  const i = d.readVarUint()
  if (i >= size) malformed(`${what} ${i} is out of range (table of ${size})`)
  return i
}

function nonZero(v: number, what: string): number {
  if (v === 0) malformed(`${what} 0 is encoded by omission, never explicitly`)
  return v
}

function malformed(message: string): never {
  throw new DecodeError(DecodeErrorCode.malformed, message)
}
