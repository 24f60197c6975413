// What a request to the HTTP API says, parsed: the key from the path, write options and list
// options from the query (or a header). This file checks syntax only — a number is digits, a
// parameter is known and given once. Whether a write's values are admissible (ttl range,
// timeoutMs only with ack=all, ...) is the library's admission rule (checkWriteOptions,
// crdt/admission.ts), applied by the caller: over HTTP and from code, one rule.

import type { IncomingMessage } from 'node:http'
import { keyProblem } from '../../crdt/index.ts'
import { MAX_HTTP_KEY_BYTES, DEFAULT_HTTP_LIST_LIMIT, MAX_HTTP_LIST_LIMIT } from './constants.ts'
import { HttpError } from './http-errors.ts'

/** A write's options as the library takes them, and where each came from in the request. */
export interface ParsedWrite {
  options: { ttlMs?: number; userVersion?: number; ack?: string; timeoutMs?: number }
  /** The library's argument name → the query parameter or header it came from ('ttlMs' → 'x-ttl-ms'). */
  sources: Record<string, string>
}

/** '/keys/a%2Fb' → 'a/b'. Everything after '/keys/' is the key, so '/' may appear raw too. */
export function parseKey(path: string): string {
  let key: string
  try {
    key = decodeURIComponent(path.slice('/keys/'.length))
  } catch {
    throw new HttpError(
      400,
      'ERR_BAD_KEY',
      'the key is not valid percent-encoding; encode it with encodeURIComponent ' +
        '(curl: --data-urlencode does not apply to paths, escape % as %25)',
    )
  }
  if (key === '') throw new HttpError(400, 'ERR_BAD_KEY', 'the key is empty; use /keys/<key> (GET /keys lists keys)')
  const bytes = Buffer.byteLength(key, 'utf8')
  if (bytes > MAX_HTTP_KEY_BYTES) {
    const message =
      `the key is ${bytes} bytes of UTF-8; over HTTP keys may be at most ${MAX_HTTP_KEY_BYTES} bytes ` +
      '(hash a longer identifier)'
    throw new HttpError(400, 'ERR_BAD_KEY', message, { keyBytesMax: MAX_HTTP_KEY_BYTES })
  }
  // The library's rule too (well-formed UTF-16): percent-decoding cannot yield a lone
  // surrogate today, but the key must be one the library and every peer admit.
  const problem = keyProblem(key)
  if (problem !== undefined) throw new HttpError(400, 'ERR_BAD_KEY', problem)
  return key
}

/**
 * Refuses a parameter that is unknown (a typo must not be ignored) or given more than once
 * (`?ttl=1&ttl=2`: which one was meant is a guess, so neither is taken).
 */
export function checkParams(query: URLSearchParams, accepted: readonly string[]): void {
  const seen = new Set<string>()
  for (const name of query.keys()) {
    if (!accepted.includes(name)) {
      const hint = accepted.length === 0 ? 'this route takes no query parameters' : `this route takes ${accepted.join(', ')}`
      throw new HttpError(400, 'ERR_BAD_PARAM', `unknown query parameter ${JSON.stringify(name)}: ${hint}`, { param: name })
    }
    if (seen.has(name)) {
      const message = `query parameter ${JSON.stringify(name)} is given more than once; give it once`
      throw new HttpError(400, 'ERR_BAD_PARAM', message, { param: name })
    }
    seen.add(name)
  }
}

/** The options of a PUT or DELETE, as given; the library's checkWriteOptions decides if they are admissible. */
export function parseWrite(req: IncomingMessage, query: URLSearchParams, method: 'PUT' | 'DELETE'): ParsedWrite {
  const out: ParsedWrite = { options: {}, sources: {} }
  const take = (argument: 'ttlMs' | 'userVersion' | 'timeoutMs', param: string, header?: string): void => {
    const parsed = intParam(query, param, header === undefined ? undefined : req.headers[header], header)
    if (parsed === undefined) return
    out.options[argument] = parsed.value
    out.sources[argument] = parsed.source
  }
  if (method === 'PUT') take('ttlMs', 'ttl', 'x-ttl-ms')
  else if (req.headers['x-ttl-ms'] !== undefined) {
    throw new HttpError(400, 'ERR_BAD_PARAM', 'x-ttl-ms does not apply to DELETE; remove it', { param: 'x-ttl-ms' })
  }
  take('userVersion', 'userVersion', 'x-user-version')
  take('timeoutMs', 'timeoutMs')
  const ack = query.get('ack')
  if (ack !== null) {
    out.options.ack = ack
    out.sources.ack = 'ack'
  }
  return out
}

/** The `prefix` and `limit` of GET /keys. */
export function parseList(query: URLSearchParams): { prefix: string; limit: number } {
  const limit = intParam(query, 'limit', undefined)?.value ?? DEFAULT_HTTP_LIST_LIMIT
  if (limit < 1 || limit > MAX_HTTP_LIST_LIMIT) {
    const message = `limit must be between 1 and ${MAX_HTTP_LIST_LIMIT}, got ${limit}; narrow the listing with prefix=`
    throw new HttpError(400, 'ERR_BAD_PARAM', message, { param: 'limit' })
  }
  return { prefix: query.get('prefix') ?? '', limit }
}

/** A decimal integer from the query (first) or a header, with where it came from; undefined when neither is given. */
function intParam(
  query: URLSearchParams,
  name: string,
  header: string | string[] | undefined,
  headerName?: string,
): { value: number; source: string } | undefined {
  const fromQuery = query.get(name)
  const text = fromQuery ?? (Array.isArray(header) ? header[0] : header)
  if (text === undefined || text === null) return undefined
  const source = fromQuery !== null || headerName === undefined ? name : headerName
  const n = /^\d{1,16}$/.test(text) ? Number(text) : NaN
  if (!Number.isSafeInteger(n)) {
    const unit = name === 'ttl' || name === 'timeoutMs' ? ' of milliseconds' : ''
    throw new HttpError(400, 'ERR_BAD_PARAM', `${source} must be a whole number${unit}, got ${JSON.stringify(text)}`, { param: source })
  }
  return { value: n, source }
}
