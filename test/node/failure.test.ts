// Failure and recovery: a node killed with SIGKILL in the middle of a write load is marked
// dead by the others within SWIM's bound; a fresh node started in its place warms up from
// its peers (since(0), in slices, hottest first) and ends identical to them.
import { expect } from 'chai'
import { killAll, startCluster, startNode, waitFor, type NodeProcess } from '../support/cluster.ts'

const FAST = { swim: { profile: 'local' }, antiEntropyIntervalMs: 500 }

describe('node failure and warm-up', function () {
  let nodes: NodeProcess[] = []
  after(killAll)

  it('kill -9 mid-load: the others mark it dead; a fresh node warms up and ends identical', async () => {
    nodes = await startCluster(3, FAST)
    const [a, b, victim] = nodes
    // Load from two writers while the victim is killed.
    const loads = [a.call('load', 'a', 3000), victim.call('load', 'v', 3000).catch(() => 'killed')]
    await waitFor(async () => ((await b.call('dump')) as unknown[]).length > 500, { timeoutMs: 10_000, what: 'the load to be under way' })
    const killedAt = Date.now()
    victim.kill('SIGKILL')
    await Promise.all(loads)
    // SWIM bound with the local profile at n = 3: probe interval 1 s + the longest Lifeguard
    // suspicion timeout (6 × 3 × log10(4) × 1 s ≈ 10.8 s); allow for CI load on top.
    await waitFor(
      async () => {
        for (const node of [a, b]) {
          const members = (await node.call('members')) as { id: string; state: string }[]
          if (members.find((m) => m.id === victim.id)?.state !== 'dead') return false
        }
        return true
      },
      { timeoutMs: 20_000, what: 'both survivors to mark the victim dead' },
    )
    const detectionMs = Date.now() - killedAt
    expect(detectionMs).to.be.below(20_000)

    // The survivors converge on what the victim managed to send.
    await waitFor(async () => JSON.stringify(await a.call('dump')) === JSON.stringify(await b.call('dump')), {
      timeoutMs: 15_000,
      what: 'survivors identical',
    })
    const fresh = await startNode({ ...FAST, bootstrap: [...a.addresses, ...b.addresses] })
    nodes.push(fresh)
    const done = (await fresh.call('warmed')) as { entries: number; peers: number; complete: boolean }
    expect(done.peers).to.equal(2)
    expect(done.complete).to.equal(true)
    expect(done.entries).to.be.at.least(3000)
    await waitFor(async () => JSON.stringify(await fresh.call('dump')) === JSON.stringify(await a.call('dump')), {
      timeoutMs: 15_000,
      what: 'the fresh node identical to the survivors',
    })
    await fresh.call('validate')
  })
})
