// The decoder fuzzer shared by `npm run bench -- fuzz` (bench/fuzz.ts, the long run) and
// test/fuzz/decoders.test.ts (the short run in `npm test`). Not a benchmark itself.
//
// Every decoder that reads bytes from a peer (G7: lengths and enums are validated before
// anything is allocated) — decodeDeltas (gossip batches, sync chunks), decodeMessage (SWIM
// frames), decodeSyncMessage (sync frames), decodeFrame + decodeDeltas (replication frames,
// lib/replication/frames.ts) — is fed random inputs and mutations of valid
// encodings. An input passes when the decoder either returns or throws a DecodeError. Anything
// else (TypeError, RangeError, a stack overflow) is a failure reported with its seed, decoder
// and index, and the command that replays that one input.
//
// Inputs are a pure function of (seed, decoder, index): each input draws from its own PRNG
// seeded by a hash of the three, so one input replays without running the ones before it.
//
// Mutations (1–4 per input): bit flip, random byte, truncation, insertion of random bytes,
// deletion of a run, insertion of a huge varint (2^28..2^53), inflation of a length field in
// place (a byte that starts a varint gets its continuation bit, so the length it encodes grows
// by ×128 or more), and restoring the version (and sometimes kind) byte so that mutations reach
// the body instead of dying at the first byte.
//
// Allocation bound: a decoded value must not weigh more than its input. Weight counts one unit
// per object or array element, one per UTF-16 unit of each distinct string, and the bytes of
// every Uint8Array that does NOT alias the input (decoded byte views should alias it). A value
// heavier than 2 × input + 64 units means the decoder built something from a count or length
// its input could not hold. Heap growth over the whole run is reported and bounded by callers.

import fc from 'fast-check'
import { DecodeError, Prng } from '../lib/foundation/index.ts'
import { decodeDeltas, encodeDeltas, makeDelta, makeVersion, type Delta, type Hlc } from '../crdt/index.ts'
import {
  decodeHead,
  decodeMessage,
  encodeMessage,
  encodeUpdate,
  MemberState,
  MessageKind,
  UpdateKind,
  type Update,
} from '../membership/index.ts'
import {
  decodeSyncMessage,
  encodeSyncMessage,
  PUSH_OUTCOMES,
  SYNC_WIRE_VERSION,
  SyncKindCode,
  type SyncMessage,
} from '../lib/networking/sync-codec.ts'
import {
  ACK_OUTCOMES,
  decodeFrame,
  encodeFrame,
  FrameKindCode,
  REPLICATION_FRAME_VERSION,
  type ReplicationFrame,
} from '../lib/replication/frames.ts'
import { arbDelta } from '../test/crdt/arbitraries.ts'

export type DecoderName = 'deltas' | 'swim' | 'sync' | 'replication'
export const DECODER_NAMES: readonly DecoderName[] = ['deltas', 'swim', 'sync', 'replication']

export interface FuzzTarget {
  name: DecoderName
  decode(bytes: Uint8Array): unknown
  /** Valid encodings to mutate. */
  corpus: Uint8Array[]
  /** Bytes a valid input starts with (version byte, and kind codes for byte 1 when any). */
  version: number
  kinds: readonly number[]
  /** Re-encodes a decoded value (pair check: what decodes must encode and decode the same). */
  reencode(value: unknown): Uint8Array
}

export interface DecoderReport {
  name: DecoderName
  inputs: number
  /** Inputs that decoded into a value. */
  decoded: number
  /** DecodeErrors by code. */
  decodeErrors: Record<string, number>
  /** Throws that were not DecodeError (must be 0). */
  otherThrows: number
  /** Decoded values heavier than their input allows (must be 0). */
  overweight: number
  /** Decoded values the encoder refused or encoded to something that decodes differently. */
  pairMismatches: number
  /** Largest weight / input bytes seen on a decoded value. */
  maxWeightRatio: number
  /** Slowest single decode, ms (GC pauses included), and its index (replay it to time it alone). */
  maxDecodeMs: number
  slowestIndex: number
  /** Largest input fed, bytes. */
  maxInputBytes: number
  /** The first failures (other throws, overweight, pair mismatches), each with its replay. */
  failures: FuzzFailure[]
  /** Inputs came from the other decoders' generators (crossFeed). */
  cross: boolean
  ms: number
}

