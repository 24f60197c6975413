// Store benchmark: S3FifoStore side by side with lru-cache 11 (maxSize + sizeCalculation,
// which reproduces libCacheSim's LRU exactly) and a plain Map (the ceiling: no eviction, no
// bookkeeping), in one process and one run, rounds interleaved so drift hits all alike.
//
//   npm run bench -- store            full run (~3 min on 2 cores)
//   npm run bench -- store --quick    fewer rounds, small traces only
//   npm run bench -- store --traces   only the replay of every trace (below), ~2 min
//
// Workloads (keys are strings, values Uint8Array):
// - get-hit: 100,000 keys `key:<i>` with 100 B values, preloaded; 2,000,000 gets of keys drawn
//   uniformly at random (pre-drawn), all hits.
// - replay: the trace replay loop of docs/store.md (get, set on miss) over
//   cloudphysics_w106 (5.3M requests) at 10% of its unique bytes; ops = requests.
// - replay, every trace (`--traces`): the same loop, with the sizes of the trace, over every
//   trace in tracesDir at 1% and 10% of its unique bytes (byte mode: charge = trace size),
//   the miss-heavy ones included (adaptsize_cdn 70–79% misses, cloudphysics_sample 80–83%).
//   Per round the three implementations run back to back on each cell, in an order that
//   turns each round, the heap collected before each timing, so each round's
//   s3fifo/lru-cache ratio pairs timings taken seconds apart: their median is the figure
//   least moved by other load on the machine. The S3-FIFO and LRU miss counts are checked
//   against libCacheSim's (REFERENCE.md) in every round. An object the store refuses as too
//   large throws EntryTooLargeError (caught: the replay rules).
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
import { cpus, loadavg } from 'node:os'
import { loadReference, loadTrace, replay, traceFile, TRACE_NAMES, type ReplayTarget, type Trace } from '../examples/traces.ts'
import { cloneFunction, formatTable, median, percentile, ratio } from './_report.ts'

const quick = process.argv.includes('--quick')
const tracesOnly = process.argv.includes('--traces')
const ROUNDS = quick ? 3 : 7
const GET_KEYS = 100_000
const GETS = 2_000_000
const MEMORY_ENTRIES = 1_000_000
const VALUE_BYTES = 100
const SAMPLE_EVERY = 64
const MIN_TIMED_REQUESTS = 1_000_000
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
      gc!() // this timing pays for its own garbage only (see benchEveryTrace)
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

// ---- replay throughput on every trace (byte mode, 1% and 10%) ----
/** The replay rules of examples/traces.ts (size 0 skipped, a refused object not admitted). */
function replayAllLoop(c: ReplayTarget, keys: string[], sizes: Uint32Array, zeros: Uint8Array): number {
  let misses = 0
  for (let i = 0; i < keys.length; i++) {
    const size = sizes[i]
    if (size === 0) continue
    const key = keys[i]
    if (c.get(key) === undefined) {
      misses++
      try {
        c.set(key, zeros.subarray(0, size))
      } catch (err) {
        if ((err as { code?: string }).code !== 'ERR_ENTRY_TOO_LARGE') throw err
      }
    }
  }
  return misses
}
const replayAllLoops = Object.fromEntries(IMPLS.map((i) => [i, cloneFunction(replayAllLoop)])) as Record<Impl, typeof replayAllLoop>

interface TraceCell {
  trace: Trace
  capacity: number
  label: string
  expected: { s3fifo: number; lru: number }
  opsPerSec: Record<Impl, number[]>
  misses: Record<Impl, number>
}

function benchEveryTrace(): TraceCell[] {
  const reference = loadReference().filter((r) => r.mode === 'byte')
  const cells: TraceCell[] = []
  let maxSize = 0
  for (const name of TRACE_NAMES) {
    if (traceFile(name) === undefined) continue
    const trace = loadTrace(name)
    for (let i = 0; i < trace.sizes.length; i++) maxSize = Math.max(maxSize, trace.sizes[i])
    for (const row of reference.filter((r) => r.trace === name)) {
      const share = Math.round((row.capacity / trace.uniqueBytes) * 100)
      cells.push({
        trace,
        capacity: row.capacity,
        label: `${name} ${share}%`,
        expected: { s3fifo: row.s3fifo2, lru: row.lru },
        opsPerSec: { s3fifo: [], 'lru-cache': [], Map: [] },
        misses: { s3fifo: 0, 'lru-cache': 0, Map: 0 },
      })
    }
  }
  const values = new Uint8Array(maxSize)
  for (let round = 0; round < ROUNDS; round++) {
    for (const cell of cells) {
      // A small trace is replayed several times (a fresh cache each), so one timing spans
      // about MIN_TIMED_REQUESTS requests instead of a few ms of timer noise.
      const n = cell.trace.keys.length
      const passes = Math.ceil(MIN_TIMED_REQUESTS / n)
      // The order turns each round, and the heap is collected before each timing: a timing
      // must not pay for the garbage of the one before it (a Map of every key the trace has,
      // dropped just before, once made whichever implementation came next pay its collection).
      for (let j = 0; j < IMPLS.length; j++) {
        const impl = IMPLS[(j + round) % IMPLS.length]
        let misses = 0
        gc!()
        const t0 = performance.now()
        for (let p = 0; p < passes; p++) {
          misses = replayAllLoops[impl](makeCache(impl, cell.capacity, 'trace'), cell.trace.keys, cell.trace.sizes, values)
        }
        cell.opsPerSec[impl].push((n * passes) / ((performance.now() - t0) / 1000))
        cell.misses[impl] = misses
        const expected = impl === 's3fifo' ? cell.expected.s3fifo : impl === 'lru-cache' ? cell.expected.lru : misses
        if (misses !== expected) throw new Error(`${cell.label} ${impl}: ${misses} misses, libCacheSim ${expected}`)
      }
    }
    process.stderr.write(`traces: round ${round + 1}/${ROUNDS} done\n`)
  }
  return cells
}

function printEveryTrace(cells: TraceCell[]): void {
  const tput = (xs: number[]) => median(xs)
  console.log(`\nreplay of every trace, byte mode (ops/s, median of ${ROUNDS} interleaved rounds; misses exact to libCacheSim)`)
  console.log(
    formatTable(
      [
        'trace, capacity', 'requests', 'miss ratio (S3-FIFO)', 's3fifo ops/s', 'lru-cache ops/s', 'Map ops/s',
        's3fifo vs lru-cache', 'median of per-round ratios', 'min – max per round',
      ],
      cells.map((cell) => {
        const perRound = cell.opsPerSec.s3fifo.map((x, i) => x / cell.opsPerSec['lru-cache'][i])
        return [
          cell.label,
          cell.trace.keys.length.toLocaleString('en'),
          (cell.misses.s3fifo / cell.trace.keys.length).toFixed(3),
          Math.round(tput(cell.opsPerSec.s3fifo)).toLocaleString('en'),
          Math.round(tput(cell.opsPerSec['lru-cache'])).toLocaleString('en'),
          Math.round(tput(cell.opsPerSec.Map)).toLocaleString('en'),
          ratio(tput(cell.opsPerSec.s3fifo), tput(cell.opsPerSec['lru-cache'])),
          ratio(median(perRound), 1),
          `${ratio(Math.min(...perRound), 1)} – ${ratio(Math.max(...perRound), 1)}`,
        ]
      }),
    ),
  )
  console.log(`load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(', ')} (${cpus().length} cores)`)
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
  if (tracesOnly) return printEveryTrace(benchEveryTrace())
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
