// Errors of the HTTP API as answers: every error is JSON `{ "error": { "code", "message", ... } }`
// with a stable code, including the ones Node's HTTP parser raises before a request exists
// (headers too large, a malformed request, a client too slow), which Node would otherwise
// answer with a bare status line or a reset.

import { STATUS_CODES, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'

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

/**
 * Maps what a node call threw to a status: typed node errors keep their code. `sources` names,
 * per argument of the library ('ttlMs'), the query parameter or header it came from ('ttl'),
 * so that a refusal by the admission rule tells an HTTP client what to change.
 */
export function toHttpError(err: unknown, sources: Record<string, string> = {}): HttpError {
  if (err instanceof HttpError) return err
  const e = err as {
    code?: unknown
    message?: string
    missing?: readonly string[]
    argument?: string
    chargeBytes?: number
    maxEntryBytes?: number
  }
  const message = e.message ?? String(err)
  if (e.code === 'ERR_ACK_TIMEOUT') return new HttpError(504, 'ERR_ACK_TIMEOUT', message, { missing: e.missing ?? [] })
  if (e.code === 'ERR_ENTRY_TOO_LARGE') {
    const extra = { argument: 'value', chargeBytes: e.chargeBytes, maxEntryBytes: e.maxEntryBytes }
    return new HttpError(413, 'ERR_ENTRY_TOO_LARGE', message, extra)
  }
  // WriteRefusedError (crdt/admission.ts): the write breaks the admission rule; nothing was applied.
  if (e.code === 'ERR_INVALID_WRITE') {
    const argument = e.argument ?? 'options'
    const param = argument === 'value' ? 'body' : sources[argument]
    const extra = param === undefined ? { argument } : { argument, param }
    return new HttpError(argument === 'value' ? 413 : 400, 'ERR_INVALID_WRITE', message, extra)
  }
  // The node validates its options with TypeError/RangeError: the request carried a bad value.
  if (err instanceof TypeError || err instanceof RangeError) return new HttpError(400, 'ERR_BAD_PARAM', message)
  return new HttpError(500, typeof e.code === 'string' ? e.code : 'ERR_INTERNAL', message)
}

/** Statuses after which the request body is left unread: the connection closes rather than drain it. */
const CLOSES = new Set([413, 503])

export function sendError(res: ServerResponse, err: HttpError): void {
  // The client is gone (a reset, a request timeout answered by clientError): nobody to tell.
  if (res.destroyed || res.writableEnded) return
  if (res.headersSent) return void res.destroy()
  const headers: Record<string, string> = {}
  if (err.status === 405) headers.allow = (err.extra.allow as string[]).join(', ')
  if (err.status === 503 && err.code === 'ERR_BUSY') headers['retry-after'] = '1'
  if (CLOSES.has(err.status)) headers.connection = 'close'
  const { allow: _allow, ...extra } = err.extra
  sendJson(res, err.status, { error: { code: err.code, message: err.message, ...extra } }, headers)
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = jsonText(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

function jsonText(body: unknown): string {
  return `${JSON.stringify(body, null, 2)}\n`
}

/** How long a refused connection is drained after its answer before it is destroyed. */
const CLIENT_ERROR_LINGER_MS = 2_000

/**
 * The server's 'clientError' handler: the request never became one (Node's parser refused it,
 * or the client was too slow), so the answer is written on the socket by hand. The rest of
 * what the client sends is read and dropped until it closes (at most CLIENT_ERROR_LINGER_MS):
 * closing a socket with unread input sends a reset, and the client would lose the answer.
 */
export function answerClientError(
  err: Error & { code?: string },
  socket: Duplex,
  limits: { headerBytesMax: number; keyBytesMax: number },
): void {
  // A response already begun on this socket cannot be followed by another.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent === true) return void socket.destroy()
  let error: HttpError
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    error = new HttpError(
      431,
      'ERR_HEADERS_TOO_LARGE',
      `the request line and headers are over ${limits.headerBytesMax} bytes. Keys may be at most ${limits.keyBytesMax} bytes of UTF-8 ` +
        '(hash a longer identifier); send values in the body, not in headers',
      { headerBytesMax: limits.headerBytesMax, keyBytesMax: limits.keyBytesMax },
    )
  } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    error = new HttpError(408, 'ERR_REQUEST_TIMEOUT', 'the request (headers and body) did not arrive in time; send it at once, or retry')
  } else {
    error = new HttpError(400, 'ERR_BAD_REQUEST', `not an HTTP/1.1 request this server can read (${err.code ?? err.message})`)
  }
  const text = jsonText({ error: { code: error.code, message: error.message, ...error.extra } })
  const head = [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(text)}`,
    'connection: close',
  ]
  socket.on('data', () => {})
  socket.once('end', () => socket.destroy())
  setTimeout(() => socket.destroy(), CLIENT_ERROR_LINGER_MS).unref()
  socket.end(`${head.join('\r\n')}\r\n\r\n${text}`)
}
