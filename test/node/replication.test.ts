// Replication across separate node processes on loopback: every write is readable on every
// node, and concurrent writes to one key converge to the version-order winner (G2, G3) — with
// batches on the direct replication streams (the default below gossipAboveMembers) and on the
// gossip mesh (gossipAboveMembers: 1 makes every cluster "large").
import { expect } from 'chai'
import { killAll, startCluster, waitFor, type NodeProcess } from '../support/cluster.ts'

const FAST = { swim: { profile: 'local' }, antiEntropyIntervalMs: 500 }

async function converged(nodes: NodeProcess[]): Promise<boolean> {
  const dumps = await Promise.all(nodes.map((n) => n.call('dump')))
  return dumps.every((d) => JSON.stringify(d) === JSON.stringify(dumps[0]))
}

const SETUPS: [n: number, mode: string, init: object][] = [
  [3, 'direct streams', FAST],
  [5, 'direct streams', FAST],
  [3, 'gossip mesh', { ...FAST, gossipAboveMembers: 1 }],
]

for (const [n, mode, init] of SETUPS) {
  describe(`cluster of ${n} node processes, batches on ${mode}`, function () {
    let nodes: NodeProcess[] = []
    before(async () => {
      nodes = await startCluster(n, init)
    })
    after(killAll)

    it('set on any node is readable on all others', async () => {
      await Promise.all(nodes.map((node, i) => node.call('set', `from-${i}`, `value-${i}`)))
      await waitFor(
        async () => {
          for (const node of nodes) for (let i = 0; i < n; i++) if ((await node.get(`from-${i}`)) !== `value-${i}`) return false
          return true
        },
        { timeoutMs: 10_000, what: 'every write on every node' },
      )
    })

    it('delete on one node removes the key everywhere', async () => {
      await nodes[0].call('set', 'doomed', 'x')
      await waitFor(async () => (await Promise.all(nodes.map((x) => x.get('doomed')))).every((v) => v === 'x'), {
        timeoutMs: 10_000,
        what: 'doomed everywhere',
      })
      await nodes[n - 1].call('delete', 'doomed')
      await waitFor(async () => (await Promise.all(nodes.map((x) => x.get('doomed')))).every((v) => v === null), {
        timeoutMs: 10_000,
        what: 'doomed gone everywhere',
      })
    })

    it('concurrent writes to one key converge to the version-order winner everywhere', async () => {
      for (let round = 0; round < 5; round++) {
        await Promise.all(nodes.map((node, i) => node.call('set', 'contested', `round-${round}-node-${i}`)))
      }
      // With userVersion the database's order wins whatever the clocks say (G3).
      await Promise.all(nodes.map((node, i) => node.call('set', 'row', `v${10 - i}`, { userVersion: 10 - i })))
      await waitFor(() => converged(nodes), { timeoutMs: 15_000, what: 'identical replicas' })
      type Entry = { value: string; version: { hlc: number; nodeId: string } }
      const entries = (await Promise.all(nodes.map((x) => x.call('getEntry', 'contested')))) as Entry[]
      // Every node holds the same winner, and it is one of the last round's writes.
      expect(new Set(entries.map((e) => e.value)).size).to.equal(1)
      expect(entries[0].value).to.match(/^round-4-node-\d$/)
      expect(await nodes[n - 1].get('row')).to.equal('v10')
      for (const node of nodes) await node.call('validate')
    })

    it(`batches travel on ${mode}, and an acknowledged write resolves`, async () => {
      await nodes[0].call('set', 'acked', 'y', { ack: 'all' })
      for (const node of nodes) expect(await node.get('acked')).to.equal('y')
      type Replication = { replication: { batches: number; gossipPublished: number; gossipReceived: number } }
      const stats = (await Promise.all(nodes.map((x) => x.call('stats')))) as Replication[]
      const published = stats.reduce((sum, x) => sum + x.replication.gossipPublished, 0)
      const received = stats.reduce((sum, x) => sum + x.replication.gossipReceived, 0)
      if (mode === 'gossip mesh') {
        expect(published, 'batches published to the mesh').to.equal(stats.reduce((sum, x) => sum + x.replication.batches, 0))
        expect(received, 'batches delivered by the mesh').to.be.greaterThan(0)
      } else {
        expect(published + received, 'nothing on the mesh').to.equal(0)
        expect(stats[0].replication.batches).to.be.greaterThan(0)
      }
    })
  })
}
