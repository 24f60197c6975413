// Replays a real cache trace through S3FifoStore and through lru-cache, side by side, and
// prints hit ratios and throughput.
//
//   npm run replay                              cloudphysics_w106 at 10% of its unique bytes
//   node examples/trace-replay.ts --trace arc_oltp --percent 1
//   node examples/trace-replay.ts --synthetic 200000     a Zipf trace made here (no files needed)
//
// Traces come from tracesDir (examples/traces.ts: $ALSO_CACHE_TRACES or its default); without
// them, a synthetic Zipf(0.9) trace is used.

import { parseArgs } from 'node:util'
import { LRUCache } from 'lru-cache'
import { S3FifoStore } from '../lib/index.ts'
import { loadReference, loadTrace, replay, traceFile, tracesDir, type ReplayTarget, type Trace } from './traces.ts'

const { values: args } = parseArgs({
  options: {
    trace: { type: 'string', default: 'cloudphysics_w106' },
    percent: { type: 'string', default: '10' },
    synthetic: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
})
if (args.help) {
  console.log('usage: npm start [-- --trace NAME] [--percent 1|10] [--synthetic REQUESTS]')
  process.exit(0)
}

const percent = Number(args.percent)
if (!(percent > 0 && percent <= 100)) {
  console.error(`--percent must be in (0, 100], got ${args.percent}`)
  process.exit(2)
}

/** A Zipf(0.9)-distributed trace over 50,000 keys of 100 B, from a fixed seed. */
function syntheticTrace(requests: number): Trace {
  const n = 50_000
  const cdf = new Float64Array(n)
  let sum = 0
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / Math.pow(i + 1, 0.9)
  let seed = 42
  const keys: string[] = []
  const names = Array.from({ length: n }, (_, i) => `item:${i}`)
  for (let r = 0; r < requests; r++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
    const u = (seed / 2 ** 32) * sum
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (cdf[mid] < u) lo = mid + 1
      else hi = mid
    }
    keys.push(names[lo])
  }
  const unique = new Set(keys).size
  return {
    name: `synthetic Zipf(0.9), ${n.toLocaleString('en')} keys`,
    keys,
    sizes: new Uint32Array(requests).fill(100),
    uniqueKeys: unique,
    uniqueBytes: unique * 100,
  }
}

function progressBar(label: string, total: number): { update(done: number): void; finish(ms: number): void } {
  const width = 30
  const tty = process.stdout.isTTY === true
  let lastQuarter = -1
  const draw = (done: number, tail: string): string => {
    const filled = Math.round((done / total) * width)
    const percent = String(Math.round((done / total) * 100)).padStart(3)
    return `  ${label.padEnd(12)} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${percent}%${tail}`
  }
  return {
    update(done) {
      if (tty) process.stdout.write(`\r${draw(done, '')}`)
      else {
        // Not a terminal (CI, a pipe): one line per quarter instead of redrawing.
        const quarter = Math.floor((done / total) * 4)
        if (quarter > lastQuarter && quarter < 4) {
          lastQuarter = quarter
          console.log(draw(done, ''))
        }
      }
    },
    finish(ms) {
      const line = draw(total, `  ${(ms / 1000).toFixed(2)} s`)
      if (tty) process.stdout.write(`\r${line}\n`)
      else console.log(line)
    },
  }
}

function run(label: string, cache: ReplayTarget, trace: Trace): { misses: number; ms: number } {
  const bar = progressBar(label, trace.keys.length)
  const t0 = performance.now()
  const misses = replay(cache, trace, (done) => bar.update(done))
  const ms = performance.now() - t0
  bar.finish(ms)
  return { misses, ms }
}

const useSynthetic = args.synthetic !== undefined || traceFile(args.trace) === undefined
if (useSynthetic && args.synthetic === undefined) {
  console.log(`(trace ${args.trace} not found in ${tracesDir}: using a synthetic trace instead)`)
}
const trace = useSynthetic ? syntheticTrace(Number(args.synthetic ?? 1_000_000)) : loadTrace(args.trace)
const capacity = Math.max(20, Math.floor((trace.uniqueBytes * percent) / 100))
const requests = trace.keys.length

console.log(
  `\nalso-cache store walkthrough: replaying ${trace.name} (${requests.toLocaleString('en')} requests, ` +
    `${trace.uniqueKeys.toLocaleString('en')} distinct keys)\nthrough caches of ${percent}% of its unique bytes ` +
    `(${capacity.toLocaleString('en')} B), each request: get, and set on a miss.\n`,
)
const sizeOf = (_k: string, v: Uint8Array): number => v.byteLength
// Warm the JIT for both on the first 5% of the trace, so neither pays for compilation in
// its timing (`npm run bench -- store` is the careful measurement).
const warmup: Trace = { ...trace, keys: trace.keys.slice(0, requests / 20), sizes: trace.sizes.subarray(0, requests / 20) }
replay(new S3FifoStore({ maxBytes: capacity, sizeOf }), warmup)
replay(new LRUCache<string, Uint8Array>({ maxSize: capacity, sizeCalculation: (v) => v.byteLength }), warmup)
const s3 = run('S3FifoStore', new S3FifoStore({ maxBytes: capacity, sizeOf }), trace)
const lru = run('lru-cache', new LRUCache<string, Uint8Array>({ maxSize: capacity, sizeCalculation: (v) => v.byteLength }), trace)

const row = (name: string, r: { misses: number; ms: number }): string =>
  `| ${name.padEnd(21)} | ${((1 - r.misses / requests) * 100).toFixed(2).padStart(8)}% | ${r.misses.toLocaleString('en').padStart(10)} ` +
  `| ${Math.round(requests / (r.ms / 1000)).toLocaleString('en').padStart(12)} |`
console.log(`\n| cache                 | hit ratio | misses     | requests/s   |`)
console.log(`|-----------------------|-----------|------------|--------------|`)
console.log(row('S3FifoStore (S3-FIFO)', s3))
console.log(row('lru-cache (LRU)', lru))
const saved = ((lru.misses - s3.misses) / lru.misses) * 100
console.log(`\nS3-FIFO missed ${Math.abs(saved).toFixed(1)}% ${saved >= 0 ? 'less' : 'more'} often than LRU on this trace.`)

if (!useSynthetic) {
  const ref = loadReference().find((r) => r.trace === trace.name && r.mode === 'byte' && r.capacity === capacity)
  if (ref !== undefined) {
    const exact = ref.s3fifo2 === s3.misses && ref.lru === lru.misses
    console.log(
      `libCacheSim reference (REFERENCE.md): S3-FIFO ${ref.s3fifo2}, LRU ${ref.lru} misses — ` +
        `${exact ? 'reproduced exactly' : 'MISMATCH'}.`,
    )
  }
}
console.log('\nNext: `npm test` runs the suite; `npm run bench -- store` measures speed and memory.')
