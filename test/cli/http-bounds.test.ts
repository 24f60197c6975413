// What slow or greedy HTTP clients can hold: HttpApi in this process with small bounds, raw
// TCP clients that stall mid-request. Each bound is checked with a deadline: the server cuts
// the client off within the bound (plus the check interval), never "eventually".
import { connect, type Socket } from 'node:net'
import { expect } from 'chai'
import type { CacheNode } from '../../lib/node/index.ts'
import { HttpApi } from '../../lib/cli/http.ts'
import { waitFor } from '../support/cluster.ts'
import { request, type Reply } from './http-client.ts'

/** A raw client: what it received, and when (ms after connecting) the server closed it. */
class RawClient {
  readonly socket: Socket
  received = ''
  closedAfterMs: number | undefined
  readonly #started = Date.now()

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1')
    this.socket.setEncoding('utf8').on('data', (s: string) => (this.received += s))
    this.socket.on('error', () => {})
    this.socket.once('close', () => (this.closedAfterMs = Date.now() - this.#started))
  }

  connected(): Promise<this> {
    return new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve(this))
      this.socket.once('error', reject)
    })
  }

  /** Waits until the server closes the connection; fails past the deadline. */
  async closed(timeoutMs: number, what: string): Promise<number> {
    await waitFor(() => this.closedAfterMs !== undefined, { timeoutMs, what })
    return this.closedAfterMs!
  }
}

/** Enough of a node for a PUT to succeed. */
const STUB_NODE = {
  id: 'stub',
  set: () => Promise.resolve({ version: { userVersion: 0, hlc: 1, nodeId: 'stub' }, stale: false }),
  getEntry: () => undefined,
  stats: () => ({ warmup: { done: true } }),
} as unknown as CacheNode

describe('cli http bounds', function () {
  this.timeout(20_000)
  const apis: HttpApi[] = []
  const clients: RawClient[] = []

  async function serve(init: ConstructorParameters<typeof HttpApi>[0]): Promise<{ api: HttpApi; port: number; url: string }> {
    const api = new HttpApi(init)
    apis.push(api)
    const url = await api.listen('127.0.0.1', 0)
    api.attach(STUB_NODE)
    return { api, url, port: Number(new URL(url).port) }
  }
  function client(port: number): RawClient {
    const c = new RawClient(port)
    clients.push(c)
    return c
  }

  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy()
    for (const api of apis.splice(0)) {
      api.server.closeAllConnections()
      await api.close()
    }
  })

  it('a client that sends half a body and stalls is cut off within requestTimeoutMs, with 408 JSON', async () => {
    const { port } = await serve({ maxBodyBytes: 1000, requestTimeoutMs: 600, headersTimeoutMs: 300 })
    const c = await client(port).connected()
    c.socket.write('PUT /keys/slow HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n' + 'x'.repeat(50))
    const ms = await c.closed(3_000, 'the server to cut off a client stalled mid-body')
    expect(ms).to.be.at.least(500)
    expect(c.received).to.match(/^HTTP\/1\.1 408 /)
    expect(c.received).to.include('"code": "ERR_REQUEST_TIMEOUT"')
  })

  it('a client that stalls inside its headers is cut off within headersTimeoutMs', async () => {
    const { port } = await serve({ maxBodyBytes: 1000, requestTimeoutMs: 5_000, headersTimeoutMs: 400 })
    const c = await client(port).connected()
    c.socket.write('GET /healthz HTTP/1.1\r\nhost: x\r\n')
    const ms = await c.closed(3_000, 'the server to cut off a client stalled in its headers')
    expect(ms).to.be.below(2_500)
    expect(c.received).to.match(/^HTTP\/1\.1 408 /)
  })

  it('connections past maxConnections are refused; those within it are served', async () => {
    const { port, url } = await serve({ maxBodyBytes: 1000, maxConnections: 2 })
    const held = [await client(port).connected(), await client(port).connected()]
    const third = client(port)
    await third.closed(3_000, 'the connection past the cap to be closed')
    expect(third.received).to.equal('')
    for (const c of held) {
      expect(c.closedAfterMs).to.equal(undefined)
      c.socket.write('GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n')
    }
    const served = (): boolean => held.every((c) => /^HTTP\/1\.1 200 /.test(c.received))
    await waitFor(served, { timeoutMs: 3_000, what: 'the held connections to be served' })
    // Once they go, new connections are taken again.
    for (const c of held) c.socket.destroy()
    const fresh = async (): Promise<boolean> => (await request(`${url}/healthz`).catch(() => undefined))?.status === 200
    await waitFor(fresh, { timeoutMs: 3_000, what: 'a new connection to be served' })
  })

  it('body bytes in flight are bounded: past the budget a PUT gets 503 ERR_BUSY unread; the budget comes back', async () => {
    const { port, url } = await serve({ maxBodyBytes: 1000, bodyBytesInFlightMax: 1500 })
    const slow = await client(port).connected()
    slow.socket.write('PUT /keys/a HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n' + 'x'.repeat(10))
    // Wait until the server has taken the slow body's 1000 bytes from the budget.
    let busy: Reply | undefined
    await waitFor(
      async () => {
        busy = await request(`${url}/keys/b`, { method: 'PUT', body: new Uint8Array(1000) })
        return busy.status === 503
      },
      { timeoutMs: 3_000, what: 'a second large PUT to be refused while the first holds the budget' },
    )
    expect(busy!.json<{ error: { code: string } }>().error.code).to.equal('ERR_BUSY')
    expect(busy!.headers['retry-after']).to.equal('1')
    // Chunked bodies count too.
    const chunked = await request(`${url}/keys/c`, { method: 'PUT', body: new Uint8Array(1000), chunked: true })
    expect(chunked.status).to.equal(503)
    // A small one still fits.
    expect((await request(`${url}/keys/d`, { method: 'PUT', body: new Uint8Array(400) })).status).to.equal(200)
    slow.socket.destroy()
    await waitFor(async () => (await request(`${url}/keys/b`, { method: 'PUT', body: new Uint8Array(1000) })).status === 200, {
      timeoutMs: 3_000,
      what: 'the budget to come back once the slow client is gone',
    })
  })

  it('an ack wait longer than requestTimeoutMs is not cut: the timeout bounds receiving the request only', async () => {
    const result = { version: { userVersion: 0, hlc: 1, nodeId: 'stub' }, stale: false }
    const slowNode = { ...STUB_NODE, set: () => new Promise((resolve) => setTimeout(() => resolve(result), 1_200)) }
    const api = new HttpApi({ maxBodyBytes: 1000, requestTimeoutMs: 400, headersTimeoutMs: 200 })
    apis.push(api)
    const url = await api.listen('127.0.0.1', 0)
    api.attach(slowNode as unknown as CacheNode)
    const r = await request(`${url}/keys/k?ack=all`, { method: 'PUT', body: 'v' })
    expect(r.status).to.equal(200)
  })

  it('options are checked: a TypeError names the bad one', () => {
    expect(() => new HttpApi({ maxBodyBytes: 1000, maxConnections: 0 })).to.throw(TypeError, /maxConnections/)
    expect(() => new HttpApi({ maxBodyBytes: 1000, requestTimeoutMs: 100, headersTimeoutMs: 200 })).to.throw(TypeError, /headersTimeoutMs/)
    expect(() => new HttpApi({ maxBodyBytes: 1000, bodyBytesInFlightMax: 10 })).to.throw(TypeError, /bodyBytesInFlightMax/)
  })
})
