// Bans end (G7): a peer past malformedLimit is hung up on, announced by a `peer:banned`
// event, refused while the ban lasts, and let back in after banMs — a ban is a cool-down,
// not an exile (an honest node after a rolling upgrade, say, must be able to come back).
import { expect } from 'chai'
import { killAll, startNode, waitFor } from '../support/cluster.ts'
import { garbage, HostilePeer, lpFrame, SYNC_PROTOCOL } from '../support/hostile-peer.ts'

const MALFORMED_LIMIT = 3
const BAN_MS = 2_000

describe('peer bans', function () {
  let h: HostilePeer | undefined
  after(async () => {
    await h?.stop()
    await killAll()
  })

  it('past malformedLimit: peer:banned with untilMs, refused during banMs, let back in after it', async () => {
    // No cluster key: bans do not depend on it, and pnet's cipher (xsalsa20) keeps a shared
    // WebAssembly memory per process that its own bug grows (README, Security): the hostile
    // tests later in this process need all of it.
    const node = await startNode({ swim: { profile: 'local' }, malformedLimit: MALFORMED_LIMIT, banMs: BAN_MS, warmupPeers: 0 })
    h = await HostilePeer.start()
    await h.connect([node.addresses[0]])
    const sentAt = Date.now()
    for (let i = 0; i < MALFORMED_LIMIT; i++) {
      await h.exchange(node.id, SYNC_PROTOCOL, [lpFrame(garbage(500 + i, 32))], { timeoutMs: 3_000 })
    }
    await waitFor(() => node.events.some((e) => e.event === 'peer:banned'), { timeoutMs: 5_000, what: 'the peer:banned event' })
    const banned = node.events.find((e) => e.event === 'peer:banned')?.detail as { peer: string; malformed: number; untilMs: number }
    expect(banned.peer).to.equal(h.id)
    expect(banned.malformed).to.equal(MALFORMED_LIMIT)
    expect(banned.untilMs).to.be.within(sentAt + BAN_MS - 1_000, Date.now() + BAN_MS + 1_000)
    expect(await h.tryConnect(node.addresses[0], 1_000)).to.equal('refused')
    // After banMs the same peer connects again (and, its ban served, is counted afresh).
    await waitFor(async () => (await h!.tryConnect(node.addresses[0], 1_000)) === 'connected', {
      timeoutMs: BAN_MS + 10_000,
      what: 'the ban to lift',
      intervalMs: 200,
    })
    expect(Date.now()).to.be.at.least(banned.untilMs - 100)
  })
})
