// Hot-key hints through a real cluster (off by default; here switched on): the keys one node
// reads often get promoted in its store, it gossips them on `also-cache/<cluster>/hints/1`,
// and the other node receives and applies them. The effect on hit ratios is measured in
// bench/takeover.ts; this checks the wiring end to end.
import { expect } from 'chai'
import { killAll, startCluster, startNode, waitFor, type NodeProcess } from '../support/cluster.ts'

type HintStats = {
  hints: {
    enabled: boolean
    sent: number
    keysSent: number
    hints: number
    keys: number
    applied: number
    alreadyHot: number
    absent: number
  }
}

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

  it('a key hot on one node survives eviction on its peer because of the hint, and is evicted there without hints', async () => {
    // a is small (500 entries of ~400 B charge: it evicts first), b four times as large. Both hold `hot*`; only a reads them. When a's
    // eviction promotes them, a hints b; b raises their frequency while it still holds them; when
    // b evicts in turn, the hinted keys are promoted to its main queue instead of dropped.
    const FAST = { swim: { profile: 'local' }, warmupPeers: 0 }
    const pair = async (hints: boolean): Promise<[NodeProcess, NodeProcess]> => {
      const h = hints ? { hints: { enabled: true, intervalMs: 100 } } : {}
      const a = await startNode({ ...FAST, ...h, maxBytes: 200_000 })
      const b = await startNode({ ...FAST, ...h, maxBytes: 800_000, bootstrap: a.addresses })
      await waitFor(async () => ((await b.call('members')) as { state: string }[]).filter((m) => m.state === 'alive').length === 2, {
        timeoutMs: 15_000,
        what: 'the pair to join',
      })
      return [a, b]
    }
    const held = async (n: NodeProcess): Promise<number> => {
      let count = 0
      for (let i = 0; i < 10; i++) if ((await n.call('getEntry', `hot${i}`)) !== null) count++
      return count
    }
    const run = async ([a, b]: [NodeProcess, NodeProcess], hints: boolean): Promise<number> => {
      await a.call('load', 'hot', 10)
      await waitFor(async () => (await held(b)) === 10, { timeoutMs: 10_000, what: 'hot keys on b' })
      for (let round = 0; round < 3; round++) for (let i = 0; i < 10; i++) await a.get(`hot${i}`)
      // a fills and evicts: its hot keys are promoted (and hinted); b, four times as large, evicts nothing yet.
      await a.call('load', 'fill1-', 600)
      await waitFor(async () => (await b.get('fill1-599')) !== null, { timeoutMs: 10_000, what: 'fill1 on b' })
      if (hints) {
        await waitFor(async () => ((await b.call('stats')) as HintStats).hints.applied >= 10, {
          timeoutMs: 10_000,
          what: 'b to apply the hints',
        })
      }
      expect(await held(b), 'b still holds every hot key before its own eviction').to.equal(10)
      // Now b evicts: its oldest small-queue entries go first — the hot keys among them.
      await a.call('load', 'fill2-', 2_000)
      await waitFor(async () => (await b.get('fill2-1999')) !== null, { timeoutMs: 10_000, what: 'fill2 on b' })
      return held(b)
    }
    const [withHints, without] = await Promise.all([pair(true), pair(false)])
    const [keptWith, keptWithout] = await Promise.all([run(withHints, true), run(without, false)])
    expect(keptWith, 'hot keys b kept thanks to the hints').to.equal(10)
    expect(keptWithout, 'hot keys b kept without hints').to.equal(0)
  })
})
