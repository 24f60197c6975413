// getOrLoad: the cache-aside read users of every cache ask for first (README, "Using it").
//
// - Fresh hit: returned at once, no loader call.
// - Miss: one loader call per key per node, however many callers wait (single flight); the
//   loaded value is then set (and replicated) like any write, and every waiter gets it.
// - Stale: in the `staleWhileRevalidateMs` after its ttl, an entry is returned at once while one
//   refresh runs in the background; if the refresh fails, the stale value keeps being served
//   until the window ends.
// - Stale on error: past that, but inside `staleIfErrorMs` after its ttl, the caller waits for
//   a load as on a miss — and if the loader fails, gets the old value instead of the error
//   (lru-cache's allowStaleOnFetchRejection, BentoCache's grace period). A longer window than
//   the revalidation one: an outage of the data source serves old values, a healthy one never.
// Each call can learn which of these it was: pass `status: {}` and read `status.status`
// ('hit', 'stale', 'loaded', 'coalesced', 'stale-on-error'), as lru-cache's fetch status does.
//
// How "stale" is known without extra metadata: getOrLoad stores an entry with the hard expiry
// now + ttlMs + grace, grace = max(staleWhileRevalidateMs, staleIfErrorMs), and takes it as
// fresh while now < expiresAt − grace. The store never serves past the hard expiry (G5). The
// windows are read from each call's options: give every call for a key the same ones.
//
// A race to know about: a loader that read the database before a newer write of the same row
// could put the older row into the cache after it. Return the row's version as `userVersion`
// from the loader, and the version order (G3) keeps the newer row.

import { AlsoCacheError, EntryTooLargeError } from '../foundation/index.ts'
import { keyProblem, refuse, ttlProblem, WriteRefusedError } from '../../crdt/index.ts'
import type { CacheEntry, WriteOptions, WriteResult } from './events.ts'
import { MAX_TIMEOUT_MS } from './write-options.ts'

/**
 * How long a loader may run before its callers are released with a LoaderError (and the next
 * call loads again): a loader that never settles would otherwise wedge its key for good.
 * 30 s is past any sane database query and still shorter than most HTTP gateways' timeouts.
 */
export const DEFAULT_LOADER_TIMEOUT_MS = 30_000

/**
 * A loaded value with the row's version and its own TTL: `loaded(value, { userVersion, ttlMs })`.
 * The only way to pass them from a loader of a node with a valueCodec (a plain `{ value }`
 * object is a value there); a byte node also takes the plain form.
 */
export class LoadedEntry<T> {
  readonly value: T
  readonly userVersion: number | undefined
  readonly ttlMs: number | undefined
  constructor(value: T, meta: { userVersion?: number; ttlMs?: number } = {}) {
    this.value = value
    this.userVersion = meta.userVersion
    this.ttlMs = meta.ttlMs
  }
}

/** What a loader returns with a version or ttl of its own (see LoadedEntry). */
export function loaded<T>(value: T, meta: { userVersion?: number; ttlMs?: number } = {}): LoadedEntry<T> {
  return new LoadedEntry(value, meta)
}

/** What a byte node's loader may also return: the plain form of a LoadedEntry. */
interface PlainLoaded {
  value: Uint8Array
  userVersion?: number
  ttlMs?: number
}

/** What a loader returns: the value, or the value with the row's version and its own TTL. */
export type Loaded<T = Uint8Array> = T | LoadedEntry<T> | (T extends Uint8Array ? PlainLoaded : never)

export type LoaderFn<T = Uint8Array> = (key: string) => Promise<Loaded<T>> | Loaded<T>

/** What one getOrLoad call did (`status.status`). */
export type GetOrLoadStatusName = 'hit' | 'stale' | 'loaded' | 'coalesced' | 'stale-on-error'

/** Pass `{}` as `options.status`: getOrLoad fills `status` before its promise settles. */
export interface GetOrLoadStatus {
  status?: GetOrLoadStatusName
}

