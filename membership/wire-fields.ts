// The fields of the SWIM wire format that both the message codec (codec.ts) and the lazy
// update reader (update-reader.ts) read: update kinds, addresses, ids (through a cache) and the
// malformed-input error. In a file of their own so that neither of the two imports the other.

import { DecodeError, DecodeErrorCode, type Decoder } from '../lib/foundation/index.ts'
import * as C from './constants.ts'

/** Update kinds. THESE NUMBERS ARE THE PROTOCOL: append only, never renumber. */
export const UpdateKind = {
  alive: 1,
  suspect: 2,
  dead: 3,
  left: 4,
} as const
export type UpdateKind = (typeof UpdateKind)[keyof typeof UpdateKind]

/** A membership update, piggybacked. `from` is the accuser (suspect, dead); '' otherwise. */
export interface Update {
  kind: UpdateKind
  id: string
  incarnation: number
  /**
   * Alive only: the epoch of the run that announced itself (a per-start number, SwimInit.epoch);
   * 0 or absent when unknown. Two epochs for one id at once are two processes sharing it (twin.ts).
   */
  epoch?: number
  /** Alive only; [] for others. */
  addrs: readonly string[]
  /** Suspect and dead only; '' for others. */
  from: string
}

export const EMPTY: readonly string[] = Object.freeze([])

export function readAddrs(d: Decoder): readonly string[] {
  const n = d.readBoundedVarUint(C.MAX_ADDRS, 'address count')
  if (n === 0) return EMPTY
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push(d.readString(C.MAX_ADDR_BYTES, 'address'))
  return out
}

/**
 * Ids repeat endlessly on the wire (a cluster has a bounded set of them), so decoded ids go
 * through a direct-mapped cache of ID_CACHE_SIZE entries: a hit costs a hash and a compare
 * instead of a new string, and the returned string, being the same object each time, keeps
 * its hash for the member-table lookup that follows. Only valid ids enter the cache.
 * 65,536 entries so that a 10,000-member cluster mostly hits (4,096 thrashed there); the cache
 * holds at most 65,536 × MAX_ID_BYTES = 8 MiB even when a peer sends nothing but new ids.
 */
const ID_CACHE_SIZE = 65536
const idCacheBytes: (Uint8Array | undefined)[] = new Array(ID_CACHE_SIZE).fill(undefined)
const idCacheStrings: string[] = new Array(ID_CACHE_SIZE).fill('')
const utf8 = new TextDecoder('utf-8', { fatal: true })

export function readId(d: Decoder, what: string): string {
  const n = d.readBoundedVarUint(C.MAX_ID_BYTES, 'id length')
  if (n === 0) throw malformed(`empty ${what}`)
  // Looked at in place: a hit allocates nothing. The view made on a miss aliases the input
  // and is copied below before it is kept.
  const start = d.skip(n, what)
  const buf = d.bytes
  let h = n
  let ascii = true
  for (let i = start; i < start + n; i++) {
    const c = buf[i]
    if (c > 0x7f) ascii = false
    h = Math.imul(h ^ c, 0x9e3779b1)
  }
  const at = (h >>> 16) & (ID_CACHE_SIZE - 1)
  const cached = idCacheBytes[at]
  if (cached !== undefined && cached.length === n) {
    let same = true
    for (let i = 0; i < n && same; i++) same = cached[i] === buf[start + i]
    if (same) return idCacheStrings[at]
  }
  const raw = buf.subarray(start, start + n)
  let id: string
  if (ascii) id = String.fromCharCode.apply(null, raw as unknown as number[])
  else {
    try {
      id = utf8.decode(raw)
    } catch {
      throw malformed(`${what} is not valid UTF-8`)
    }
  }
  idCacheBytes[at] = raw.slice()
  idCacheStrings[at] = id
  return id
}

export function malformed(what: string): DecodeError {
  return new DecodeError(DecodeErrorCode.malformed, what)
}
