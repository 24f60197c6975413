// What a request to the HTTP API says, parsed: the key or tag from the path, write, clear and
// list options from the query (or a header). This file checks syntax only — a number is digits, a
// parameter is known and given once. Whether a write's values are admissible (ttl range,
// timeoutMs only with ack=all, ...) is the library's admission rule (checkWriteOptions,
// crdt/admission.ts), applied by the caller: over HTTP and from code, one rule.

import type { IncomingMessage } from 'node:http'
import { keyProblem } from '../../crdt/index.ts'
import { MAX_HTTP_KEY_BYTES, DEFAULT_HTTP_LIST_LIMIT, MAX_HTTP_LIST_LIMIT } from './constants.ts'
import { HttpError } from './http-errors.ts'

/** A write's options as the library takes them, and where each came from in the request. */
export interface ParsedWrite {
  options: { ttlMs?: number; userVersion?: number; tags?: string[]; ack?: string; timeoutMs?: number; prefix?: string }
  /** The library's argument name → the query parameter or header it came from ('ttlMs' → 'x-ttl-ms'). */
  sources: Record<string, string>
}

/**
 * '/tags/a%2Fb' → 'a/b', percent-decoded like a key. Whether the tag is admissible (non-empty,
 * at most 128 bytes) is the library's rule: invalidateTags refuses it with argument 'tags'.
 */
export function parseTag(path: string): string {
  try {
    return decodeURIComponent(path.slice('/tags/'.length))
  } catch {
    throw new HttpError(400, 'ERR_BAD_TAG', 'the tag is not valid percent-encoding; encode it with encodeURIComponent (escape % as %25)')
  }
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
  if (method === 'PUT') {
    take('ttlMs', 'ttl', 'x-ttl-ms')
    takeTags(req, query, out)
  } else refuseHeaders(req, ['x-ttl-ms', 'x-tags'], 'DELETE of a key')
  take('userVersion', 'userVersion', 'x-user-version')
  takeAck(query, out)
  return out
}

/**
 * The options of `DELETE /keys` (a clear): exactly one of `prefix=P` (non-empty) and
 * `all=true`. A bare DELETE of the collection is refused rather than read as "every key", and
 * so is an empty prefix (`?prefix=$UNSET` would otherwise wipe the cluster): clearing every
 * key is said in words.
 */
export function parseClear(req: IncomingMessage, query: URLSearchParams): ParsedWrite {
  const prefix = query.get('prefix')
  const all = query.get('all')
  const which = 'give prefix=P to clear the keys starting with P, or all=true to clear every key'
  if (prefix === null && all === null) {
    throw new HttpError(400, 'ERR_BAD_PARAM', `DELETE /keys needs prefix or all: ${which}`, { param: 'prefix' })
  }
  if (prefix !== null && all !== null) throw new HttpError(400, 'ERR_BAD_PARAM', `prefix and all together: ${which}`, { param: 'all' })
  if (all !== null && all !== 'true') {
    throw new HttpError(400, 'ERR_BAD_PARAM', `all takes only true, got ${JSON.stringify(all)}: ${which}`, { param: 'all' })
  }
  if (prefix === '') {
    throw new HttpError(400, 'ERR_BAD_PARAM', 'prefix is empty, which would clear every key; say all=true for that', { param: 'prefix' })
  }
  refuseHeaders(req, ['x-ttl-ms', 'x-user-version', 'x-tags'], 'a clear')
  const out: ParsedWrite = { options: { prefix: prefix ?? '' }, sources: { prefix: 'prefix' } }
  takeAck(query, out)
  return out
}

/** The options of `DELETE /tags/TAG`: `ack` and `timeoutMs` only. */
export function parseInvalidate(req: IncomingMessage, query: URLSearchParams): ParsedWrite {
  refuseHeaders(req, ['x-ttl-ms', 'x-user-version', 'x-tags'], 'a tag invalidation')
  const out: ParsedWrite = { options: {}, sources: {} }
  takeAck(query, out)
  return out
}

/**
 * An entry's tags as a response header: comma-separated, each tag percent-encoded where it
 * must be (`%`, `,`, control characters and non-ASCII), so any tag the library admits can be
 * shown and `decodeURIComponent` of each item gives it back. Tags such as `user:1` read as is.
 */
export function tagsHeader(tags: readonly string[]): string {
  return tags.map((t) => t.replace(/[%,\u0000-\u001f\u007f-\u{10ffff}]/gu, (c) => encodeURIComponent(c))).join(',')
}

/**
 * `tags=a,b` or `x-tags: a,b` (the query wins): split at commas, spaces and tabs around each
 * tag dropped (HTTP list syntax), so a tag with a comma, or with edge spaces, cannot be given
 * over HTTP. The header is read as UTF-8. Whether the tags are admissible is the library's rule.
 */
function takeTags(req: IncomingMessage, query: URLSearchParams, out: ParsedWrite): void {
  const fromQuery = query.get('tags')
  let text = fromQuery
  if (text === null) {
    const header = req.headers['x-tags']
    if (header === undefined) return
    // Node reads header bytes as latin1; a client sends UTF-8.
    const bytes = Buffer.from(Array.isArray(header) ? header.join(',') : header, 'latin1')
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    } catch {
      throw new HttpError(400, 'ERR_BAD_PARAM', 'x-tags is not valid UTF-8; send the tags as UTF-8, or in the query: ?tags=', {
        param: 'x-tags',
      })
    }
  }
  out.options.tags = text.split(',').map((t) => t.replace(/^[ \t]+|[ \t]+$/g, ''))
  out.sources.tags = fromQuery === null ? 'x-tags' : 'tags'
}

/** `ack` and `timeoutMs` of any write, as given (the admission rule judges them). */
function takeAck(query: URLSearchParams, out: ParsedWrite): void {
  const timeoutMs = intParam(query, 'timeoutMs', undefined)
  if (timeoutMs !== undefined) {
    out.options.timeoutMs = timeoutMs.value
    out.sources.timeoutMs = timeoutMs.source
  }
  const ack = query.get('ack')
  if (ack !== null) {
    out.options.ack = ack
    out.sources.ack = 'ack'
  }
}

/** Write headers that do not apply to this request are refused, like an unknown query parameter. */
function refuseHeaders(req: IncomingMessage, names: readonly string[], what: string): void {
  for (const name of names) {
    if (req.headers[name] === undefined) continue
    throw new HttpError(400, 'ERR_BAD_PARAM', `${name} does not apply to ${what}; remove it`, { param: name })
  }
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
