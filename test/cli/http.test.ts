// The HTTP interface of `also-cache`, end to end: two CLI processes on loopback (HTTP and
// libp2p ports picked by the OS, read back from their start-up banners), driven with real
// HTTP requests. Waits are conditions with deadlines; every process is killed in `after`.
import { createServer, type Server } from 'node:net'
import { expect } from 'chai'
import { waitFor } from '../support/cluster.ts'
import { MAX_HTTP_KEY_BYTES } from '../../lib/cli/constants.ts'
import { allAlive, CliProcess, stopAll } from './cli-process.ts'
import { findPromtool, PROMTOOL_INSTALL, promtoolCheck, request, type RequestInit as HttpRequestInit } from './http-client.ts'

const MAX_BODY = 64 * 1024
const promtool = findPromtool()

describe('cli http', function () {
  this.timeout(30_000)
  let a: CliProcess
  let b: CliProcess

  before(async () => {
    // Default SWIM profile (lan): a member paused for a few hundred ms stays alive to SWIM,
    // which the ack-timeout test relies on.
    a = await new CliProcess(['--http', '127.0.0.1:0', '--max-body', String(MAX_BODY)]).started()
    b = await new CliProcess(['--http', '127.0.0.1:0', '--bootstrap', a.addresses[0], '--max-bytes', '256kib']).started()
    await allAlive([a, b])
  })
  after(async () => {
    b?.child.kill('SIGCONT')
    await stopAll()
  })

  it('start-up banner: peer id, listen multiaddrs, HTTP URL and a curl example', () => {
    expect(a.id).to.match(/^12D3Koo/)
    expect(a.addresses[0]).to.match(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3Koo/)
    expect(a.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(a.url).to.not.match(/:0$/)
    expect(a.stdout).to.include(`curl -X PUT --data-binary 'hello' ${a.url}/keys/greeting`)
  })

  it('PUT on one node, GET on the other: the same bytes, version and expiry headers', async () => {
    const value = Uint8Array.from({ length: 256 }, (_, i) => i)
    const put = await request(`${a.url}/keys/bytes`, {
      method: 'PUT',
      body: value,
      headers: { 'x-ttl-ms': '600000', 'x-user-version': '7' },
    })
    expect(put.status).to.equal(200)
    const written = put.json<{ version: { userVersion: number; hlc: number; nodeId: string }; expiresAt: number }>()
    expect(written.version).to.include({ userVersion: 7, nodeId: a.id })
    let got = await request(`${b.url}/keys/bytes`)
    await waitFor(
      async () => {
        got = await request(`${b.url}/keys/bytes`)
        return got.status === 200
      },
      { timeoutMs: 10_000, what: 'the value to replicate to the second node' },
    )
    expect(got.headers['content-type']).to.equal('application/octet-stream')
    expect([...got.body]).to.deep.equal([...value])
    expect(got.headers['x-version-user']).to.equal('7')
    expect(got.headers['x-version-hlc']).to.equal(String(written.version.hlc))
    expect(got.headers['x-version-node']).to.equal(a.id)
    expect(got.headers['x-expires-at']).to.equal(String(written.expiresAt))
  })

  it('PUT with ttl and userVersion as query parameters; no expiry header without a ttl', async () => {
    const put = await request(`${a.url}/keys/q?ttl=600000&userVersion=2`, { method: 'PUT', body: 'v' })
    expect(put.json<{ version: { userVersion: number }; expiresAt: number | null }>().version.userVersion).to.equal(2)
    expect(put.json<{ expiresAt: number | null }>().expiresAt).to.be.a('number')
    await request(`${a.url}/keys/no-ttl`, { method: 'PUT', body: 'v' })
    const got = await request(`${a.url}/keys/no-ttl`)
    expect(got.status).to.equal(200)
    expect(got.headers['x-expires-at']).to.equal(undefined)
  })

  it('keys are URL-decoded: unicode and slashes round-trip', async () => {
    const key = 'ключ/with slash?and=query'
    const put = await request(`${a.url}/keys/${encodeURIComponent(key)}`, { method: 'PUT', body: 'u' })
    expect(put.json<{ key: string }>().key).to.equal(key)
    expect((await request(`${a.url}/keys/${encodeURIComponent(key)}`)).body.toString()).to.equal('u')
    expect((await request(`${a.url}/keys/${'k'.repeat(MAX_HTTP_KEY_BYTES)}`, { method: 'PUT', body: 'x' })).status).to.equal(200)
  })

  it('GET of a missing key: 404 with a JSON error', async () => {
    const r = await request(`${a.url}/keys/never-written`)
    expect(r.status).to.equal(404)
    expect(r.headers['content-type']).to.match(/^application\/json/)
    expect(r.json<{ error: { code: string; message: string } }>().error).to.include({ code: 'ERR_NOT_FOUND' })
  })

  it('DELETE removes the key on both nodes', async () => {
    await request(`${a.url}/keys/doomed`, { method: 'PUT', body: 'x', headers: {} })
    await waitFor(async () => (await request(`${b.url}/keys/doomed`)).status === 200, { timeoutMs: 10_000, what: 'doomed to replicate' })
    const del = await request(`${b.url}/keys/doomed`, { method: 'DELETE' })
    expect(del.status).to.equal(200)
    expect(del.json()).to.include({ key: 'doomed', deleted: true })
    expect((await request(`${b.url}/keys/doomed`)).status).to.equal(404)
    await waitFor(async () => (await request(`${a.url}/keys/doomed`)).status === 404, {
      timeoutMs: 10_000,
      what: 'the delete to replicate',
    })
  })

  it('a write with a lower userVersion loses: 409 ERR_STALE_WRITE, the value stays', async () => {
    await request(`${a.url}/keys/versioned?userVersion=5`, { method: 'PUT', body: 'v5' })
    const stale = await request(`${a.url}/keys/versioned?userVersion=4`, { method: 'PUT', body: 'v4' })
    expect(stale.status).to.equal(409)
    const error = stale.json<{ error: { code: string; current: { userVersion: number; nodeId: string } } }>().error
    expect(error.code).to.equal('ERR_STALE_WRITE')
    expect(error.current).to.include({ userVersion: 5, nodeId: a.id })
    expect((await request(`${a.url}/keys/versioned`, { method: 'DELETE' })).status).to.equal(409)
    expect((await request(`${a.url}/keys/versioned`)).body.toString()).to.equal('v5')
    expect((await request(`${a.url}/keys/versioned?userVersion=5`, { method: 'DELETE' })).status).to.equal(200)
  })

  it('PUT ?ack=all: readable on the other node as soon as the request returns', async () => {
    const put = await request(`${a.url}/keys/acked?ack=all&timeoutMs=5000`, { method: 'PUT', body: 'sure' })
    expect(put.status).to.equal(200)
    expect(put.json()).to.include({ acked: true })
    // No wait: an acknowledged write is applied on every live member before it returns.
    expect((await request(`${b.url}/keys/acked`)).body.toString()).to.equal('sure')
    expect((await request(`${b.url}/keys/acked?ack=all`, { method: 'DELETE' })).status).to.equal(200)
    expect((await request(`${a.url}/keys/acked`)).status).to.equal(404)
  })

  it('PUT ?ack=all to a paused member: 504 ERR_ACK_TIMEOUT listing it as missing', async () => {
    b.child.kill('SIGSTOP')
    let r
    try {
      r = await request(`${a.url}/keys/unacked?ack=all&timeoutMs=300`, { method: 'PUT', body: 'x' })
    } finally {
      b.child.kill('SIGCONT')
    }
    expect(r.status).to.equal(504)
    const error = r.json<{ error: { code: string; missing: string[]; message: string } }>().error
    expect(error.code).to.equal('ERR_ACK_TIMEOUT')
    expect(error.missing).to.deep.equal([b.id])
    // Applied locally all the same.
    expect((await request(`${a.url}/keys/unacked`)).status).to.equal(200)
  })

  it('bad keys and parameters: 400 with a stable code (syntax: ERR_BAD_*, the admission rule: ERR_INVALID_WRITE)', async () => {
    const table: [string, string, HttpRequestInit, string][] = [
      ['empty key', '/keys/', {}, 'ERR_BAD_KEY'],
      ['no key on PUT', '/keys', { method: 'PUT', body: 'x' }, 'ERR_METHOD_NOT_ALLOWED'],
      ['bad percent-encoding', '/keys/%E0%A4%A', {}, 'ERR_BAD_KEY'],
      ['key over MAX_HTTP_KEY_BYTES', `/keys/${'é'.repeat(MAX_HTTP_KEY_BYTES / 2 + 1)}`, {}, 'ERR_BAD_KEY'],
      ['ttl not a number', '/keys/k?ttl=soon', { method: 'PUT', body: 'x' }, 'ERR_BAD_PARAM'],
      ['ttl zero (the admission rule)', '/keys/k?ttl=0', { method: 'PUT', body: 'x' }, 'ERR_INVALID_WRITE'],
      ['negative userVersion header', '/keys/k', { method: 'PUT', body: 'x', headers: { 'x-user-version': '-1' } }, 'ERR_BAD_PARAM'],
      ['ack neither all nor none', '/keys/k?ack=some', { method: 'PUT', body: 'x' }, 'ERR_INVALID_WRITE'],
      ['timeoutMs without ack=all', '/keys/k?timeoutMs=50', { method: 'PUT', body: 'x' }, 'ERR_INVALID_WRITE'],
      ['unknown parameter (typo)', '/keys/k?ttlMs=50', { method: 'PUT', body: 'x' }, 'ERR_BAD_PARAM'],
      ['ttl on DELETE', '/keys/k?ttl=50', { method: 'DELETE' }, 'ERR_BAD_PARAM'],
      ['parameters on GET', '/keys/k?ack=all', {}, 'ERR_BAD_PARAM'],
    ]
    for (const [name, path, init, code] of table) {
      const r = await request(`${a.url}${path}`, init)
      expect(r.status, name).to.equal(code === 'ERR_METHOD_NOT_ALLOWED' ? 405 : 400)
      expect(r.json<{ error: { code: string } }>().error.code, name).to.equal(code)
    }
  })

  it('a body over --max-body: 413 and nothing stored, with or without Content-Length', async () => {
    const big = new Uint8Array(MAX_BODY + 1)
    const declared = await request(`${a.url}/keys/big`, { method: 'PUT', body: big })
    expect(declared.status).to.equal(413)
    expect(declared.json<{ error: { code: string } }>().error.code).to.equal('ERR_BODY_TOO_LARGE')
    const chunked = await request(`${a.url}/keys/big`, { method: 'PUT', body: big, chunked: true })
    expect(chunked.status).to.equal(413)
    expect((await request(`${a.url}/keys/big`)).status).to.equal(404)
    // Exactly the limit is fine.
    expect((await request(`${a.url}/keys/big`, { method: 'PUT', body: big.subarray(1) })).status).to.equal(200)
  })

  it('a value the store cannot hold: 413 ERR_ENTRY_TOO_LARGE (the body limit is higher)', async () => {
    // b runs with --max-bytes 256kib: its small queue (10 %) cannot hold 40 KiB.
    const r = await request(`${b.url}/keys/huge`, { method: 'PUT', body: new Uint8Array(40 * 1024) })
    expect(r.status).to.equal(413)
    expect(r.json<{ error: { code: string } }>().error.code).to.equal('ERR_ENTRY_TOO_LARGE')
    expect((await request(`${b.url}/keys/huge`)).status).to.equal(404)
  })

  it('unknown route: 404; wrong method: 405 with Allow', async () => {
    expect((await request(`${a.url}/nope`)).status).to.equal(404)
    const r = await request(`${a.url}/keys/k`, { method: 'POST', body: 'x' })
    expect(r.status).to.equal(405)
    expect(r.headers.allow).to.equal('GET, HEAD, PUT, DELETE')
    expect((await request(`${a.url}/stats`, { method: 'DELETE' })).status).to.equal(405)
  })

  it('GET /members: both nodes, alive, with incarnations', async () => {
    const r = (await request(`${a.url}/members`)).json<{ id: string; members: { id: string; state: string; incarnation: number }[] }>()
    expect(r.id).to.equal(a.id)
    expect(r.members.map((m) => m.id).sort()).to.deep.equal([a.id, b.id].sort())
    for (const m of r.members) expect(m.incarnation).to.be.a('number')
  })

  it('GET /stats: JSON NodeStats (hits and misses count HTTP reads)', async () => {
    const stats = (await request(`${a.url}/stats`)).json<{ id: string; hits: number; misses: number; members: Record<string, number> }>()
    expect(stats.id).to.equal(a.id)
    expect(stats.hits).to.be.greaterThan(0)
    expect(stats.misses).to.be.greaterThan(0)
    expect(stats.members.alive).to.equal(2)
  })

  it('GET /metrics: Prometheus text format', async () => {
    const r = await request(`${a.url}/metrics`)
    expect(r.status).to.equal(200)
    expect(r.headers['content-type']).to.equal('text/plain; version=0.0.4; charset=utf-8')
    const text = r.body.toString()
    expect(text).to.match(/^# HELP also_cache_hits_total /m)
    expect(text).to.match(/^also_cache_hits_total [1-9]\d*$/m)
    expect(text).to.include(`also_cache_member_incarnation{id="${b.id}",state="alive"}`)
  })

  it(
    promtool === undefined
      ? `GET /metrics passes promtool check metrics — SKIPPED: promtool is not on PATH (install: ${PROMTOOL_INSTALL})`
      : 'GET /metrics passes promtool check metrics',
    async function () {
      if (promtool === undefined) {
        process.stderr.write(`\n  promtool not found: skipping the promtool check. Install it with: ${PROMTOOL_INSTALL}\n`)
        this.skip()
      }
      const text = (await request(`${b.url}/metrics`)).body.toString()
      const { status, output } = promtoolCheck(text)
      expect(output, output).to.equal('')
      expect(status).to.equal(0)
    },
  )

  it('GET /healthz: 200 "ok" with the warm-up state', async () => {
    const r = await request(`${b.url}/healthz`)
    expect(r.status).to.equal(200)
    const body = r.json<{ status: string; id: string; warm: boolean; warmup: { done: boolean } }>()
    expect(body).to.include({ status: 'ok', id: b.id })
    expect(body.warm).to.equal(body.warmup.done)
  })

  it('GET /readyz: 200 "ready" once the warm-up is over (HEAD too), stats().ready, listed on GET /', async () => {
    await waitFor(async () => (await request(`${b.url}/readyz`)).status === 200, { timeoutMs: 10_000, what: 'the second node ready' })
    const body = (await request(`${b.url}/readyz`)).json<{ status: string; id: string; warmup: { done: boolean } }>()
    expect(body).to.include({ status: 'ready', id: b.id })
    expect(body.warmup.done).to.equal(true)
    expect((await request(`${b.url}/readyz`, { method: 'HEAD' })).status).to.equal(200)
    expect((await request(`${b.url}/readyz`, { method: 'POST' })).status).to.equal(405)
    expect((await request(`${b.url}/stats`)).json<{ ready: boolean }>().ready).to.equal(true)
    expect((await request(`${b.url}/`)).json<{ routes: string[] }>().routes).to.include('GET /readyz')
  })

  it('SIGTERM past --shutdown-timeout: exit 1, ERR_CLI_SHUTDOWN_TIMEOUT naming the step that hung', async () => {
    // 1 ms: the node's close (a SWIM "left", libp2p stopping) always takes longer than that.
    const c = await new CliProcess(['--http', '127.0.0.1:0', '--shutdown-timeout', '1']).started()
    c.child.kill('SIGTERM')
    const exit = await c.exit(15_000)
    expect(exit.code).to.equal(1)
    expect(c.stderr).to.match(/^also-cache \[ERR_CLI_SHUTDOWN_TIMEOUT\]: did not stop within 1 ms: closing the node \(flushing/m)
    expect(c.stdout).to.match(/SIGTERM: leaving the cluster and stopping within 1 ms/)
  })

  it('port in use: another also-cache on the same --http port exits 3 naming the port', async () => {
    const port = new URL(a.url).port
    const c = new CliProcess(['--http', `127.0.0.1:${port}`])
    const exit = await c.exit(15_000)
    expect(exit.code).to.equal(3)
    expect(c.stderr).to.include('[ERR_CLI_ADDRESS_IN_USE]')
    expect(c.stderr).to.include(`HTTP port ${port} on 127.0.0.1 is already in use`)
    expect(c.stderr).to.include('--http 127.0.0.1:0')
  })

  it('port in use by any server (not an also-cache): exit 3 too', async () => {
    const server: Server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const port = (server.address() as { port: number }).port
      const c = new CliProcess(['--http', `127.0.0.1:${port}`])
      expect((await c.exit(15_000)).code).to.equal(3)
      expect(c.stderr).to.include(String(port))
    } finally {
      server.close()
    }
  })

  it('a --listen address in use: exit 3 naming it', async () => {
    const taken = a.addresses[0].replace(/\/p2p\/.*$/, '')
    const c = new CliProcess(['--http', '127.0.0.1:0', '--listen', taken])
    expect((await c.exit(20_000)).code).to.equal(3)
    expect(c.stderr).to.include(`a --listen address is already in use (${taken})`)
  })

  it('SIGTERM: the node leaves the cluster (the other sees "left") and exits 0', async () => {
    b.child.kill('SIGTERM')
    const exit = await b.exit(15_000)
    expect(exit.code).to.equal(0)
    expect(b.stdout).to.match(/SIGTERM: leaving the cluster and stopping within 10000 ms/)
    expect(b.stdout).to.match(/stopped in \d+ ms/)
    await waitFor(
      async () => {
        const { members } = (await request(`${a.url}/members`)).json<{ members: { id: string; state: string }[] }>()
        return members.some((m) => m.id === b.id && m.state === 'left')
      },
      { timeoutMs: 10_000, what: 'the first node to see the second as left' },
    )
  })
})
