// The HTTP interface of `also-cache`: a thin translation of requests into CacheNode calls.
// It decides nothing the node decides; it only parses, bounds and maps errors to statuses.
//
//   GET    /keys/KEY                 → 200 raw bytes + version headers | 404
//   PUT    /keys/KEY  body = value   → 200 JSON  (?ttl= ?userVersion= ?tags=a,b ?ack=all&timeoutMs=)
//   DELETE /keys/KEY                 → 200 JSON  (?userVersion= ?ack=all&timeoutMs=)
//   GET    /keys?prefix=&limit=      → 200 JSON  { keys, truncated, limit }
//   DELETE /keys?prefix=P | ?all=true → 200 JSON  { cleared: { prefix }, version, acked } (?ack=all&timeoutMs=)
//   DELETE /tags/TAG                 → 200 JSON  { invalidated, version, acked } (?ack=all&timeoutMs=)
//   GET    /members /stats           → JSON
//   GET    /metrics                  → Prometheus text (lib/node/prometheus.ts)
//   GET    /healthz                  → 200 JSON once the node runs, 503 while starting/closing (liveness)
//   GET    /readyz                   → 200 JSON once the warm-up is over, 503 before it and while closing (readiness)
//
// Every error is JSON `{ "error": { "code", "message" } }` with a stable code (http-errors.ts).
// A write is checked by the library's admission rule (checkWriteOptions, the same code
// createCacheNode's set/delete run) before its body is read, so a refused write costs no body
// and a client sending `Expect: 100-continue` hears the refusal instead of 100 Continue.
// The server is bound before the node starts (a taken port fails fast, before joining
// anyone), so for a moment requests meet no node: they get 503 ERR_STARTING.
//
// What clients can hold is bounded (constants.ts): connections (maxConnections), time to send
// headers and a request (headersTimeoutMs, requestTimeoutMs), request-line size
// (HTTP_MAX_HEADER_BYTES) and body bytes buffered over all requests (bodyBytesInFlightMax).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { WriteResult } from '../node/index.ts'
import type { CacheEntry, CacheNode } from '../node/index.ts'
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from '../node/index.ts'
import { checkWriteOptions, type CheckedWriteOptions } from '../node/index.ts'
import {
  MAX_HTTP_BODY_BYTES_IN_FLIGHT,
  HTTP_HEADERS_TIMEOUT_MS,
  MAX_HTTP_KEY_BYTES,
  HTTP_MAX_CONNECTIONS,
  HTTP_MAX_HEADER_BYTES,
  HTTP_REQUEST_TIMEOUT_MS,
} from './constants.ts'
import { AddressInUseError, BadFlagError } from './errors.ts'
import { ByteBudget, readBody } from './http-body.ts'
import { answerClientError, HttpError, sendError, sendJson, toHttpError } from './http-errors.ts'
import { checkParams, parseClear, parseInvalidate, parseKey, parseList, parseTag, parseWrite, tagsHeader } from './http-params.ts'
import { positiveInt } from '../foundation/index.ts'

export { HttpError, toHttpError } from './http-errors.ts'
export { parseKey } from './http-params.ts'

export interface HttpApiInit {
  /** Largest PUT body read; past it 413. @default DEFAULT_HTTP_MAX_BODY_BYTES (1 MiB) */
  maxBodyBytes: number
  /** Most open connections; more are closed at once. @default HTTP_MAX_CONNECTIONS (1024) */
  maxConnections?: number
  /** Time to send the request headers; past it 408. @default HTTP_HEADERS_TIMEOUT_MS (10 s) */
  headersTimeoutMs?: number
  /** Time to send the whole request (≥ headersTimeoutMs); past it 408. @default HTTP_REQUEST_TIMEOUT_MS (30 s) */
  requestTimeoutMs?: number
  /**
   * Request-body bytes buffered at once over all requests (≥ maxBodyBytes); past it 503 ERR_BUSY.
   * @default max(MAX_HTTP_BODY_BYTES_IN_FLIGHT (64 MiB), maxBodyBytes)
   */
  bodyBytesInFlightMax?: number
}

type Phase = 'starting' | 'running' | 'closing'

