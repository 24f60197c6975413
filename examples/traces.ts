// The real cache traces (in tracesDir, below): loading, and the exact replay loop that
// reproduces libCacheSim's miss counts. Shared by the trace test, the store and takeover
// benchmarks and `npm run replay`. docs/store.md describes the files and the replay rules.

import { existsSync, readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const TRACE_NAMES = [
  'adaptsize_cdn',
  'arc_oltp',
  'cache2k_web12',
  'cloudphysics_sample',
  'cloudphysics_w106',
] as const
export type TraceName = (typeof TRACE_NAMES)[number]

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/**
 * Where the traces are: $ALSO_CACHE_TRACES, or else ../shared/traces relative to the repository
 * root, a folder outside the clone (docs/store.md, "The real traces").
 */
export const tracesDir = process.env.ALSO_CACHE_TRACES ?? join(repoRoot, '..', 'shared', 'traces')

export interface Trace {
  name: string
  /** One key per request; identical keys are the same string object (interned). */
  keys: string[]
  sizes: Uint32Array
  uniqueKeys: number
  uniqueBytes: number
}

export function traceFile(name: string): string | undefined {
  for (const file of [`${name}.csv`, `${name}.csv.gz`]) {
    const path = join(tracesDir, file)
    if (existsSync(path)) return path
  }
  return undefined
}

/** Loads a trace (`key,size` per line; .gz decompressed). Throws if it is missing. */
export function loadTrace(name: string): Trace {
  const path = traceFile(name)
  if (path === undefined) throw new Error(`trace ${name} not found in ${tracesDir} (set ALSO_CACHE_TRACES)`)
  let bytes: Uint8Array = readFileSync(path)
  if (path.endsWith('.gz')) bytes = gunzipSync(bytes)
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
  const keys: string[] = []
  let sizes = new Uint32Array(1 << 16)
  const intern = new Map<string, string>()
  const sizeOfKey = new Map<string, number>()
  let uniqueBytes = 0
  let start = 0
  while (start < text.length) {
    let end = text.indexOf('\n', start)
    if (end === -1) end = text.length
    const comma = text.lastIndexOf(',', end)
    if (comma > start) {
      const raw = text.slice(start, comma)
      let key = intern.get(raw)
      if (key === undefined) {
        key = raw
        intern.set(raw, raw)
      }
      const size = Number(text.slice(comma + 1, end).trim())
      if (keys.length === sizes.length) {
        const next = new Uint32Array(sizes.length * 2)
        next.set(sizes)
        sizes = next
      }
      sizes[keys.length] = size
      keys.push(key)
      if (!sizeOfKey.has(key)) {
        sizeOfKey.set(key, size)
        uniqueBytes += size
      }
    }
    start = end + 1
  }
  return { name, keys, sizes: sizes.subarray(0, keys.length), uniqueKeys: intern.size, uniqueBytes }
}

/** A store as the replay loop sees it. */
export interface ReplayTarget {
  get(key: string): unknown
  set(key: string, value: Uint8Array): unknown
}

/** One shared zero buffer; every request's value is a view of it of the request's size. */
let zeros = new Uint8Array(1 << 16)
export function valueOfSize(size: number): Uint8Array {
  if (size > zeros.length) zeros = new Uint8Array(Math.max(size, zeros.length * 2))
  return zeros.subarray(0, size)
}

/**
 * The replay loop that reproduces libCacheSim's miss counts (docs/store.md):
 * `if (get(key) === undefined) { misses++; set(key, value) }`, no size update on a hit, size-0
 * requests skipped, and an object the store refuses as too large simply not admitted. Returns
 * the miss count.
 */
export function replay(target: ReplayTarget, trace: Trace, onProgress?: (done: number) => void): number {
  const { keys, sizes } = trace
  let misses = 0
  const n = keys.length
  const step = onProgress === undefined ? n + 1 : Math.max(1, Math.floor(n / 100))
  for (let i = 0; i < n; i++) {
    const size = sizes[i]
    if (size === 0) continue
    const key = keys[i]
    if (target.get(key) === undefined) {
      misses++
      try {
        target.set(key, valueOfSize(size))
      } catch (err) {
        if ((err as { code?: string }).code !== 'ERR_ENTRY_TOO_LARGE') throw err
      }
    }
    if (i % step === 0) onProgress?.(i)
  }
  return misses
}

export interface ReferenceRow {
  trace: string
  mode: 'byte' | 'obj'
  capacity: number
  requests: number
  lru: number
  s3fifo1: number
  s3fifo2: number
}

/** libCacheSim's miss counts from REFERENCE.md (LRU, S3-FIFO threshold 1 and 2). */
export function loadReference(): ReferenceRow[] {
  const text = readFileSync(join(tracesDir, 'REFERENCE.md'), 'utf8')
  const rows: ReferenceRow[] = []
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim())
    if (cells.length < 13 || !(cells[2] === 'byte' || cells[2] === 'obj')) continue
    const misses = (cell: string): number => Number(cell.split(' ')[0])
    rows.push({
      trace: cells[1],
      mode: cells[2],
      capacity: Number(cells[3].split(' ')[0]),
      requests: Number(cells[4]),
      lru: misses(cells[5]),
      s3fifo1: misses(cells[11]),
      s3fifo2: misses(cells[12]),
    })
  }
  return rows
}
