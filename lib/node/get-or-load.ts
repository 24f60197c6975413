// getOrLoad: the cache-aside read users of every cache ask for first (DESIGN §9).
//
// - Fresh hit: returned at once, no loader call.
// - Miss: one loader call per key per node, however many callers wait (single flight); the
//   loaded value is then set (and replicated) like any write, and every waiter gets it.
// - Stale: an entry in the last `staleWhileRevalidateMs` of its life is returned at once while
//   one refresh runs in the background; if the refresh fails, the stale value keeps being
//   served until the window ends.
//
// How "stale" is known without extra metadata: getOrLoad stores an entry with the hard expiry
// now + ttlMs + staleWhileRevalidateMs, and takes it as fresh while
// now < expiresAt − staleWhileRevalidateMs. The store never serves past the hard expiry (G5).
//
// A race to know about: a loader that read the database before a newer write of the same row
// could put the older row into the cache after it. Return the row's version as `userVersion`
// from the loader, and the version order (G3) keeps the newer row.

import { AlsoCacheError } from '../errors.ts'
import type { CacheEntry, WriteOptions } from './events.ts'

/** What a loader returns: the value, or the value with the row's version and its own TTL. */
export type Loaded = Uint8Array | { value: Uint8Array; userVersion?: number; ttlMs?: number }

export type LoaderFn = (key: string) => Promise<Loaded> | Loaded

export interface GetOrLoadOptions {
  /** How long a loaded value is fresh. Required: a loaded value must not live forever by accident. */
  ttlMs: number
  /** After ttlMs, how long the old value may still be served while one refresh runs. @default 0 */
  staleWhileRevalidateMs?: number
  /** Passed to the replicating set of a loaded value. @default 'none' */
  ack?: WriteOptions['ack']
}

/** A loader that failed with no stale value to fall back on; `cause` is the loader's error. */
export class LoaderError extends AlsoCacheError {
  readonly key: string
  constructor(key: string, cause: unknown) {
    super('ERR_LOADER_FAILED', `loader for "${key}" failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
    this.key = key
  }
}

export interface LoaderHost {
  getEntry(key: string): CacheEntry | undefined
  set(key: string, value: Uint8Array, options: WriteOptions): Promise<void>
  now(): number
}

export interface LoaderStats {
  loads: number
  loadFailures: number
  /** Callers that joined a load already running (single flight). */
  coalesced: number
  staleServed: number
  refreshes: number
}

export class SingleFlightLoader {
  readonly #host: LoaderHost
  readonly #inflight = new Map<string, Promise<Uint8Array>>()
  readonly stats: LoaderStats = { loads: 0, loadFailures: 0, coalesced: 0, staleServed: 0, refreshes: 0 }

  constructor(host: LoaderHost) {
    this.#host = host
  }

  /** Validates synchronously (a TypeError is a programmer error), then answers. */
  getOrLoad(key: string, loader: LoaderFn, options: GetOrLoadOptions): Promise<Uint8Array> {
    const { ttlMs } = options
    const swrMs = options.staleWhileRevalidateMs ?? 0
    if (!(typeof ttlMs === 'number' && ttlMs > 0 && Number.isFinite(ttlMs))) {
      throw new TypeError(`getOrLoad: ttlMs must be a finite number > 0, got ${String(ttlMs)}`)
    }
    if (!(typeof swrMs === 'number' && swrMs >= 0 && Number.isFinite(swrMs))) {
      throw new TypeError(`getOrLoad: staleWhileRevalidateMs must be a finite number ≥ 0, got ${String(swrMs)}`)
    }
    if (typeof loader !== 'function') throw new TypeError('getOrLoad: loader must be a function (key) => value')
    const entry = this.#host.getEntry(key)
    if (entry !== undefined) {
      const freshUntil = entry.expiresAt === undefined ? Infinity : entry.expiresAt - swrMs
      if (this.#host.now() < freshUntil) return Promise.resolve(entry.value)
      // Stale but still inside its window: serve it, refresh once in the background.
      this.stats.staleServed++
      if (!this.#inflight.has(key)) {
        this.stats.refreshes++
        this.#load(key, loader, options).catch(() => {
          // A failed refresh keeps the stale value until its hard expiry.
        })
      }
      return Promise.resolve(entry.value)
    }
    const running = this.#inflight.get(key)
    if (running !== undefined) {
      this.stats.coalesced++
      return running
    }
    return this.#load(key, loader, options)
  }

  #load(key: string, loader: LoaderFn, options: GetOrLoadOptions): Promise<Uint8Array> {
    this.stats.loads++
    const p = (async () => {
      let loaded: Loaded
      try {
        loaded = await loader(key)
      } catch (err) {
        this.stats.loadFailures++
        throw new LoaderError(key, err)
      }
      const value = loaded instanceof Uint8Array ? loaded : loaded?.value
      if (!(value instanceof Uint8Array)) {
        this.stats.loadFailures++
        throw new LoaderError(key, new TypeError('the loader must return a Uint8Array or { value: Uint8Array }'))
      }
      const ttlMs = (loaded instanceof Uint8Array ? undefined : loaded.ttlMs) ?? options.ttlMs
      const userVersion = loaded instanceof Uint8Array ? undefined : loaded.userVersion
      await this.#host.set(key, value, {
        ttlMs: ttlMs + (options.staleWhileRevalidateMs ?? 0),
        ...(userVersion === undefined ? {} : { userVersion }),
        ...(options.ack === undefined ? {} : { ack: options.ack }),
      })
      return value
    })()
    this.#inflight.set(key, p)
    p.then(
      () => this.#inflight.delete(key),
      () => this.#inflight.delete(key),
    )
    return p
  }
}
