// Replica benchmark: apply throughput of remote deltas, and the delta codec side by side with
// JSON.stringify/JSON.parse of the same batches, in one process and one run.
//
//   npm run bench -- replica            7 rounds + 1 warm-up (~1 min on 2 cores)
//   npm run bench -- replica --quick    3 rounds
//   npm run bench -- replica --json     one JSON object with every median on the last line
//
// Workloads (keys `key:<i>` strings, values 100 B Uint8Array, one writer node, hlcs 1 ms
// apart, deltas as they arrive off the wire: decoded from batches of 256, so versions and
// origins are fresh objects and values alias the batch):
// - apply-new:   200,000 deltas for 200,000 distinct keys into an empty replica big enough
//                that nothing is evicted (every delta 'applied': one store insert each);
//                once with the default valueCopy 'each', once with 'slab' (value-copier.ts).
// - apply-update: 200,000 deltas that overwrite 20,000 keys already held (10 versions each).
// - apply-stale: the apply-new deltas again, in reverse (every one 'stale': lookup + compare).
// - apply-delete: 200,000 deletes of the apply-new keys, each a tick newer than its set, into a
//                replica holding them (every one 'applied': a tombstone replaces the entry).
// - apply-evict: apply-new into a replica of 1/10 of the bytes (S3-FIFO evicts, ghosts
//                fall out, the horizon rises).
//   apply-update and apply-evict also run with valueCopy 'slab'; for every replica the bench
//   reports the off-heap bytes it keeps alive per byte of the values it holds (`retained`):
//   what a slab pinned by a few surviving values costs. Once, outside the rounds: the same for
//   apply-evict with 1 value in 10 read twice as it lands (promoted to main and kept, the rest
//   evicted), where the survivors pin every slab.
// - Map.set ceiling: the apply-new keys and values into a plain Map (has + set): the floor of
//                any replica's cost on the same machine at the same moment.
// - codec: the 200,000 deltas as 782 batches of 256; encodeDeltas / decodeDeltas against
//   JSON.stringify / JSON.parse of the same deltas with values as base64 strings (the naive
//   alternative; JSON cannot carry bytes) and, after JSON.parse, the values turned back into
//   Uint8Array and the objects into deltas, so both sides end with usable deltas. MB/s are of
//   each format's own bytes; deltas/s compare like with like.
// The apply data is built per round and dropped before the codec phase: a large live heap
// makes every off-heap buffer allocation (the codec's output) pay for full GCs, which is a
// property of the process, not of the codec. NO_APPLY=1 runs the codec phase alone.
// Each figure is the median of the rounds; the workloads of one round run back to back, so
// machine noise hits them alike. Throughputs are per CPU-second of the process (all threads,
// process.cpuUsage), with the wall-clock figure beside them: see `timed`.
//
// When something else serves better: if the payload is a handful of large values, the codec's
// work is a memcpy and JSON's base64 cost dominates anyway; if you need schema evolution across
// languages, protobuf (protons) would be the tool; this codec is for many small deltas.

import { cpus, loadavg } from 'node:os'
import { decodeDeltas, encodeDeltas, hlcFromParts, makeDelta, makeVersion, Replica, type Delta, type DeltaOp } from '../crdt/index.ts'

const quick = process.argv.includes('--quick')
const asJson = process.argv.includes('--json')
const ROUNDS = quick ? 3 : 7
const DELTAS = 200_000
const UPDATE_KEYS = 20_000
const VALUE_BYTES = 100
const BATCH = 256
const T0 = Date.UTC(2026, 10, 25)
const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => {})

const origin = { nodeId: 'QmWriterNodeIdxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', epoch: T0 }

function makeDeltas(keys: number, count: number): Delta[] {
  const out: Delta[] = []
  for (let i = 0; i < count; i++) {
    const value = new Uint8Array(VALUE_BYTES)
    value.fill(i & 0xff)
    const version = makeVersion(0, hlcFromParts(T0 + i), origin.nodeId)
    out.push(makeDelta('set', `key:${i % keys}`, version, undefined, value, undefined, origin, i + 1))
  }
  return out
}

