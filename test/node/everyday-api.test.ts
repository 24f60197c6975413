// The everyday API through createCacheNode: has, getMany, keys/entries by prefix, setMany,
// deleteMany, touch and key:changed — on three nodes on loopback, where every batch write and
// touch must converge and every receiver announces the change with the writer's origin and
// version; and on one node with an injected clock, for expiry. Bad input is refused before
// anything is applied or sent.
import { expect } from 'chai'
import { waitFor } from '../support/cluster.ts'
import { createCacheNode, WriteRefusedError, type CacheNode, type KeyChanged } from '../../lib/index.ts'

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b))

/** Polls a synchronous condition (these nodes live in this process) with a deadline. */
const waitUntil = (cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> =>
  waitFor(cond, { timeoutMs, what, intervalMs: 10 })

/** The rejection of `write`, which must return a promise and not throw. */
async function rejection(write: () => Promise<unknown>): Promise<Error & { code?: string; argument?: string; index?: number }> {
  let promise: Promise<unknown> | undefined
  expect(() => (promise = write())).to.not.throw()
  const err = await promise!.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err, 'the call should have been refused').to.be.instanceOf(Error)
  return err as Error & { code?: string; argument?: string; index?: number }
}

/** Collects a node's key:changed events (and stops with `off`). */
function recorder(node: CacheNode): { events: KeyChanged[]; off(): void } {
  const events: KeyChanged[] = []
  const listener = (e: CustomEvent<KeyChanged>): void => void events.push(e.detail)
  node.addEventListener('key:changed', listener)
  return { events, off: () => node.removeEventListener('key:changed', listener) }
}