export interface FuzzFailure {
  decoder: DecoderName
  index: number
  kind: 'throw' | 'overweight' | 'pair'
  message: string
  hex: string
}

const MAX_FAILURES_KEPT = 5
/** One decode slower than this is reported (a hang or a quadratic path). */
export const SLOW_DECODE_MS = 50

// ---- PRNG ----

/** The project's seeded PRNG (Prng, xoshiro128**) as a function: floats in [0, 1). */
export function prng(seed: number): () => number {
  const r = new Prng(seed)
  return () => r.next()
}

/** A 32-bit hash of (seed, decoder, index): the seed of one input's own PRNG. */
export function inputSeed(seed: number, decoder: number, index: number): number {
  let h = Math.imul(seed ^ 0x85ebca6b, 0xc2b2ae35) ^ Math.imul(decoder + 1, 0x27d4eb2f)
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b) ^ index
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  h ^= h >>> 16
  return h | 0 || 1
}

// ---- corpora ----

function swimCorpus(rnd: () => number, n: number): Uint8Array[] {
  const int = (k: number): number => Math.floor(rnd() * k)
  const id = (): string => ['12D3KooWQmYyQSo1c1Ym7orWxLYvCrM2Emx', 'n1', 'ñødé-ü', 'x'.repeat(1 + int(127))][int(4)]
  const addr = (): string => `/ip4/10.0.${int(256)}.${int(256)}/tcp/${int(65536)}`
  // Epochs (SWIM wire v2): none, a wall-clock start, or the bound.
  const epoch = (): number => [0, 1_700_000_000_000 + int(1e9), Number.MAX_SAFE_INTEGER][int(3)]
  const update = (): Update => {
    const kind = (1 + int(4)) as Update['kind']
    return {
      kind,
      id: id(),
      incarnation: int(2) === 0 ? int(10) : 0xffffffff - int(3),
      epoch: kind === UpdateKind.alive ? epoch() : 0,
      addrs: kind === UpdateKind.alive ? Array.from({ length: int(4) }, addr) : [],
      from: kind === UpdateKind.suspect || kind === UpdateKind.dead ? id() : '',
    }
  }
  const out: Uint8Array[] = []
  for (let i = 0; i < n; i++) {
    const updates = Array.from({ length: int(5) }, () => encodeUpdate(update()))
    const seq = int(2) === 0 ? int(300) : 0xffffffff - int(3)
    switch (int(5)) {
      case 0:
        out.push(encodeMessage({ kind: [MessageKind.ping, MessageKind.ack, MessageKind.nack][int(3)], seq }, updates))
        break
      case 1:
        out.push(encodeMessage({ kind: MessageKind.gossip }, updates))
        break
      case 2:
        out.push(encodeMessage({ kind: MessageKind.pingReq, seq, target: id(), nack: int(2) === 0 }, updates))
        break
      default: {
        const members = Array.from({ length: int(6) }, () => ({
          id: id(),
          state: (1 + int(4)) as MemberState,
          incarnation: int(100),
          epoch: epoch(),
          addrs: Array.from({ length: int(3) }, addr),
        }))
        out.push(encodeMessage({ kind: MessageKind.pushPull, flags: int(4), toEpoch: epoch(), members }, updates))
      }
    }
  }
  return out
}

/**
 * Random field values the sync and replication corpora share: small or near-2^53 integers,
 * origins with ASCII, peer-id-like and non-ASCII node ids, and digests of up to 5 origins.
 */
function wireValues(rnd: () => number) {
  const int = (k: number): number => Math.floor(rnd() * k)
  const big = (): number => (int(2) === 0 ? int(1000) : Number.MAX_SAFE_INTEGER - int(1000))
  // A key-hash slice: the whole space, or a piece at either end of it.
  const slice = (): { lo: number; span: number } => {
    const span = int(2) === 0 ? 2 ** 32 : 1 + int(1000)
    return { lo: span === 2 ** 32 ? 0 : int(2) === 0 ? int(1000) : 2 ** 32 - span, span }
  }
  const origin = () => ({ nodeId: ['n1', '12D3KooWQmYyQSo1c1Ym7orWxLYvCrM2Emx', 'ñødé'][int(3)], epoch: big() })
  const digest = () => ({
    origin: origin(),
    lastSeq: big(),
    clock: big() as Hlc,
    horizon: big() as Hlc,
    progress: Array.from({ length: int(6) }, () => {
      const contiguous = int(1000)
      return { origin: origin(), contiguous, highest: contiguous + int(50), abandoned: int(5) }
    }),
  })
  return { int, big, slice, origin, digest }
}

