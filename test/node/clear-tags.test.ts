// clear() / clear({ prefix }) and tags (set's `tags`, invalidateTags) through the public API of
// three nodes on loopback: replicated as versioned tombstones, so on every node a key written
// before the clear or invalidation is gone and one written after it survives — with deliveries
// dropped (repair brings them), and into a node that joins afterwards (warm-up carries them first).
import { expect } from 'chai'
import { waitFor } from '../support/cluster.ts'
import { createCacheNode, WriteRefusedError, type CacheNode, type Version, type WriteResult } from '../../lib/index.ts'

const MiB = 1024 * 1024
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b))
const waitUntil = (cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> =>
  waitFor(cond, { timeoutMs, what, intervalMs: 10 })
const dump = (n: CacheNode): string[] => [...n.entries()].map(([k, e]) => `${k}=${text(e.value)}`).sort()
const keysOf = (n: CacheNode): string[] => [...n.entries()].map(([k]) => k).sort()

describe('CacheNode.clear and invalidateTags: replicated, ordered by hybrid logical time', function () {
  const common = { maxBytes: 64 * MiB, swim: { profile: 'local' as const }, antiEntropyIntervalMs: 300 }
  let nodes: CacheNode[] = []

  before(async () => {
    const a = await createCacheNode({ ...common, warmupPeers: 0 })
    // b drops a third of what it receives live: what it misses, repair must bring, clears included.
    const b = await createCacheNode({ ...common, bootstrap: a.addresses(), dropGossipRate: 0.3, faultSeed: 7 })
    const c = await createCacheNode({ ...common, bootstrap: a.addresses() })
    nodes = [a, b, c]
    await waitUntil(() => nodes.every((n) => n.members().filter((m) => m.state === 'alive').length === 3), 'membership')
  })
  after(async () => {
    await Promise.all(nodes.map((n) => n.close()))
  })

  it('clear({ prefix }) removes the keys with the prefix on every node; other keys and later writes stay', async () => {
    const [a, b, c] = nodes
    for (let i = 0; i < 50; i++) await a.set(`user:${i}`, bytes(`u${i}`))
    await a.set('order:1', bytes('o1'), { ack: 'all' })
    await waitUntil(() => nodes.every((n) => n.get('user:49') !== undefined), 'the users everywhere')
    const r = await b.clear({ prefix: 'user:', ack: 'all' })
    expect(r.stale).to.equal(false)
    for (const n of [a, c]) {
      expect(n.get('user:0'), 'acknowledged: applied on every member').to.equal(undefined)
      expect(n.getEntry('user:49')).to.equal(undefined)
    }
    await c.set('user:after', bytes('later'), { ack: 'all' })
    for (const n of nodes) {
      expect(text(n.get('order:1'))).to.equal('o1')
      expect(text(n.get('user:after'))).to.equal('later')
      expect(keysOf(n).filter((k) => k.startsWith('user:'))).to.deep.equal(['user:after'])
    }
    expect(c.stats().replica.clears).to.equal(1)
  })

  it('writes racing a clear from another node end the same on every node (repair brings what was dropped)', async () => {
    const [a, b, c] = nodes
    const writes: Promise<WriteResult>[] = []
    let clear: Promise<WriteResult> | undefined
    for (let i = 0; i < 300; i++) {
      writes.push((i % 2 === 0 ? a : c).set(`race:${i}`, bytes(`v${i}`)))
      // Let some of the writes reach b before its clear, and race the rest against it.
      if (i === 150) clear = new Promise((resolve) => setImmediate(() => resolve(b.clear({ prefix: 'race:' }))))
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    const versions = await Promise.all(writes)
    const stamp = (await clear!).version
    // The rule, from the versions each call returned: a write survives iff it was stamped after
    // the clear (hybrid logical time, then node id).
    const after = (v: Version): boolean => v.hlc > stamp.hlc || (v.hlc === stamp.hlc && v.nodeId > stamp.nodeId)
    const expected = versions.flatMap((v, i) => (after(v.version) ? [`race:${i}=v${i}`] : [])).sort()
    expect(expected.length, 'some writes on each side of the clear').to.be.within(1, 299)
    const race = (n: CacheNode): string[] => dump(n).filter((k) => k.startsWith('race:'))
    await waitUntil(() => nodes.every((n) => race(n).join() === expected.join()), 'every node to hold exactly the writes after the clear')
    for (const n of nodes) n.validate()
  })

  it('invalidateTags deletes the entries tagged before it on every node; later tagged and untagged entries stay', async () => {
    const [a, b, c] = nodes
    await a.set('product:1', bytes('p1'), { tags: ['product:1', 'catalog'] })
    await a.set('product:2', bytes('p2'), { tags: ['product:2', 'catalog'] })
    await a.set('untagged', bytes('u'), { ack: 'all' })
    await waitUntil(() => nodes.every((n) => n.get('product:2') !== undefined), 'the products everywhere')
    expect(c.getEntry('product:1')?.tags).to.deep.equal(['product:1', 'catalog'])
    await c.invalidateTags(['product:1'], { ack: 'all' })
    await b.set('product:1b', bytes('again'), { tags: ['product:1'], ack: 'all' })
    for (const n of nodes) {
      expect(n.get('product:1')).to.equal(undefined)
      expect(text(n.get('product:2'))).to.equal('p2')
      expect(text(n.get('untagged'))).to.equal('u')
      expect(text(n.get('product:1b'))).to.equal('again')
    }
    await b.invalidateTags(['catalog', 'product:1'], { ack: 'all' })
    for (const n of nodes) expect(keysOf(n).filter((k) => k.startsWith('product:'))).to.deep.equal([])
  })

  it('tagged writes racing an invalidation from another node: exactly those stamped after it survive everywhere', async () => {
    const [a, b, c] = nodes
    const writes: Promise<WriteResult>[] = []
    let invalidation: Promise<WriteResult> | undefined
    for (let i = 0; i < 300; i++) {
      writes.push((i % 2 === 0 ? a : c).set(`tagged:${i}`, bytes(`v${i}`), { tags: ['race', `n${i % 5}`] }))
      if (i === 150) invalidation = new Promise((resolve) => setImmediate(() => resolve(b.invalidateTags(['race']))))
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    const versions = await Promise.all(writes)
    const stamp = (await invalidation!).version
    const after = (v: Version): boolean => v.hlc > stamp.hlc || (v.hlc === stamp.hlc && v.nodeId > stamp.nodeId)
    const expected = versions.flatMap((v, i) => (after(v.version) ? [`tagged:${i}=v${i}`] : [])).sort()
    expect(expected.length, 'some writes on each side of the invalidation').to.be.within(1, 299)
    const tagged = (n: CacheNode): string[] => dump(n).filter((k) => k.startsWith('tagged:'))
    await waitUntil(() => nodes.every((n) => tagged(n).join() === expected.join()), 'every node to hold exactly the writes after it')
    for (const n of nodes) n.validate()
  })

  it('touch keeps the tags of an entry, setMany takes tags, and key:changed reports clears and invalidations once each', async () => {
    const [a, b, c] = nodes
    await a.setMany(
      [
        { key: 'sm:1', value: bytes('1'), tags: ['sm'] },
        { key: 'sm:2', value: bytes('2'), tags: ['sm', 'two'] },
      ],
      { ack: 'all' },
    )
    expect(c.getEntry('sm:2')?.tags).to.deep.equal(['sm', 'two'])
    expect(await b.touch('sm:1', 60_000, { ack: 'all' })).to.equal(true)
    expect(c.getEntry('sm:1')?.tags, 'a touch carries the tags').to.deep.equal(['sm'])
    const seen: { key: string; op: string; origin: string }[] = []
    const listener = (e: CustomEvent<{ key: string; op: string; origin: string }>): void =>
      void seen.push({ key: e.detail.key, op: e.detail.op, origin: e.detail.origin })
    c.addEventListener('key:changed', listener)
    await a.invalidateTags(['sm'], { ack: 'all' })
    await a.clear({ prefix: 'nothing-here:', ack: 'all' })
    c.removeEventListener('key:changed', listener)
    expect(c.has('sm:1')).to.equal(false)
    expect(c.has('sm:2')).to.equal(false)
    expect(seen).to.deep.equal([
      { key: 'sm', op: 'invalidate', origin: a.id },
      { key: 'nothing-here:', op: 'clear', origin: a.id },
    ])
  })

  it('bad tags reject with a typed error naming them, and nothing replicates', async () => {
    const [a] = nodes
    const before = a.stats().replica
    for (const write of [
      () => a.set('k', bytes('x'), { tags: 'catalog' as never }),
      () => a.set('k', bytes('x'), { tags: [''] }),
      () => a.set('k', bytes('x'), { tags: ['t'.repeat(129)] }),
      () => a.invalidateTags([]),
      () => a.invalidateTags('catalog' as never),
      () => a.invalidateTags([7 as never]),
    ]) {
      let p: Promise<unknown> | undefined
      expect(() => (p = write())).to.not.throw()
      const err = await p!.then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).to.be.instanceOf(WriteRefusedError)
      expect(err).to.have.property('argument', 'tags')
    }
    expect(a.stats().replica.writes).to.equal(before.writes)
  })

  it('clear() of everything empties every node; a node that joins afterwards warms up without the cleared keys', async () => {
    const [a, b, c] = nodes
    await a.set('keep:before', bytes('x'), { ack: 'all' })
    await c.clear({ ack: 'all' })
    for (const n of nodes) expect(keysOf(n), 'empty everywhere').to.deep.equal([])
    await b.set('keep:after', bytes('y'), { ack: 'all' })
    await b.set('tagged:late', bytes('z'), { tags: ['late'], ack: 'all' })
    await a.invalidateTags(['late'], { ack: 'all' })
    const d = await createCacheNode({ ...common, bootstrap: a.addresses() })
    nodes.push(d)
    await d.warmedUp
    expect(dump(d)).to.deep.equal(['keep:after=y'])
    expect(d.stats().replica.clearRanges, 'the clear came with the warm-up').to.be.greaterThan(0)
    expect(d.stats().replica.tagInvalidations, 'and the invalidations').to.be.greaterThan(0)
    d.validate()
  })

  it('a bad prefix or option rejects (never throws) with a typed error naming it, and nothing replicates', async () => {
    const [a] = nodes
    const clearsBefore = a.stats().replica.clears
    for (const [options, argument] of [
      [{ prefix: 42 }, 'prefix'],
      [{ prefix: '\ud800' }, 'prefix'],
      [{ prefix: 'x'.repeat(70_000) }, 'prefix'],
      [{ pattern: 'x' }, 'options'],
      ['everything', 'options'],
    ] as const) {
      let p: Promise<unknown> | undefined
      expect(() => (p = a.clear(options as never))).to.not.throw()
      const err = await p!.then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err, JSON.stringify(options).slice(0, 40)).to.be.instanceOf(WriteRefusedError)
      expect(err).to.have.property('code', 'ERR_INVALID_WRITE')
      expect(err).to.have.property('argument', argument)
    }
    expect(a.stats().replica.clears).to.equal(clearsBefore)
  })
})
