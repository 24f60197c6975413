// Store benchmark: S3FifoStore side by side with lru-cache 11 (maxSize + sizeCalculation,
// which reproduces libCacheSim's LRU exactly) and a plain Map (the ceiling: no eviction, no
// bookkeeping), in one process and one run, rounds interleaved so drift hits all alike.
//
//   npm run bench -- store            full run (~3 min on 2 cores)
//   npm run bench -- store --quick    fewer rounds, small traces only
//
// Workloads (keys are strings, values Uint8Array):
// - get-hit: 100,000 keys `key:<i>` with 100 B values, preloaded; 2,000,000 gets of keys drawn
//   uniformly at random (pre-drawn), all hits.
// - replay: the trace replay loop of docs/store.md (get, set on miss) over
//   cloudphysics_w106 (5.3M requests) at 10% of its unique bytes; ops = requests.
// - latency: every 64th operation of both workloads timed alone with hrtime (the timer's
//   own cost, measured, is printed beside it).
// - memory: heap + array buffers per entry at 1,000,000 entries of 100 B values, beyond the
//   keys and values themselves (those are kept alive outside the cache while measuring).
//   Also "values copied into slabs" (docs/store.md): each value copied into 1 MiB slabs and
//   stored as a view, the caller's buffer dropped.
// - GC: the longest pause (perf_hooks 'gc' entries) while filling 1,000,000 entries.
// - hit ratio: every trace and size of REFERENCE.md, S3-FIFO (thresholds 1 and 2) and LRU,
//   checked against libCacheSim's miss counts.
//
// When another library serves better: if your workload is recency-driven with few one-hit
// wonders and you need per-entry callbacks (dispose, fetchMethod), lru-cache is the better
// tool; this store is for byte-bounded caches where scans and one-hit wonders are common.

import { PerformanceObserver } from 'node:perf_hooks'
import { LRUCache } from 'lru-cache'
import { S3FifoStore } from '../lib/index.ts'
import { loadReference, loadTrace, replay, traceFile, type ReplayTarget, type Trace } from '../examples/traces.ts'
import { cloneFunction, formatTable, median, percentile, ratio } from './_report.ts'

const quick = process.argv.includes('--quick')
const ROUNDS = quick ? 3 : 7
const GET_KEYS = 100_000
const GETS = 2_000_000
const MEMORY_ENTRIES = 1_000_000
const VALUE_BYTES = 100
const SAMPLE_EVERY = 64
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run through `npm run bench -- store` (needs --expose-gc)')

type Impl = 's3fifo' | 'lru-cache' | 'Map'
const IMPLS: Impl[] = ['s3fifo', 'lru-cache', 'Map']

function makeCache(impl: Impl, maxBytes: number, byteMode: 'trace' | 'default'): ReplayTarget & { get(k: string): unknown } {
  if (impl === 's3fifo') {
    return byteMode === 'trace'
      ? new S3FifoStore({ maxBytes, sizeOf: (_k, v) => v.byteLength, estimatedEntries: 1 << 16 })
      : new S3FifoStore({ maxBytes, estimatedEntries: 1 << 16 })
  }
  if (impl === 'lru-cache') {
    return new LRUCache<string, Uint8Array>({ maxSize: maxBytes, sizeCalculation: (v) => Math.max(1, v.byteLength) })
  }
  return new Map<string, Uint8Array>()
}

function timerOverheadNs(): number {
  const samples: number[] = []
  for (let i = 0; i < 100_000; i++) {
    const t0 = process.hrtime.bigint()
    samples.push(Number(process.hrtime.bigint() - t0))
  }
  return percentile(samples, 0.5)
}

