// mDNS zero-config: nodes on one LAN find each other with no bootstrap list and replicate.
// The LAN is made of network namespaces this test creates (never the machine's real
// interface); it skips with the reason where the process cannot create them.
import { expect } from 'chai'
import { killAll, startNode, waitFor, type NodeProcess } from '../support/cluster.ts'
import { netnsUnavailable, TestLan } from '../support/netns.ts'

describe('mDNS discovery (3 hosts in network namespaces)', function () {
  const why = netnsUnavailable()
  if (why !== undefined) {
    it.skip(`skipped: ${why}`)
    return
  }
  let lan: TestLan | undefined
  let nodes: NodeProcess[] = []
  after(async () => {
    await killAll()
    lan?.destroy()
  })

  it('nodes with mdns: true and no bootstrap find each other, join through SWIM, and replicate', async () => {
    lan = new TestLan(3)
    nodes = await Promise.all(
      lan.hosts.map((h) => startNode({ listen: [`/ip4/${h.ip}/tcp/0`], mdns: true, swim: { profile: 'local' } }, h.ns)),
    )
    await waitFor(
      async () => {
        for (const n of nodes) {
          if (((await n.call('members')) as { state: string }[]).filter((m) => m.state === 'alive').length !== 3) return false
        }
        return true
      },
      { timeoutMs: 20_000, what: 'all three hosts to see each other alive via mDNS' },
    )
    await nodes[0].call('set', 'lan-key', 'found you')
    await waitFor(async () => (await nodes[2].get('lan-key')) === 'found you', { timeoutMs: 10_000, what: 'the write on host 3' })
    // No member was reached through a loopback address of another host.
    const members = (await nodes[1].call('members')) as { addrs: string[] }[]
    for (const m of members) for (const a of m.addrs) expect(a).to.not.match(/^\/ip4\/127\./)
  })
})
