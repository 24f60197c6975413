// Walks the updates of a received message one at a time (codec.ts decodeHead). Most updates
// a node receives are ones it already holds: for those the receiver reads the kind, the id
// (a cached string) and the incarnation, finds nothing to do, and moves on; the addresses or
// accuser are stepped over by length, and no object is built. For an update it takes,
// update() decodes the rest (validating it as decodeMessage does) and raw() copies the
// update's bytes, which the node queues as they are instead of encoding them again.
//
// Unlike decodeMessage, a malformed update is found only when the reader reaches it, after
// the updates before it were handed out: the receiver may act on a valid prefix of a bad
// message. A peer could have sent that prefix as a message of its own, so this grants it
// nothing; the message is still counted as a decode error and not answered.

import type { Decoder } from '../lib/foundation/index.ts'
import { Decoder as Reader } from '../lib/foundation/index.ts'
import { UpdateKind, readAddrs, readId, malformed, type Update } from './wire-fields.ts'
import * as C from './constants.ts'

export class UpdateReader {
  /** The current update's kind, id and incarnation (after next() returned true). */
  kind: UpdateKind = UpdateKind.alive
  id = ''
  incarnation = 0
  readonly #bytes: Uint8Array
  readonly #d: Decoder | undefined
  #left: number
  #start = 0
  #tail = 0
  #end = 0

  constructor(bytes: Uint8Array, d: Decoder | undefined, count: number) {
    this.#bytes = bytes
    this.#d = d
    this.#left = count
  }

  /** Steps to the next update; false after the last (and then checks nothing follows it). */
  next(): boolean {
    const d = this.#d
    if (d === undefined) return false
    if (this.#left === 0) {
      d.expectEnd('SWIM message')
      return false
    }
    this.#left--
    this.#start = d.position
    const kind = d.readUint8()
    if (kind < UpdateKind.alive || kind > UpdateKind.left) throw malformed(`unknown update kind ${kind}`)
    this.kind = kind as UpdateKind
    this.id = readId(d, 'update id')
    this.incarnation = d.readBoundedVarUint(C.MAX_INCARNATION, 'incarnation')
    this.#tail = d.position
    if (kind === UpdateKind.alive) {
      d.readBoundedVarUint(C.MAX_EPOCH, 'epoch')
      const n = d.readBoundedVarUint(C.MAX_ADDRS, 'address count')
      for (let i = 0; i < n; i++) d.skip(d.readBoundedVarUint(C.MAX_ADDR_BYTES, 'address length'), 'address')
    } else if (kind === UpdateKind.suspect || kind === UpdateKind.dead) {
      const n = d.readBoundedVarUint(C.MAX_ID_BYTES, 'id length')
      if (n === 0) throw malformed('empty accuser id')
      d.skip(n, 'accuser id')
    }
    this.#end = d.position
    return true
  }

  /** The current update, whole: addresses and accuser decoded and validated. */
  update(): Update {
    const d = new Reader(this.#bytes.subarray(this.#tail, this.#end))
    let addrs: readonly string[] = NO_ADDRS
    let from = ''
    let epoch = 0
    if (this.kind === UpdateKind.alive) {
      epoch = d.readBoundedVarUint(C.MAX_EPOCH, 'epoch')
      addrs = readAddrs(d)
    } else if (this.kind === UpdateKind.suspect || this.kind === UpdateKind.dead) from = readId(d, 'accuser id')
    d.expectEnd('update')
    return { kind: this.kind, id: this.id, incarnation: this.incarnation, epoch, addrs, from }
  }

  /** A copy of the current update's bytes, to queue as they are (for well-formed input, what encodeUpdate would produce). */
  raw(): Uint8Array {
    return this.#bytes.slice(this.#start, this.#end)
  }
}

const NO_ADDRS: readonly string[] = Object.freeze([])