export interface GetOrLoadOptions {
  /** How long a loaded value is fresh. Required: a loaded value must not live forever by accident. */
  ttlMs: number
  /** After ttlMs, how long the old value may still be served while one refresh runs. @default 0 */
  staleWhileRevalidateMs?: number
  /**
   * After ttlMs, how long the old value is kept to answer a caller whose load fails (the caller
   * waits for the load first). Longer than staleWhileRevalidateMs to matter. @default 0
   */
  staleIfErrorMs?: number
  /** An object this call fills with what it did (GetOrLoadStatus). @default none */
  status?: GetOrLoadStatus
  /** Passed to the replicating set of a loaded value. @default 'none' */
  ack?: WriteOptions['ack']
  /**
   * Longest a loader call may run; past it the callers reject with a LoaderError (code
   * ERR_LOADER_FAILED, cause ERR_LOADER_TIMEOUT) and the key is free to load again (the late
   * result, if any, is dropped). An integer in [1, 2^31 − 1]. @default 30 s (DEFAULT_LOADER_TIMEOUT_MS)
   */
  loaderTimeoutMs?: number
}

const OPTIONS = new Set(['ttlMs', 'staleWhileRevalidateMs', 'staleIfErrorMs', 'status', 'ack', 'loaderTimeoutMs'])
const NO_FOREVER = 'a loaded value must not live forever by accident'

