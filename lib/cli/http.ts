// The HTTP interface of `also-cache`: a thin translation of requests into CacheNode calls.
// It decides nothing the node decides; it only parses, bounds and maps errors to statuses.
//
//   GET    /keys/KEY                 → 200 raw bytes + version headers | 404
//   PUT    /keys/KEY  body = value   → 200 JSON  (?ttl= ?userVersion= ?ack=all&timeoutMs=)
//   DELETE /keys/KEY                 → 200 JSON  (?userVersion= ?ack=all&timeoutMs=)
//   GET    /members /stats           → JSON
//   GET    /metrics                  → Prometheus text (lib/node/prometheus.ts)
//   GET    /healthz                  → 200 JSON once the node runs, 503 while starting/closing
//
// Every error is JSON `{ "error": { "code", "message" } }` with a stable code. The server
// is bound before the node starts (a taken port fails fast, before joining anyone), so for a
// moment requests meet no node: they get 503 ERR_STARTING.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { CacheNode } from '../node/index.ts'
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from '../node/prometheus.ts'
import { MAX_KEY_BYTES } from './constants.ts'
import { AddressInUseError, BadFlagError } from './errors.ts'

export interface HttpApiInit {
  /** Largest PUT body read; past it 413. @default DEFAULT_HTTP_MAX_BODY_BYTES (1 MiB) */
  maxBodyBytes: number
}

/** An error answered to the client: the status and the JSON body's code. */
export class HttpError extends Error {
  readonly status: number
  readonly code: string
  readonly extra: Record<string, unknown>
  constructor(status: number, code: string, message: string, extra: Record<string, unknown> = {}) {
    super(message)
    this.status = status
    this.code = code
    this.extra = extra
  }
}

type Phase = 'starting' | 'running' | 'closing'

/** Query parameters each method takes; anything else is a 400 (a typo must not be ignored). */
const KEY_PARAMS: Record<string, readonly string[]> = {
  GET: [],
  HEAD: [],
  PUT: ['ttl', 'userVersion', 'ack', 'timeoutMs'],
  DELETE: ['userVersion', 'ack', 'timeoutMs'],
}

export class HttpApi {
  readonly server: Server
  readonly #maxBodyBytes: number
  #node: CacheNode | undefined
  #phase: Phase = 'starting'

  constructor(init: HttpApiInit) {
    this.#maxBodyBytes = init.maxBodyBytes
    this.server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => sendError(res, toHttpError(err)))
    })
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

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/'
    const q = rawUrl.indexOf('?')
    // The raw path, not URL(): WHATWG parsing would fold '/keys/a/../b' into '/b'.
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q)
    const query = new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1))
    const method = req.method ?? 'GET'

    if (path === '/keys' || path.startsWith('/keys/')) return this.#key(req, res, method, path, query)
    if (path === '/healthz') {
      allow(method, ['GET', 'HEAD'])
      const node = this.#node
      if (this.#phase !== 'running' || node === undefined) return sendJson(res, 503, { status: this.#phase })
      const warmup = node.stats().warmup
      return sendJson(res, 200, { status: 'ok', id: node.id, warm: warmup.done, warmup })
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
      return sendJson(res, 200, {
        service: 'also-cache',
        id: this.#node?.id,
        routes: ['GET|PUT|DELETE /keys/:key', 'GET /members', 'GET /stats', 'GET /metrics', 'GET /healthz'],
        docs: 'docs/cli.md',
      })
    }
    throw new HttpError(404, 'ERR_NOT_FOUND', `no route ${method} ${path}; routes: /keys/:key, /members, /stats, /metrics, /healthz`)
  }

  async #key(req: IncomingMessage, res: ServerResponse, method: string, path: string, query: URLSearchParams): Promise<void> {
    allow(method, Object.keys(KEY_PARAMS))
    const key = parseKey(path)
    checkParams(query, KEY_PARAMS[method])
    if (method === 'PUT') {
      // Read the body before touching the node: a 413 must store nothing.
      const value = await readBody(req, this.#maxBodyBytes)
      const ttlMs = intParam(query, 'ttl', req.headers['x-ttl-ms'], 1)
      const write = writeOptions(req, query)
      const node = this.#running()
      // A value this node's store could never hold is refused by set() (EntryTooLargeError →
      // 413 below, in the error mapping) before anything replicates.
      await node.set(key, value, { ...write, ...(ttlMs === undefined ? {} : { ttlMs }) })
      const e = node.getEntry(key)
      if (e !== undefined && e.version.userVersion > (write.userVersion ?? 0)) throw staleWrite(key, e.version)
      return sendJson(res, 200, { key, bytes: value.byteLength, version: e?.version, expiresAt: e?.expiresAt ?? null, acked: write.ack === 'all' })
    }
    if (method === 'DELETE') {
      if (req.headers['x-ttl-ms'] !== undefined) throw new HttpError(400, 'ERR_BAD_PARAM', 'x-ttl-ms does not apply to DELETE; remove it')
      const write = writeOptions(req, query)
      const node = this.#running()
      await node.delete(key, write)
      const e = node.getEntry(key)
      if (e !== undefined) throw staleWrite(key, e.version)
      return sendJson(res, 200, { key, deleted: true, acked: write.ack === 'all' })
    }
    // GET/HEAD: get() counts the hit or miss; getEntry() (no count) supplies the version.
    const node = this.#running()
    const value = node.get(key)
    if (value === undefined) {
      throw new HttpError(404, 'ERR_NOT_FOUND', `no live entry for key ${JSON.stringify(key)} on this node (never written, deleted, expired, evicted, or not replicated here yet)`)
    }
    const e = node.getEntry(key)
    const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream', 'content-length': value.byteLength }
    if (e !== undefined) {
      headers['x-version-user'] = e.version.userVersion
      headers['x-version-hlc'] = e.version.hlc
      headers['x-version-node'] = e.version.nodeId
      if (e.expiresAt !== undefined) headers['x-expires-at'] = e.expiresAt
    }
    res.writeHead(200, headers)
    res.end(value)
  }

  #running(): CacheNode {
    if (this.#phase === 'closing') throw new HttpError(503, 'ERR_CLOSING', 'the node is shutting down; retry on another node')
    if (this.#node === undefined) throw new HttpError(503, 'ERR_STARTING', 'the node is still starting (joining the cluster); retry in a moment')
    return this.#node
  }
}

