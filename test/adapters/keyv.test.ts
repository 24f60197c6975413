// KeyvAlsoCache (also-cache/keyv) proven by keyv's own conformance suite, @keyv/test-suite
// (api, values, namespaces), run with mocha through a small vitest shim; then across two
// nodes: a write through one node's Keyv is read through the other's, a namespace clear on
// one empties it on both and leaves other namespaces alone.
import { expect } from 'chai'
import Keyv from 'keyv'
import Keyv6 from 'keyv6'
import keyvTestSuite from '@keyv/test-suite'
import { createCacheNode, type CacheNode } from '../../lib/index.ts'
import { KeyvAlsoCache } from '../../lib/adapters/keyv.ts'
import { PAIR_DEFAULTS, startPair } from '../support/node-pair.ts'
import { jestExpect, vitestShim } from './vitest-shim.ts'


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
    node = await createCacheNode({ ...PAIR_DEFAULTS, warmupPeers: 0 })
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
    ;[a, b] = await startPair()
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

// keyv 6 (installed here as `keyv6`): a store without v6 `capabilities` runs behind its
// KeyvBridgeAdapter, which turns v6's absolute `expires` back into a ttl and hands raw keys
// (prefixKeys: the adapter prefixes the namespace, as keyv 5 does); every method the bridge
// forwards works, the value reaches the other node, and keyv 5 reads what keyv 6 wrote.
describe('KeyvAlsoCache under keyv 6', function () {
  let a: CacheNode
  let b: CacheNode
  before(async () => {
    ;[a, b] = await startPair()
  })
  after(async () => {
    await Promise.all([a?.close(), b?.close()])
  })

  it('get, set with ttl, has, getMany, setMany, delete, deleteMany and a namespace clear, across two nodes', async () => {
    const onA = new Keyv6({ store: new KeyvAlsoCache(a, { ack: 'all', prefixKeys: true }), namespace: 'v6' })
    const onB = new Keyv6({ store: new KeyvAlsoCache(b, { prefixKeys: true }), namespace: 'v6' })
    const other = new Keyv6({ store: new KeyvAlsoCache(a, { ack: 'all', prefixKeys: true }), namespace: 'other' })
    expect(await onA.set('k', { n: 1 }, 60_000)).to.equal(true)
    expect(await onB.get('k')).to.deep.equal({ n: 1 })
    const expiresAt = b.getEntry('v6:k')?.expiresAt as number
    expect(expiresAt - Date.now(), 'the ttl made it through the bridge').to.be.within(50_000, 60_001)
    expect(await onB.has('k')).to.equal(true)
    await onA.setMany([
      { key: 'x', value: 'X' },
      { key: 'y', value: 'Y', ttl: 60_000 },
    ])
    expect(await onB.getMany(['x', 'y', 'none'])).to.deep.equal(['X', 'Y', undefined])
    expect(await onA.delete('x')).to.equal(true)
    expect(await onB.get('x')).to.equal(undefined)
    await other.set('keep', 'me')
    await onA.deleteMany(['y'])
    expect(await onB.get('y')).to.equal(undefined)
    await onA.set('z', 'Z')
    await onA.clear()
    expect(await onB.get('z')).to.equal(undefined)
    const otherOnB = new Keyv6({ store: new KeyvAlsoCache(b, { prefixKeys: true }), namespace: 'other' })
    expect(await otherOnB.get('keep'), 'another namespace stays').to.equal('me')
    expect(await new Keyv({ store: new KeyvAlsoCache(b), namespace: 'other' }).get('keep'), 'keyv 5 reads it').to.equal('me')
  })
})
