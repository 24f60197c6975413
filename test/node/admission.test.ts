// One rule for what a write may be, through the public API of two nodes on loopback: a write
// the rule refuses rejects (never throws) with a typed error before anything is applied or
// sent, and the writes around it still replicate (findings 1–4, 8, 10 of the "one rule" issue;
// each crashed the node, lost neighbouring writes or applied a write its caller saw fail).
import { expect } from 'chai'
import { waitFor } from '../support/cluster.ts'
import { createCacheNode, MAX_WRITE_VALUE_BYTES, type CacheNode } from '../../lib/index.ts'

const MiB = 1024 * 1024
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b))

/** Polls a synchronous condition (these nodes live in this process) with a deadline. */
const waitUntil = (cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> =>
  waitFor(cond, { timeoutMs, what, intervalMs: 10 })

/** Calls `write`, which must return a promise (not throw) that rejects with `code` naming `argument`. */
async function expectRefused(write: () => Promise<unknown>, code: string, argument?: string): Promise<void> {
  let promise: Promise<unknown> | undefined
  expect(() => (promise = write())).to.not.throw()
  const err = await promise!.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err, 'the write should have been refused').to.be.instanceOf(Error)
  expect(err).to.have.property('code', code)
  if (argument !== undefined) expect(err).to.have.property('argument', argument)
}

