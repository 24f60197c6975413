// Cluster identity (docs/node.md, "Cluster identity"): nodes of different clusters refuse each other at the handshake
// and share nothing in either direction — no SWIM membership, no warm-up, no anti-entropy, no
// acknowledged writes, no gossip. Two clusters on loopback, through the public API; then the
// guard that hangs up on the other cluster, with stubbed components.
import { expect } from 'chai'
import { createCacheNode, type CacheNode, type CacheNodeInit, type JoinFailed } from '../../lib/index.ts'
import type { Connection, PeerId } from '@libp2p/interface'
import { ClusterGuard } from '../../lib/networking/cluster-guard.ts'
import { swimProtocol } from '../../lib/networking/swim-service.ts'
import { syncProtocol } from '../../lib/networking/sync-service.ts'
import { waitFor } from '../support/cluster.ts'

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b))
const FAST = { swim: { profile: 'local' as const }, antiEntropyIntervalMs: 100 }

describe('cluster identity', function () {
  const nodes: CacheNode[] = []
  const start = async (init: CacheNodeInit): Promise<CacheNode> => {
    const n = await createCacheNode(init)
    nodes.push(n)
    return n
  }
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.close()))
  })

  it('a node of another cluster gets join:failed, and nothing crosses in either direction', async () => {
    const a = await start({ ...FAST, cluster: 'one' })
    await a.set('one:before', bytes('from one'))
    // The control: a node of the same cluster joins and warms up with a's data.
    const c = await start({ ...FAST, cluster: 'one', bootstrap: a.addresses() })
    await c.warmedUp
    expect(text(c.get('one:before'))).to.equal('from one')

    const b = await start({ ...FAST, cluster: 'two', bootstrap: a.addresses() })
    const failures: JoinFailed[] = []
    b.addEventListener('join:failed', (e) => failures.push(e.detail))
    await waitFor(() => failures.length > 0, { timeoutMs: 10_000, what: "the stranger's join:failed" })
    expect(failures[0].errors).to.have.length(1)
    expect(failures[0].errors[0]).to.include(a.addresses()[0]).and.include('another cluster').and.include("cluster 'two'")
    expect(failures[0].hint).to.include('cluster')

    // Hung up on, by whichever side identify answered first (the other then sees it close).
    await waitFor(() => a.stats().refusedConnections + b.stats().refusedConnections >= 1, {
      timeoutMs: 10_000,
      what: 'a hang-up between the clusters',
    })
    // No warm-up from the other cluster.
    const warm = await b.warmedUp
    expect(warm.entries).to.equal(0)
    expect(b.get('one:before')).to.equal(undefined)

    // Acknowledged writes in both clusters wait only on their own members.
    await a.set('one:acked', bytes('acked in one'), { ack: 'all', timeoutMs: 3_000 })
    expect(text(c.get('one:acked'))).to.equal('acked in one')
    await b.set('two:acked', bytes('acked in two'), { ack: 'all', timeoutMs: 3_000 })

    // Anti-entropy runs inside cluster one (the control) and never reaches across.
    const roundsBefore = c.stats().repair.antiEntropyRounds
    await waitFor(() => c.stats().repair.antiEntropyRounds >= roundsBefore + 5 && a.stats().repair.antiEntropyRounds >= 5, {
      timeoutMs: 10_000,
      what: 'anti-entropy rounds inside cluster one',
    })
    expect(b.stats().repair.antiEntropyRounds).to.equal(0)
    for (const k of ['one:before', 'one:acked']) expect(b.get(k), k).to.equal(undefined)
    for (const n of [a, c]) expect(n.get('two:acked')).to.equal(undefined)

    // Neither side lists the other as a member.
    const ids = (n: CacheNode): string[] => n.members().map((m) => m.id)
    expect(ids(b)).to.deep.equal([b.id])
    expect(ids(a)).to.have.members([a.id, c.id])
    expect(ids(c)).to.have.members([a.id, c.id])
  })
})

describe('ClusterGuard (identify verdicts, stubbed components)', () => {
  /** A connection stand-in: the guard only closes (or aborts) it. */
  function fakeConnection(): Connection & { closed: number; aborted: number } {
    const c = { closed: 0, aborted: 0, close: async () => void c.closed++, abort: () => void c.aborted++ }
    return c as unknown as Connection & { closed: number; aborted: number }
  }
  const peer = (n: number): PeerId => ({ toString: () => `peer-${n}` }) as unknown as PeerId
  const identified = (events: EventTarget, connection: Connection, protocols: string[], n = 1): void => {
    events.dispatchEvent(new CustomEvent('peer:identify', { detail: { peerId: peer(n), connection, protocols, listenAddrs: [] } }))
  }

  it('keeps a peer that serves this cluster, hangs up on one that does not, and answers verdicts before and after', async () => {
    const events = new EventTarget()
    const foreign: string[] = []
    const guard = new ClusterGuard(
      { events: events as never },
      { protocol: swimProtocol('one'), onForeign: (p) => foreign.push(p.toString()) },
    )
    guard.start()
    const ours = fakeConnection()
    const theirs = fakeConnection()
    const waiting = guard.verdict(theirs, AbortSignal.timeout(5_000))
    identified(events, ours, ['/ipfs/id/1.0.0', swimProtocol('one'), syncProtocol('one')], 1)
    identified(events, theirs, ['/ipfs/id/1.0.0', swimProtocol('two'), syncProtocol('two')], 2)
    expect(await waiting).to.equal(false)
    expect(await guard.verdict(ours, AbortSignal.timeout(5_000))).to.equal(true)
    expect([ours.closed, theirs.closed]).to.deep.equal([0, 1])
    expect(guard.refused).to.equal(1)
    expect(foreign).to.deep.equal(['peer-2'])
    // No identify on a connection: the verdict is unknown once the caller's deadline passes.
    const silent = fakeConnection()
    const controller = new AbortController()
    const pending = guard.verdict(silent, controller.signal)
    controller.abort()
    expect(await pending).to.equal(undefined)
    guard.stop()
    identified(events, fakeConnection(), [], 3)
    expect(guard.refused).to.equal(1)
  })
})
