// Hot-key hints through a real cluster (off by default; here switched on): the keys one node
// reads often get promoted in its store, it gossips them on `also-cache/<cluster>/hints/1`,
// and the other node receives and applies them. The effect on hit ratios is measured in
// bench/takeover.ts; this checks the wiring end to end.
import { expect } from 'chai'
import { killAll, startCluster, waitFor } from '../support/cluster.ts'

type HintStats = { hints: { enabled: boolean; sent: number; keysSent: number; hints: number; keys: number; applied: number; alreadyHot: number; absent: number } }

describe('hot-key hints in a 2-node cluster', function () {
  after(killAll)

  it('a node gossips the keys it promotes and its peer applies them', async () => {
    const [a, b] = await startCluster(2, { swim: { profile: 'local' }, maxBytes: 400_000, hints: { enabled: true, intervalMs: 200 } })
    expect(((await a.call('stats')) as HintStats).hints.enabled).to.equal(true)
    await a.call('load', 'cold', 400)
    // Read a few keys on a so they are hit while in its small queue...
    for (let round = 0; round < 3; round++) for (let i = 390; i < 400; i++) await a.get(`cold${i}`)
    // ...then push enough new keys through its store that eviction promotes them to main.
    await a.call('load', 'more', 2_000)
    await waitFor(async () => ((await a.call('stats')) as HintStats).hints.keysSent > 0, { timeoutMs: 10_000, what: 'a to send a hint' })
    await waitFor(
      async () => {
        const h = ((await b.call('stats')) as HintStats).hints
        return h.hints > 0 && h.applied + h.alreadyHot + h.absent > 0
      },
      { timeoutMs: 10_000, what: 'b to receive and apply a hint' },
    )
  })
})
