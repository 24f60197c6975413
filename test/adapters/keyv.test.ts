// KeyvAlsoCache (also-cache/keyv) proven by keyv's own conformance suite, @keyv/test-suite
// (api, values, namespaces), run with mocha through a small vitest shim; then across two
// nodes: a write through one node's Keyv is read through the other's, a namespace clear on
// one empties it on both and leaves other namespaces alone.
import { expect } from 'chai'
import Keyv from 'keyv'
import keyvTestSuite from '@keyv/test-suite'
import { createCacheNode, type CacheNode } from '../../lib/index.ts'
import { KeyvAlsoCache } from '../../lib/adapters/keyv.ts'
import { waitFor } from '../support/cluster.ts'
import { jestExpect, vitestShim } from './vitest-shim.ts'

const MiB = 1024 * 1024
const common = { maxBytes: 64 * MiB, swim: { profile: 'local' as const }, antiEntropyIntervalMs: 300 }

describe('the vitest shim', () => {
  it('fails a matcher that does not hold, and passes one that does (so the suite can fail)', () => {
    expect(() => jestExpect('a').toBe('b')).to.throw(/expected "a" to be "b"/)
    expect(() => jestExpect({ x: [1] }).toEqual({ x: [2] })).to.throw()
    expect(() => jestExpect(1).not.toBe(1)).to.throw(/not to be 1/)
    expect(() => jestExpect(undefined).toBeDefined()).to.throw()
    jestExpect({ x: [1] }).toEqual({ x: [1] })
    jestExpect(0).toBeFalsy()
  })
})

describe('KeyvAlsoCache: @keyv/test-suite', function () {
  let node: CacheNode
  before(async () => {
    node = await createCacheNode({ ...common, warmupPeers: 0 })
  })
  after(async () => {
    await node?.close()
  })
  keyvTestSuite(vitestShim as never, Keyv as never, () => new KeyvAlsoCache(node) as never)
})

describe('KeyvAlsoCache: two nodes', function () {
  let a: CacheNode
  let b: CacheNode
  before(async () => {
    a = await createCacheNode({ ...common, warmupPeers: 0 })
    b = await createCacheNode({ ...common, bootstrap: a.addresses() })
    await waitFor(() => [a, b].every((n) => n.members().filter((m) => m.state === 'alive').length === 2), {
      timeoutMs: 15_000,
      what: 'membership',
      intervalMs: 10,
    })
  })
  after(async () => {
    await Promise.all([a?.close(), b?.close()])
  })

  it('a value set through one node is read through the other; a namespace clear empties it on both, others stay', async () => {
    const usersA = new Keyv({ store: new KeyvAlsoCache(a, { ack: 'all' }), namespace: 'users' })
    const usersB = new Keyv({ store: new KeyvAlsoCache(b), namespace: 'users' })
    const ordersB = new Keyv({ store: new KeyvAlsoCache(b, { ack: 'all' }), namespace: 'orders' })
    await usersA.set('1', { name: 'Ada', roles: ['admin'] }, 60_000)
    await ordersB.set('9', 'shipped')
    expect(await usersB.get('1')).to.deep.equal({ name: 'Ada', roles: ['admin'] })
    expect(await usersB.has('1')).to.equal(true)
    await usersA.clear()
    expect(await usersB.get('1')).to.equal(undefined)
    expect(await ordersB.get('9'), 'another namespace is not cleared').to.equal('shipped')
    expect(await new Keyv({ store: new KeyvAlsoCache(a), namespace: 'orders' }).get('9')).to.equal('shipped')
  })

  it('stores values as Keyv serialized them: UTF-8 JSON text, readable on the node itself', async () => {
    const keyv = new Keyv({ store: new KeyvAlsoCache(a, { ack: 'all' }), namespace: 'raw' })
    await keyv.set('k', 'v')
    expect(new TextDecoder().decode(b.get('raw:k'))).to.equal('{"value":"v"}')
  })

  it('with Keyv serialization off, structured values round-trip through node:v8', async () => {
    const store = new KeyvAlsoCache(a)
    await store.set('v8', { when: new Date(0), bytes: new Uint8Array([1, 2]) })
    expect(await store.get('v8')).to.deep.equal({ when: new Date(0), bytes: new Uint8Array([1, 2]) })
  })
})
