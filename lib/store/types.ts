// Public types of S3FifoStore (s3fifo.ts): entries, write options, stats, the test door.

import type { HotKeyStats } from './hot-ring.ts'

export interface StoreEntry<V> {
  key: string
  value: Uint8Array
  version: V | undefined
  /** Absolute expiry in ms of the store's clock; undefined: never expires. */
  expiresAt: number | undefined
}

export interface StoreSetOptions<V> {
  /** Absolute expiry in ms of the store's clock (`now`). Absent or 0: never expires. */
  expiresAt?: number
  /** Opaque version kept with the entry and, when it leaves, with its ghost. */
  version?: V
}

export interface StoreStats extends HotKeyStats {
  hits: number
  misses: number
  inserts: number
  updates: number
  deletes: number
  /** small → main at the small queue's tail (freq ≥ promotionThreshold). */
  promotions: number
  /** small → ghost at the small queue's tail. */
  smallEvictions: number
  /** Dropped from main's tail (freq 0). */
  mainDrops: number
  /** Reinserted at main's head with a decremented frequency. */
  mainReinserts: number
  expirations: number
  /** Entries refused with EntryTooLargeError. */
  rejections: number
  entries: number
  bytes: number
  smallBytes: number
  mainBytes: number
  ghostEntries: number
  ghostBytes: number
}

/** @internal See S3FifoStore.unsafeExposeInternals. Queues listed newest first. */
export interface StoreInternals {
  smallKeys(): string[]
  mainKeys(): string[]
  ghostKeys(): string[]
  freqOf(key: string): number | undefined
  /** The hot-key ring, oldest first, without draining it. */
  hotKeys(): string[]
}
