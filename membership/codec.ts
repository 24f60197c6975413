// The SWIM wire format: one version byte, one kind byte, the kind's fields, then the
// piggybacked updates. Every length and count is bounded by a named constant before
// anything is allocated; bad input raises DecodeError (truncated ≠ malformed ≠ limit).
//
//   const bytes = encodeMessage({ kind: MessageKind.ping, seq: 7 }, [encodeUpdate(u)])
//   decodeMessage(bytes) // { kind: 1, seq: 7, updates: [u], ... }
//
// Updates are encoded once, when queued (encodeUpdate), and copied as raw bytes into each
// message that carries them, so a broadcast retransmitted 20 times is encoded once.

import { DecodeError, DecodeErrorCode, Decoder, Encoder, varUintBytes } from '../lib/foundation/index.ts'
import { MemberState } from './member-state.ts'
import * as C from './constants.ts'
import { UpdateReader } from './update-reader.ts'
import { EMPTY, malformed, readAddrs, readId, UpdateKind, type Update } from './wire-fields.ts'

export { UpdateKind, type Update } from './wire-fields.ts'

/**
 * Format version. A receiver refuses any other with ERR_DECODE_VERSION. Version 2 added the
 * epoch of alive updates and push-pull members, and the push-pull's echoed epoch (twin.ts):
 * a version 1 node and a version 2 node do not understand each other's SWIM, so a cluster
 * moves from one to the other all at once.
 */
export const WIRE_VERSION = 2

/** Message kinds. THESE NUMBERS ARE THE PROTOCOL: append only, never renumber. */
export const MessageKind = {
  ping: 1,
  pingReq: 2,
  ack: 3,
  nack: 4,
  gossip: 5,
  pushPull: 6,
} as const
export type MessageKind = (typeof MessageKind)[keyof typeof MessageKind]

/** One member in a push-pull state exchange. */
export interface PushPullMember {
  id: string
  state: MemberState
  incarnation: number
  /** The member's epoch as the sender knows it (alive members); 0 or absent when unknown. */
  epoch?: number
  addrs: readonly string[]
}

export const PushPullFlag = { join: 1, reply: 2 } as const

export interface Message {
  kind: MessageKind
  /** ping, pingReq, ack, nack; 0 otherwise. */
  seq: number
  /** pingReq: whom to probe; '' otherwise. */
  target: string
  /** pingReq: the requester wants a nack if the target is silent. */
  nack: boolean
  /** pushPull: PushPullFlag bits. */
  flags: number
  /**
   * pushPull: in a reply, the epoch the request's sender gave for itself (its own entry), so
   * that a process that gets an answer to a request it did not send — one sent by another
   * process with its id — can tell (twin.ts). 0 otherwise.
   */
  toEpoch: number
  /** pushPull only. */
  members: PushPullMember[]
  updates: Update[]
}

export type MessageHead = Partial<Omit<Message, 'updates'>> & { kind: MessageKind }

export function encodeUpdate(u: Update): Uint8Array {
  assertUpdate(u)
  const e = new Encoder(32 + u.id.length + u.from.length)
  writeUpdate(e, u)
  return e.finish()
}

function writeUpdate(e: Encoder, u: Update): void {
  e.writeUint8(u.kind)
  e.writeString(u.id)
  e.writeVarUint(u.incarnation)
  if (u.kind === UpdateKind.alive) {
    e.writeVarUint(u.epoch ?? 0)
    writeAddrs(e, u.addrs)
  }
  else if (u.kind === UpdateKind.suspect || u.kind === UpdateKind.dead) e.writeString(u.from)
}

function writeAddrs(e: Encoder, addrs: readonly string[]): void {
  e.writeVarUint(addrs.length)
  for (const a of addrs) e.writeString(a)
}