describe('CacheNode everyday API across three nodes', function () {
  let a: CacheNode
  let b: CacheNode
  let c: CacheNode
  let nodes: CacheNode[] = []
  before(async () => {
    const common = { swim: { profile: 'local' as const }, antiEntropyIntervalMs: 500 }
    a = await createCacheNode({ ...common, warmupPeers: 0 })
    b = await createCacheNode({ ...common, bootstrap: a.addresses() })
    c = await createCacheNode({ ...common, bootstrap: a.addresses() })
    nodes = [a, b, c]
    await waitUntil(() => nodes.every((n) => n.members().filter((m) => m.state === 'alive').length === 3), 'three alive members everywhere')
  })
  after(() => Promise.all(nodes.map((n) => n.close())))

  it('setMany with ack all: every entry applied on every node when it resolves, each with its own ttl and version', async () => {
    const results = await a.setMany(
      [
        { key: 'sm:1', value: bytes('one') },
        { key: 'sm:2', value: bytes('two'), ttlMs: 60_000 },
        { key: 'sm:3', value: bytes('three'), userVersion: 7 },
      ],
      { ack: 'all' },
    )
    expect(results.map((r) => r.stale)).to.deep.equal([false, false, false])
    for (const n of nodes) {
      expect(n.getMany(['sm:1', 'sm:2', 'sm:3', 'sm:none']).map(text)).to.deep.equal(['one', 'two', 'three', undefined])
      expect(n.getEntry('sm:2')?.expiresAt).to.equal(a.getEntry('sm:2')?.expiresAt).and.to.be.a('number')
      expect(n.getEntry('sm:3')?.version).to.deep.equal(results[2].version)
    }
    expect(results[2].version.userVersion).to.equal(7)
  })

  it('setMany without ack converges; deleteMany on another node removes every key everywhere', async () => {
    const entries = Array.from({ length: 50 }, (_, i) => ({ key: `bulk:${i}`, value: bytes(`v${i}`) }))
    await b.setMany(entries)
    await waitUntil(() => nodes.every((n) => entries.every((e) => n.has(e.key))), 'the 50 entries on every node')
    const deleted = await c.deleteMany(entries.slice(0, 40).map((e) => e.key))
    expect(deleted).to.have.length(40)
    await waitUntil(() => nodes.every((n) => [...n.keys('bulk:')].length === 10), 'only the 10 kept, everywhere')
    for (const n of nodes) expect([...n.keys('bulk:')].sort()).to.deep.equal(entries.slice(40).map((e) => e.key).sort())
  })

  it('touch gives a held key a new expiry everywhere, keeps its bytes and userVersion; false (nothing sent) when not held', async () => {
    await a.set('t:1', bytes('kept'), { ttlMs: 5_000, userVersion: 3, ack: 'all' })
    const before = a.getEntry('t:1')!
    expect(await b.touch('t:1', 3_600_000, { ack: 'all' })).to.equal(true)
    const after = b.getEntry('t:1')!
    expect(after.expiresAt).to.be.greaterThan(before.expiresAt! + 3_000_000)
    expect(after.version.userVersion).to.equal(3)
    expect(after.version.nodeId).to.equal(b.id)
    for (const n of nodes) {
      expect(text(n.get('t:1'))).to.equal('kept')
      expect(n.getEntry('t:1')).to.deep.include({ expiresAt: after.expiresAt, version: after.version })
    }
    const writes = b.stats().replica.writes
    expect(await b.touch('t:absent', 1_000)).to.equal(false)
    expect(b.stats().replica.writes, 'a touch of an absent key writes nothing').to.equal(writes)
    // A later write of the database's next row wins over the touch everywhere (touch.ts: ordering).
    await c.set('t:1', bytes('row 4'), { userVersion: 4, ack: 'all' })
    for (const n of nodes) expect(text(n.get('t:1'))).to.equal('row 4')
  })

  it("key:changed: a receiver sees the writer's origin, version and op, from the writer; the writer sees its own", async () => {
    const atA = recorder(a)
    const atC = recorder(c)
    try {
      const set = await a.set('ev:1', bytes('x'), { ack: 'all' })
      await a.touch('ev:1', 60_000, { ack: 'all' })
      const touched = a.getEntry('ev:1')!.version
      const del = await a.delete('ev:1', { ack: 'all' })
      await waitUntil(() => atC.events.filter((e) => e.key === 'ev:1').length === 3, 'three changes of ev:1 at c')
      const seen = atC.events.filter((e) => e.key === 'ev:1')
      expect(seen).to.deep.equal([
        { key: 'ev:1', op: 'set', origin: a.id, version: set.version, from: a.id },
        // A touch travels as a set of the same bytes: its receivers report a set.
        { key: 'ev:1', op: 'set', origin: a.id, version: touched, from: a.id },
        { key: 'ev:1', op: 'delete', origin: a.id, version: del.version, from: a.id },
      ])
      expect(atA.events.filter((e) => e.key === 'ev:1')).to.deep.equal([
        { key: 'ev:1', op: 'set', origin: a.id, version: set.version, from: undefined },
        { key: 'ev:1', op: 'touch', origin: a.id, version: touched, from: undefined },
        { key: 'ev:1', op: 'delete', origin: a.id, version: del.version, from: undefined },
      ])
    } finally {
      atA.off()
      atC.off()
    }
  })

  it('key:changed: a stale write changes nothing and announces nothing; a removed or once listener hears no more', async () => {
    await a.set('ev:2', bytes('new'), { userVersion: 9, ack: 'all' })
    const atB = recorder(b)
    let once = 0
    b.addEventListener('key:changed', () => once++, { once: true })
    const stale = await b.set('ev:2', bytes('old'), { userVersion: 1 })
    expect(stale.stale).to.equal(true)
    expect(atB.events).to.deep.equal([])
    expect(once).to.equal(0)
    await b.setMany([
      { key: 'ev:3', value: bytes('1') },
      { key: 'ev:4', value: bytes('2') },
    ])
    expect(atB.events.map((e) => [e.key, e.op])).to.deep.equal([
      ['ev:3', 'set'],
      ['ev:4', 'set'],
    ])
    expect(once, 'a once listener runs once').to.equal(1)
    atB.off()
    await b.set('ev:5', bytes('3'))
    expect(atB.events).to.have.length(2)
  })

  it('setMany refuses the whole call for one bad entry, naming it, and nothing is applied or sent', async () => {
    const writes = a.stats().replica.writes
    const err = await rejection(() =>
      a.setMany([
        { key: 'bad:0', value: bytes('a') },
        { key: 'bad:1', value: bytes('b') },
        { key: 7 as unknown as string, value: bytes('c') },
      ]),
    )
    expect(err).to.be.instanceOf(WriteRefusedError)
    expect(err).to.include({ code: 'ERR_INVALID_WRITE', argument: 'key', index: 2 })
    expect(err.message).to.match(/entries\[2\]/)
    const ttl = await rejection(() => a.setMany([{ key: 'bad:0', value: bytes('a'), ttlMs: -1 }]))
    expect(ttl).to.include({ argument: 'ttlMs', index: 0 })
    const notBytes = 'b' as unknown as Uint8Array
    const value = await rejection(() => a.setMany([{ key: 'bad:0', value: bytes('a') }, { key: 'bad:1', value: notBytes }]))
    expect(value).to.include({ argument: 'value', index: 1 })
    // keyv's field name is refused, never ignored (its ttl would be lost).
    const field = await rejection(() => a.setMany([{ key: 'bad:0', value: bytes('a'), ttl: 5 } as never]))
    expect(field).to.include({ argument: 'options', index: 0 })
    expect(field.message).to.match(/"ttl"/)
    const pair = await rejection(() => a.setMany([['bad:0', bytes('a')]] as never))
    expect(pair).to.be.instanceOf(TypeError).and.to.include({ code: 'ERR_INVALID_ARG_TYPE' })
    const notArray = await rejection(() => a.setMany(new Map() as never))
    expect(notArray).to.be.instanceOf(TypeError).and.to.include({ code: 'ERR_INVALID_ARG_TYPE' })
    expect(notArray.message).to.match(/entries must be an array/)
    const big = new Uint8Array(a.maxValueBytes + 64)
    const tooLarge = await rejection(() => a.setMany([{ key: 'bad:0', value: bytes('a') }, { key: 'big', value: big }]))
    expect(tooLarge.code).to.be.oneOf(['ERR_ENTRY_TOO_LARGE', 'ERR_INVALID_WRITE'])
    const ack = await rejection(() => a.setMany([{ key: 'bad:0', value: bytes('a') }], { ack: 'some' as never }))
    expect(ack).to.include({ argument: 'ack' })
    expect(a.stats().replica.writes, 'nothing applied or sent').to.equal(writes)
    expect(a.getMany(['bad:0', 'bad:1'])).to.deep.equal([undefined, undefined])
  })

  it('deleteMany, touch, has, getMany, keys and entries refuse bad arguments with typed errors', async () => {
    await a.set('keep', bytes('k'), { ack: 'all' })
    const writes = a.stats().replica.writes
    const del = await rejection(() => a.deleteMany(['keep', null as unknown as string]))
    expect(del).to.include({ code: 'ERR_INVALID_WRITE', argument: 'key', index: 1 })
    expect(await rejection(() => a.deleteMany('keep' as never))).to.include({ code: 'ERR_INVALID_ARG_TYPE' })
    expect(await rejection(() => a.deleteMany(['keep'], { ttlMs: 5 } as never))).to.include({ argument: 'options' })
    for (const ttl of [0, -5, Number.NaN, undefined, '60' as unknown as number, 11 * 365 * 86_400_000]) {
      const err = await rejection(() => a.touch('keep', ttl as number))
      expect(err, String(ttl)).to.include({ code: 'ERR_INVALID_WRITE', argument: 'ttlMs' })
    }
    expect(await rejection(() => a.touch(5 as unknown as string, 1_000))).to.include({ argument: 'key' })
    expect(a.stats().replica.writes, 'nothing applied or sent').to.equal(writes)
    expect(text(b.get('keep'))).to.equal('k')
    const code = 'ERR_INVALID_ARG_TYPE'
    expect(() => a.has(1 as unknown as string)).to.throw(TypeError, /CacheNode.has: key must be a string/).with.property('code', code)
    expect(() => a.getMany('keep' as never)).to.throw(TypeError, /keys must be an array/)
    expect(() => a.getMany(['keep', 2 as unknown as string])).to.throw(TypeError, /keys\[1\] must be a string/)
    expect(() => a.keys(3 as unknown as string)).to.throw(TypeError, /CacheNode.keys: prefix must be a string/)
    expect(() => a.entries(/x/ as unknown as string)).to.throw(TypeError, /CacheNode.entries: prefix must be a string/)
  })
})