/** Deletes of the keys of makeDeltas(n, n), each one logical tick after its key's set. */
function makeDeleteDeltas(count: number): Delta[] {
  const out: Delta[] = []
  for (let i = 0; i < count; i++) {
    const version = makeVersion(0, hlcFromParts(T0 + i, 1), origin.nodeId)
    out.push(makeDelta('delete', `key:${i}`, version, undefined, undefined, undefined, origin, count + i + 1))
  }
  return out
}

function batches(deltas: Delta[]): Delta[][] {
  const out: Delta[][] = []
  for (let i = 0; i < deltas.length; i += BATCH) out.push(deltas.slice(i, i + BATCH))
  return out
}

/** As deltas arrive at a receiver: decoded from the wire. */
function offTheWire(deltas: Delta[]): Delta[] {
  return batches(deltas).flatMap((b) => decodeDeltas(encodeDeltas(b)))
}

// ---- The JSON baseline: the same information, values as base64.
interface JsonDelta {
  op: DeltaOp
  key: string
  version: { userVersion: number; hlc: number; nodeId: string }
  base?: { userVersion: number; hlc: number; nodeId: string }
  value?: string
  expiresAt?: number
  origin: { nodeId: string; epoch: number }
  seq: number
}

function jsonEncode(deltas: Delta[]): string {
  const out: JsonDelta[] = []
  for (const d of deltas) {
    out.push({
      op: d.op,
      key: d.key,
      version: d.version,
      base: d.base,
      value: d.value === undefined ? undefined : Buffer.from(d.value.buffer, d.value.byteOffset, d.value.byteLength).toString('base64'),
      expiresAt: d.expiresAt,
      origin: d.origin,
      seq: d.seq,
    })
  }
  return JSON.stringify(out)
}

function jsonDecode(text: string): Delta[] {
  const raw = JSON.parse(text) as JsonDelta[]
  const out: Delta[] = []
  for (const j of raw) {
    const value = j.value === undefined ? undefined : new Uint8Array(Buffer.from(j.value, 'base64'))
    out.push(makeDelta(j.op, j.key, j.version as Delta['version'], j.base as Delta['base'], value, j.expiresAt, j.origin, j.seq))
  }
  return out
}

// ---- Measurements

/**
 * Seconds of CPU time of the whole process (all threads, user + system) spent in `fn`. On a
 * machine shared with other workers, wall time mostly measures the queue for a core; CPU time
 * measures the work (V8's GC helper threads included, so it errs against us). Wall time is
 * reported beside it.
 */
function timed(fn: () => void): { cpu: number; wall: number } {
  const c0 = process.cpuUsage()
  const w0 = performance.now()
  fn()
  const wall = (performance.now() - w0) / 1000
  const c = process.cpuUsage(c0)
  return { cpu: (c.user + c.system) / 1e6, wall }
}

function applyAll(r: Replica, deltas: Delta[], nowMs: number): { cpu: number; wall: number; results: Record<string, number> } {
  const results: Record<string, number> = { applied: 0, stale: 0, dropped: 0 }
  const t = timed(() => {
    for (let i = 0; i < deltas.length; i++) results[r.apply(deltas[i], nowMs)]++
  })
  return { ...t, results }
}

/** Records a throughput under `name` (per CPU-second) and `name wall` (per wall second). */
function rate(out: Record<string, number>, name: string, count: number, t: { cpu: number; wall: number }): void {
  out[name] = count / t.cpu
  out[`${name} wall`] = count / t.wall
}

const NOW = T0 + DELTAS + 1
const bigReplica = (valueCopy: 'each' | 'slab' = 'each'): Replica =>
  new Replica({ nodeId: 'receiver', maxBytes: 1 << 30, store: { estimatedEntries: DELTAS }, valueCopy })