function syncCorpus(rnd: () => number, n: number, batches: Uint8Array[]): Uint8Array[] {
  const { int, big, origin, digest } = wireValues(rnd)
  const out: Uint8Array[] = []
  for (let i = 0; i < n; i++) {
    let m: SyncMessage
    switch (int(10)) {
      case 0: {
        const from = 1 + int(100)
        m = { kind: 'range', origin: origin(), from, to: from + int(100), maxBytes: big(), entryBytesMax: big() }
        break
      }
      case 1: {
        const lo = int(2 ** 31)
        m = { kind: 'since', hlc: big(), maxBytes: big(), rangeLo: lo, rangeHi: lo + 1 + int(2 ** 31), entryBytesMax: big() }
        break
      }
      case 2:
        m = { kind: int(2) === 0 ? 'digest' : 'digestReply', digest: digest() }
        break
      case 3:
        m = { kind: 'push', batch: batches[int(batches.length)] }
        break
      case 4:
        m = { kind: 'deltas', batch: batches[int(batches.length)] }
        break
      case 5:
        m = { kind: 'end', deltas: big(), bytes: big(), complete: int(2) === 0 }
        break
      case 6:
        m = { kind: 'unavailable', firstSeq: big() }
        break
      case 7:
        m = { kind: 'pushed', outcomes: Array.from({ length: int(8) }, () => PUSH_OUTCOMES[int(PUSH_OUTCOMES.length)]) }
        break
      default:
        m = { kind: 'refused', reason: ['over a limit', 'ask the origin itself', 'ñ'.repeat(int(128))][int(3)] }
    }
    out.push(encodeSyncMessage(m))
  }
  return out
}

function replicationCorpus(rnd: () => number, n: number, batches: Uint8Array[]): Uint8Array[] {
  const { int, big, slice, origin, digest } = wireValues(rnd)
  const batch = (): Uint8Array => batches[int(batches.length)]
  const out: Uint8Array[] = []
  for (let i = 0; i < n; i++) {
    let f: ReplicationFrame
    switch (int(7)) {
      case 0:
        f = { kind: 'batch', acks: Array.from({ length: int(4) }, () => ({ ackId: big(), index: int(12) })), batch: batch() }
        break
      case 1:
        f = {
          kind: 'acked',
          answers: Array.from({ length: int(6) }, () => ({ ackId: big(), outcome: ACK_OUTCOMES[int(ACK_OUTCOMES.length)] })),
        }
        break
      case 2: {
        const from = 1 + int(100)
        f = { kind: 'want', origin: origin(), from, to: from + int(100), maxBytes: big() }
        break
      }
      case 3:
        f = { kind: 'range', origin: origin(), from: 1 + int(100), unavailable: int(2) === 0, batch: batch() }
        break
      case 4:
        f = { kind: 'since', origin: origin(), hlc: big(), maxBytes: big(), ...slice() }
        break
      case 5:
        f = { kind: 'state', origin: origin(), has: big(), complete: int(2) === 0, ...slice(), batch: batch() }
        break
      default:
        f = {
          kind: 'digest',
          replyWanted: int(2) === 0,
          digest: digest(),
        }
    }
    out.push(encodeFrame(f))
  }
  return out
}

/**
 * A replication frame as the engine reads it: the frame, then the delta batch it carries
 * (batch, range and state frames) decoded with decodeDeltas.
 */
function decodeReplicationFrame(bytes: Uint8Array): unknown {
  const f = decodeFrame(bytes)
  return 'batch' in f ? { ...f, batch: decodeDeltas(f.batch) } : f
}

function reencodeReplicationFrame(v: unknown): Uint8Array {
  const f = v as ReplicationFrame & { batch?: Delta[] }
  return encodeFrame((f.batch === undefined ? f : { ...f, batch: encodeDeltas(f.batch) }) as ReplicationFrame)
}