describe('CacheNode reads on one node with an injected clock', () => {
  let now = 1_700_000_000_000
  let node: CacheNode
  beforeEach(async () => {
    node = await createCacheNode({ clock: () => now, warmupPeers: 0 })
  })
  afterEach(() => node.close())

  it('has, keys and entries by prefix: expired is absent, and no hit is counted', async () => {
    await node.setMany([
      { key: 'user:1', value: bytes('a') },
      { key: 'user:2', value: bytes('b'), ttlMs: 1_000 },
      { key: 'order:1', value: bytes('c') },
    ])
    const reads = (): number => node.stats().hits + node.stats().misses
    expect(node.has('user:2')).to.equal(true)
    expect(node.has('user:9')).to.equal(false)
    expect([...node.keys('user:')].sort()).to.deep.equal(['user:1', 'user:2'])
    expect([...node.keys()].sort()).to.deep.equal(['order:1', 'user:1', 'user:2'])
    expect([...node.entries('order:')].map(([k, e]) => [k, text(e.value)])).to.deep.equal([['order:1', 'c']])
    expect(reads(), 'has, keys and entries count no hit').to.equal(0)
    expect(node.getEntry('user:2')?.expiresAt).to.equal(now + 1_000)
    now += 1_000
    expect(node.has('user:2'), 'expired at expiresAt').to.equal(false)
    expect([...node.keys('user:')]).to.deep.equal(['user:1'])
    expect(await node.touch('user:2', 5_000), 'an expired key is not held').to.equal(false)
  })

  it('getMany counts a hit or a miss per key, like get', async () => {
    await node.set('k1', bytes('1'))
    expect(node.getMany(['k1', 'k2', 'k1']).map(text)).to.deep.equal(['1', undefined, '1'])
    expect(node.stats()).to.include({ hits: 2, misses: 1 })
    expect(node.getMany([])).to.deep.equal([])
  })

  it('touch moves expiresAt to now + ttlMs, later or earlier', async () => {
    await node.set('s', bytes('session'), { ttlMs: 1_000 })
    expect(await node.touch('s', 10_000)).to.equal(true)
    expect(node.getEntry('s')?.expiresAt).to.equal(now + 10_000)
    now += 5_000
    expect(text(node.get('s'))).to.equal('session')
    expect(await node.touch('s', 100)).to.equal(true)
    now += 100
    expect(node.get('s')).to.equal(undefined)
  })
})
