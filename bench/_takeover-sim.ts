// The takeover experiment of bench/takeover.ts (and test/node/hints.test.ts): N Replicas
// in one process with simulated delivery, a real trace split between them, node A failed at
// `failAt`, its requests routed to B from then on.
//
// - Request i (clock: nowMs = i) goes to node route(i). On a miss the node loads the value
//   and `set`s it (the trace's replay loop); the deltas of a round are encoded once per node
//   (encodeDeltas: delta bytes) and applied on every other live node at the round's end.
// - Every `roundRequests` requests (the hint interval), each live node's HotKeyHints.tick()
//   drains its store and publishes one hint, which every other live node receives. A delta
//   that brings a key a peer hinted as hot gets the hint's boost on arrival (noteHeld).
// - Values are 4-byte stand-ins holding the request's size; the store charges that size
//   (sizeOf) and delta bytes count it, so the byte figures are those of real values without
//   the process holding gigabytes.
// - Splits (the traces have no client ids): 'position' hashes the request's position in the
//   trace (each request from an independent client behind a load balancer), 'slice' hashes
//   contiguous slices of `sliceRequests` (sticky sessions), 'key' hashes the key (key-affinity
//   routing: disjoint hot sets, the stress case).

import { encodeDeltas, Replica, type Delta } from '../crdt/index.ts'
import { keyHash32 } from '../lib/foundation/key-hash.ts'
import { HotKeyHints, type HotKeyHintsInit } from '../lib/hints/rounds.ts'

export type Split = 'position' | 'slice' | 'key'

export interface TraceLike {
  name: string
  keys: string[]
  sizes: Uint32Array
  uniqueBytes: number
}

export interface TakeoverConfig {
  nodes: number
  /** Each node's byte budget as a share of the trace's unique bytes. */
  capacityFraction: number
  /** Requests (cluster-wide) per replication and hint round. */
  roundRequests: number
  /** Requests per hint round when hints go out more often than deltas (0: with the deltas). */
  hintRoundRequests: number
  /** Share of the trace after which node 0 (A) fails; node 1 (B) takes its requests. */
  failAt: number
  split: Split
  sliceRequests: number
  /** Hints on (their options) or off (undefined). */
  hints: Omit<HotKeyHintsInit, 'store' | 'publish'> | undefined
  /** Store hot-key ring capacity (only used with hints). */
  hotKeysMax: number
  /** False: A never fails (the counterfactual: what A itself would have hit on those requests). */
  fail: boolean
}

export const DEFAULT_TAKEOVER_CONFIG: TakeoverConfig = {
  nodes: 3,
  capacityFraction: 0.1,
  roundRequests: 1000,
  hintRoundRequests: 0,
  failAt: 0.5,
  split: 'position',
  sliceRequests: 1000,
  hints: undefined,
  hotKeysMax: 1024,
  fail: true,
}

export interface TakeoverResult {
  /** A's hit ratio over its requests in the last 20% of the time before it failed. */
  steadyHitRatioA: number
  /** B's hit ratio over the first 1%, 5%, 20% of the taken-over requests. */
  first1: number
  first5: number
  first20: number
  takenOver: number
  /** B's hit ratio on its own requests in the same span before the failure, and during first20. */
  bOwnBefore: number
  bOwnAfter: number
  /** Cluster hit ratio over the whole run. */
  overall: number
  deltaBytes: number
  hintBytes: number
  /** What the same hints would have cost as 4-byte key hashes. */
  hintBytesAsHashes: number
  hintMessages: number
  hintKeys: number
  /** Distinct hot keys drained per node-round: median and p95. */
  hintKeysPerRoundP50: number
  hintKeysPerRoundP95: number
  boosts: number
  absentNoted: number
  ms: number
}

function hash32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d)
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b)
  return (x ^ (x >>> 16)) >>> 0
}

const SIZE_VIEW = new DataView(new ArrayBuffer(4))
function standIn(size: number): Uint8Array {
  SIZE_VIEW.setUint32(0, size, true)
  return new Uint8Array(SIZE_VIEW.buffer.slice(0))
}
function sizeOfStandIn(_key: string, v: Uint8Array): number {
  if (v.byteLength < 4) return 1
  return Math.max(1, v[0] | (v[1] << 8) | (v[2] << 16) | (v[3] * 0x1000000))
}