/** The four targets, with corpora drawn from `seed`. */
export function fuzzTargets(seed: number): FuzzTarget[] {
  const deltaBatches = fc
    .sample(fc.array(arbDelta, { minLength: 1, maxLength: 12 }), { seed, numRuns: 200 })
    .map((ds) => encodeDeltas(ds))
  // A few hand-made edge batches: empty, one delete, hlc at 2^53 − 1.
  const farVersion = makeVersion(0, (Number.MAX_SAFE_INTEGER - 1) as Hlc, 'n')
  const far = makeDelta('set', 'k', farVersion, undefined, new Uint8Array(3), undefined, { nodeId: 'n', epoch: 1 }, 1)
  deltaBatches.push(encodeDeltas([]), encodeDeltas([far]))
  return [
    {
      name: 'deltas',
      decode: decodeDeltas,
      corpus: deltaBatches,
      version: 1,
      kinds: [],
      reencode: (v) => encodeDeltas(v as Delta[]),
    },
    {
      name: 'swim',
      // The receive path (Swim.handleMessage): the head, then the updates one by one through
      // the reader, each materialized; it must agree with decodeMessage on what decodes.
      decode: decodeSwimByReader,
      corpus: swimCorpus(prng(seed ^ 0x5717), 300),
      version: 1,
      kinds: Object.values(MessageKind),
      reencode: (v) => {
        const m = v as ReturnType<typeof decodeMessage>
        return encodeMessage(m, m.updates.map(encodeUpdate))
      },
    },
    {
      name: 'sync',
      decode: decodeSyncMessage,
      corpus: syncCorpus(prng(seed ^ 0x5e9c), 300, deltaBatches),
      version: SYNC_WIRE_VERSION,
      kinds: Object.values(SyncKindCode),
      reencode: (v) => encodeSyncMessage(v as SyncMessage),
    },
    {
      name: 'replication',
      decode: decodeReplicationFrame,
      corpus: replicationCorpus(prng(seed ^ 0x7e91), 300, deltaBatches),
      version: REPLICATION_FRAME_VERSION,
      kinds: Object.values(FrameKindCode),
      reencode: reencodeReplicationFrame,
    },
  ]
}

// ---- inputs ----

const HUGE_VARINTS: readonly (readonly number[])[] = [
  [0xff, 0xff, 0xff, 0xff, 0x0f], // 2^32 − 1
  [0x80, 0x80, 0x80, 0x80, 0x80, 0x20], // 2^40
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f], // 2^53 − 1
  [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], // 2^56: over the varint limit
  [0x81, 0x80, 0x80, 0x01], // 2^21 + 1
]

function splice(b: Uint8Array, at: number, remove: number, insert: ArrayLike<number>): Uint8Array {
  const keep = Math.min(remove, b.length - at)
  const next = new Uint8Array(b.length - keep + insert.length)
  next.set(b.subarray(0, at))
  next.set(insert, at)
  next.set(b.subarray(at + keep), at + insert.length)
  return next
}

/** Applies 1–4 random mutations to a copy of `src`. */
export function mutate(src: Uint8Array, rnd: () => number, t: Pick<FuzzTarget, 'version' | 'kinds'>): Uint8Array {
  const int = (n: number): number => Math.floor(rnd() * n)
  // A copy even of a Buffer (whose slice() is a view): the edits below must not damage `src`.
  let b: Uint8Array = new Uint8Array(src)
  const edits = 1 + int(4)
  for (let e = 0; e < edits; e++) {
    switch (int(9)) {
      case 0: // flip a bit
        if (b.length > 0) b[int(b.length)] ^= 1 << int(8)
        break
      case 1: // random byte
        if (b.length > 0) b[int(b.length)] = int(256)
        break
      case 2: // truncate
        b = b.subarray(0, int(b.length + 1))
        break
      case 3: // insert random bytes
        b = splice(b, int(b.length + 1), 0, Array.from({ length: 1 + int(8) }, () => int(256)))
        break
      case 4: // delete a run
        b = splice(b, int(b.length + 1), 1 + int(8), [])
        break
      case 5: // a huge varint where a count or length may sit
        if (b.length > 1) b = splice(b, 1 + int(b.length - 1), int(2), HUGE_VARINTS[int(HUGE_VARINTS.length)])
        break
      case 6: { // inflate a length field in place: give a varint byte its continuation bit
        if (b.length < 3) break
        const at = 2 + int(b.length - 2)
        b = splice(b, at, 0, [(b[at] & 0x7f) | 0x80])
        break
      }
      case 7: // keep the format byte valid so mutations reach the body
        if (b.length > 0) b[0] = t.version
        break
      case 8: // a valid kind with the wrong body (out-of-range enums come from cases 0–1)
        if (b.length > 1 && t.kinds.length > 0) b[1] = t.kinds[int(t.kinds.length)]
        break
    }
  }
  return b
}

