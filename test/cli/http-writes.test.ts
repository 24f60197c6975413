// Writes through the HTTP interface and the errors around them, end to end (two CLI processes
// on loopback): the version a PUT or DELETE answers with, the admission rule's refusals as
// JSON, `Expect: 100-continue`, key and request-line bounds, repeated query parameters and
// the key listing. Waits are conditions with deadlines; every process is killed in `after`.
import { expect } from 'chai'
import { request as httpRequest } from 'node:http'
import { waitFor } from '../support/cluster.ts'
import { MAX_HTTP_KEY_BYTES, DEFAULT_HTTP_LIST_LIMIT, MAX_HTTP_LIST_LIMIT } from '../../lib/cli/constants.ts'
import { allAlive, CliProcess, stopAll } from './cli-process.ts'
import { request, type Reply } from './http-client.ts'

const MAX_BODY = 64 * 1024

interface Version {
  userVersion: number
  hlc: number
  nodeId: string
}
interface ErrorBody {
  error: { code: string; message: string; argument?: string; param?: string }
}

/** A PUT sent with `Expect: 100-continue`: the body goes only if the server says 100 first. */
function putExpectingContinue(url: string, body: Uint8Array): Promise<{ sawContinue: boolean; reply: Reply }> {
  return new Promise((resolve, reject) => {
    let sawContinue = false
    const req = httpRequest(
      url,
      { method: 'PUT', headers: { expect: '100-continue', 'content-length': body.byteLength }, signal: AbortSignal.timeout(10_000) },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.once('error', reject)
        res.once('end', () => {
          const buf = Buffer.concat(chunks)
          const reply = { status: res.statusCode ?? 0, headers: res.headers, body: buf, json: <T>() => JSON.parse(buf.toString()) as T }
          resolve({ sawContinue, reply })
        })
      },
    )
    req.once('continue', () => {
      sawContinue = true
      req.end(body)
    })
    req.once('error', reject)
    req.flushHeaders()
  })
}

