// alsoCacheAdapter (also-cache/cachified) with cachified's own stale-while-revalidate flow across
// two nodes: loaded once on A, fresh on B without a load; once stale, B serves the stale value
// at once and refreshes in the background, and A then reads the refreshed value without loading.
import { expect } from 'chai'
import { cachified } from '@epic-web/cachified'
import type { CacheNode } from '../../lib/index.ts'
import { alsoCacheAdapter } from '../../lib/adapters/cachified.ts'
import { waitFor } from '../support/cluster.ts'
import { startPair } from '../support/node-pair.ts'


describe('alsoCacheAdapter: cachified across two nodes', function () {
  let a: CacheNode
  let b: CacheNode
  before(async () => {
    ;[a, b] = await startPair()
  })
  after(async () => {
    await Promise.all([a?.close(), b?.close()])
  })

  it('runs the stale-while-revalidate flow on a replicated cache: one load per value for the cluster', async () => {
    const cacheA = alsoCacheAdapter<{ n: number; at: Date }>(a, { ack: 'all' })
    const cacheB = alsoCacheAdapter<{ n: number; at: Date }>(b, { ack: 'all' })
    let loads = 0
    const getFreshValue = async (): Promise<{ n: number; at: Date }> => ({ n: ++loads, at: new Date(1_000 * loads) })
    const ttl = 300
    const read = (cache: typeof cacheA) => cachified({ key: 'user:1', cache, ttl, swr: 60_000, getFreshValue })

    expect(await read(cacheA)).to.deep.equal({ n: 1, at: new Date(1_000) })
    expect(await read(cacheB), 'fresh on B without a load').to.deep.equal({ n: 1, at: new Date(1_000) })
    expect(loads).to.equal(1)

    // Past the ttl (cachified reads its own clock): B serves the stale value at once and refreshes.
    const created = (cacheA.get('user:1') as { metadata: { createdTime: number } }).metadata.createdTime
    await waitFor(() => Date.now() > created + ttl, { timeoutMs: 5_000, what: 'the ttl to pass', intervalMs: 10 })
    expect(await read(cacheB), 'stale served while revalidating').to.deep.equal({ n: 1, at: new Date(1_000) })
    await waitFor(() => cacheA.get('user:1')?.value.n === 2, { timeoutMs: 10_000, what: 'the refreshed value to reach A' })
    expect(await read(cacheA), 'A reads the refresh B made').to.deep.equal({ n: 2, at: new Date(2_000) })
    expect(loads).to.equal(2)
  })

  it('expires an entry on every node when cachified would stop using it (createdTime + ttl + swr)', async () => {
    const cache = alsoCacheAdapter(a, { ack: 'all', prefix: 'exp:' })
    const createdTime = Date.now()
    await cache.set('k', { metadata: { createdTime, ttl: 1_000, swr: 2_000 }, value: 'v' })
    const expiresAt = b.getEntry('exp:k')?.expiresAt as number
    // The adapter's clock read and the node's are a few ms apart at most.
    expect(expiresAt - createdTime).to.be.within(2_999, 3_100)
    await cache.set('gone', { metadata: { createdTime: createdTime - 10_000, ttl: 1_000, swr: 0 }, value: 'v' })
    expect(b.getEntry('exp:gone'), 'past its total ttl: not written').to.equal(undefined)
    await cache.set('forever', { metadata: { createdTime, ttl: null }, value: 'v' })
    expect(b.getEntry('exp:forever')?.expiresAt).to.equal(undefined)
    await cache.delete('k')
    expect(b.get('exp:k')).to.equal(undefined)
  })
})
