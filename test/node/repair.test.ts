// Gap repair: a node that loses gossip messages (fault injection in its transport layer) pulls
// the missing seq ranges from the origin's log; when the log no longer holds them, it falls
// back to since(T). Either way it ends with every write. (Batches a writer leaves out for a
// member that does not drain are pulled the same way: test/node/flow-control.test.ts.)
import { expect } from 'chai'
import { killAll, startCluster, waitFor, type NodeProcess } from '../support/cluster.ts'

const FAST = { swim: { profile: 'local' }, antiEntropyIntervalMs: 500 }
const KEYS = 2000

async function lossyCluster(originInit: object, dropGossipRate = 0.5): Promise<NodeProcess[]> {
  // startCluster bootstraps everyone from the first node: make the lossy one the last.
  const [a, b] = await startCluster(2, { ...FAST, ...originInit })
  const { startNode } = await import('../support/cluster.ts')
  const c = await startNode({ ...FAST, bootstrap: a.addresses, dropGossipRate, faultSeed: 7 })
  await waitFor(async () => ((await c.call('members')) as { state: string }[]).filter((m) => m.state === 'alive').length === 3, {
    timeoutMs: 15_000,
    what: 'the lossy node to join',
  })
  // Its warm-up must be over, or it would get the writes by since(0) instead of by repair.
  await c.call('warmed')
  return [a, b, c]
}

type Stats = {
  replication: { injectedDrops: number }
  /** Deltas live replication brought (not repair or warm-up): lag.ts measures only those. */
  lag: { samples: number }
  repair: { rangeRequests: number; rangeDeltas: number; sinceRequests: number; sinceDeltas: number; antiEntropyRounds: number }
}

describe('gap repair', function () {
  afterEach(killAll)

  it('pulls the seq ranges gossip lost from the origin log', async () => {
    const [a, , c] = await lossyCluster({})
    await a.call('load', 'k', KEYS)
    await waitFor(async () => (await c.get(`k${KEYS - 1}`)) !== null && (await c.call('dump') as unknown[]).length >= KEYS, {
      timeoutMs: 20_000,
      what: `all ${KEYS} keys on the lossy node`,
    })
    const stats = (await c.call('stats')) as Stats
    expect(stats.replication.injectedDrops, 'messages dropped by the fault hook').to.be.greaterThan(0)
    expect(stats.repair.rangeRequests, 'range requests').to.be.greaterThan(0)
    expect(stats.repair.rangeDeltas, 'deltas repaired from the log').to.be.greaterThan(0)
    expect(JSON.stringify(await c.call('dump'))).to.equal(JSON.stringify(await a.call('dump')))
  })

  it('a lost tail (no later message reveals the gap) is found by anti-entropy alone', async () => {
    // c loses every gossip message: no seq gap ever shows, so only the anti-entropy digest
    // exchange (every 500 ms here) can tell it that a wrote anything.
    const [a, b, c] = await lossyCluster({}, 1)
    for (const k of ['t1', 't2', 't3']) await a.call('set', k, `v-${k}`)
    await waitFor(async () => (await c.get('t3')) === 'v-t3' && (await c.get('t1')) === 'v-t1', {
      timeoutMs: 20_000,
      what: 'the tail on the node that hears no gossip',
    })
    const stats = (await c.call('stats')) as Stats
    expect(stats.replication.injectedDrops, 'gossip messages dropped').to.be.at.least(1)
    expect(stats.lag.samples, 'deltas that came by live replication').to.equal(0)
    // The round that found the tail may be c's own or one a or b started with c (c compares the
    // digest it is sent too): count the cluster's rounds, not c's alone (c's raced the others').
    const rounds = await Promise.all([a, b, c].map(async (n) => ((await n.call('stats')) as Stats).repair.antiEntropyRounds))
    expect(rounds.reduce((x, y) => x + y), 'anti-entropy rounds in the cluster').to.be.at.least(1)
    expect(stats.repair.rangeDeltas + stats.repair.sinceDeltas, 'deltas pulled after a digest').to.be.at.least(3)
  })

  it('falls back to since(T) when the origin log no longer holds the range', async () => {
    const [a, , c] = await lossyCluster({ replicationLog: { maxDeltas: 64 } })
    await a.call('load', 'k', KEYS)
    await waitFor(async () => ((await c.call('dump')) as unknown[]).length >= KEYS, {
      timeoutMs: 20_000,
      what: `all ${KEYS} keys on the lossy node`,
    })
    const stats = (await c.call('stats')) as Stats
    expect(stats.replication.injectedDrops).to.be.greaterThan(0)
    expect(stats.repair.sinceRequests, 'since(T) fallbacks').to.be.greaterThan(0)
    expect(JSON.stringify(await c.call('dump'))).to.equal(JSON.stringify(await a.call('dump')))
  })
})
