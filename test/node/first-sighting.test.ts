// A writer's first deltas that a warm node never heard (found by the soak, bench/soak.ts): the
// node first hears the writer at seq 2, and must still pull seq 1 — not take it as seen, as it
// may only while it warms up (crdt/seq-tracker.ts, "assumePrefix"). In the soak this was a node
// restarted during a partition, whose writes on its side the other side never got.
import { expect } from 'chai'
import { killAll, startNode, waitFor } from '../support/cluster.ts'

const FAST = { swim: { profile: 'local' }, antiEntropyIntervalMs: 500 }

describe('first sighting of a writer after warm-up', function () {
  afterEach(killAll)

  it('a node that first hears a writer at seq 2 pulls seq 1 (the first gossip message was lost)', async () => {
    // faultSeed 19: the node's fault hook drops the first gossip message it receives (draw 0.076
    // < 0.5) and delivers the next three (draws 0.890, 0.908, 0.839; Prng(19) in
    // lib/node/fault-injection.ts).
    const n = await startNode({ ...FAST, dropGossipRate: 0.5, faultSeed: 19 })
    await n.call('warmed')
    const w = await startNode({ ...FAST, bootstrap: n.addresses, batchIntervalMs: 0 })
    await w.call('warmed')
    await waitFor(async () => ((await n.call('members')) as { state: string }[]).filter((m) => m.state === 'alive').length === 2, {
      timeoutMs: 15_000,
      what: 'the writer to join',
    })
    // Two writes, each its own message, back to back (no anti-entropy round between them).
    await Promise.all([w.call('set', 'k1', 'v1'), w.call('set', 'k2', 'v2')])
    await waitFor(async () => (await n.call('get', 'k2')) === 'v2', { timeoutMs: 10_000, what: 'k2 (seq 2) on the node' })
    const drops = ((await n.call('stats')) as { replication: { injectedDrops: number } }).replication.injectedDrops
    expect(drops, 'the first message was dropped').to.equal(1)
    // Before the fix the node took seq 1 as seen and never asked for it: k1 stayed missing.
    await waitFor(async () => (await n.call('get', 'k1')) === 'v1', {
      timeoutMs: 10_000,
      what: 'k1 (seq 1, whose message was lost) on the node',
    })
  })
})