/** '/keys/a%2Fb' → 'a/b'. Everything after '/keys/' is the key, so '/' may appear raw too. */
export function parseKey(path: string): string {
  let key: string
  try {
    key = decodeURIComponent(path.slice('/keys/'.length))
  } catch {
    throw new HttpError(400, 'ERR_BAD_KEY', 'the key is not valid percent-encoding; encode it with encodeURIComponent (curl: --data-urlencode does not apply to paths, escape % as %25)')
  }
  if (key === '') throw new HttpError(400, 'ERR_BAD_KEY', 'the key is empty; use /keys/<key>')
  const bytes = Buffer.byteLength(key, 'utf8')
  if (bytes > MAX_KEY_BYTES) throw new HttpError(400, 'ERR_BAD_KEY', `the key is ${bytes} bytes of UTF-8; keys may be at most ${MAX_KEY_BYTES} bytes (hash a longer identifier)`)
  return key
}

/**
 * The write lost to a version with a higher userVersion (userVersion is compared before the
 * hlc, G3), so the key keeps its old value. Worked scenario: 1. PUT ?userVersion=3;
 * 2. PUT or DELETE with no userVersion (0) → applied as stale, nothing changes; without this
 * 409 the client would see 200 and wonder why GET still returns the first value.
 */
function staleWrite(key: string, current: { userVersion: number; hlc: number; nodeId: string }): HttpError {
  return new HttpError(
    409,
    'ERR_STALE_WRITE',
    `key ${JSON.stringify(key)} holds userVersion ${current.userVersion}, higher than this write's, so the write lost (userVersion is compared first); send userVersion=${current.userVersion} or higher`,
    { current },
  )
}

function checkParams(query: URLSearchParams, accepted: readonly string[]): void {
  for (const name of query.keys()) {
    if (!accepted.includes(name)) {
      const hint = accepted.length === 0 ? 'this method takes no query parameters' : `this method takes ${accepted.join(', ')}`
      throw new HttpError(400, 'ERR_BAD_PARAM', `unknown query parameter ${JSON.stringify(name)}: ${hint}`)
    }
  }
}