/** Input `index` for target `t`: a quarter random bytes, the rest mutated corpus entries. */
export function makeInput(t: FuzzTarget, seed: number, decoderIndex: number, index: number): Uint8Array {
  const rnd = prng(inputSeed(seed, decoderIndex, index))
  if (index % 4 === 0) {
    const n = Math.floor(rnd() * 96)
    const b = new Uint8Array(n)
    for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256)
    if (n > 0 && rnd() < 0.7) b[0] = t.version
    if (n > 1 && t.kinds.length > 0 && rnd() < 0.7) b[1] = t.kinds[Math.floor(rnd() * t.kinds.length)]
    return b
  }
  return mutate(t.corpus[Math.floor(rnd() * t.corpus.length)], rnd, t)
}

// ---- checks ----

/** See the file header: objects, array elements, distinct string units, non-aliased bytes. */
export function weigh(value: unknown, input: Uint8Array): number {
  const strings = new Set<string>()
  const seen = new Set<object>()
  let w = 0
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      if (!strings.has(v)) {
        strings.add(v)
        w += v.length
      }
      return
    }
    if (v === null || typeof v !== 'object') return
    if (seen.has(v)) return
    seen.add(v)
    if (v instanceof Uint8Array) {
      if (v.buffer !== input.buffer) w += v.byteLength
      return
    }
    w++
    if (Array.isArray(v)) {
      w += v.length
      for (const x of v) visit(x)
      return
    }
    for (const x of Object.values(v)) visit(x)
  }
  visit(value)
  return w
}

export function weightBound(inputBytes: number): number {
  return 2 * inputBytes + 64
}

/** Structural equality with Uint8Arrays compared by content. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((x, i) => x === b[i])
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined)
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined)
  if (ka.length !== kb.length) return false
  return ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err)
}

// ---- the run ----

export interface FuzzRunOptions {
  seed: number
  inputs: number
  decoders?: readonly DecoderName[]
  /** Replay only this index (with one decoder). */
  only?: number
  /** Called every `progressEvery` inputs of a decoder. */
  onProgress?: (name: DecoderName, done: number) => void
  progressEvery?: number
}

export function replayCommand(seed: number, decoder: DecoderName, index: number, cross = false): string {
  return `npm run bench -- fuzz -- --seed ${seed} --decoder ${decoder} --index ${index}${cross ? ' --cross' : ''}`
}