/** Query parameters each method of /keys/KEY takes; anything else is a 400 (a typo must not be ignored). */
const KEY_PARAMS: Record<string, readonly string[]> = {
  GET: [],
  HEAD: [],
  PUT: ['ttl', 'userVersion', 'tags', 'ack', 'timeoutMs'],
  DELETE: ['userVersion', 'ack', 'timeoutMs'],
}
/** Query parameters of /keys: a listing (GET) or a clear (DELETE). */
const COLLECTION_PARAMS: Record<string, readonly string[]> = {
  GET: ['prefix', 'limit'],
  HEAD: ['prefix', 'limit'],
  DELETE: ['prefix', 'all', 'ack', 'timeoutMs'],
}
const TAG_PARAMS: readonly string[] = ['ack', 'timeoutMs']
const ROUTES = [
  'GET|PUT|DELETE /keys/:key',
  'GET /keys?prefix=&limit=',
  'DELETE /keys?prefix= | ?all=true',
  'DELETE /tags/:tag',
  'GET /members',
  'GET /stats',
  'GET /metrics',
  'GET /healthz',
  'GET /readyz',
]

export class HttpApi {
  readonly server: Server
  readonly #maxBodyBytes: number
  readonly #budget: ByteBudget
  /** Requests that sent `Expect: 100-continue`: readBody says 100 Continue once their body is admitted. */
  readonly #awaitingContinue = new WeakSet<IncomingMessage>()
  #node: CacheNode | undefined
  #phase: Phase = 'starting'