// Hot loops, cloned per implementation (cloneFunction) so each stays monomorphic.
function getLoop(c: { get(k: string): unknown }, keys: string[], order: Uint32Array): number {
  let hits = 0
  for (let i = 0; i < order.length; i++) if (c.get(keys[order[i]]) !== undefined) hits++
  return hits
}
function replayLoop(c: ReplayTarget, keys: string[], sizes: Uint32Array, zeros: Uint8Array): number {
  let misses = 0
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]
    if (c.get(key) === undefined) {
      misses++
      c.set(key, zeros.subarray(0, sizes[i])) // throughput traces have constant 100 B sizes
    }
  }
  return misses
}
const getLoops = Object.fromEntries(IMPLS.map((i) => [i, cloneFunction(getLoop)])) as Record<Impl, typeof getLoop>
const replayLoops = Object.fromEntries(IMPLS.map((i) => [i, cloneFunction(replayLoop)])) as Record<Impl, typeof replayLoop>

// ---- get-hit throughput and latency ----
function benchGetHit(): Record<Impl, { opsPerSec: number[]; latNs: number[] }> {
  const keys = Array.from({ length: GET_KEYS }, (_, i) => `key:${i}`)
  const order = new Uint32Array(GETS)
  let seed = 12345
  for (let i = 0; i < GETS; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    order[i] = seed % GET_KEYS
  }
  const caches = Object.fromEntries(
    IMPLS.map((impl) => {
      const c = makeCache(impl, 1 << 30, 'default')
      for (const k of keys) c.set(k, new Uint8Array(VALUE_BYTES))
      return [impl, c]
    }),
  ) as Record<Impl, ReplayTarget>
  const out = Object.fromEntries(IMPLS.map((i) => [i, { opsPerSec: [] as number[], latNs: [] as number[] }])) as Record<
    Impl,
    { opsPerSec: number[]; latNs: number[] }
  >
  let sink = 0
  for (let round = 0; round < ROUNDS; round++) {
    for (const impl of IMPLS) {
      const c = caches[impl]
      const t0 = performance.now()
      sink += getLoops[impl](c, keys, order)
      out[impl].opsPerSec.push(GETS / ((performance.now() - t0) / 1000))
      // Latency pass: sampled single operations.
      for (let i = 0; i < GETS; i += SAMPLE_EVERY) {
        const t = process.hrtime.bigint()
        c.get(keys[order[i]])
        out[impl].latNs.push(Number(process.hrtime.bigint() - t))
      }
    }
  }
  if (sink === 42) console.log('')
  return out
}

// ---- trace replay throughput and latency ----
function benchReplay(trace: Trace, capacity: number): Record<Impl, { opsPerSec: number[]; latNs: number[]; misses: number }> {
  const out = Object.fromEntries(IMPLS.map((i) => [i, { opsPerSec: [] as number[], latNs: [] as number[], misses: 0 }])) as Record<
    Impl,
    { opsPerSec: number[]; latNs: number[]; misses: number }
  >
  for (let round = 0; round < ROUNDS; round++) {
    for (const impl of IMPLS) {
      const c = makeCache(impl, capacity, 'trace')
      const t0 = performance.now()
      out[impl].misses = replayLoops[impl](c, trace.keys, trace.sizes, zeros)
      out[impl].opsPerSec.push(trace.keys.length / ((performance.now() - t0) / 1000))
      // Latency: replay again on a fresh cache, timing every 64th request's get+set alone.
      const d = makeCache(impl, capacity, 'trace')
      const { keys, sizes } = trace
      for (let i = 0; i < keys.length; i++) {
        const sampled = i % SAMPLE_EVERY === 0
        const t = sampled ? process.hrtime.bigint() : 0n
        if (d.get(keys[i]) === undefined) d.set(keys[i], valueView(sizes[i]))
        if (sampled) out[impl].latNs.push(Number(process.hrtime.bigint() - t))
      }
    }
  }
  return out
}

const zeros = new Uint8Array(1 << 22)
function valueView(size: number): Uint8Array {
  return zeros.subarray(0, size)
}

// ---- memory per entry and GC pauses ----
interface MemoryResult {
  bytesPerEntry: number
  maxGcPauseMs: number
  fillMs: number
}