describe('CacheNode admission: one rule for what a write may be', function () {
  let a: CacheNode
  let b: CacheNode
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason)

  before(async () => {
    process.on('unhandledRejection', onUnhandled)
    const common = { maxBytes: 256 * MiB, swim: { profile: 'local' as const }, antiEntropyIntervalMs: 500 }
    a = await createCacheNode({ ...common, warmupPeers: 0 })
    b = await createCacheNode({ ...common, bootstrap: a.addresses() })
    await waitUntil(
      () => a.members().some((m) => m.id === b.id && m.state === 'alive') && b.members().some((m) => m.id === a.id && m.state === 'alive'),
      'membership',
    )
  })
  after(async () => {
    process.off('unhandledRejection', onUnhandled)
    await Promise.all([a?.close(), b?.close()])
  })
  afterEach(() => {
    expect(unhandled, 'no unhandled rejection').to.deep.equal([])
    expect(a.stats().internalErrors).to.equal(0)
    expect(b.stats().malformedByPeer, 'the honest writer is never blamed').to.deep.equal({})
  })

  /** Writes `before`, the refused write, and `after` back to back (one batch), and checks both neighbours reach b. */
  async function refusedAmongNeighbours(name: string, write: () => Promise<unknown>, argument: string): Promise<void> {
    const before = a.set(`${name}:before`, bytes('1'))
    await expectRefused(write, 'ERR_INVALID_WRITE', argument)
    const after = a.set(`${name}:after`, bytes('2'))
    await Promise.all([before, after])
    await waitUntil(() => text(b.get(`${name}:before`)) === '1' && text(b.get(`${name}:after`)) === '2', `${name}'s neighbours on b`)
  }

  it('set with ttlMs 1e20 (or 2^53 − 1) rejects with ERR_INVALID_WRITE, and later writes still replicate (finding 1)', async () => {
    await refusedAmongNeighbours('ttl', () => a.set('ttl', bytes('x'), { ttlMs: 1e20 }), 'ttlMs')
    await refusedAmongNeighbours('ttl2', () => a.set('ttl2', bytes('x'), { ttlMs: Number.MAX_SAFE_INTEGER }), 'ttlMs')
    expect(a.get('ttl')).to.equal(undefined)
  })

  it('a value over 16 MiB on a 256 MiB store rejects, and the writes around it replicate (finding 2)', async () => {
    await refusedAmongNeighbours('huge', () => a.set('huge', new Uint8Array(17 * MiB)), 'value')
    expect(a.get('huge')).to.equal(undefined)
  })

  it('a key over 64 KiB rejects; its neighbours replicate and the writer is not banned (finding 3)', async () => {
    const longKey = 'k'.repeat(64 * 1024 + 1)
    for (let i = 0; i < 3; i++) await refusedAmongNeighbours(`long${i}`, () => a.set(longKey, bytes('x')), 'key')
    await expectRefused(() => a.delete(longKey, { ack: 'all' }), 'ERR_INVALID_WRITE', 'key')
    expect(a.get(longKey)).to.equal(undefined)
  })

  it('a value over the frame bound rejects; one at the bound replicates, and so does the write batched before it (finding 4)', async () => {
    expect(a.maxValueBytes).to.equal(MAX_WRITE_VALUE_BYTES)
    await refusedAmongNeighbours('mid', () => a.set('mid', new Uint8Array(5 * MiB)), 'value')
    const small = a.set('big:before', bytes('s'))
    const big = a.set('big', new Uint8Array(a.maxValueBytes - 16).fill(7))
    await Promise.all([small, big])
    await waitUntil(
      () => b.get('big')?.byteLength === a.maxValueBytes - 16 && text(b.get('big:before')) === 's',
      'the largest value on b',
      30_000,
    )
    expect(b.stats().replica.dropped).to.equal(0)
  })

  it('a lone surrogate in a key rejects instead of naming another key on peers (finding 8)', async () => {
    await refusedAmongNeighbours('surrogate', () => a.set('\uD800', bytes('x')), 'key')
    await expectRefused(() => a.delete('x\uDFFF'), 'ERR_INVALID_WRITE', 'key')
    await expectRefused(() => a.getOrLoad('\uD800', () => bytes('x'), { ttlMs: 1000 }), 'ERR_INVALID_WRITE', 'key')
    expect(a.get('\uFFFD')).to.equal(undefined)
  })

  it('a bad ack deadline rejects before the write is applied anywhere (finding 10)', async () => {
    for (const timeoutMs of [Number.NaN, -1, 0, 1.5, 2 ** 31, 3e9]) {
      await expectRefused(() => a.set('acked', bytes('x'), { ack: 'all', timeoutMs }), 'ERR_INVALID_WRITE', 'timeoutMs')
      await expectRefused(() => a.delete('acked', { ack: 'all', timeoutMs }), 'ERR_INVALID_WRITE', 'timeoutMs')
    }
    await refusedAmongNeighbours('acked', () => a.set('acked', bytes('x'), { ack: 'all', timeoutMs: -1 }), 'timeoutMs')
    expect(a.get('acked')).to.equal(undefined)
    expect(b.get('acked')).to.equal(undefined)
    // A deadline in range works.
    await a.set('acked', bytes('y'), { ack: 'all', timeoutMs: 10_000 })
    expect(text(b.get('acked'))).to.equal('y')
  })

  it('options the operation does not take, or with bad values, reject before anything is applied', async () => {
    await expectRefused(() => a.set('o', bytes('x'), { ack: 'yes' } as never), 'ERR_INVALID_WRITE', 'ack')
    await expectRefused(() => a.set('o', bytes('x'), { ttl: 5 } as never), 'ERR_INVALID_WRITE', 'options')
    await expectRefused(() => a.delete('o', { ttlMs: 5 } as never), 'ERR_INVALID_WRITE', 'options')
    await expectRefused(() => a.set('o', bytes('x'), { timeoutMs: 100 }), 'ERR_INVALID_WRITE', 'timeoutMs')
    await expectRefused(() => a.set('o', 'not bytes' as never), 'ERR_INVALID_WRITE', 'value')
    await expectRefused(() => a.set(42 as never, bytes('x')), 'ERR_INVALID_WRITE', 'key')
    await expectRefused(() => a.set('o', bytes('x'), 'fast' as never), 'ERR_INVALID_WRITE', 'options')
    expect(a.get('o')).to.equal(undefined)
  })

  it('a write that loses to a higher userVersion resolves with stale: true and its version', async () => {
    const first = await a.set('row', bytes('v2'), { userVersion: 2 })
    expect(first.stale).to.equal(false)
    const second = await a.set('row', bytes('v1'), { userVersion: 1 })
    expect(second.stale).to.equal(true)
    expect(second.version.userVersion).to.equal(1)
    expect(text(a.get('row'))).to.equal('v2')
    const gone = await a.delete('row', { userVersion: 3 })
    expect(gone).to.deep.include({ stale: false })
    expect(gone.version.userVersion).to.equal(3)
  })
})

describe('CacheNode admission: calls that return promises never throw', () => {
  it('a closed node rejects set, delete, merge and getOrLoad with ERR_NODE_CLOSED', async () => {
    const node = await createCacheNode({ warmupPeers: 0 })
    await node.close()
    await expectRefused(() => node.set('k', bytes('v')), 'ERR_NODE_CLOSED')
    await expectRefused(() => node.delete('k'), 'ERR_NODE_CLOSED')
    await expectRefused(() => node.merge('k', new Uint8Array([0, 0])), 'ERR_NODE_CLOSED')
    await expectRefused(() => node.getOrLoad('k', () => bytes('v'), { ttlMs: 1 }), 'ERR_NODE_CLOSED')
  })

  it('a value the store can never hold rejects with ERR_ENTRY_TOO_LARGE', async () => {
    const node = await createCacheNode({ warmupPeers: 0, maxBytes: 1 * MiB })
    try {
      expect(node.maxValueBytes).to.be.below(MiB / 10)
      await expectRefused(() => node.set('k', new Uint8Array(node.maxValueBytes + 1)), 'ERR_ENTRY_TOO_LARGE')
      await node.set('k', new Uint8Array(node.maxValueBytes))
      expect(node.get('k')?.byteLength).to.equal(node.maxValueBytes)
    } finally {
      await node.close()
    }
  })
})

