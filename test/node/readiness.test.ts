// stats().ready: false until the start-up warm-up is over, true after, false again once
// close() has begun (the CLI's GET /readyz and the also_cache_ready gauge answer from it).
import { expect } from 'chai'
import { createCacheNode, renderPrometheus, type CacheNode } from '../../lib/index.ts'

const FAST = { swim: { profile: 'local' as const } }

describe('readiness', function () {
  const nodes: CacheNode[] = []
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.close()))
  })

  it('stats().ready: a node with no one to warm up from is ready once createCacheNode resolves', async () => {
    const a = await createCacheNode(FAST)
    nodes.push(a)
    expect(a.stats().ready).to.equal(true)
    expect(a.stats().warmup.done).to.equal(true)
    expect(renderPrometheus(a.stats())).to.match(/^also_cache_ready 1$/m)
  })

  it('stats().ready: a joining node is not ready until its warm-up from peers is over, then ready', async () => {
    const a = await createCacheNode({ ...FAST, warmupPeers: 0 })
    nodes.push(a)
    for (let i = 0; i < 100; i++) await a.set(`k${i}`, new Uint8Array([i]))
    await a.flush()
    const b = await createCacheNode({ ...FAST, bootstrap: a.addresses() })
    nodes.push(b)
    // The warm-up streams over the network: it cannot be over within the microtasks that
    // resolved createCacheNode.
    expect(b.stats().ready, 'ready before the warm-up').to.equal(false)
    expect(renderPrometheus(b.stats())).to.match(/^also_cache_ready 0$/m)
    const done = await b.warmedUp
    expect(done.entries).to.equal(100)
    expect(b.stats().ready).to.equal(true)
    expect(b.get('k99')?.[0], 'ready means the warm-up brought what the peer held').to.equal(99)
  })

  it('stats().ready: false from the moment close() begins, before it resolves', async () => {
    const a = await createCacheNode(FAST)
    expect(a.stats().ready).to.equal(true)
    const closed = a.close()
    expect(a.stats().ready).to.equal(false)
    await closed
    expect(a.stats().ready).to.equal(false)
  })
})
