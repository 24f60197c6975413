// Hot-key hints (docs/hints.md): what one node tells its peers once per round about the keys
// its S3-FIFO found hot, and the wire codec of that message. Pure: no timers, no I/O, no
// clock. The receiver's rule is receiver.ts; the node's rounds are rounds.ts.
//
// Round trip:
//
//   const bytes = encodeHint({ keys: store.drainHotKeys(256), freq: 2 }, 4096)
//   const hint = decodeHint(bytes)          // DecodeError on anything malformed
//   receiver.handle(hint)                   // boosts held keys, remembers absent ones
//
// Why key strings, not key hashes (measured in bench/takeover.ts, docs/takeover-results.md):
// a hint of hashes needs the receiver to keep a hash → key index of everything it holds (a
// second Map entry per held key, maintained on every insert and eviction) to find what to
// boost, and an absent key's hash cannot be fetched by name. Strings need no index; on the
// traces a key costs 1 + 3 to 10 B (a hash 4 B), and the whole hint traffic stays far below
// 1% of the delta traffic. Keys longer than `keyBytesMax` are left out of hints (counted).
//
// Wire format (the numbers are part of the protocol; append only):
//   u8 HINT_FORMAT_VERSION (1)
//   u8 boost frequency (1..3: what the receiver raises held keys to)
//   varuint key count (≤ MAX_HINT_KEYS)
//   count × (varuint length ≤ MAX_HINT_KEY_BYTES, UTF-8 bytes)
// A whole message is at most MAX_HINT_MESSAGE_BYTES.

import { DecodeError, DecodeErrorCode, Decoder, Encoder, intInRange, utf8Length, varUintBytes } from '../foundation/index.ts'
import { MAIN_REINSERT_FREQ_CAP, type S3FifoStore } from '../store/index.ts'

export const HINT_FORMAT_VERSION = 1
/** Keys in one decoded hint, at most. A bound for the decoder; senders send far fewer. */
export const MAX_HINT_KEYS = 4096
/** Bytes of one key in a hint, at most (longer keys are not hinted). */
export const MAX_HINT_KEY_BYTES = 1024
/** Bytes of one hint message, at most: the decoder refuses anything longer before reading it. */
export const MAX_HINT_MESSAGE_BYTES = 64 * 1024

/**
 * Keys per hint message a node sends, at most (one round). Measured (bench/takeover.ts,
 * rounds of 1,000 requests, 3 nodes): most rounds promote fewer, but bursts on
 * cloudphysics_w106 (100 B values, 90% hits: few deltas to compare with) cost 1.2% of the
 * delta bytes at 64 keys a round; 32 keeps every trace under 1% and did not change a hit
 * ratio by more than noise (docs/takeover-results.md). Cost: ≤ 32 × (1 + key bytes) per
 * round and member.
 */
export const DEFAULT_HINT_KEYS_PER_ROUND = 32
/** Bytes of one hint message a node sends, at most (its keys stop there). */
export const DEFAULT_HINT_BYTES_PER_ROUND = 4096
/**
 * The frequency a receiver raises a held hinted key to: the promotion threshold (2), so a
 * hinted key waiting in small is promoted to main instead of dropped to the ghost, and one in
 * main survives two more passes of main's tail. Never above MAIN_REINSERT_FREQ_CAP (3).
 */
export const DEFAULT_HINT_BOOST_FREQ = 2
/** Hot keys a receiver remembers that it does not hold (for a warm-up or repair to fetch first). */
export const DEFAULT_HINT_ABSENT_KEYS_MAX = 4096
/** Longest key a sender puts in a hint. */
export const DEFAULT_HINT_KEY_BYTES_MAX = 256

/** What hints need of a store: any S3FifoStore, whatever its version type. */
export type HintStore = Pick<S3FifoStore<unknown>, 'boost' | 'drainHotKeys' | 'has' | 'hotKeysMax'>

export interface Hint {
  /** Hot keys, hottest (most recent) first. */
  keys: string[]
  /** What the receiver raises held keys' frequency to: 1..MAIN_REINSERT_FREQ_CAP. */
  freq: number
}

/**
 * Encodes a hint, keeping keys in order while the message stays within `maxBytes` and
 * skipping keys over `keyBytesMax`. Returns the bytes and how many keys went in.
 */
export function encodeHint(
  hint: Hint,
  maxBytes = DEFAULT_HINT_BYTES_PER_ROUND,
  keyBytesMax = DEFAULT_HINT_KEY_BYTES_MAX,
): { bytes: Uint8Array; keys: number } {
  checkFreq('encodeHint', 'freq', hint.freq)
  intInRange('encodeHint', 'maxBytes', maxBytes, 16, MAX_HINT_MESSAGE_BYTES)
  const keyMax = Math.min(keyBytesMax, MAX_HINT_KEY_BYTES)
  // Header: version, freq, count (≤ 3 bytes as a varint for ≤ MAX_HINT_KEYS).
  let size = 2 + 3
  const chosen: string[] = []
  for (const key of hint.keys) {
    if (chosen.length >= MAX_HINT_KEYS) break
    const n = utf8Length(key)
    if (n > keyMax) continue
    const cost = varUintBytes(n) + n
    if (size + cost > maxBytes) break
    size += cost
    chosen.push(key)
  }
  const e = new Encoder(size)
  e.writeUint8(HINT_FORMAT_VERSION)
  e.writeUint8(hint.freq)
  e.writeVarUint(chosen.length)
  for (const key of chosen) e.writeString(key)
  return { bytes: e.finish(), keys: chosen.length }
}

/** Decodes a hint; throws only DecodeError. Keys are fresh strings (nothing aliases the input). */
export function decodeHint(bytes: Uint8Array): Hint {
  if (bytes.byteLength > MAX_HINT_MESSAGE_BYTES) {
    throw new DecodeError(DecodeErrorCode.limit, `hint of ${bytes.byteLength} B exceeds ${MAX_HINT_MESSAGE_BYTES} B`)
  }
  const d = new Decoder(bytes)
  const version = d.readUint8()
  if (version !== HINT_FORMAT_VERSION) {
    throw new DecodeError(DecodeErrorCode.version, `hint format ${version}, this build speaks ${HINT_FORMAT_VERSION}`)
  }
  const freq = d.readUint8()
  if (freq < 1 || freq > MAIN_REINSERT_FREQ_CAP) {
    throw new DecodeError(DecodeErrorCode.malformed, `hint boost frequency ${freq} not in [1, ${MAIN_REINSERT_FREQ_CAP}]`)
  }
  const count = d.readBoundedVarUint(MAX_HINT_KEYS, 'hint key count')
  // Each key takes at least its length byte: a count the input cannot hold is truncated input.
  if (count > d.remaining) throw new DecodeError(DecodeErrorCode.truncated, `hint announces ${count} keys in ${d.remaining} B`)
  const keys: string[] = new Array<string>(count)
  for (let i = 0; i < count; i++) keys[i] = d.readString(MAX_HINT_KEY_BYTES, 'hint key')
  d.expectEnd('hint')
  return { keys, freq }
}

/** Throws unless `freq` is a boost frequency a hint may carry (1..MAIN_REINSERT_FREQ_CAP). */
export function checkFreq(owner: string, name: string, freq: number): void {
  intInRange(owner, name, freq, 1, MAIN_REINSERT_FREQ_CAP)
}
