// The libraries Node services already use, over KeyvAlsoCache on two nodes: cache-manager 7 and
// cacheable 2.5 (each keyv 5 inside) share values across processes' caches with no broker, and
// a clear on one node empties the other. Then the way past one node's memory: also-cache as
// the replicated L1 in front of a real redis-server (started here) in cache-manager's tiers.
import { expect } from 'chai'
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer, connect } from 'node:net'
import { createCache } from 'cache-manager'
import { Cacheable } from 'cacheable'
import Keyv from 'keyv'
import KeyvRedis from '@keyv/redis'
import type { CacheNode } from '../../lib/index.ts'
import { KeyvAlsoCache } from '../../lib/adapters/keyv.ts'
import { waitFor } from '../support/cluster.ts'
import { startPair } from '../support/node-pair.ts'


describe('cache-manager 7 and cacheable over also-cache (two nodes)', function () {
  let a: CacheNode
  let b: CacheNode
  before(async () => {
    ;[a, b] = await startPair()
  })
  after(async () => {
    await Promise.all([a?.close(), b?.close()])
  })

  it('cache-manager: set on node A, read on node B; clear on A empties B', async () => {
    const onA = createCache({ stores: [new Keyv({ store: new KeyvAlsoCache(a, { ack: 'all' }), namespace: 'cm' })] })
    const onB = createCache({ stores: [new Keyv({ store: new KeyvAlsoCache(b), namespace: 'cm' })] })
    await onA.set('user:1', { name: 'Ada' }, 60_000)
    expect(await onB.get('user:1')).to.deep.equal({ name: 'Ada' })
    await onA.mset([
      { key: 'user:2', value: 'Grace' },
      { key: 'user:3', value: 'Barbara' },
    ])
    await waitFor(() => b.get('cm:user:3') !== undefined, { timeoutMs: 10_000, what: 'user:3 on B', intervalMs: 10 })
    expect(await onB.mget(['user:2', 'user:3'])).to.deep.equal(['Grace', 'Barbara'])
    await onA.clear()
    expect(await onB.get('user:1')).to.equal(undefined)
    expect(await onB.get('user:2')).to.equal(undefined)
  })

  it('cache-manager wrap: the loader runs once on A; B then serves the value without loading', async () => {
    const onA = createCache({ stores: [new Keyv({ store: new KeyvAlsoCache(a, { ack: 'all' }), namespace: 'wrap' })] })
    const onB = createCache({ stores: [new Keyv({ store: new KeyvAlsoCache(b), namespace: 'wrap' })] })
    let loads = 0
    const load = async (): Promise<string> => `loaded-${++loads}`
    expect(await onA.wrap('k', load, 60_000)).to.equal('loaded-1')
    expect(await onB.wrap('k', load, 60_000)).to.equal('loaded-1')
    expect(loads).to.equal(1)
  })

  it('cacheable: set on node A, read on node B; clear on A empties B', async () => {
    const onA = new Cacheable({ primary: new Keyv({ store: new KeyvAlsoCache(a, { ack: 'all' }), namespace: 'cb' }) })
    const onB = new Cacheable({ primary: new Keyv({ store: new KeyvAlsoCache(b), namespace: 'cb' }) })
    await onA.set('product:7', { price: 12.5 }, '1m')
    expect(await onB.get('product:7')).to.deep.equal({ price: 12.5 })
    expect(await onB.has('product:7')).to.equal(true)
    await onA.clear()
    expect(await onB.get('product:7')).to.equal(undefined)
  })
})

describe('also-cache as the replicated L1 in front of Redis (cache-manager tiers)', function () {
  let redis: ChildProcess | undefined
  let url = ''
  let a: CacheNode
  let b: CacheNode

  before(async function () {
    const port = await freePort()
    try {
      redis = await startRedis(port)
    } catch (err) {
      // redis-server comes from Debian's redis-server package; .ci/run installs it.
      process.stderr.write(`\n  redis-server could not start (${String(err)}): install it with apt-get install redis-server\n`)
      this.skip()
    }
    url = `redis://127.0.0.1:${port}`
    ;[a, b] = await startPair()
  })
  after(async () => {
    await Promise.all([a?.close(), b?.close()])
    redis?.kill('SIGKILL')
  })

  it('a miss in also-cache is served from Redis and then held locally (and on the other node); a write reaches both tiers', async () => {
    const redisA = new Keyv({ store: new KeyvRedis(url), namespace: 'tier' })
    const tiered = createCache({ stores: [new Keyv({ store: new KeyvAlsoCache(a, { ack: 'all' }), namespace: 'tier' }), redisA] })
    try {
      // Written by another service straight into Redis: not in also-cache yet.
      await redisA.set('report:1', { rows: 42 }, 60_000)
      expect(a.get('tier:report:1')).to.equal(undefined)
      let loads = 0
      const fromDatabase = async (): Promise<{ rows: number }> => ({ rows: ++loads })
      expect(await tiered.wrap('report:1', fromDatabase, 60_000)).to.deep.equal({ rows: 42 })
      expect(loads, 'served from Redis, not loaded').to.equal(0)
      // Now held in also-cache: locally on A, and replicated to B (ack: 'all').
      expect(a.get('tier:report:1')).to.not.equal(undefined)
      expect(b.get('tier:report:1')).to.not.equal(undefined)
      // A write through cache-manager reaches both tiers.
      await tiered.set('report:2', { rows: 7 }, 60_000)
      expect(await redisA.get('report:2')).to.deep.equal({ rows: 7 })
      expect(await new Keyv({ store: new KeyvAlsoCache(b), namespace: 'tier' }).get('report:2')).to.deep.equal({ rows: 7 })
    } finally {
      await tiered.disconnect()
    }
  })
})

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

/** A throwaway redis-server on loopback: no persistence, gone with the test. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  })
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject)
    child.once('spawn', () => resolve())
  })
  await waitFor(() => pings(port), { timeoutMs: 10_000, what: 'redis-server to answer', intervalMs: 50 })
  return child
}

function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('error', () => resolve(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (d) => {
      socket.destroy()
      resolve(d.toString().startsWith('+PONG'))
    })
  })
}