function heapNow(): number {
  gc!()
  gc!()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

/** Copies values into 1 MiB slabs (bump allocation, no reuse: an upper bound of the gain). */
class SlabCopier {
  #slab = new Uint8Array(1 << 20)
  #used = 0
  copy(value: Uint8Array): Uint8Array {
    if (this.#used + value.byteLength > this.#slab.byteLength) {
      this.#slab = new Uint8Array(Math.max(1 << 20, value.byteLength))
      this.#used = 0
    }
    const view = this.#slab.subarray(this.#used, this.#used + value.byteLength)
    view.set(value)
    this.#used += value.byteLength
    return view
  }
}

async function measureMemory(impl: Impl | 's3fifo+slabs'): Promise<MemoryResult> {
  const keys = Array.from({ length: MEMORY_ENTRIES }, (_, i) => `key:${i}`)
  // Values the caller made; as-given caches keep these very objects.
  let values: Uint8Array[] | undefined =
    impl === 's3fifo+slabs' ? undefined : Array.from({ length: MEMORY_ENTRIES }, () => new Uint8Array(VALUE_BYTES))
  const before = heapNow()
  // heapNow's forced GCs are reported asynchronously: let them pass before observing.
  await new Promise((resolve) => setTimeout(resolve, 100))
  let maxGcPauseMs = 0
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) maxGcPauseMs = Math.max(maxGcPauseMs, e.duration)
  })
  obs.observe({ entryTypes: ['gc'] })
  const cache = makeCache(impl === 's3fifo+slabs' ? 's3fifo' : impl, 1 << 30, 'default')
  const slabs = new SlabCopier()
  const t0 = performance.now()
  for (let i = 0; i < MEMORY_ENTRIES; i++) {
    if (values === undefined) cache.set(keys[i], slabs.copy(new Uint8Array(VALUE_BYTES)))
    else cache.set(keys[i], values[i])
  }
  const fillMs = performance.now() - t0
  // GC entries are delivered asynchronously: let them arrive before disconnecting.
  await new Promise((resolve) => setTimeout(resolve, 100))
  obs.disconnect()
  const after = heapNow()
  // For slabs the value bytes live inside the cache's slabs: count them as the caller's.
  const valueBytes = impl === 's3fifo+slabs' ? MEMORY_ENTRIES * VALUE_BYTES : 0
  const bytesPerEntry = (after - before - valueBytes) / MEMORY_ENTRIES
  if (cache.get(keys[7]) === undefined || (values !== undefined && values.length !== MEMORY_ENTRIES)) throw new Error('lost')
  values = undefined
  return { bytesPerEntry, maxGcPauseMs, fillMs }
}

/** What 1,000,000 plain `new Uint8Array(100)` values cost (the as-given value's own heap). */
function valueObjectBytes(): number {
  const before = heapNow()
  const values = Array.from({ length: MEMORY_ENTRIES }, () => new Uint8Array(VALUE_BYTES))
  const after = heapNow()
  if (values.length !== MEMORY_ENTRIES) throw new Error('unreachable')
  return (after - before) / MEMORY_ENTRIES - 8 // minus the array's own pointer
}

// ---- hit ratios on every trace ----
function hitRatios(): string[][] {
  const rows: string[][] = []
  const reference = loadReference()
  for (const name of [...new Set(reference.map((r) => r.trace))]) {
    if (traceFile(name) === undefined || (quick && name === 'cloudphysics_w106')) continue
    const trace = loadTrace(name)
    for (const row of reference.filter((r) => r.trace === name)) {
      const sizeOf = row.mode === 'byte' ? (_k: string, v: Uint8Array) => v.byteLength : () => 1
      const s3 = [1, 2].map((promotionThreshold) => replay(new S3FifoStore({ maxBytes: row.capacity, promotionThreshold, sizeOf }), trace))
      const lru = replay(
        new LRUCache<string, Uint8Array>({ maxSize: row.capacity, sizeCalculation: (v, k) => sizeOf(k, v) }),
        trace,
      )
      const n = trace.keys.length
      const exact = s3[0] === row.s3fifo1 && s3[1] === row.s3fifo2 && lru === row.lru
      rows.push([
        name,
        row.mode,
        String(row.capacity),
        (lru / n).toFixed(4),
        (s3[0] / n).toFixed(4),
        (s3[1] / n).toFixed(4),
        (((lru - s3[1]) / lru) * 100).toFixed(1) + '%',
        exact ? 'yes' : `NO (${s3[0]}/${s3[1]}/${lru})`,
      ])
    }
  }
  return rows
}

