// getOrLoad through the public API, on one node with an injected clock: single flight,
// stale-while-revalidate, stale kept when the refresh fails, and loader errors.
import { expect } from 'chai'
import { createCacheNode, LoaderError, type CacheNode, type GetOrLoadStatus } from '../../lib/index.ts'

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

/** A loader whose calls are counted and whose answers the test releases. */
function gatedLoader(): {
  fn: (key: string) => Promise<Uint8Array>
  calls: string[]
  release(value: string): void
  fail(err: Error): void
} {
  const calls: string[] = []
  let pending: { resolve(v: Uint8Array): void; reject(e: Error): void }[] = []
  return {
    calls,
    fn: (key) => {
      calls.push(key)
      return new Promise((resolve, reject) => pending.push({ resolve, reject }))
    },
    release(value) {
      for (const p of pending) p.resolve(bytes(value))
      pending = []
    },
    fail(err) {
      for (const p of pending) p.reject(err)
      pending = []
    },
  }
}

describe('CacheNode.getOrLoad', () => {
  let now = 1_700_000_000_000
  let node: CacheNode
  beforeEach(async () => {
    node = await createCacheNode({ clock: () => now, warmupPeers: 0 })
  })
  afterEach(() => node.close())

  it('N concurrent callers on a miss share one loader call', async () => {
    const loader = gatedLoader()
    const callers = Array.from({ length: 50 }, () => node.getOrLoad('user:1', loader.fn, { ttlMs: 1000 }))
    expect(loader.calls).to.deep.equal(['user:1'])
    loader.release('alice')
    const values = await Promise.all(callers)
    expect(values.map(text)).to.deep.equal(Array(50).fill('alice'))
    expect(text(node.get('user:1')!)).to.equal('alice')
    expect(node.stats().loader).to.include({ loads: 1, coalesced: 49 })
  })

  it('a fresh hit does not call the loader', async () => {
    await node.set('k', bytes('cached'), { ttlMs: 10_000 })
    const loader = gatedLoader()
    expect(text(await node.getOrLoad('k', loader.fn, { ttlMs: 1000 }))).to.equal('cached')
    expect(loader.calls).to.deep.equal([])
  })

  it('serves the stale value inside the window while one refresh runs', async () => {
    const first = gatedLoader()
    const p = node.getOrLoad('k', first.fn, { ttlMs: 1000, staleWhileRevalidateMs: 5000 })
    first.release('v1')
    await p
    now += 1500 // past ttl, inside the stale window
    const refresh = gatedLoader()
    const stale = await Promise.all([1, 2, 3].map(() => node.getOrLoad('k', refresh.fn, { ttlMs: 1000, staleWhileRevalidateMs: 5000 })))
    expect(stale.map(text)).to.deep.equal(['v1', 'v1', 'v1'])
    expect(refresh.calls).to.have.length(1)
    refresh.release('v2')
    await waitForValue(node, 'k', 'v2')
    expect(node.stats().loader.staleServed).to.equal(3)
  })

  it('keeps serving stale when the refresh fails, and misses after the window', async () => {
    const first = gatedLoader()
    const p = node.getOrLoad('k', first.fn, { ttlMs: 1000, staleWhileRevalidateMs: 5000 })
    first.release('v1')
    await p
    now += 2000
    const failing = gatedLoader()
    expect(text(await node.getOrLoad('k', failing.fn, { ttlMs: 1000, staleWhileRevalidateMs: 5000 }))).to.equal('v1')
    failing.fail(new Error('database down'))
    await waitFor(() => node.stats().loader.loadFailures === 1)
    expect(text(await node.getOrLoad('k', failing.fn, { ttlMs: 1000, staleWhileRevalidateMs: 5000 }))).to.equal('v1')
    now += 10_000 // past ttl + window: the value is gone (G5), the loader is needed again
    expect(node.get('k')).to.equal(undefined)
    const again = node.getOrLoad('k', failing.fn, { ttlMs: 1000, staleWhileRevalidateMs: 5000 })
    failing.fail(new Error('still down'))
    const err = await again.catch((e: unknown) => e)
    expect(err).to.be.instanceOf(LoaderError).with.property('code', 'ERR_LOADER_FAILED')
  })

  it('tells each call what it did through status: loaded, coalesced, hit, stale', async () => {
    const o = { ttlMs: 1000, staleWhileRevalidateMs: 5000 }
    const loader = gatedLoader()
    const first: GetOrLoadStatus = {}
    const joined: GetOrLoadStatus = {}
    const a = node.getOrLoad('s', loader.fn, { ...o, status: first })
    const b = node.getOrLoad('s', loader.fn, { ...o, status: joined })
    loader.release('v1')
    await Promise.all([a, b])
    expect([first.status, joined.status]).to.deep.equal(['loaded', 'coalesced'])
    const hit: GetOrLoadStatus = {}
    await node.getOrLoad('s', loader.fn, { ...o, status: hit })
    expect(hit.status).to.equal('hit')
    now += 1500
    const stale: GetOrLoadStatus = {}
    await node.getOrLoad('s', loader.fn, { ...o, status: stale })
    expect(stale.status).to.equal('stale')
    loader.release('v2')
  })

  it('staleIfErrorMs: past the revalidation window a caller waits for the load, and gets the old value if it fails', async () => {
    const o = { ttlMs: 1000, staleWhileRevalidateMs: 100, staleIfErrorMs: 60_000 }
    const first = gatedLoader()
    const p = node.getOrLoad('e', first.fn, o)
    first.release('v1')
    await p
    expect(node.getEntry('e')?.expiresAt, 'kept for the longer window').to.equal(now + 61_000)
    now += 5_000 // past ttl + revalidation window, inside stale-if-error
    const failing = gatedLoader()
    const statuses: GetOrLoadStatus[] = [{}, {}, {}]
    const callers = statuses.map((status) => node.getOrLoad('e', failing.fn, { ...o, status }))
    expect(failing.calls, 'one load for the three callers, which wait for it').to.have.length(1)
    failing.fail(new Error('database down'))
    expect((await Promise.all(callers)).map(text)).to.deep.equal(['v1', 'v1', 'v1'])
    expect(statuses.map((s) => s.status)).to.deep.equal(['stale-on-error', 'stale-on-error', 'stale-on-error'])
    expect(node.stats().loader.staleOnError).to.equal(3)
    // The source is back: the next caller gets the fresh value.
    const healthy = gatedLoader()
    const loaded: GetOrLoadStatus = {}
    const next = node.getOrLoad('e', healthy.fn, { ...o, status: loaded })
    healthy.release('v2')
    expect(text(await next)).to.equal('v2')
    expect(loaded.status).to.equal('loaded')
    // Past the stale-if-error window too, a failure is the caller's error again.
    now += 62_000
    const down = gatedLoader()
    const last = node.getOrLoad('e', down.fn, o)
    down.fail(new Error('down again'))
    expect(await last.catch((e: unknown) => e)).to.be.instanceOf(LoaderError)
  })

  it('refuses bad options by rejecting with a typed error naming them (never a throw)', async () => {
    const loader = gatedLoader()
    const refused = async (p: () => Promise<unknown>, argument: string): Promise<void> => {
      let promise: Promise<unknown> | undefined
      expect(() => (promise = p())).to.not.throw()
      const err = await promise!.catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_INVALID_WRITE', argument })
    }
    await refused(() => node.getOrLoad('k', loader.fn, { ttlMs: 0 }), 'ttlMs')
    await refused(() => node.getOrLoad('k', loader.fn, { ttlMs: 1e20 }), 'ttlMs')
    await refused(() => node.getOrLoad('k', loader.fn, { ttlMs: 1, staleWhileRevalidateMs: -1 }), 'options')
    await refused(() => node.getOrLoad('k', loader.fn, undefined as never), 'options')
    await refused(() => node.getOrLoad('k', loader.fn, { ttlMs: 1, maxAge: 5 } as never), 'options')
    await refused(() => node.getOrLoad('k', loader.fn, { ttlMs: 1, ack: 'yes' } as never), 'ack')
    await refused(() => node.getOrLoad('\uD800', loader.fn, { ttlMs: 1 }), 'key')
    expect(loader.calls).to.deep.equal([])
  })

  it('a loader returning a bad ttl or userVersion fails as a load (ERR_LOADER_FAILED, counted), and nothing is set', async () => {
    for (const loaded of [{ ttlMs: 1e20 }, { ttlMs: Number.NaN }, { userVersion: -1 }, { userVersion: 1.5 }]) {
      const err = await node.getOrLoad('k', () => ({ value: bytes('v'), ...loaded }), { ttlMs: 1000 }).catch((e: unknown) => e)
      expect(err, JSON.stringify(loaded)).to.be.instanceOf(LoaderError).with.property('code', 'ERR_LOADER_FAILED')
      expect((err as LoaderError).cause).to.have.property('code', 'ERR_INVALID_WRITE')
    }
    expect(node.stats().loader.loadFailures).to.equal(4)
    expect(node.get('k')).to.equal(undefined)
    expect(node.stats().replica.writes).to.equal(0)
  })

  it('a loader that never settles releases its callers after loaderTimeoutMs, and the key loads again', async () => {
    const stuck = gatedLoader()
    const callers = [1, 2, 3].map(() => node.getOrLoad('k', stuck.fn, { ttlMs: 1000, loaderTimeoutMs: 50 }).catch((e: unknown) => e))
    for (const err of await Promise.all(callers)) {
      expect(err).to.be.instanceOf(LoaderError).with.property('code', 'ERR_LOADER_FAILED')
      expect((err as LoaderError).cause).to.have.property('code', 'ERR_LOADER_TIMEOUT')
    }
    expect(stuck.calls).to.have.length(1)
    expect(text(await node.getOrLoad('k', () => bytes('v2'), { ttlMs: 1000 }))).to.equal('v2')
  })

  it('a loader returning { value, userVersion } sets with that version', async () => {
    const v = await node.getOrLoad('row:1', () => ({ value: bytes('r'), userVersion: 42 }), { ttlMs: 1000 })
    expect(text(v)).to.equal('r')
    expect(node.getEntry('row:1')?.version.userVersion).to.equal(42)
  })
})

async function waitFor(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setImmediate(resolve))
  }
}

function waitForValue(node: CacheNode, key: string, value: string): Promise<void> {
  return waitFor(() => {
    const v = node.get(key)
    return v !== undefined && text(v) === value
  })
}