function roundApply(): Record<string, number> {
  // Built per round and dropped after it, so the codec phase runs with only its own data live.
  const newDeltas = offTheWire(makeDeltas(DELTAS, DELTAS))
  const updateDeltas = offTheWire(makeDeltas(UPDATE_KEYS, DELTAS))
  const reversed = [...newDeltas].reverse()
  const deleteDeltas = offTheWire(makeDeleteDeltas(DELTAS))
  const out: Record<string, number> = {}
  gc()
  const r1 = bigReplica()
  const a = applyAll(r1, newDeltas, NOW)
  check(a.results.applied === DELTAS, 'apply-new: every delta applied')
  rate(out, 'apply-new', DELTAS, a)
  gc()
  const r0 = bigReplica('slab')
  const sl = applyAll(r0, newDeltas, NOW)
  check(sl.results.applied === DELTAS, 'apply-new slab: every delta applied')
  rate(out, 'apply-new, valueCopy slab', DELTAS, sl)
  gc()
  const s = applyAll(r1, reversed, NOW)
  check(s.results.stale === DELTAS, 'apply-stale: every delta stale')
  rate(out, 'apply-stale', DELTAS, s)
  for (const valueCopy of ['each', 'slab'] as const) {
    const suffix = valueCopy === 'each' ? '' : ', valueCopy slab'
    gc()
    const r2 = bigReplica(valueCopy)
    const u = applyAll(r2, updateDeltas, NOW)
    check(u.results.applied === DELTAS, 'apply-update: every delta applied')
    rate(out, `apply-update${suffix}`, DELTAS, u)
    out[`apply-update${suffix} retained B/value B`] = retained(r2)
  }
  // Remote deletes of held keys: each makes a tombstone (lookup, then the store's delete).
  const filled = bigReplica()
  for (let i = 0; i < newDeltas.length; i++) filled.apply(newDeltas[i], NOW)
  gc()
  const del = applyAll(filled, deleteDeltas, NOW)
  check(del.results.applied === DELTAS, 'apply-delete: every delta applied')
  rate(out, 'apply-delete', DELTAS, del)
  const fullBytes = r1.store.bytes
  for (const valueCopy of ['each', 'slab'] as const) {
    const suffix = valueCopy === 'each' ? '' : ', valueCopy slab'
    gc()
    const r3 = new Replica({ nodeId: 'receiver', maxBytes: Math.floor(fullBytes / 10), valueCopy })
    const e = applyAll(r3, newDeltas, NOW)
    rate(out, `apply-evict${suffix}`, DELTAS, e)
    out[`apply-evict${suffix} horizon drops`] = e.results.dropped
    out[`apply-evict${suffix} retained B/value B`] = retained(r3)
  }
  out['apply-new retained B/value B'] = retained(r1)
  out['apply-new, valueCopy slab retained B/value B'] = retained(r0)
  // The ceiling: a plain Map taking the same keys (one lookup, one insert, no versions, no
  // copy, no eviction). No replica can beat it; the gap is what the rules cost.
  gc()
  const m = new Map<string, Uint8Array>()
  const mt = timed(() => {
    for (let i = 0; i < newDeltas.length; i++) {
      const d = newDeltas[i]
      if (!m.has(d.key)) m.set(d.key, d.value as Uint8Array)
    }
  })
  rate(out, 'Map.set ceiling', DELTAS, mt)
  return out
}

/**
 * Off-heap bytes a replica keeps alive per byte of the values it holds: the replica's
 * ArrayBuffers (process.memoryUsage().arrayBuffers with and without it, after full GCs) over
 * the sum of its values' byteLength. 1.0 is one buffer per value; slabs pinned by a few live
 * values show up above it. Counts ArrayBuffer contents only (V8's ~100 B of objects per
 * buffer is on the heap, not here).
 */
function retained(r: Replica): number {
  let valueBytes = 0
  for (const e of r.entries(NOW)) valueBytes += e.value.byteLength
  gc()
  gc()
  const withReplica = process.memoryUsage().arrayBuffers
  // Every value the replica holds, dropped from it (the store's clear empties the slots).
  r.store.clear()
  gc()
  gc()
  const without = process.memoryUsage().arrayBuffers
  return (withReplica - without) / valueBytes
}