async function main(): Promise<void> {
  console.log(`store benchmark: node ${process.version}, ${ROUNDS} rounds, medians; ${new Date().toISOString()}`)
  const timerNs = timerOverheadNs()
  const getHit = benchGetHit()
  const replayTraceName = quick ? 'cache2k_web12' : 'cloudphysics_w106'
  const trace = loadTrace(replayTraceName)
  const rep = benchReplay(trace, Math.floor(trace.uniqueBytes / 10))
  const tput = (x: { opsPerSec: number[] }) => median(x.opsPerSec)
  console.log(`\nthroughput (ops/s, median of ${ROUNDS}); latency sampled 1/${SAMPLE_EVERY}, hrtime's own cost ${timerNs} ns included`)
  console.log(
    formatTable(
      [
        '',
        'get-hit ops/s',
        'vs lru-cache',
        'get p50/p99 ns',
        `replay ${replayTraceName} ops/s`,
        'vs lru-cache',
        'replay p50/p99 ns',
        'replay misses',
      ],
      IMPLS.map((impl) => [
        impl,
        Math.round(tput(getHit[impl])).toLocaleString('en'),
        ratio(tput(getHit[impl]), tput(getHit['lru-cache'])),
        `${percentile(getHit[impl].latNs, 0.5)} / ${percentile(getHit[impl].latNs, 0.99)}`,
        Math.round(tput(rep[impl])).toLocaleString('en'),
        ratio(tput(rep[impl]), tput(rep['lru-cache'])),
        `${percentile(rep[impl].latNs, 0.5)} / ${percentile(rep[impl].latNs, 0.99)}`,
        rep[impl].misses.toLocaleString('en'),
      ]),
    ),
  )
  const valueBytes = valueObjectBytes()
  const mem: [string, MemoryResult][] = []
  for (const impl of ['s3fifo', 'lru-cache', 'Map', 's3fifo+slabs'] as const) mem.push([impl, await measureMemory(impl)])
  console.log(
    `\nmemory at ${MEMORY_ENTRIES.toLocaleString('en')} entries of ${VALUE_BYTES} B ` +
      `(a caller's Uint8Array value itself costs ${valueBytes.toFixed(0)} B)`,
  )
  console.log(
    formatTable(
      ['', 'B/entry beyond key+value', 'longest GC pause ms', 'fill ms'],
      mem.map(([impl, m]) => [
        impl === 's3fifo+slabs' ? 's3fifo, values copied into slabs (caller buffers dropped)' : impl,
        impl === 's3fifo+slabs'
          ? `${m.bytesPerEntry.toFixed(0)} (vs ${(valueBytes - VALUE_BYTES).toFixed(0)} of a given value's wrapper)`
          : m.bytesPerEntry.toFixed(0),
        m.maxGcPauseMs.toFixed(1),
        m.fillMs.toFixed(0),
      ]),
    ),
  )
  console.log('\nmiss ratios (lower is better); exact = S3-FIFO thr 1 and 2 and LRU equal libCacheSim to the request')
  const hitRatioHeader = ['trace', 'mode', 'capacity', 'LRU', 'S3-FIFO thr=1', 'S3-FIFO thr=2', 'misses saved vs LRU (thr=2)', 'exact']
  console.log(formatTable(hitRatioHeader, hitRatios()))
}

await main()
