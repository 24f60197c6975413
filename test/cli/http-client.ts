// A small HTTP client for the CLI tests: node:http, so a test controls the body exactly
// (Content-Length or chunked) and sees the raw status and headers.
import { request as httpRequest } from 'node:http'
import { spawnSync } from 'node:child_process'

export interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  /** The body as JSON (throws if it is not). */
  json<T = Record<string, unknown>>(): T
}

export interface RequestInit {
  method?: string
  body?: Uint8Array | string
  headers?: Record<string, string>
  /** Send the body in chunks without Content-Length (Transfer-Encoding: chunked). */
  chunked?: boolean
  timeoutMs?: number
}

export function request(url: string, init: RequestInit = {}): Promise<Reply> {
  const { method = 'GET', body, headers = {}, chunked = false, timeoutMs = 10_000 } = init
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.once('error', reject)
      res.once('end', () => {
        const buf = Buffer.concat(chunks)
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, json: <T>() => JSON.parse(buf.toString('utf8')) as T })
      })
    })
    // The server may answer 413 and close before the whole body is written: that is the
    // behaviour under test, so a write error after the response began is not a failure.
    req.once('error', reject)
    if (body === undefined) return void req.end()
    const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength)
    if (!chunked) {
      req.setHeader('content-length', bytes.byteLength)
      return void req.end(bytes)
    }
    const step = 16 * 1024
    for (let i = 0; i < bytes.byteLength; i += step) req.write(bytes.subarray(i, i + step))
    req.end()
  })
}

/** The promtool binary, if installed (Debian package `prometheus`). */
export function findPromtool(): string | undefined {
  const r = spawnSync('promtool', ['--version'], { stdio: 'ignore' })
  return r.error === undefined && r.status === 0 ? 'promtool' : undefined
}

export const PROMTOOL_INSTALL = 'apt-get update && apt-get install -y prometheus'

/** Runs `promtool check metrics` on text; returns its exit status and what it printed. */
export function promtoolCheck(text: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20_000 })
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` }
}