export function runTakeover(trace: TraceLike, config: Partial<TakeoverConfig> = {}): TakeoverResult {
  const c: TakeoverConfig = { ...DEFAULT_TAKEOVER_CONFIG, ...config }
  const started = performance.now()
  const { keys, sizes } = trace
  const n = keys.length
  const N = c.nodes
  const A = 0
  const B = 1
  const failIndex = Math.floor(n * c.failAt)
  const steadyFrom = Math.floor(failIndex * 0.8)
  const maxBytes = Math.max(64, Math.floor(trace.uniqueBytes * c.capacityFraction))
  const hintsOn = c.hints !== undefined
  const route = (i: number): number => {
    if (c.split === 'position') return hash32(i) % N
    if (c.split === 'slice') return hash32(Math.floor(i / c.sliceRequests)) % N
    return keyHash32(keys[i]) % N
  }

  const replicas: Replica[] = []
  const hints: (HotKeyHints | undefined)[] = []
  const hintOut: (Uint8Array | undefined)[] = []
  const outbox: Delta[][] = []
  for (let k = 0; k < N; k++) {
    const r = new Replica({
      nodeId: `node-${k}`,
      maxBytes,
      store: { sizeOf: sizeOfStandIn, hotKeysMax: hintsOn ? c.hotKeysMax : 0, estimatedEntries: 1 << 14 },
      log: { maxDeltas: 1024 },
    })
    replicas.push(r)
    outbox.push([])
    hintOut.push(undefined)
    hints.push(
      hintsOn ? new HotKeyHints({ enabled: true, ...c.hints, store: r.store, publish: (bytes) => void (hintOut[k] = bytes) }) : undefined,
    )
  }
  const alive = new Array<boolean>(N).fill(true)

  // Taken-over requests: how many, to place the 1/5/20% marks.
  let takenOver = 0
  for (let i = failIndex; i < n; i++) if (sizes[i] !== 0 && route(i) === A) takenOver++
  const takenHits = new Uint8Array(takenOver)
  let takenSeen = 0
  const first20Count = Math.ceil(takenOver * 0.2)
  let aSteady = 0
  let aSteadyHits = 0
  let bBefore = 0
  let bBeforeHits = 0
  let bAfter = 0
  let bAfterHits = 0
  let hits = 0
  let reads = 0
  let deltaBytes = 0
  let hintBytes = 0
  let hintBytesAsHashes = 0
  let hintMessages = 0
  let hintKeys = 0
  const perRound: number[] = []

  const endRound = (nowMs: number): void => {
    for (let k = 0; k < N; k++) {
      const box = outbox[k]
      if (box.length === 0) continue
      if (alive[k]) {
        let valueBytes = 0
        for (const d of box) if (d.value !== undefined) valueBytes += sizeOfStandIn(d.key, d.value) - d.value.byteLength
        deltaBytes += encodeDeltas(box).byteLength + valueBytes
        for (let m = 0; m < N; m++) {
          if (m === k || !alive[m]) continue
          const r = replicas[m]
          const h = hints[m]
          for (const d of box) if (r.apply(d, nowMs) === 'applied' && h !== undefined) h.noteHeld(d.key)
        }
      }
      outbox[k] = []
    }
    if (c.hintRoundRequests === 0) exchangeHints()
  }

  const exchangeHints = (): void => {
    if (!hintsOn) return
    for (let k = 0; k < N; k++) {
      if (!alive[k]) continue
      const h = hints[k] as HotKeyHints
      const before = h.stats().keysSent
      const bytes = h.tick()
      perRound.push(h.stats().keysSent - before)
      if (bytes === undefined) continue
      hintBytes += bytes.byteLength
      hintMessages++
      const sent = h.stats().keysSent - before
      hintKeys += sent
      hintBytesAsHashes += 5 + 4 * sent // version, freq, count; 4 B per hash
      for (let m = 0; m < N; m++) if (m !== k && alive[m]) hints[m]?.receive(`node-${k}`, bytes)
    }
  }

  for (let i = 0; i < n; i++) {
    if (i === failIndex && c.fail) {
      endRound(i)
      alive[A] = false
    }
    const size = sizes[i]
    if (size === 0) continue
    const owner = route(i)
    const node = c.fail && i >= failIndex && owner === A ? B : owner
    const r = replicas[node]
    const key = keys[i]
    const hit = r.get(key, i) !== undefined
    if (!hit) outbox[node].push(r.set(key, standIn(size), {}, i))
    reads++
    if (hit) hits++
    if (i >= steadyFrom && i < failIndex) {
      if (owner === A) {
        aSteady++
        if (hit) aSteadyHits++
      } else if (owner === B) {
        bBefore++
        if (hit) bBeforeHits++
      }
    } else if (i >= failIndex) {
      if (owner === A) {
        if (hit) takenHits[takenSeen] = 1
        takenSeen++
      } else if (owner === B && takenSeen < first20Count) {
        bAfter++
        if (hit) bAfterHits++
      }
    }
    if ((i + 1) % c.roundRequests === 0) endRound(i)
    if (c.hintRoundRequests !== 0 && (i + 1) % c.hintRoundRequests === 0) exchangeHints()
  }

  const firstShare = (share: number): number => {
    const m = Math.max(1, Math.ceil(takenOver * share))
    let h = 0
    for (let j = 0; j < m && j < takenOver; j++) h += takenHits[j]
    return h / Math.min(m, Math.max(1, takenOver))
  }
  perRound.sort((x, y) => x - y)
  const pct = (q: number): number => (perRound.length === 0 ? 0 : perRound[Math.min(perRound.length - 1, Math.floor(q * perRound.length))])
  let boosts = 0
  let absentNoted = 0
  for (const h of hints) {
    if (h === undefined) continue
    const s = h.stats()
    boosts += s.applied
    absentNoted += s.absent
  }
  for (const r of replicas) r.store.validate()
  return {
    steadyHitRatioA: aSteady === 0 ? 0 : aSteadyHits / aSteady,
    first1: firstShare(0.01),
    first5: firstShare(0.05),
    first20: firstShare(0.2),
    takenOver,
    bOwnBefore: bBefore === 0 ? 0 : bBeforeHits / bBefore,
    bOwnAfter: bAfter === 0 ? 0 : bAfterHits / bAfter,
    overall: reads === 0 ? 0 : hits / reads,
    deltaBytes,
    hintBytes,
    hintBytesAsHashes,
    hintMessages,
    hintKeys,
    hintKeysPerRoundP50: pct(0.5),
    hintKeysPerRoundP95: pct(0.95),
    boosts,
    absentNoted,
    ms: performance.now() - started,
  }
}
