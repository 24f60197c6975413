// validate() and the test door of S3FifoStore, kept out of s3fifo.ts: they read the store's
// raw structures (RawStore, handed out by the store's private #raw()) and never run on a hot
// path. Queues are SMALL = 0 and MAIN = 1, and a ghost slot is marked GHOST = 2, as in
// s3fifo.ts; a ghost's kind is in its freq byte.

import type { HotKeyRing } from './hot-ring.ts'
import type { StoreInternals } from './types.ts'

const NONE = -1
const SMALL = 0
const MAIN = 1
const GHOST = 2

/** @internal The store's structures (its arrays as they are; the queue ends and counts copied from its fields). */
export interface RawStore<V> {
  head: Int32Array
  tail: Int32Array
  prev: (slot: number) => number
  next: (slot: number) => number
  queue: (slot: number) => number
  keys: (string | undefined)[]
  values: (Uint8Array | undefined)[]
  charge: (slot: number) => number
  expiresAt: (slot: number) => number
  freq: (slot: number) => number
  index: Map<string, number>
  hot: HotKeyRing
  ghostCount: number
  ghostBytes: number
  ghostCapacityBytes: number
  freeHead: number
  freeCount: number
  /** Slots ever handed out; those at or above it are free without being on the free list. */
  used: number
  slots: number
  queueBytes: Float64Array
  queueCount: Int32Array
  bytes: number
  ttlCount: number
  maxBytes: number
  maxEntries: number
}

/** Recounts everything from scratch; throws on any inconsistency. */
export function validateStore<V>(r: RawStore<V>): void {
  let count = 0
  let bytes = 0
  let ttl = 0
  for (const q of [SMALL, MAIN]) {
    let n = 0
    let b = 0
    let prev = NONE
    for (let s = r.head[q]; s !== NONE; s = r.next(s)) {
      if (r.prev(s) !== prev) throw new Error(`store: broken back link at slot ${s}`)
      if (r.queue(s) !== q) throw new Error(`store: slot ${s} linked in queue ${q} but marked ${r.queue(s)}`)
      const key = r.keys[s]
      if (key === undefined || r.index.get(key) !== s) throw new Error(`store: slot ${s} not indexed`)
      if (r.values[s] === undefined) throw new Error(`store: slot ${s} has no value`)
      if (r.expiresAt(s) !== 0) ttl++
      n++
      b += r.charge(s)
      prev = s
      if (n > r.slots) throw new Error('store: cycle in a queue')
    }
    if (prev !== r.tail[q]) throw new Error(`store: tail of queue ${q} is not its last slot`)
    if (n !== r.queueCount[q] || b !== r.queueBytes[q]) {
      throw new Error(`store: queue ${q} counted ${n}/${b} B, tracked ${r.queueCount[q]}/${r.queueBytes[q]} B`)
    }
    count += n
    bytes += b
  }
  let ghosts = 0
  let ghostBytes = 0
  let prev = NONE
  for (let s = r.head[GHOST]; s !== NONE; s = r.next(s)) {
    if (r.prev(s) !== prev) throw new Error(`ghost: broken back link at slot ${s}`)
    if (r.queue(s) !== GHOST) throw new Error(`ghost: slot ${s} linked in the ghost but marked ${r.queue(s)}`)
    const key = r.keys[s]
    if (key === undefined || r.index.get(key) !== s) throw new Error(`ghost: slot ${s} not indexed`)
    if (r.values[s] !== undefined) throw new Error(`ghost: slot ${s} holds a value`)
    if (r.expiresAt(s) !== 0) throw new Error(`ghost: slot ${s} has an expiry`)
    if (r.freq(s) > 2) throw new Error(`ghost: slot ${s} has kind ${r.freq(s)}`)
    ghosts++
    ghostBytes += r.charge(s)
    prev = s
    if (ghosts > r.slots) throw new Error('ghost: cycle in the FIFO')
  }
  if (prev !== r.tail[GHOST]) throw new Error('ghost: tail is not the last slot')
  if (ghosts !== r.ghostCount) throw new Error(`ghost: ${ghosts} linked, ${r.ghostCount} counted`)
  if (ghostBytes !== r.ghostBytes) throw new Error(`ghost: ${ghostBytes} B counted, ${r.ghostBytes} B tracked`)
  if (ghostBytes > r.ghostCapacityBytes) throw new Error(`ghost: ${ghostBytes} B over its bound ${r.ghostCapacityBytes} B`)
  if (count + ghosts !== r.index.size) {
    throw new Error(`store: ${count} entries + ${ghosts} ghosts, ${r.index.size} indexed`)
  }
  let free = 0
  for (let s = r.freeHead; s !== NONE; s = r.next(s)) {
    if (r.keys[s] !== undefined) throw new Error(`store: free slot ${s} holds a key`)
    if (r.expiresAt(s) !== 0) throw new Error(`store: free slot ${s} has an expiry`)
    if (++free > r.slots) throw new Error('store: cycle in the free list')
  }
  if (free !== r.freeCount || count + ghosts + free !== r.used || r.used > r.slots) throw new Error('store: slots leaked')
  for (let s = r.used; s < r.slots; s++) {
    if (r.keys[s] !== undefined || r.expiresAt(s) !== 0) throw new Error(`store: unused slot ${s} holds an entry`)
  }
  if (bytes !== r.bytes) throw new Error(`store: ${bytes} B counted, ${r.bytes} B tracked`)
  if (bytes > r.maxBytes) throw new Error(`store: ${bytes} B over maxBytes ${r.maxBytes}`)
  if (count > r.maxEntries) throw new Error(`store: ${count} entries over maxEntries ${r.maxEntries}`)
  if (ttl !== r.ttlCount) throw new Error(`store: ${ttl} entries with a TTL, tracked ${r.ttlCount}`)
  r.hot.validate()
}

/**
 * The test door (S3FifoStore.unsafeExposeInternals). `raw` is called on every query: the queue
 * ends live in the store's fields, so a RawStore is a snapshot of them.
 */
export function exposeInternals<V>(raw: () => RawStore<V>): StoreInternals {
  const keysOf = (q: number): string[] => {
    const r = raw()
    const keys: string[] = []
    for (let s = r.head[q]; s !== NONE; s = r.next(s)) keys.push(r.keys[s] as string)
    return keys
  }
  return {
    smallKeys: () => keysOf(SMALL),
    mainKeys: () => keysOf(MAIN),
    ghostKeys: () => keysOf(GHOST),
    freqOf: (key) => {
      const r = raw()
      const slot = r.index.get(key)
      return slot === undefined || r.values[slot] === undefined ? undefined : r.freq(slot)
    },
    hotKeys: () => raw().hot.keys(),
  }
}