/** Encodes a message whose piggyback is already-encoded updates (see encodeUpdate). */
export function encodeMessage(head: MessageHead, updates: readonly Uint8Array[] = []): Uint8Array {
  if (updates.length > C.MAX_UPDATES) throw new RangeError(`encodeMessage: ${updates.length} updates exceed MAX_UPDATES`)
  let size = 16
  for (const u of updates) size += u.byteLength
  const k = head.kind
  if (k === MessageKind.ping || k === MessageKind.ack || k === MessageKind.nack || k === MessageKind.gossip) {
    return encodeSmall(head, updates, size)
  }
  const e = new Encoder(size)
  e.writeUint8(WIRE_VERSION)
  e.writeUint8(head.kind)
  switch (head.kind) {
    case MessageKind.ping:
    case MessageKind.ack:
    case MessageKind.nack:
      e.writeVarUint(head.seq ?? 0)
      break
    case MessageKind.pingReq:
      e.writeVarUint(head.seq ?? 0)
      e.writeString(head.target ?? '')
      e.writeUint8(head.nack === true ? 1 : 0)
      break
    case MessageKind.gossip:
      break
    case MessageKind.pushPull: {
      const members = head.members ?? []
      e.writeUint8(head.flags ?? 0)
      e.writeVarUint(head.toEpoch ?? 0)
      e.writeVarUint(members.length)
      for (const m of members) {
        e.writeUint8(m.state)
        e.writeString(m.id)
        e.writeVarUint(m.incarnation)
        e.writeVarUint(m.epoch ?? 0)
        writeAddrs(e, m.addrs)
      }
      break
    }
    default:
      throw new TypeError(`encodeMessage: unknown kind ${String(head.kind)}`)
  }
  e.writeVarUint(updates.length)
  for (const u of updates) e.writeRaw(u)
  return e.finish()
}

/**
 * The probe and gossip messages (most of the traffic) are a header and already-encoded
 * updates: written straight into one exact-size array, the same bytes Encoder would write.
 */
function encodeSmall(head: MessageHead, updates: readonly Uint8Array[], sizeBound: number): Uint8Array {
  const seq = head.kind === MessageKind.gossip ? -1 : (head.seq ?? 0)
  // Exact size, so that one allocation is the whole cost.
  const size = sizeBound - 16 + 2 + (seq < 0 ? 0 : varUintBytes(seq)) + varUintBytes(updates.length)
  const out = new Uint8Array(size)
  out[0] = WIRE_VERSION
  out[1] = head.kind
  let pos = 2
  if (seq >= 0) pos = putVarUint(out, pos, seq)
  pos = putVarUint(out, pos, updates.length)
  for (const u of updates) {
    // Updates are a few dozen bytes: a plain loop beats TypedArray#set at this size.
    const n = u.length
    if (n > 64) out.set(u, pos)
    else for (let i = 0; i < n; i++) out[pos + i] = u[i]
    pos += n
  }
  return out
}

function putVarUint(buf: Uint8Array, pos: number, v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`varint ${v} is not a safe unsigned integer`)
  while (v > 0x7f) {
    buf[pos++] = (v % 0x80) | 0x80
    v = Math.floor(v / 0x80)
  }
  buf[pos++] = v
  return pos
}

/** Decodes one message; throws DecodeError only. String fields are copies; nothing aliases `bytes`. */
export function decodeMessage(bytes: Uint8Array): Message {
  const small = decodeSmall(bytes)
  if (small !== undefined) return small
  const d = new Decoder(bytes)
  const m = readHead(d)
  const count = readUpdateCount(d)
  for (let i = 0; i < count; i++) m.updates.push(readUpdate(d))
  d.expectEnd('SWIM message')
  return m
}

/**
 * The receive path's decode: the message's head, and a reader that walks its updates one at
 * a time (update-reader.ts), so that the receiver builds nothing for the many it already
 * knows. `msg.updates` is empty. Errors in the updates surface from the reader.
 */
export function decodeHead(bytes: Uint8Array): { msg: Message; updates: UpdateReader } {
  const small = decodeSmall(bytes)
  if (small !== undefined) return { msg: small, updates: new UpdateReader(bytes, undefined, 0) }
  const d = new Decoder(bytes)
  const msg = readHead(d)
  return { msg, updates: new UpdateReader(bytes, d, readUpdateCount(d)) }
}

function readUpdateCount(d: Decoder): number {
  const count = d.readBoundedVarUint(C.MAX_UPDATES, 'update count')
  if (count * 3 > d.remaining) throw new DecodeError(DecodeErrorCode.truncated, `${count} updates claimed in ${d.remaining} bytes`)
  return count
}