/**
 * Slab retention where it hurts: apply-new into a replica of 1/10 of the bytes while 1 value in
 * HOT_EVERY is read twice right after it lands (so S3-FIFO promotes it to main and keeps it)
 * and the rest pass through small and are evicted. The survivors are spread over every slab.
 * Deterministic (no timing): run once, for 'each' and 'slab'.
 */
function retentionWithHotKeys(deltas: Delta[], maxBytes: number): Record<string, number> {
  const out: Record<string, number> = {}
  for (const valueCopy of ['each', 'slab'] as const) {
    gc()
    const r = new Replica({ nodeId: 'receiver', maxBytes, valueCopy })
    for (let i = 0; i < deltas.length; i++) {
      r.apply(deltas[i], NOW)
      if (i % HOT_EVERY === 0) {
        r.get(deltas[i].key, NOW)
        r.get(deltas[i].key, NOW)
      }
    }
    out[valueCopy] = retained(r)
  }
  return out
}
const HOT_EVERY = 10

function roundCodec(groups: Delta[][], encoded: Uint8Array[], texts: string[]): Record<string, number> {
  // Encoders' outputs are measured and dropped, as a node sends and drops them; the decoders
  // read inputs made beforehand (`encoded`, `texts`), outside the timed region. Each pass is
  // timed right after an untimed pass of the same work, with no forced GC in between: a
  // gc() just before a timed pass made the binary encoder 3× slower for a while (V8 resizes
  // its heap after a full collection, and off-heap output buffers pay for it), which measured
  // the collector, not the codec.
  const out: Record<string, number> = {}
  let binBytes = 0
  let jsonBytes = 0
  let n = 0
  let m = 0
  const encodeAll = (): void => {
    binBytes = 0
    for (const g of groups) binBytes += encodeDeltas(g).byteLength
  }
  const decodeAll = (): void => {
    n = 0
    for (const b of encoded) n += decodeDeltas(b).length
  }
  const jsonEncodeAll = (): void => {
    jsonBytes = 0
    for (const g of groups) jsonBytes += Buffer.byteLength(jsonEncode(g))
  }
  const jsonDecodeAll = (): void => {
    m = 0
    for (const t of texts) m += jsonDecode(t).length
  }
  encodeAll()
  const enc = timed(encodeAll)
  decodeAll()
  const dec = timed(decodeAll)
  check(n === DELTAS, 'decode: every delta back')
  jsonEncodeAll()
  const jenc = timed(jsonEncodeAll)
  jsonDecodeAll()
  const jdec = timed(jsonDecodeAll)
  check(m === DELTAS, 'JSON decode: every delta back')
  rate(out, 'encode deltas/s', DELTAS, enc)
  rate(out, 'decode deltas/s', DELTAS, dec)
  rate(out, 'JSON encode deltas/s', DELTAS, jenc)
  rate(out, 'JSON decode deltas/s', DELTAS, jdec)
  rate(out, 'encode MB/s', binBytes / 1e6, enc)
  rate(out, 'decode MB/s', binBytes / 1e6, dec)
  rate(out, 'JSON encode MB/s', jsonBytes / 1e6, jenc)
  rate(out, 'JSON decode MB/s', jsonBytes / 1e6, jdec)
  out['bytes/delta'] = binBytes / DELTAS
  out['JSON bytes/delta'] = jsonBytes / DELTAS
  return out
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`bench self-check failed: ${what}`)
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

function fmt(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M`
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)} k`
  return x.toFixed(1)
}

const groups = batches(makeDeltas(DELTAS, DELTAS))
const encodedGroups = groups.map((g) => encodeDeltas(g))
const jsonGroups = groups.map((g) => jsonEncode(g))