describe('createCacheNode admission: options', () => {
  /** TCP servers open in this process (each node listens on one). */
  const servers = (): number =>
    (process as unknown as { _getActiveHandles(): object[] })._getActiveHandles().filter((h) => h.constructor.name === 'Server').length

  const bad: [string, object, RegExp][] = [
    ['an unknown option', { maxbytes: 1024 }, /unknown option "maxbytes" \(did you mean maxBytes\?\)/],
    ['ackTimeoutMs past setTimeout', { ackTimeoutMs: 3e9 }, /ackTimeoutMs/],
    ['hints that are not an object', { hints: 'on' }, /hints/],
    ['hints.enabled that is not a boolean', { hints: { enabled: 'yes' } }, /hints\.enabled/],
    ['allowPeers with something that is not a peer id', { allowPeers: ['not-a-peer-id'] }, /not a peer id/],
    ['maxClockDriftMs NaN', { maxClockDriftMs: Number.NaN }, /maxClockDriftMs/],
    ['a bad store option', { store: { smallRatio: 2 } }, /smallRatio/],
    ['a bad replication log bound', { replicationLog: { maxDeltas: -1 } }, /maxDeltas/],
    ['a bad hints option', { hints: { enabled: true, keysPerRound: 0 } }, /keysPerRound/],
    ['batchMaxBytes over the frame bound', { batchMaxBytes: 8 * MiB }, /batchMaxBytes/],
    // Every other option, one bad value each.
    ['listen that is not an array', { listen: '/ip4/127.0.0.1/tcp/0' }, /listen/],
    ['bootstrap that is not an array', { bootstrap: 'x' }, /bootstrap/],
    ['a cluster name with a slash', { cluster: 'a/b' }, /cluster/],
    ['an empty identityPath', { identityPath: '' }, /identityPath/],
    ['mdns that is not a boolean', { mdns: 'yes' }, /mdns/],
    ['maxBytes 0', { maxBytes: 0 }, /maxBytes/],
    ['batchMaxDeltas 0', { batchMaxDeltas: 0 }, /batchMaxDeltas/],
    ['batchIntervalMs -1', { batchIntervalMs: -1 }, /batchIntervalMs/],
    ['antiEntropyIntervalMs 0', { antiEntropyIntervalMs: 0 }, /antiEntropyIntervalMs/],
    ['gapGraceMs NaN', { gapGraceMs: Number.NaN }, /gapGraceMs/],
    ['repairIntervalMs 0', { repairIntervalMs: 0 }, /repairIntervalMs/],
    ['repairMaxBytes 0.5', { repairMaxBytes: 0.5 }, /repairMaxBytes/],
    ['warmupPeers -1', { warmupPeers: -1 }, /warmupPeers/],
    ['an empty snapshotPath', { snapshotPath: '' }, /snapshotPath/],
    ['malformedLimit 0', { malformedLimit: 0 }, /malformedLimit/],
    ['banMs -1', { banMs: -1 }, /banMs/],
    ['leaveTimeoutMs 1.5', { leaveTimeoutMs: 1.5 }, /leaveTimeoutMs/],
    ['an unknown SWIM profile', { swim: { profile: 'moon' } }, /profile/],
    ['clockOffsetMs Infinity', { clockOffsetMs: Infinity }, /clockOffsetMs/],
    ['a clock that is not a function', { clock: 5 }, /clock/],
    ['dropGossipRate 2', { dropGossipRate: 2 }, /dropGossipRate/],
    ['faultSeed NaN', { faultSeed: Number.NaN }, /faultSeed/],
  ]
  it('refuses a malformed clusterKey with ERR_INVALID_CLUSTER_KEY before anything listens', async () => {
    const before = servers()
    const err = await createCacheNode({ clusterKey: 'not a key' }).then(
      (n) => n.close().then(() => undefined),
      (e: unknown) => e,
    )
    expect(err).to.have.property('code', 'ERR_INVALID_CLUSTER_KEY')
    expect(servers()).to.equal(before)
  })

  for (const [name, init, message] of bad) {
    it(`refuses ${name} with a TypeError before anything listens`, async () => {
      const before = servers()
      const err = await createCacheNode(init as never).then(
        (n) => n.close().then(() => undefined),
        (e: unknown) => e,
      )
      expect(err).to.be.instanceOf(TypeError)
      expect((err as Error).message).to.match(message)
      expect(servers()).to.equal(before)
    })
  }
})