/** A loader that failed with no stale value to fall back on; `cause` is the loader's error. */
export class LoaderError extends AlsoCacheError {
  readonly key: string
  constructor(key: string, cause: unknown) {
    super('ERR_LOADER_FAILED', `loader for "${key}" failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
    this.key = key
  }
}

/** A loader that did not settle within loaderTimeoutMs (the `cause` of a LoaderError). */
export class LoaderTimeoutError extends AlsoCacheError {
  constructor(key: string, timeoutMs: number) {
    super(
      'ERR_LOADER_TIMEOUT',
      `loader for "${key}" did not settle within ${timeoutMs} ms: check the data source, or raise loaderTimeoutMs`,
    )
  }
}

export interface LoaderHost {
  getEntry(key: string): CacheEntry | undefined
  set(key: string, value: Uint8Array, options: WriteOptions): Promise<WriteResult>
  now(): number
}

export interface LoaderStats {
  loads: number
  loadFailures: number
  /** Callers that joined a load already running (single flight). */
  coalesced: number
  staleServed: number
  refreshes: number
  /** Callers answered with the old value because their load failed (staleIfErrorMs). */
  staleOnError: number
}

export class SingleFlightLoader {
  readonly #host: LoaderHost
  readonly #inflight = new Map<string, Promise<Uint8Array>>()
  readonly stats: LoaderStats = { loads: 0, loadFailures: 0, coalesced: 0, staleServed: 0, refreshes: 0, staleOnError: 0 }

  constructor(host: LoaderHost) {
    this.#host = host
  }

  /**
   * Validates synchronously (throws WriteRefusedError naming the bad option: the node turns
   * that into a rejection), then answers.
   */
  getOrLoad(key: string, loader: LoaderFn, options: GetOrLoadOptions): Promise<Uint8Array> {
    if (options === null || typeof options !== 'object') {
      throw new WriteRefusedError('options', `getOrLoad: options are required: { ttlMs } (${NO_FOREVER})`)
    }
    for (const name of Object.keys(options)) {
      if (OPTIONS.has(name)) continue
      throw new WriteRefusedError('options', `getOrLoad: unknown option ${JSON.stringify(name)}; it takes ${[...OPTIONS].join(', ')}`)
    }
    refuse('key', 'getOrLoad', keyProblem(key))
    const { ttlMs, status } = options
    const swrMs = options.staleWhileRevalidateMs ?? 0
    const sieMs = options.staleIfErrorMs ?? 0
    if (ttlMs === undefined) throw new WriteRefusedError('ttlMs', `getOrLoad: ttlMs is required (${NO_FOREVER})`)
    refuse('ttlMs', 'getOrLoad', ttlProblem(ttlMs))
    for (const [name, ms] of [['staleWhileRevalidateMs', swrMs], ['staleIfErrorMs', sieMs]] as const) {
      if (!(typeof ms === 'number' && ms >= 0 && Number.isFinite(ms))) {
        throw new WriteRefusedError('options', `getOrLoad: ${name} must be a finite number ≥ 0, got ${String(ms)}`)
      }
    }
    const graceMs = Math.max(swrMs, sieMs)
    refuse('ttlMs', 'getOrLoad (ttlMs + the longer stale window)', ttlProblem(ttlMs + graceMs))
    if (status !== undefined && (status === null || typeof status !== 'object')) {
      throw new WriteRefusedError('options', 'getOrLoad: status must be an object for the call to fill ({})')
    }
    if (options.ack !== undefined && options.ack !== 'all' && options.ack !== 'none') {
      throw new WriteRefusedError('ack', `getOrLoad: ack must be 'all' or 'none', got ${JSON.stringify(options.ack)}`)
    }
    const timeoutMs = options.loaderTimeoutMs ?? DEFAULT_LOADER_TIMEOUT_MS
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMEOUT_MS) {
      const got = String(timeoutMs)
      throw new WriteRefusedError('timeoutMs', `getOrLoad: loaderTimeoutMs must be an integer in [1, ${MAX_TIMEOUT_MS}], got ${got}`)
    }
    if (typeof loader !== 'function') throw new WriteRefusedError('options', 'getOrLoad: loader must be a function (key) => value')
    const entry = this.#host.getEntry(key)
    let fallback: Uint8Array | undefined
    if (entry !== undefined) {
      const freshUntil = entry.expiresAt === undefined ? Infinity : entry.expiresAt - graceMs
      const now = this.#host.now()
      if (now < freshUntil) return answered(status, 'hit', entry.value)
      if (now < freshUntil + swrMs) {
        // Stale but inside the revalidation window: serve it, refresh once in the background.
        this.stats.staleServed++
        if (!this.#inflight.has(key)) {
          this.stats.refreshes++
          this.#load(key, loader, options).catch(() => {
            // A failed refresh keeps the stale value until its hard expiry.
          })
        }
        return answered(status, 'stale', entry.value)
      }
      // Past it, inside the stale-if-error window: load as on a miss, the old value as the fallback.
      fallback = entry.value
    }
    const running = this.#inflight.get(key)
    if (running !== undefined) this.stats.coalesced++
    const load = running ?? this.#load(key, loader, options)
    const done = running === undefined ? 'loaded' : 'coalesced'
    return load.then(
      (value) => answered(status, done, value),
      (err: unknown) => {
        if (fallback === undefined) throw err
        this.stats.staleOnError++
        return answered(status, 'stale-on-error', fallback)
      },
    )
  }

  #load(key: string, loader: LoaderFn, options: GetOrLoadOptions): Promise<Uint8Array> {
    this.stats.loads++
    const p = (async () => {
      let loaded: Loaded
      try {
        loaded = await withTimeout(key, loader, options.loaderTimeoutMs ?? DEFAULT_LOADER_TIMEOUT_MS)
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
      try {
        // What the loader returned passes the write rule like any set (a bad ttl or
        // userVersion from the loader is the loader's failure, counted as one).
        if (typeof ttlMs !== 'number') throw new WriteRefusedError('ttlMs', `the loader's ttlMs must be a number, got ${String(ttlMs)}`)
        await this.#host.set(key, value, {
          ttlMs: ttlMs + Math.max(options.staleWhileRevalidateMs ?? 0, options.staleIfErrorMs ?? 0),
          ...(userVersion === undefined ? {} : { userVersion }),
          ...(options.ack === undefined ? {} : { ack: options.ack }),
        })
      } catch (err) {
        if (!(err instanceof WriteRefusedError || err instanceof EntryTooLargeError)) throw err
        this.stats.loadFailures++
        throw new LoaderError(key, err)
      }
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

/** Records what the call did in the caller's status object (if any), and answers `value`. */
function answered(status: GetOrLoadStatus | undefined, name: GetOrLoadStatusName, value: Uint8Array): Promise<Uint8Array> {
  if (status !== undefined) status.status = name
  return Promise.resolve(value)
}

/** Runs the loader; rejects with LoaderTimeoutError once `timeoutMs` pass without a result. */
async function withTimeout(key: string, loader: LoaderFn, timeoutMs: number): Promise<Loaded> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LoaderTimeoutError(key, timeoutMs)), timeoutMs)
  })
  try {
    // Called at once (not on a later tick): a caller can see the load start synchronously.
    return await Promise.race([loader(key), timeout])
  } finally {
    clearTimeout(timer)
  }
}