/** Fuzzes one decoder; never throws for a decoder's misbehaviour (it is in the report). */
export function fuzzDecoder(t: FuzzTarget, o: FuzzRunOptions, cross = false): DecoderReport {
  const decoderIndex = DECODER_NAMES.indexOf(t.name) + (cross ? DECODER_NAMES.length : 0)
  const r: DecoderReport = {
    name: t.name,
    inputs: 0,
    decoded: 0,
    decodeErrors: {},
    otherThrows: 0,
    overweight: 0,
    pairMismatches: 0,
    maxWeightRatio: 0,
    maxDecodeMs: 0,
    slowestIndex: -1,
    maxInputBytes: 0,
    failures: [],
    cross,
    ms: 0,
  }
  const fail = (index: number, kind: FuzzFailure['kind'], message: string, input: Uint8Array): void => {
    if (r.failures.length >= MAX_FAILURES_KEPT) return
    r.failures.push({ decoder: t.name, index, kind, message, hex: Buffer.from(input).toString('hex') })
  }
  const started = performance.now()
  const first = o.only ?? 0
  const end = o.only === undefined ? o.inputs : o.only + 1
  const every = o.progressEvery ?? 0
  for (let i = first; i < end; i++) {
    const input = makeInput(t, o.seed, decoderIndex, i)
    r.inputs++
    if (input.byteLength > r.maxInputBytes) r.maxInputBytes = input.byteLength
    const t0 = performance.now()
    let value: unknown
    let ok = false
    try {
      value = t.decode(input)
      ok = true
    } catch (err) {
      if (err instanceof DecodeError) r.decodeErrors[err.code] = (r.decodeErrors[err.code] ?? 0) + 1
      else {
        r.otherThrows++
        fail(i, 'throw', describe(err), input)
      }
    }
    const dt = performance.now() - t0
    if (dt > r.maxDecodeMs) {
      r.maxDecodeMs = dt
      r.slowestIndex = i
    }
    if (ok) {
      r.decoded++
      const w = weigh(value, input)
      const ratio = w / Math.max(1, input.byteLength)
      if (ratio > r.maxWeightRatio) r.maxWeightRatio = ratio
      if (w > weightBound(input.byteLength)) {
        r.overweight++
        fail(i, 'overweight', `decoded weight ${w} > bound ${weightBound(input.byteLength)} for ${input.byteLength} B`, input)
      }
      // Pair check: a value that decodes must encode, and decode back to itself.
      try {
        const again = t.decode(t.reencode(value))
        if (!sameValue(again, value)) {
          r.pairMismatches++
          fail(i, 'pair', 're-encoded value decodes differently', input)
        }
      } catch (err) {
        r.pairMismatches++
        fail(i, 'pair', `re-encode failed: ${describe(err)}`, input)
      }
    }
    if (every > 0 && (i + 1) % every === 0) o.onProgress?.(t.name, i + 1)
  }
  r.ms = performance.now() - started
  return r
}

/** Fuzzes every selected decoder in turn. */
export function fuzzAll(o: FuzzRunOptions): DecoderReport[] {
  const names = o.decoders ?? DECODER_NAMES
  return fuzzTargets(o.seed)
    .filter((t) => names.includes(t.name))
    .map((t) => fuzzDecoder(t, o))
}

/**
 * Cross-feeding: every input made for one decoder (valid encodings and their mutations) is fed
 * to the others as well, so each decoder also sees well-formed bytes of another protocol
 * (a peer that speaks the wrong protocol on a stream). Returns one report per receiving decoder.
 */
export function crossFeed(o: FuzzRunOptions): DecoderReport[] {
  const targets = fuzzTargets(o.seed)
  const names = o.decoders ?? DECODER_NAMES
  return targets.filter((t) => names.includes(t.name)).map((receiver) => {
    const r = fuzzDecoder(
      {
        ...receiver,
        // Inputs come from the other targets' generators, in turn.
        corpus: targets.filter((t) => t !== receiver).flatMap((t) => t.corpus),
        version: targets[0].version,
        kinds: targets.filter((t) => t !== receiver).flatMap((t) => t.kinds),
      },
      o,
      true,
    )
    return r
  })
}

/**
 * Decodes a SWIM message as Swim.handleMessage reads it (head, then each update through the
 * reader, materialized) and insists that decodeMessage agrees: both refuse (the reader's
 * DecodeError is rethrown) or both accept with the same message; and each raw update, queued
 * again as received, decodes to itself.
 */
function decodeSwimByReader(bytes: Uint8Array): ReturnType<typeof decodeMessage> {
  let whole: ReturnType<typeof decodeMessage> | undefined
  try {
    whole = decodeMessage(bytes)
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err
  }
  let got: ReturnType<typeof decodeMessage>
  const raws: Uint8Array[] = []
  try {
    const { msg, updates } = decodeHead(bytes)
    got = { ...msg, updates: [...msg.updates] }
    while (updates.next()) {
      got.updates.push(updates.update())
      raws.push(updates.raw())
    }
  } catch (err) {
    if (err instanceof DecodeError && whole !== undefined) throw new Error(`the reader refuses what decodeMessage accepts: ${err.message}`)
    throw err
  }
  if (whole === undefined) throw new Error('the reader accepts what decodeMessage refuses')
  if (JSON.stringify(whole) !== JSON.stringify(got)) throw new Error('the reader and decodeMessage disagree')
  raws.forEach((raw, i) => {
    const again = decodeMessage(encodeMessage({ kind: MessageKind.gossip }, [raw])).updates[0]
    if (JSON.stringify(again) !== JSON.stringify(got.updates[i])) throw new Error('a raw update does not decode to itself')
  })
  return got
}