function readHead(d: Decoder): Message {
  const version = d.readUint8()
  if (version !== WIRE_VERSION) throw new DecodeError(DecodeErrorCode.version, `SWIM wire version ${version} is not ${WIRE_VERSION}`)
  const kind = d.readUint8()
  const m: Message = { kind: kind as MessageKind, seq: 0, target: '', nack: false, flags: 0, toEpoch: 0, members: [], updates: [] }
  switch (kind) {
    case MessageKind.ping:
    case MessageKind.ack:
    case MessageKind.nack:
      m.seq = d.readBoundedVarUint(C.MAX_SEQ, 'seq')
      break
    case MessageKind.pingReq: {
      m.seq = d.readBoundedVarUint(C.MAX_SEQ, 'seq')
      m.target = readId(d, 'target id')
      const nack = d.readUint8()
      if (nack > 1) throw malformed(`nack flag ${nack}`)
      m.nack = nack === 1
      break
    }
    case MessageKind.gossip:
      break
    case MessageKind.pushPull: {
      m.flags = d.readUint8()
      if (m.flags > 3) throw malformed(`push-pull flags ${m.flags}`)
      m.toEpoch = d.readBoundedVarUint(C.MAX_EPOCH, 'echoed epoch')
      const n = d.readBoundedVarUint(C.MAX_PUSH_PULL_MEMBERS_WIRE, 'push-pull member count')
      // Each member takes at least 4 bytes: refuse a count the input cannot hold before
      // allocating for it.
      if (n * 4 > d.remaining) throw new DecodeError(DecodeErrorCode.truncated, `push-pull claims ${n} members in ${d.remaining} bytes`)
      for (let i = 0; i < n; i++) {
        const state = d.readUint8()
        if (state < MemberState.alive || state > MemberState.left) throw malformed(`member state ${state}`)
        const id = readId(d, 'member id')
        const incarnation = d.readBoundedVarUint(C.MAX_INCARNATION, 'incarnation')
        const epoch = d.readBoundedVarUint(C.MAX_EPOCH, 'epoch')
        m.members.push({ id, state: state as MemberState, incarnation, epoch, addrs: readAddrs(d) })
      }
      break
    }
    default:
      throw malformed(`unknown message kind ${kind}`)
  }
  return m
}

/**
 * Fast path for the commonest message, a ping, ack or nack with nothing piggybacked:
 * [version][kind][seq varint ≤ 5 bytes][0]. Anything else (or anything odd) returns
 * undefined and takes the general path, which produces the precise error.
 */
function decodeSmall(b: Uint8Array): Message | undefined {
  const n = b.length
  if (n < 4 || n > 8 || b[0] !== WIRE_VERSION || b[n - 1] !== 0) return undefined
  const kind = b[1]
  if (kind !== MessageKind.ping && kind !== MessageKind.ack && kind !== MessageKind.nack) return undefined
  let seq = 0
  let mul = 1
  let i = 2
  for (; i < n - 1; i++) {
    const c = b[i]
    seq += (c & 0x7f) * mul
    mul *= 0x80
    if (c < 0x80) break
  }
  if (i !== n - 2 || seq > C.MAX_SEQ) return undefined
  return { kind: kind as MessageKind, seq, target: '', nack: false, flags: 0, toEpoch: 0, members: NO_MEMBERS, updates: NO_UPDATES }
}

const NO_MEMBERS: PushPullMember[] = []
const NO_UPDATES: Update[] = []
Object.freeze(NO_MEMBERS)
Object.freeze(NO_UPDATES)

function readUpdate(d: Decoder): Update {
  const kind = d.readUint8()
  if (kind < UpdateKind.alive || kind > UpdateKind.left) throw malformed(`unknown update kind ${kind}`)
  const id = readId(d, 'update id')
  const incarnation = d.readBoundedVarUint(C.MAX_INCARNATION, 'incarnation')
  let addrs: readonly string[] = EMPTY
  let from = ''
  let epoch = 0
  if (kind === UpdateKind.alive) {
    epoch = d.readBoundedVarUint(C.MAX_EPOCH, 'epoch')
    addrs = readAddrs(d)
  } else if (kind === UpdateKind.suspect || kind === UpdateKind.dead) from = readId(d, 'accuser id')
  return { kind: kind as UpdateKind, id, incarnation, epoch, addrs, from }
}

/** Paired assertion: an update we are about to encode must be one we would decode. */
function assertUpdate(u: Update): void {
  if (u.id.length === 0 || u.id.length > C.MAX_ID_BYTES) throw new RangeError(`update id length ${u.id.length}`)
  if (!Number.isInteger(u.incarnation) || u.incarnation < 0 || u.incarnation > C.MAX_INCARNATION) {
    throw new RangeError(`incarnation ${u.incarnation}`)
  }
  const epoch = u.epoch ?? 0
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError(`epoch ${epoch}`)
  if (u.addrs.length > C.MAX_ADDRS) throw new RangeError(`${u.addrs.length} addrs exceed MAX_ADDRS`)
  if ((u.kind === UpdateKind.suspect || u.kind === UpdateKind.dead) && u.from.length === 0) {
    throw new RangeError('suspect/dead update without an accuser')
  }
}