function writeOptions(req: IncomingMessage, query: URLSearchParams): { userVersion?: number; ack?: 'all' | 'none'; timeoutMs?: number } {
  const out: { userVersion?: number; ack?: 'all' | 'none'; timeoutMs?: number } = {}
  const userVersion = intParam(query, 'userVersion', req.headers['x-user-version'], 0)
  if (userVersion !== undefined) out.userVersion = userVersion
  const ack = query.get('ack')
  if (ack !== null) {
    if (ack !== 'all' && ack !== 'none') throw new HttpError(400, 'ERR_BAD_PARAM', `ack must be "all" or "none", got ${JSON.stringify(ack)}`)
    out.ack = ack
  }
  const timeoutMs = intParam(query, 'timeoutMs', undefined, 1)
  if (timeoutMs !== undefined) {
    if (out.ack !== 'all') throw new HttpError(400, 'ERR_BAD_PARAM', 'timeoutMs only applies with ack=all')
    out.timeoutMs = timeoutMs
  }
  return out
}

/** A decimal integer ≥ min from the query (first) or a header; undefined when neither is given. */
function intParam(query: URLSearchParams, name: string, header: string | string[] | undefined, min: number): number | undefined {
  const text = query.get(name) ?? (Array.isArray(header) ? header[0] : header)
  if (text === undefined || text === null) return undefined
  const n = /^\d{1,16}$/.test(text) ? Number(text) : NaN
  if (!Number.isSafeInteger(n) || n < min) {
    throw new HttpError(400, 'ERR_BAD_PARAM', `${name} must be a whole number ≥ ${min}${name === 'ttl' || name === 'timeoutMs' ? ' (milliseconds)' : ''}, got ${JSON.stringify(text)}`)
  }
  return n
}

/** The whole body, or 413 as soon as it is known to exceed maxBytes (nothing more is buffered). */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = (): HttpError =>
    new HttpError(413, 'ERR_BODY_TOO_LARGE', `the value is over ${maxBytes} bytes, the most this server reads; store a smaller value or restart with a larger --max-body`, { maxBodyBytes: maxBytes })
  const declared = Number(req.headers['content-length'])
  if (declared > maxBytes) return Promise.reject(tooLarge())
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let total = 0
    const onData = (chunk: Buffer): void => {
      total += chunk.byteLength
      if (total > maxBytes) {
        req.off('data', onData)
        reject(tooLarge())
        return
      }
      chunks.push(chunk)
    }
    req.on('data', onData)
    req.once('end', () => {
      const body = Buffer.concat(chunks, total)
      resolve(new Uint8Array(body.buffer, body.byteOffset, body.byteLength))
    })
    req.once('error', reject)
  })
}

function allow(method: string, methods: readonly string[]): void {
  if (!methods.includes(method)) throw new HttpError(405, 'ERR_METHOD_NOT_ALLOWED', `${method} is not allowed here; use ${methods.join(' or ')}`, { allow: methods })
}

/** Maps what a node call threw to a status: typed node errors keep their code. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err
  const e = err as { code?: unknown; message?: string; missing?: readonly string[] }
  if (e.code === 'ERR_ACK_TIMEOUT') return new HttpError(504, 'ERR_ACK_TIMEOUT', e.message ?? 'acknowledgement timed out', { missing: e.missing ?? [] })
  if (e.code === 'ERR_ENTRY_TOO_LARGE') return new HttpError(413, 'ERR_ENTRY_TOO_LARGE', e.message ?? 'entry too large')
  // The node validates its options with TypeError/RangeError: the request carried a bad value.
  if (err instanceof TypeError || err instanceof RangeError) return new HttpError(400, 'ERR_BAD_PARAM', err.message)
  return new HttpError(500, typeof e.code === 'string' ? e.code : 'ERR_INTERNAL', e.message ?? String(err))
}

function sendError(res: ServerResponse, err: HttpError): void {
  if (res.headersSent) return void res.destroy()
  const headers: Record<string, string> = {}
  if (err.status === 405) headers.allow = (err.extra.allow as string[]).join(', ')
  // After a 413 the rest of the body is not read: close the connection instead of draining it.
  if (err.status === 413) headers.connection = 'close'
  const { allow: _allow, ...extra } = err.extra
  sendJson(res, err.status, { error: { code: err.code, message: err.message, ...extra } }, headers)
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body, null, 2)}\n`
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
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
  if (err.code === 'EACCES') return new BadFlagError('--http', `--http ${where}: ports below 1024 need root. Use a port such as 7070.`, { cause: err })
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') {
    return new BadFlagError('--http', `--http ${where}: no network interface of this machine has that address. Use 127.0.0.1.`, { cause: err })
  }
  return err
}