describe('cli http writes', function () {
  this.timeout(30_000)
  let a: CliProcess
  let b: CliProcess

  before(async () => {
    // a reads bodies up to 5 MiB, over the replicated-write bound (4 MiB − 128 KiB), so the
    // node's own refusal of a value is reachable; its 64 MiB store holds such an entry.
    a = await new CliProcess(['--http', '127.0.0.1:0', '--max-body', '5mib']).started()
    b = await new CliProcess(['--http', '127.0.0.1:0', '--bootstrap', a.addresses[0], '--max-body', String(MAX_BODY)]).started()
    await allAlive([a, b])
  })
  after(async () => {
    b?.child.kill('SIGCONT')
    await stopAll()
  })

  /** Runs `during` while b is paused, so an `ack=all` write on a waits for b's ack meanwhile. */
  async function whileBPaused<T>(during: () => Promise<T>): Promise<T> {
    b.child.kill('SIGSTOP')
    try {
      return await during()
    } finally {
      b.child.kill('SIGCONT')
    }
  }

  async function appliedOnA(key: string, value: string): Promise<void> {
    await waitFor(async () => (await request(`${a.url}/keys/${key}`)).body.toString() === value, {
      timeoutMs: 5_000,
      what: `${key} to apply on a`,
    })
  }

  it('PUT ?ack=all answers with its own version, not the version of a write landing during the wait', async () => {
    let acked!: Promise<Reply>
    const later = await whileBPaused(async () => {
      acked = request(`${a.url}/keys/race?ack=all&timeoutMs=10000`, { method: 'PUT', body: 'first' })
      await appliedOnA('race', 'first')
      return request(`${a.url}/keys/race`, { method: 'PUT', body: 'second' })
    })
    const first = await acked
    expect(first.status).to.equal(200)
    const mine = first.json<{ version: Version; acked: boolean }>()
    const theirs = later.json<{ version: Version }>().version
    expect(mine.acked).to.equal(true)
    expect(mine.version.nodeId).to.equal(a.id)
    expect(mine.version.hlc, 'the acked PUT reported the later write\'s version').to.be.lessThan(theirs.hlc)
  })

  it('PUT ?ack=all superseded by a higher userVersion during the wait: 200 with its own version (it was not stale)', async () => {
    let acked!: Promise<Reply>
    await whileBPaused(async () => {
      acked = request(`${a.url}/keys/race-uv?ack=all&timeoutMs=10000`, { method: 'PUT', body: 'first' })
      await appliedOnA('race-uv', 'first')
      expect((await request(`${a.url}/keys/race-uv?userVersion=3`, { method: 'PUT', body: 'second' })).status).to.equal(200)
    })
    const first = await acked
    expect(first.status, first.body.toString()).to.equal(200)
    expect(first.json<{ version: Version }>().version.userVersion).to.equal(0)
  })

  it('DELETE answers with the version of its tombstone (with and without ack=all)', async () => {
    await request(`${a.url}/keys/del-v`, { method: 'PUT', body: 'x' })
    const del = await request(`${a.url}/keys/del-v?userVersion=4`, { method: 'DELETE' })
    expect(del.status).to.equal(200)
    const body = del.json<{ key: string; deleted: boolean; version: Version; acked: boolean }>()
    expect(body).to.include({ key: 'del-v', deleted: true, acked: false })
    expect(body.version).to.include({ userVersion: 4, nodeId: a.id })
    const acked = await request(`${a.url}/keys/del-v?userVersion=5&ack=all`, { method: 'DELETE' })
    expect(acked.json<{ version: Version }>().version.userVersion).to.equal(5)
    expect(acked.json<{ version: Version }>().version.hlc).to.be.greaterThan(body.version.hlc)
  })

  it('a stale PUT or DELETE: 409 ERR_STALE_WRITE carrying the version the key holds', async () => {
    const held = (await request(`${a.url}/keys/stale?userVersion=9`, { method: 'PUT', body: 'v9' })).json<{ version: Version }>().version
    for (const init of [{ method: 'PUT', body: 'v1' }, { method: 'DELETE' }]) {
      const r = await request(`${a.url}/keys/stale?userVersion=1`, init)
      expect(r.status, init.method).to.equal(409)
      const error = r.json<{ error: { code: string; current: Version } }>().error
      expect(error.code).to.equal('ERR_STALE_WRITE')
      expect(error.current).to.deep.equal(held)
    }
  })

  it('PUT ?ttl=9007199254740991: 400 ERR_INVALID_WRITE naming the argument; nothing stored; the node keeps replicating', async () => {
    const r = await request(`${a.url}/keys/ttl-huge?ttl=9007199254740991`, { method: 'PUT', body: 'x' })
    expect(r.status, r.body.toString()).to.equal(400)
    expect(r.json<ErrorBody>().error).to.include({ code: 'ERR_INVALID_WRITE', argument: 'ttlMs', param: 'ttl' })
    expect((await request(`${a.url}/keys/ttl-huge`)).status).to.equal(404)
    const viaHeader = await request(`${a.url}/keys/ttl-huge`, { method: 'PUT', body: 'x', headers: { 'x-ttl-ms': '9007199254740991' } })
    expect(viaHeader.json<ErrorBody>().error).to.include({ code: 'ERR_INVALID_WRITE', argument: 'ttlMs', param: 'x-ttl-ms' })
    // The publish path is intact: a later write reaches b.
    expect((await request(`${a.url}/keys/after-ttl`, { method: 'PUT', body: 'ok' })).status).to.equal(200)
    const replicated = async (): Promise<boolean> => (await request(`${b.url}/keys/after-ttl`)).status === 200
    await waitFor(replicated, { timeoutMs: 10_000, what: 'a later write to replicate' })
  })

  it('PUT ?ack=all&timeoutMs=2^31: 400 ERR_INVALID_WRITE naming timeoutMs, nothing applied', async () => {
    const r = await request(`${a.url}/keys/t-huge?ack=all&timeoutMs=2147483648`, { method: 'PUT', body: 'x' })
    expect(r.status).to.equal(400)
    expect(r.json<ErrorBody>().error).to.include({ code: 'ERR_INVALID_WRITE', argument: 'timeoutMs', param: 'timeoutMs' })
    expect((await request(`${a.url}/keys/t-huge`)).status).to.equal(404)
  })

  it('a value over the replicated-write bound: 413 ERR_INVALID_WRITE naming the value', async () => {
    const r = await request(`${a.url}/keys/wire-big`, { method: 'PUT', body: new Uint8Array(4 * 1024 * 1024) })
    expect(r.status).to.equal(413)
    expect(r.json<ErrorBody>().error).to.include({ code: 'ERR_INVALID_WRITE', argument: 'value' })
    expect((await request(`${a.url}/keys/wire-big`)).status).to.equal(404)
  })

  it('Expect: 100-continue with an oversized body: 413 JSON, and no 100 Continue', async () => {
    const { sawContinue, reply } = await putExpectingContinue(`${b.url}/keys/big-expect`, new Uint8Array(MAX_BODY + 1))
    expect(sawContinue, 'the server said 100 Continue').to.equal(false)
    expect(reply.status).to.equal(413)
    expect(reply.json<ErrorBody>().error.code).to.equal('ERR_BODY_TOO_LARGE')
  })

  it('Expect: 100-continue with a bad key: 400 JSON before the body; a good request gets 100 then 200', async () => {
    const bad = await putExpectingContinue(`${b.url}/keys/`, new Uint8Array(10))
    expect(bad.sawContinue).to.equal(false)
    expect(bad.reply.json<ErrorBody>().error.code).to.equal('ERR_BAD_KEY')
    const good = await putExpectingContinue(`${b.url}/keys/small-expect`, new Uint8Array(10))
    expect(good.sawContinue).to.equal(true)
    expect(good.reply.status).to.equal(200)
    expect((await request(`${b.url}/keys/small-expect`)).body.byteLength).to.equal(10)
  })

  it(`keys up to MAX_HTTP_KEY_BYTES (${MAX_HTTP_KEY_BYTES} B of UTF-8) work fully percent-encoded; one more byte: 400 JSON`, async () => {
    const key = 'é'.repeat(MAX_HTTP_KEY_BYTES / 2)
    const path = `/keys/${encodeURIComponent(key)}`
    expect((await request(`${a.url}${path}`, { method: 'PUT', body: 'long' })).status).to.equal(200)
    expect((await request(`${a.url}${path}`)).body.toString()).to.equal('long')
    const over = await request(`${a.url}/keys/${encodeURIComponent(`${key}k`)}`)
    expect(over.status).to.equal(400)
    expect(over.json<ErrorBody>().error.code).to.equal('ERR_BAD_KEY')
  })

  it('a 100 KB key: a JSON error, not Node\'s bare 431', async () => {
    for (const method of ['GET', 'PUT']) {
      const r = await request(`${a.url}/keys/${'k'.repeat(100_000)}`, method === 'PUT' ? { method, body: 'x' } : {})
      expect(r.status, method).to.be.oneOf([400, 431])
      expect(r.headers['content-type'], method).to.match(/^application\/json/)
      const error = r.json<ErrorBody>().error
      expect(error.code, method).to.be.oneOf(['ERR_BAD_KEY', 'ERR_HEADERS_TOO_LARGE'])
      expect(error.message).to.include(String(MAX_HTTP_KEY_BYTES))
    }
    // The node is unharmed.
    expect((await request(`${a.url}/healthz`)).status).to.equal(200)
  })

  it('a repeated query parameter: 400 ERR_BAD_PARAM naming it', async () => {
    const table: [string, string, string][] = [
      ['PUT', '/keys/rep?ttl=1000&ttl=2000', 'ttl'],
      ['PUT', '/keys/rep?userVersion=1&ack=all&userVersion=2', 'userVersion'],
      ['DELETE', '/keys/rep?ack=all&ack=none', 'ack'],
      ['GET', '/keys?limit=1&limit=2', 'limit'],
    ]
    for (const [method, path, name] of table) {
      const r = await request(`${a.url}${path}`, method === 'PUT' ? { method, body: 'x' } : { method })
      expect(r.status, path).to.equal(400)
      const error = r.json<ErrorBody>().error
      expect(error.code, path).to.equal('ERR_BAD_PARAM')
      expect(error.message, path).to.include(JSON.stringify(name))
    }
    expect((await request(`${a.url}/keys/rep`)).status).to.equal(404)
  })

  it('GET /keys?prefix=&limit=: the live keys with that prefix, bounded', async () => {
    for (const k of ['list/a', 'list/b', 'list/c', 'other/x']) {
      await request(`${b.url}/keys/${encodeURIComponent(k)}`, { method: 'PUT', body: k })
    }
    await request(`${b.url}/keys/${encodeURIComponent('list/b')}`, { method: 'DELETE' })
    const all = (await request(`${b.url}/keys?prefix=list%2F`)).json<{ keys: string[]; truncated: boolean; limit: number }>()
    expect([...all.keys].sort()).to.deep.equal(['list/a', 'list/c'])
    expect(all).to.include({ truncated: false, limit: DEFAULT_HTTP_LIST_LIMIT })
    const one = (await request(`${b.url}/keys?prefix=list%2F&limit=1`)).json<{ keys: string[]; truncated: boolean }>()
    expect(one.keys).to.have.length(1)
    expect(one.truncated).to.equal(true)
    const none = (await request(`${b.url}/keys?prefix=nothing-here`)).json<{ keys: string[] }>()
    expect(none.keys).to.deep.equal([])
    // Without a prefix: every key, up to the limit.
    expect((await request(`${b.url}/keys`)).json<{ keys: string[] }>().keys).to.include.members(['list/a', 'other/x'])
    for (const bad of ['limit=0', `limit=${MAX_HTTP_LIST_LIMIT + 1}`, 'limit=ten', 'cursor=x']) {
      const r = await request(`${b.url}/keys?${bad}`)
      expect(r.status, bad).to.equal(400)
      expect(r.json<ErrorBody>().error.code, bad).to.equal('ERR_BAD_PARAM')
    }
    expect((await request(`${b.url}/keys?limit=${MAX_HTTP_LIST_LIMIT}`)).status).to.equal(200)
    // A bare DELETE of the collection is a clear without saying what to clear: refused, nothing wiped.
    const bare = await request(`${b.url}/keys`, { method: 'DELETE' })
    expect(bare.status).to.equal(400)
    expect(bare.json<ErrorBody>().error.code).to.equal('ERR_BAD_PARAM')
    expect((await request(`${b.url}/keys?prefix=list%2F`)).json<{ keys: string[] }>().keys).to.have.length(2)
    expect((await request(`${b.url}/keys`, { method: 'POST' })).status).to.equal(405)
  })
})
