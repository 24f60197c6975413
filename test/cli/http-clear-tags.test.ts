// Clears and tags through the HTTP interface, end to end (two CLI processes on loopback):
// DELETE /keys?prefix= | ?all=true, PUT ?tags= / x-tags, the x-tags header of a GET and
// DELETE /tags/TAG, each with its refusals as JSON; a clear or an invalidation sent to one
// node empties the other's keys. Waits are conditions with deadlines; every process is
// killed in `after`.
import { expect } from 'chai'
import { waitFor } from '../support/cluster.ts'
import { allAlive, CliProcess, stopAll } from './cli-process.ts'
import { request, type Reply } from './http-client.ts'

interface ErrorBody {
  error: { code: string; message: string; argument?: string; param?: string }
}

describe('cli http clears and tags', function () {
  this.timeout(30_000)
  let a: CliProcess
  let b: CliProcess

  before(async () => {
    a = await new CliProcess(['--http', '127.0.0.1:0']).started()
    b = await new CliProcess(['--http', '127.0.0.1:0', '--bootstrap', a.addresses[0]]).started()
    await allAlive([a, b])
  })
  after(async () => {
    await stopAll()
  })

  /** PUTs each key on a with ack=all, so b holds them all when this returns. */
  async function putAll(keys: readonly string[], query = ''): Promise<void> {
    for (const key of keys) {
      const r = await request(`${a.url}/keys/${encodeURIComponent(key)}?ack=all${query}`, { method: 'PUT', body: key })
      expect(r.status, r.body.toString()).to.equal(200)
    }
  }

  async function status(node: CliProcess, key: string): Promise<number> {
    return (await request(`${node.url}/keys/${encodeURIComponent(key)}`)).status
  }

  function refusal(r: Reply, httpStatus: number, code: string): ErrorBody['error'] {
    expect(r.status, r.body.toString()).to.equal(httpStatus)
    const { error } = r.json<ErrorBody>()
    expect(error.code).to.equal(code)
    return error
  }

  it('DELETE /keys?prefix=P&ack=all clears those keys on both nodes and no others', async () => {
    await putAll(['clr:1', 'clr:2', 'clrx', 'other:1'])
    const r = await request(`${a.url}/keys?prefix=clr:&ack=all&timeoutMs=5000`, { method: 'DELETE' })
    expect(r.status, r.body.toString()).to.equal(200)
    const body = r.json<{ cleared: { prefix: string }; version: { nodeId: string; hlc: number }; acked: boolean }>()
    expect(body.cleared).to.deep.equal({ prefix: 'clr:' })
    expect(body.acked).to.equal(true)
    expect(body.version.nodeId).to.equal(a.id)
    // Acknowledged by b: applied there before the answer.
    for (const node of [a, b]) {
      expect(await status(node, 'clr:1')).to.equal(404)
      expect(await status(node, 'clr:2')).to.equal(404)
      expect(await status(node, 'clrx')).to.equal(200)
      expect(await status(node, 'other:1')).to.equal(200)
    }
    // A write after the clear survives it.
    await putAll(['clr:3'])
    expect(await status(b, 'clr:3')).to.equal(200)
  })

  it('DELETE /keys?all=true clears every key on the other node too (GET there 404, GET /keys there empty)', async () => {
    await putAll(['all:1', 'all:2'])
    const r = await request(`${a.url}/keys?all=true`, { method: 'DELETE' })
    expect(r.status, r.body.toString()).to.equal(200)
    expect(r.json<{ cleared: unknown; acked: boolean }>()).to.include({ acked: false }).and.deep.include({ cleared: { prefix: '' } })
    await waitFor(async () => (await request(`${b.url}/keys`)).json<{ keys: string[] }>().keys.length === 0, {
      timeoutMs: 5_000,
      what: 'the clear to reach b',
    })
    expect(await status(b, 'all:1')).to.equal(404)
    expect(await status(b, 'all:2')).to.equal(404)
    expect(await status(a, 'all:1')).to.equal(404)
  })

  it('DELETE /keys refusals: 400 naming what to give, and nothing cleared', async () => {
    await putAll(['keep:1'])
    const del = (query: string, headers: Record<string, string> = {}): Promise<Reply> =>
      request(`${a.url}/keys${query}`, { method: 'DELETE', headers })

    const bare = refusal(await del(''), 400, 'ERR_BAD_PARAM')
    expect(bare.message).to.include('prefix=').and.include('all=true')
    expect(bare.param).to.equal('prefix')
    expect(refusal(await del('?prefix=keep&all=true'), 400, 'ERR_BAD_PARAM').param).to.equal('all')
    expect(refusal(await del('?all=yes'), 400, 'ERR_BAD_PARAM').param).to.equal('all')
    const empty = refusal(await del('?prefix='), 400, 'ERR_BAD_PARAM')
    expect(empty.param).to.equal('prefix')
    expect(empty.message).to.include('all=true')
    expect(refusal(await del('?prefix=keep&prefix=x'), 400, 'ERR_BAD_PARAM').param).to.equal('prefix')
    expect(refusal(await del('?prefix=keep&limit=5'), 400, 'ERR_BAD_PARAM').param).to.equal('limit')
    expect(refusal(await del('?prefix=keep', { 'x-user-version': '3' }), 400, 'ERR_BAD_PARAM').param).to.equal('x-user-version')
    expect(refusal(await del('?prefix=keep&timeoutMs=abc'), 400, 'ERR_BAD_PARAM').param).to.equal('timeoutMs')
    // Syntax is fine, the library's admission rule refuses: argument and param name the fix.
    const noAck = refusal(await del('?prefix=keep&timeoutMs=100'), 400, 'ERR_INVALID_WRITE')
    expect(noAck).to.include({ argument: 'timeoutMs', param: 'timeoutMs' })
    expect(refusal(await del('?all=true&ack=some'), 400, 'ERR_INVALID_WRITE')).to.include({ argument: 'ack', param: 'ack' })
    // A prefix over the library's 64 KiB bound cannot even be sent: the request line is bounded first.
    refusal(await del(`?prefix=${'p'.repeat(64 * 1024 + 1)}`), 431, 'ERR_HEADERS_TOO_LARGE')
    // PUT on the collection is not a route.
    expect((await request(`${a.url}/keys`, { method: 'PUT', body: 'x' })).headers.allow).to.equal('GET, HEAD, DELETE')
    expect(await status(a, 'keep:1')).to.equal(200)
    expect(await status(b, 'keep:1')).to.equal(200)
  })

  it('PUT ?tags= or x-tags: the entry carries the tags, GET shows them in x-tags on both nodes', async () => {
    await putAll(['tq:1'], '&tags=user,team%20a')
    const viaHeader = await request(`${a.url}/keys/th:1?ack=all`, { method: 'PUT', body: 'v', headers: { 'x-tags': 'user , b' } })
    expect(viaHeader.status, viaHeader.body.toString()).to.equal(200)
    for (const node of [a, b]) {
      expect((await request(`${node.url}/keys/tq:1`)).headers['x-tags']).to.equal('user,team a')
      expect((await request(`${node.url}/keys/th:1`)).headers['x-tags']).to.equal('user,b')
    }
    // The query wins over the header, as for ttl and userVersion.
    await request(`${a.url}/keys/tw:1?tags=q`, { method: 'PUT', body: 'v', headers: { 'x-tags': 'h' } })
    expect((await request(`${a.url}/keys/tw:1`)).headers['x-tags']).to.equal('q')
    // No tags: no header.
    await request(`${a.url}/keys/tn:1`, { method: 'PUT', body: 'v' })
    expect((await request(`${a.url}/keys/tn:1`)).headers).to.not.have.property('x-tags')
    // A tag the header cannot carry as is (%, non-ASCII, a newline) is percent-encoded there.
    await request(`${a.url}/keys/te:1?tags=${encodeURIComponent('50%,ü,a\nb')}`, { method: 'PUT', body: 'v' })
    const shown = (await request(`${a.url}/keys/te:1`)).headers['x-tags'] as string
    expect(shown.split(',').map((t) => decodeURIComponent(t))).to.deep.equal(['50%', 'ü', 'a\nb'])
    // A UTF-8 header is read as UTF-8.
    await request(`${a.url}/keys/tu:1`, { method: 'PUT', body: 'v', headers: { 'x-tags': Buffer.from('ü').toString('latin1') } })
    expect((await request(`${a.url}/keys/tu:1`)).headers['x-tags']).to.equal('%C3%BC')
  })

  it('PUT tags refusals: the library names argument tags, param where it came from; nothing stored', async () => {
    const put = (key: string, query: string, headers: Record<string, string> = {}): Promise<Reply> =>
      request(`${a.url}/keys/${key}${query}`, { method: 'PUT', body: 'v', headers })
    expect(refusal(await put('tr:1', '?tags='), 400, 'ERR_INVALID_WRITE')).to.include({ argument: 'tags', param: 'tags' })
    expect(refusal(await put('tr:1', '?tags=a,,b'), 400, 'ERR_INVALID_WRITE')).to.include({ argument: 'tags', param: 'tags' })
    expect(refusal(await put('tr:1', `?tags=${'t'.repeat(129)}`), 400, 'ERR_INVALID_WRITE')).to.include({ argument: 'tags' })
    const many = Array.from({ length: 17 }, (_, i) => `t${i}`).join(',')
    expect(refusal(await put('tr:1', '', { 'x-tags': many }), 400, 'ERR_INVALID_WRITE')).to.include({ argument: 'tags', param: 'x-tags' })
    expect(refusal(await put('tr:1', '?tags=a&tags=b'), 400, 'ERR_BAD_PARAM').param).to.equal('tags')
    const badUtf8 = Buffer.from([0xff]).toString('latin1')
    expect(refusal(await put('tr:1', '', { 'x-tags': badUtf8 }), 400, 'ERR_BAD_PARAM').param).to.equal('x-tags')
    expect(await status(a, 'tr:1')).to.equal(404)
    // Tags belong to a set: a DELETE of a key does not take them.
    const del = await request(`${a.url}/keys/tr:1`, { method: 'DELETE', headers: { 'x-tags': 'a' } })
    expect(refusal(del, 400, 'ERR_BAD_PARAM').param).to.equal('x-tags')
    const delQuery = await request(`${a.url}/keys/tr:1?tags=a`, { method: 'DELETE' })
    expect(refusal(delQuery, 400, 'ERR_BAD_PARAM').param).to.equal('tags')
  })

  it('DELETE /tags/TAG&ack=all deletes its entries on both nodes; other tags and untagged keys survive', async () => {
    await putAll(['inv:1'], '&tags=grp%2F1')
    await putAll(['inv:2'], '&tags=grp%2F1,keep')
    await putAll(['inv:3'], '&tags=keep')
    await putAll(['inv:4'])
    const r = await request(`${a.url}/tags/grp%2F1?ack=all&timeoutMs=5000`, { method: 'DELETE' })
    expect(r.status, r.body.toString()).to.equal(200)
    const body = r.json<{ invalidated: string; version: { nodeId: string }; acked: boolean }>()
    expect(body).to.include({ invalidated: 'grp/1', acked: true })
    expect(body.version.nodeId).to.equal(a.id)
    for (const node of [a, b]) {
      expect(await status(node, 'inv:1')).to.equal(404)
      expect(await status(node, 'inv:2')).to.equal(404)
      expect(await status(node, 'inv:3')).to.equal(200)
      expect(await status(node, 'inv:4')).to.equal(200)
    }
  })

  it('DELETE /tags/TAG sent to one node empties the tagged keys of the other (without ack)', async () => {
    await putAll(['ia:1', 'ia:2'], '&tags=wave')
    const r = await request(`${b.url}/tags/wave`, { method: 'DELETE' })
    expect(r.status, r.body.toString()).to.equal(200)
    expect(r.json<{ acked: boolean }>().acked).to.equal(false)
    await waitFor(async () => (await status(a, 'ia:1')) === 404 && (await status(a, 'ia:2')) === 404, {
      timeoutMs: 5_000,
      what: 'the invalidation to reach a',
    })
  })

  it('DELETE /tags refusals: 400 with a code naming what to fix, 405 for other methods', async () => {
    const del = (path: string): Promise<Reply> => request(`${a.url}${path}`, { method: 'DELETE' })
    expect(refusal(await del('/tags/'), 400, 'ERR_INVALID_WRITE').argument).to.equal('tags')
    expect(refusal(await del(`/tags/${'t'.repeat(129)}`), 400, 'ERR_INVALID_WRITE').argument).to.equal('tags')
    refusal(await del('/tags/%zz'), 400, 'ERR_BAD_TAG')
    expect(refusal(await del('/tags/x?prefix=a'), 400, 'ERR_BAD_PARAM').param).to.equal('prefix')
    expect(refusal(await del('/tags/x?ack=all&ack=all'), 400, 'ERR_BAD_PARAM').param).to.equal('ack')
    expect(refusal(await del('/tags/x?timeoutMs=5'), 400, 'ERR_INVALID_WRITE')).to.include({ argument: 'timeoutMs', param: 'timeoutMs' })
    const get = refusal(await request(`${a.url}/tags/x`), 405, 'ERR_METHOD_NOT_ALLOWED')
    expect(get.message).to.include('DELETE')
    const withHeader = await request(`${a.url}/tags/x`, { method: 'DELETE', headers: { 'x-ttl-ms': '5' } })
    expect(refusal(withHeader, 400, 'ERR_BAD_PARAM').param).to.equal('x-ttl-ms')
  })

  it('GET / lists the clear and tag routes; an unknown route\'s 404 names /tags/:tag', async () => {
    const { routes } = (await request(`${a.url}/`)).json<{ routes: string[] }>()
    expect(routes).to.include('DELETE /tags/:tag').and.include('DELETE /keys?prefix= | ?all=true')
    expect(refusal(await request(`${a.url}/tag`), 404, 'ERR_NOT_FOUND').message).to.include('/tags/:tag')
  })
})
