// G5 across clocks, with node processes whose clocks disagree (clockOffsetMs). The rule: an
// entry is never served after its `expiresAt` on the serving node's own clock; `expiresAt` is
// stamped with the writer's clock, whose lead over the server's is at most maxClockDriftMs
// (writes further ahead are refused), so an entry is served at most ttl + maxClockDriftMs after
// its write, by the serving node's clock.
import { expect } from 'chai'
import { killAll, startNode, waitFor, type NodeProcess } from '../support/cluster.ts'

const DRIFT_MS = 5_000
const TTL_MS = 1_500
const common = { swim: { profile: 'local' }, maxClockDriftMs: DRIFT_MS, warmupPeers: 0 }

interface TimedRead {
  value: string | null
  expiresAt: number | null
  before: number
  after: number
}

describe('G5 across skewed clocks (node processes)', function () {
  let writer: NodeProcess
  let readers: { node: NodeProcess; offsetMs: number }[] = []
  before(async () => {
    writer = await startNode({ ...common, clockOffsetMs: 3_000 })
    readers = await Promise.all(
      [0, -1_500].map(async (offsetMs) => ({
        node: await startNode({ ...common, clockOffsetMs: offsetMs, bootstrap: writer.addresses }),
        offsetMs,
      })),
    )
    const all = [writer, ...readers.map((r) => r.node)]
    await waitFor(
      async () => {
        for (const n of all) {
          if (((await n.call('members')) as { state: string }[]).filter((m) => m.state === 'alive').length !== 3) return false
        }
        return true
      },
      { timeoutMs: 20_000, what: 'three alive members everywhere' },
    )
  })
  after(killAll)

  it('each node serves the entry only before expiresAt on its own clock, and at most ttl + maxClockDriftMs after the write', async () => {
    const writtenAtRealMs = Date.now()
    await writer.call('set', 'k', 'v', { ttlMs: TTL_MS })
    for (const { node, offsetMs } of readers) {
      const hits: TimedRead[] = []
      let miss: TimedRead | undefined
      await waitFor(
        async () => {
          const r = (await node.call('timedGet', 'k')) as TimedRead
          if (r.value !== null) hits.push(r)
          else if (hits.length > 0) miss = r
          return miss !== undefined
        },
        { timeoutMs: 15_000, what: `the reader at ${offsetMs} ms to serve, then expire, the entry`, intervalMs: 20 },
      )
      const expiresAt = hits[0].expiresAt as number
      for (const h of hits) {
        expect(h.before, `a hit at ${h.before} on a clock ${offsetMs} ms off, expiresAt ${expiresAt}`).to.be.below(expiresAt)
      }
      // The miss came once this node's clock passed expiresAt (not earlier than the writer's ttl asks).
      expect((miss as TimedRead).after).to.be.at.least(expiresAt)
      // The bound: writer 3 s ahead, within the accepted drift → at most ttl + drift on this clock.
      const writtenOnThisClock = writtenAtRealMs + offsetMs
      expect(expiresAt - writtenOnThisClock).to.be.at.most(TTL_MS + DRIFT_MS)
      expect(expiresAt - writtenOnThisClock).to.be.at.least(TTL_MS + 3_000 - offsetMs - 1_000)
    }
  })

  it('a writer further ahead than maxClockDriftMs is refused: its entries are never served elsewhere', async () => {
    const far = await startNode({ ...common, clockOffsetMs: DRIFT_MS + 5_000, bootstrap: writer.addresses })
    await waitFor(
      async () => ((await readers[0].node.call('members')) as { state: string }[]).filter((m) => m.state === 'alive').length === 4,
      { timeoutMs: 20_000, what: 'the far-ahead node to join' },
    )
    await far.call('set', 'far', 'v', { ttlMs: 60_000 })
    await writer.call('set', 'marker', 'm') // written after: once it is here, the far write had its chance
    await waitFor(async () => (await readers[0].node.get('marker')) === 'm', { timeoutMs: 10_000, what: 'the marker on a reader' })
    await waitFor(async () => ((await readers[0].node.call('stats')) as { replica: { droppedDrift: number } }).replica.droppedDrift >= 1, {
      timeoutMs: 10_000,
      what: 'the far write to be refused as clock-drift',
    })
    expect(await readers[0].node.get('far')).to.equal(null)
  })
})