  constructor(init: HttpApiInit) {
    const maxConnections = init.maxConnections ?? HTTP_MAX_CONNECTIONS
    const headersTimeoutMs = init.headersTimeoutMs ?? HTTP_HEADERS_TIMEOUT_MS
    const requestTimeoutMs = init.requestTimeoutMs ?? HTTP_REQUEST_TIMEOUT_MS
    const bodyBytesInFlightMax = init.bodyBytesInFlightMax ?? Math.max(MAX_HTTP_BODY_BYTES_IN_FLIGHT, init.maxBodyBytes)
    positiveInt('HttpApi', 'maxBodyBytes', init.maxBodyBytes)
    positiveInt('HttpApi', 'maxConnections', maxConnections)
    positiveInt('HttpApi', 'headersTimeoutMs', headersTimeoutMs)
    positiveInt('HttpApi', 'requestTimeoutMs', requestTimeoutMs)
    if (headersTimeoutMs > requestTimeoutMs) {
      throw new TypeError(`HttpApi: headersTimeoutMs (${headersTimeoutMs}) must not exceed requestTimeoutMs (${requestTimeoutMs})`)
    }
    if (!(Number.isSafeInteger(bodyBytesInFlightMax) && bodyBytesInFlightMax >= init.maxBodyBytes)) {
      throw new TypeError(
        `HttpApi: bodyBytesInFlightMax must be an integer ≥ maxBodyBytes (${init.maxBodyBytes}), got ${String(bodyBytesInFlightMax)}`,
      )
    }
    this.#maxBodyBytes = init.maxBodyBytes
    this.#budget = new ByteBudget(bodyBytesInFlightMax)
    this.server = createServer(
      {
        maxHeaderSize: HTTP_MAX_HEADER_BYTES,
        headersTimeout: headersTimeoutMs,
        requestTimeout: requestTimeoutMs,
        // Node checks both timeouts on this period (default 30 s): a quarter of the shorter
        // one cuts a slow client off within 1.25 × its timeout. Costs one walk over the open
        // connections per period; at most once a second.
        connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.ceil(headersTimeoutMs / 4))),
      },
      (req, res) => this.#onRequest(req, res),
    )
    this.server.maxConnections = maxConnections
    // Without this listener Node answers `Expect: 100-continue` with 100 at once, before the
    // request is looked at: an oversized body then met 413 mid-upload and a reset.
    this.server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      this.#awaitingContinue.add(req)
      // Answered without 100 Continue, the client may or may not send its body after all:
      // the connection closes rather than guess (readBody lifts this once it says 100).
      res.setHeader('connection', 'close')
      this.#onRequest(req, res)
    })
    this.server.on('clientError', (err: Error & { code?: string }, socket) =>
      answerClientError(err, socket, { headerBytesMax: HTTP_MAX_HEADER_BYTES, keyBytesMax: MAX_HTTP_KEY_BYTES }),
    )
  }

  /** Requests reach the node from now on. */
  attach(node: CacheNode): void {
    this.#node = node
    this.#phase = 'running'
  }

  /** Binds host:port (0: any free port) and returns the base URL. Typed errors for the usual failures. */
  listen(host: string, port: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => reject(listenError(err, host, port))
      this.server.once('error', onError)
      this.server.listen(port, host, () => {
        this.server.off('error', onError)
        const addr = this.server.address()
        const bound = typeof addr === 'object' && addr !== null ? addr.port : port
        resolve(`http://${host.includes(':') ? `[${host}]` : host}:${bound}`)
      })
    })
  }

  /** Stops taking connections; requests in flight get 503 once the node is closing. */
  close(): Promise<void> {
    this.#phase = 'closing'
    return new Promise((resolve) => {
      this.server.close(() => resolve())
      this.server.closeIdleConnections()
    })
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.#handle(req, res).catch((err: unknown) => sendError(res, toHttpError(err)))
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/'
    const q = rawUrl.indexOf('?')
    // The raw path, not URL(): WHATWG parsing would fold '/keys/a/../b' into '/b'.
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q)
    const query = new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1))
    const method = req.method ?? 'GET'

    if (path === '/keys') return method === 'DELETE' ? this.#clear(req, res, query) : this.#list(res, method, query)
    if (path.startsWith('/keys/')) return this.#key(req, res, method, path, query)
    if (path.startsWith('/tags/')) return this.#invalidate(req, res, method, path, query)
    if (path === '/healthz') {
      allow(method, ['GET', 'HEAD'])
      const node = this.#node
      if (this.#phase !== 'running' || node === undefined) return sendJson(res, 503, { status: this.#phase })
      const warmup = node.stats().warmup
      return sendJson(res, 200, { status: 'ok', id: node.id, warm: warmup.done, warmup })
    }
    if (path === '/readyz') {
      allow(method, ['GET', 'HEAD'])
      return this.#readyz(res)
    }
    if (path === '/members') {
      allow(method, ['GET', 'HEAD'])
      const node = this.#running()
      return sendJson(res, 200, { id: node.id, members: node.members() })
    }
    if (path === '/stats') {
      allow(method, ['GET', 'HEAD'])
      return sendJson(res, 200, this.#running().stats())
    }
    if (path === '/metrics') {
      allow(method, ['GET', 'HEAD'])
      const node = this.#running()
      const body = renderPrometheus(node.stats(), node.members())
      res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) })
      return void res.end(body)
    }
    if (path === '/') {
      allow(method, ['GET', 'HEAD'])
      return sendJson(res, 200, { service: 'also-cache', id: this.#node?.id, routes: ROUTES, docs: 'docs/cli.md' })
    }
    const routes = '/keys/:key, /keys, /tags/:tag, /members, /stats, /metrics, /healthz, /readyz'
    throw new HttpError(404, 'ERR_NOT_FOUND', `no route ${method} ${path}; routes: ${routes}`)
  }

  /**
   * GET /readyz, readiness (where /healthz is liveness): 200 once the node's start-up warm-up
   * is over (stats().ready), so a load balancer sends traffic, and a rolling deploy stops the
   * next node, only once this one holds what its peers hold. 503 with why otherwise:
   * `starting` (the node is not running yet), `warming` (running, its warm-up from the
   * snapshot and peers not over), `closing` (shutting down: the balancer stops sending before
   * the process goes). `warmup` is stats().warmup: its figures once it is over.
   */
  #readyz(res: ServerResponse): void {
    const node = this.#node
    if (this.#phase !== 'running' || node === undefined) return sendJson(res, 503, { status: this.#phase })
    const stats = node.stats()
    // Not ready with the warm-up over: close() has begun (the phase flips a moment later).
    const status = stats.ready ? 'ready' : stats.warmup.done ? 'closing' : 'warming'
    sendJson(res, stats.ready ? 200 : 503, { status, id: node.id, warmup: stats.warmup })
  }

  /**
   * GET /keys: live keys starting with `prefix`, at most `limit`, in the store's order
   * (hottest first, not sorted). `truncated` says more matched. Costs one pass over the
   * store at most (no hit counted, no value copied).
   */
  #list(res: ServerResponse, method: string, query: URLSearchParams): void {
    allow(method, Object.keys(COLLECTION_PARAMS))
    checkParams(query, COLLECTION_PARAMS[method])
    const { prefix, limit } = parseList(query)
    const keys: string[] = []
    let truncated = false
    for (const key of this.#running().keys(prefix)) {
      if (keys.length === limit) {
        truncated = true
        break
      }
      keys.push(key)
    }
    sendJson(res, 200, { keys, truncated, limit })
  }

  /**
   * DELETE /keys?prefix=P or ?all=true: clear(), on every node, of the keys written before it
   * (docs/replication.md, "Clears"). A bare DELETE /keys is refused (http-params.ts, parseClear).
   */
  async #clear(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
    checkParams(query, COLLECTION_PARAMS.DELETE)
    const { options, sources } = parseClear(req, query)
    try {
      const checked = checkWriteOptions(options, 'clear')
      const result = await this.#running().clear(checked)
      sendJson(res, 200, { cleared: { prefix: checked.prefix ?? '' }, version: result.version, acked: checked.ack === 'all' })
    } catch (err) {
      throw toHttpError(err, sources)
    }
  }

  /** DELETE /tags/TAG: invalidateTags([TAG]) on every node (docs/replication.md, "Tags"). */
  async #invalidate(req: IncomingMessage, res: ServerResponse, method: string, path: string, query: URLSearchParams): Promise<void> {
    allow(method, ['DELETE'])
    const tag = parseTag(path)
    checkParams(query, TAG_PARAMS)
    const { options, sources } = parseInvalidate(req, query)
    try {
      const checked = checkWriteOptions(options, 'invalidateTags')
      const result = await this.#running().invalidateTags([tag], checked)
      sendJson(res, 200, { invalidated: tag, version: result.version, acked: checked.ack === 'all' })
    } catch (err) {
      throw toHttpError(err, sources)
    }
  }

  async #key(req: IncomingMessage, res: ServerResponse, method: string, path: string, query: URLSearchParams): Promise<void> {
    allow(method, Object.keys(KEY_PARAMS))
    const key = parseKey(path)
    checkParams(query, KEY_PARAMS[method])
    if (method === 'PUT' || method === 'DELETE') {
      const { options, sources } = parseWrite(req, query, method)
      const op = method === 'PUT' ? 'set' : 'delete'
      try {
        // The library's rule, before the body is read: a refused write costs no upload.
        const checked = checkWriteOptions(options, op)
        return method === 'PUT' ? await this.#put(req, res, key, checked) : await this.#delete(res, key, checked)
      } catch (err) {
        throw toHttpError(err, sources)
      }
    }
    // GET/HEAD: get() counts the hit or miss; getEntry() (no count) supplies the version.
    const node = this.#running()
    const value = node.get(key)
    if (value === undefined) {
      throw new HttpError(
        404,
        'ERR_NOT_FOUND',
        `no live entry for key ${JSON.stringify(key)} on this node (never written, deleted, expired, evicted, or not replicated here yet)`,
      )
    }
    const e = node.getEntry(key)
    const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream', 'content-length': value.byteLength }
    if (e !== undefined) {
      headers['x-version-user'] = e.version.userVersion
      headers['x-version-hlc'] = e.version.hlc
      headers['x-version-node'] = e.version.nodeId
      if (e.expiresAt !== undefined) headers['x-expires-at'] = e.expiresAt
      if (e.tags !== undefined && e.tags.length > 0) headers['x-tags'] = tagsHeader(e.tags)
    }
    res.writeHead(200, headers)
    res.end(value)
  }

  /**
   * The answer carries the write's own version (from its WriteResult), never one read after
   * the ack wait: with `ack=all` another write to the key may land meanwhile, and its version
   * is not this write's. Worked scenario: 1. PUT k ?ack=all (hlc 10) waits for a paused peer;
   * 2. PUT k (hlc 11) lands here; 3. the peer acks hlc 10 — the first PUT answers hlc 10.
   */
  async #put(req: IncomingMessage, res: ServerResponse, key: string, options: CheckedWriteOptions): Promise<void> {
    const expectsContinue = this.#awaitingContinue.has(req)
    const value = await readBody(req, res, { maxBytes: this.#maxBodyBytes, budget: this.#budget, expectsContinue })
    const node = this.#running()
    // A value this node's store could never hold is refused by set() (EntryTooLargeError →
    // 413) before anything replicates.
    const pending = node.set(key, value, options)
    // set() applies the write here before it returns; what the key holds now is this write
    // (or, if it was stale, the newer entry): its expiry is read now, before any wait.
    const applied = node.getEntry(key)
    const result = await pending
    if (result.stale) throw staleWrite(key, node.getEntry(key) ?? applied)
    const expiresAt = applied !== undefined && sameVersion(applied, result) ? (applied.expiresAt ?? null) : null
    sendJson(res, 200, { key, bytes: value.byteLength, version: result.version, expiresAt, acked: options.ack === 'all' })
  }

  async #delete(res: ServerResponse, key: string, options: CheckedWriteOptions): Promise<void> {
    const node = this.#running()
    const result = await node.delete(key, options)
    if (result.stale) throw staleWrite(key, node.getEntry(key))
    sendJson(res, 200, { key, deleted: true, version: result.version, acked: options.ack === 'all' })
  }

  #running(): CacheNode {
    if (this.#phase === 'closing') throw new HttpError(503, 'ERR_CLOSING', 'the node is shutting down; retry on another node')
    if (this.#node === undefined) {
      throw new HttpError(503, 'ERR_STARTING', 'the node is still starting (joining the cluster); retry in a moment')
    }
    return this.#node
  }
}

