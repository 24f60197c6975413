// also-cache/cachified: a cache for @epic-web/cachified over a cache node, so cachified's
// stale-while-revalidate flow runs on a replicated cache: a value one process loaded is fresh
// (or stale-but-served) in every process of the cluster (README "Adapters").
//
//   const cache = alsoCacheAdapter(node)
//   const user = await cachified({ cache, key: `user:${id}`, ttl: 60_000, swr: 300_000, getFreshValue })
//
// What maps to what:
// - an entry is cachified's CacheEntry ({ metadata, value }), stored as its node:v8 structured
//   clone (Dates, Maps, typed arrays survive; functions do not);
// - it expires on every node when cachified would stop using it: createdTime + ttl + swr (its
//   `totalTtl`), capped at MAX_TTL_MS; an entry already past it is not written. ttl null, or
//   an infinite ttl or swr: no expiry;
// - reads are local and synchronous (cachified accepts a plain value); writes replicate as the
//   node's writes do, acknowledged by every live member first with `{ ack: 'all' }`.
// cachified itself is never imported here: the adapter is the shape it asks for.

import { deserialize, serialize } from 'node:v8'
import { MAX_TTL_MS, type AckOptions, type CacheNode } from '../index.ts'

/** cachified's CacheMetadata, the fields this adapter reads. */
interface CachifiedMetadata {
  createdTime: number
  ttl?: number | null
  swr?: number | null
  /** cachified's deprecated name of swr. */
  readonly swv?: number | null
}

/** cachified's CacheEntry. */
interface CachifiedEntry<Value> {
  metadata: CachifiedMetadata
  value: Value
}

/** cachified's Cache: what `cachified({ cache })` takes. */
interface CachifiedCache<Value> {
  name: string
  get(key: string): CachifiedEntry<Value> | undefined
  set(key: string, entry: CachifiedEntry<Value>): Promise<unknown>
  delete(key: string): Promise<unknown>
}

/** The adapter's options: how its writes are acknowledged, and the name cachified reports. */
interface AlsoCacheAdapterOptions extends AckOptions {
  /** @default 'also-cache' */
  name?: string
  /** Prepended to every key (a namespace of the cluster's keys). @default '' */
  prefix?: string
}

export function alsoCacheAdapter<Value = unknown>(node: CacheNode, options: AlsoCacheAdapterOptions = {}): CachifiedCache<Value> {
  if (node === null || typeof node !== 'object' || typeof node.get !== 'function') {
    throw new TypeError('alsoCacheAdapter: pass a cache node (await createCacheNode(...))')
  }
  const { name = 'also-cache', prefix = '', ack, timeoutMs } = options
  if (typeof prefix !== 'string') throw new TypeError(`alsoCacheAdapter: prefix must be a string, got ${typeof prefix}`)
  const write: AckOptions = {}
  if (ack !== undefined) write.ack = ack
  if (timeoutMs !== undefined) write.timeoutMs = timeoutMs
  return {
    name,
    get(key) {
      const bytes = node.get(prefix + key)
      return bytes === undefined ? undefined : (deserialize(bytes) as CachifiedEntry<Value>)
    },
    async set(key, entry) {
      const remaining = remainingMs(entry.metadata, Date.now())
      if (remaining <= 0) return
      const bytes = new Uint8Array(serialize(entry))
      await node.set(prefix + key, bytes, remaining === Infinity ? write : { ...write, ttlMs: Math.min(Math.ceil(remaining), MAX_TTL_MS) })
    },
    async delete(key) {
      await node.delete(prefix + key, write)
    },
  }
}

/** How long cachified may still use an entry: createdTime + totalTtl − now, totalTtl as cachified computes it. */
function remainingMs(m: CachifiedMetadata, nowMs: number): number {
  if (m.ttl === null) return Infinity
  const swr = (m.swr === undefined ? m.swv : m.swr) || 0
  const total = (m.ttl || 0) + swr
  return total === Infinity ? Infinity : m.createdTime + total - nowMs
}

export type { AlsoCacheAdapterOptions, CachifiedCache, CachifiedEntry, CachifiedMetadata }