const samples: Record<string, number[]> = {}
// One uncounted round first: the JIT settles, and the first figures are not the slowest by accident.
if (!process.env.NO_APPLY) roundApply()
roundCodec(groups, encodedGroups, jsonGroups)
for (let round = 0; round < ROUNDS; round++) {
  const figures = { ...(process.env.NO_APPLY ? {} : roundApply()), ...roundCodec(groups, encodedGroups, jsonGroups) }
  for (const [k, v] of Object.entries(figures)) (samples[k] ??= []).push(v)
  if (!asJson) process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`)
}
let retention: Record<string, number> | undefined
if (!process.env.NO_APPLY) {
  const deltas = offTheWire(makeDeltas(DELTAS, DELTAS))
  const full = bigReplica()
  for (const d of deltas) full.apply(d, NOW)
  const maxBytes = Math.floor(full.store.bytes / 10)
  full.store.clear()
  retention = retentionWithHotKeys(deltas, maxBytes)
}
const med: Record<string, number> = {}
for (const [k, v] of Object.entries(samples)) med[k] = median(v)

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.versions.node}`
if (asJson) {
  console.log(JSON.stringify({ machine, rounds: ROUNDS, medians: med, samples, retention }))
} else {
  console.log(
    `\nReplica benchmark — ${machine}; median of ${ROUNDS} rounds; ${DELTAS.toLocaleString('en')} deltas of ${VALUE_BYTES} B values`,
  )
  console.log('Throughput per CPU-second of the process (all threads); wall-clock figure beside it.\n')
  const workloads = [
    'apply-new', 'apply-new, valueCopy slab', 'apply-update', 'apply-update, valueCopy slab', 'apply-stale',
    'apply-delete', 'apply-evict', 'apply-evict, valueCopy slab', 'Map.set ceiling',
  ]
  console.log('| apply workload | deltas/CPU-s (median) | min – max | deltas/wall-s (median) | buffer bytes kept per value byte |')
  console.log('|---|---:|---:|---:|---:|')
  for (const k of workloads) {
    if (samples[k] === undefined) continue
    const kept = med[`${k} retained B/value B`]
    const keptCell = kept === undefined ? '' : kept.toFixed(2)
    const range = `${fmt(Math.min(...samples[k]))} – ${fmt(Math.max(...samples[k]))}`
    console.log(`| ${k} | ${fmt(med[k])} | ${range} | ${fmt(med[`${k} wall`])} | ${keptCell} |`)
  }
  console.log(`\napply-evict: ${med['apply-evict horizon drops']} deltas dropped below the horizon (median)\n`)
  if (retention !== undefined) {
    console.log(
      `apply-evict with 1 value in ${HOT_EVERY} read twice (promoted, kept), buffer bytes kept per value byte held: ` +
        `each ${retention.each.toFixed(2)}, slab ${retention.slab.toFixed(2)}\n`,
    )
  }
  console.log('| codec (batches of 256) | binary | JSON + base64 | binary / JSON | (wall: binary / JSON) |')
  console.log('|---|---:|---:|---:|---:|')
  for (const op of ['encode', 'decode']) {
    const b = med[`${op} deltas/s`]
    const j = med[`JSON ${op} deltas/s`]
    const wallRatio = med[`${op} deltas/s wall`] / med[`JSON ${op} deltas/s wall`]
    console.log(`| ${op} deltas/CPU-s | ${fmt(b)} | ${fmt(j)} | ${(b / j).toFixed(1)}× | ${wallRatio.toFixed(1)}× |`)
    const mb = med[`${op} MB/s`]
    const jsonMb = med[`JSON ${op} MB/s`]
    console.log(`| ${op} MB/CPU-s (own bytes) | ${mb.toFixed(0)} | ${jsonMb.toFixed(0)} | ${(mb / jsonMb).toFixed(1)}× | |`)
  }
  const bytes = med['bytes/delta']
  const jsonBytes = med['JSON bytes/delta']
  console.log(`| bytes per delta | ${bytes.toFixed(1)} | ${jsonBytes.toFixed(1)} | ${(bytes / jsonBytes).toFixed(2)}× | |`)
  console.log(`\nload average at the end: ${loadavg().map((x) => x.toFixed(1)).join(', ')} (${cpus().length} cores)`)
}