function sameVersion(entry: CacheEntry, result: WriteResult): boolean {
  const a = entry.version
  const b = result.version
  return a.userVersion === b.userVersion && a.hlc === b.hlc && a.nodeId === b.nodeId
}

/**
 * The write lost to a version with a higher userVersion (userVersion is compared before the
 * hlc, G3), so the key keeps its old value. Worked scenario: 1. PUT ?userVersion=3;
 * 2. PUT or DELETE with no userVersion (0) → applied as stale, nothing changes; without this
 * 409 the client would see 200 and wonder why GET still returns the first value. `current`
 * is what the key holds when the answer is sent (absent if it has expired meanwhile).
 */
function staleWrite(key: string, current: CacheEntry | undefined): HttpError {
  const held = current === undefined ? 'a higher userVersion' : `userVersion ${current.version.userVersion}`
  const fix = current === undefined ? 'send a higher userVersion' : `send userVersion=${current.version.userVersion} or higher`
  const message =
    `key ${JSON.stringify(key)} holds ${held}, higher than this write's, so the write lost ` +
    `(userVersion is compared first); ${fix}`
  return new HttpError(409, 'ERR_STALE_WRITE', message, current === undefined ? {} : { current: current.version })
}

function allow(method: string, methods: readonly string[]): void {
  if (!methods.includes(method)) {
    throw new HttpError(405, 'ERR_METHOD_NOT_ALLOWED', `${method} is not allowed here; use ${methods.join(' or ')}`, { allow: methods })
  }
}

function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `${host}:${port}`
  if (err.code === 'EADDRINUSE') {
    return new AddressInUseError(
      where,
      `HTTP port ${port} on ${host} is already in use (another also-cache, or another server). ` +
        `Stop that process, or pick another port: --http ${host}:${port + 1}, or --http ${host}:0 for any free port.`,
      { cause: err },
    )
  }
  if (err.code === 'EACCES') {
    return new BadFlagError('--http', `--http ${where}: ports below 1024 need root. Use a port such as 7070.`, { cause: err })
  }
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') {
    return new BadFlagError(
      '--http',
      `--http ${where}: no network interface of this machine has that address. Use 127.0.0.1.`,
      { cause: err },
    )
  }
  return err
}
