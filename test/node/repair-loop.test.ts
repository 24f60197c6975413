// Repair cannot loop on one delta (issue 13, deliver 2): a delta in an origin's log that no
// peer could decode (an expiry beyond 2^53, as `set(k, v, { ttlMs: 1e20 })` once admitted) made
// encodeDeltas throw in the serving side's `range` and `since` on every request: every repair
// of that origin failed, for ever, and the writes around it never arrived. Two real
// SyncServices (the node's serving and requesting code) over an in-memory stream pair; the
// serving side's replica is a fake holding what a real one cannot be made to hold.
import { expect } from 'chai'
import { streamPair } from '@libp2p/utils'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection, Stream } from '@libp2p/interface'
import { hlcFromParts, makeDelta, makeVersion, Replica, type Delta, type Hlc, type Origin, type ReplicaDigest } from '../../crdt/index.ts'
import { Repair } from '../../lib/node/repair.ts'
import { SyncService, type SyncHandlers } from '../../lib/networking/sync-service.ts'
import { waitFor } from '../support/cluster.ts'

const A = '12D3KooWSiUTSJjHVTdPQSM83Je8wDoBydq32d1WzdhK2YBgaMgu'
const B = '12D3KooWBJrSNBwhT6g8pTVu8FyKAyYvNN82UQN1xZ8NrJTLLW9i'

type Handler = (stream: Stream, connection: Connection) => void

/** A SyncService whose streams reach `peers`' handlers through in-memory stream pairs. */
function syncService(self: string, handlers: SyncHandlers, peers: Map<string, Handler>): SyncService {
  const registrar = {
    async handle(_protocol: string, handler: Handler) {
      peers.set(self, handler)
    },
    async unhandle() {
      peers.delete(self)
    },
  }
  const connectionManager = {
    async openStream(peer: { toString(): string }) {
      const serve = peers.get(peer.toString())
      if (serve === undefined) throw new Error(`no route to ${peer.toString()}`)
      const [outbound, inbound] = await streamPair()
      serve(inbound, { remotePeer: peerIdFromString(self) } as unknown as Connection)
      return outbound
    },
  }
  return new SyncService({
    handlers,
    registrar: registrar as never,
    connectionManager: connectionManager as never,
    requestTimeoutMs: 2_000,
    cluster: 'default',
  })
}

/** An origin A whose log holds seqs 1..3; seq 2 is `bad`. Its since() streams the same writes as state. */
function originA(bad: (origin: Origin, hlc: Hlc) => Delta): { handlers: SyncHandlers; log: Delta[]; requests: string[] } {
  const origin: Origin = { nodeId: A, epoch: 1 }
  const now = Date.now()
  const hlc = (i: number): Hlc => hlcFromParts(now - 10_000, i)
  const v = new Uint8Array([1, 2, 3])
  const log = [
    makeDelta('set', 'k1', makeVersion(0, hlc(1), A), undefined, v, undefined, origin, 1),
    bad(origin, hlc(2)),
    makeDelta('set', 'k3', makeVersion(0, hlc(3), A), undefined, v, undefined, origin, 3),
  ]
  const requests: string[] = []
  const digest: ReplicaDigest = { origin, lastSeq: 3, clock: hlc(3), horizon: 0 as Hlc, progress: [] }
  const handlers: SyncHandlers = {
    range: (_o, from, to) => {
      requests.push(`range ${from}..${to}`)
      return log.filter((d) => d.seq >= from && d.seq <= to)
    },
    since: (t) => {
      requests.push(`since ${t}`)
      return log.filter((d) => d.version.hlc > t).map((d) => ({ ...d, seq: 0 }))
    },
    digest: () => digest,
    push: () => [],
    malformed: () => {},
  }
  return { handlers, log, requests }
}

describe('repair with a delta that cannot travel', function () {
  const stops: (() => void)[] = []
  afterEach(() => {
    for (const stop of stops.splice(0)) stop()
  })

  async function repairFromA(
    bad: (origin: Origin, hlc: Hlc) => Delta,
  ): Promise<{ b: Replica; repair: Repair; requests: string[]; served: SyncService['served'] }> {
    const routes = new Map<string, Handler>()
    const a = originA(bad)
    const serving = syncService(A, a.handlers, routes)
    await serving.start()
    const b = new Replica({ nodeId: B, epoch: 1, maxBytes: 1 << 20 })
    const noHandlers: SyncHandlers = {
      range: () => undefined,
      since: () => [],
      digest: () => b.digest(),
      push: () => [],
      malformed: () => {},
    }
    const asking = syncService(B, noHandlers, routes)
    const repair = new Repair({
      replica: b,
      sync: asking,
      now: () => Date.now(),
      selfId: B,
      isAlive: (id) => id === A,
      isMember: () => true,
      randomPeer: () => A,
      gapGraceMs: 0,
      repairIntervalMs: 10,
      antiEntropyIntervalMs: 200,
      repairMaxBytes: 1 << 20,
      apply: (d) => void b.apply(d, Date.now()),
    })
    repair.compare(await asking.digest(peerIdFromString(A), b.digest()), A)
    repair.start()
    stops.push(() => repair.stop())
    const a1 = { nodeId: A, epoch: 1 }
    await waitFor(() => b.progress.progress(a1)?.contiguous === 3, {
      timeoutMs: 3_000,
      what: "B to receive A's seqs 1..3",
    }).catch((err: Error) => {
      throw new Error(
        `${err.message}: it has ${b.progress.progress(a1)?.contiguous ?? 0} after ${a.requests.length} requests, ` +
          `${repair.stats.failures} failed`,
      )
    })
    expect(b.get('k1', Date.now()), 'k1').to.not.equal(undefined)
    expect(b.get('k3', Date.now()), 'k3').to.not.equal(undefined)
    // Settled: no request goes out any more (the loop would send one every tick).
    await new Promise((resolve) => setTimeout(resolve, 60)) // let a running tick end
    const settled = a.requests.length
    await waitFor(() => repair.pendingOrigins === 0, { timeoutMs: 1_000, what: 'no origin wanted' })
    await new Promise((resolve) => setTimeout(resolve, 300)) // > an anti-entropy period and 30 repair ticks
    expect(a.requests.length, `requests after settling: ${a.requests.slice(settled).join(', ')}`).to.equal(settled)
    return { b, repair, requests: a.requests, served: serving.served }
  }

  it('range serves a delta no peer could decode as a ghost: repair moves past it and the writes around it arrive', async () => {
    const { b, repair, served } = await repairFromA((origin, hlc) =>
      makeDelta('set', 'k2', makeVersion(0, hlc, A), undefined, new Uint8Array(1), 1e20, origin, 2),
    )
    expect(served.ghostsUndecodable, 'served as a ghost').to.be.greaterThan(0)
    expect(b.get('k2', Date.now()), 'k2: its version known, its value not').to.equal(undefined)
    // The ghost blocks an older write of k2 (G4): the version did travel.
    const older = makeDelta('set', 'k2', makeVersion(0, 1 as Hlc, A), undefined, new Uint8Array(1), undefined, { nodeId: A, epoch: 1 }, 0)
    expect(b.apply(older, Date.now())).to.equal('stale')
    expect(repair.stats.rangeRequests).to.be.at.most(2)
  })

  it('a range that cannot carry the first wanted seq (its key cannot travel) is settled by since(T), not asked again', async () => {
    // A key over MAX_KEY_BYTES: every receiver refuses a batch holding it (not even a ghost of
    // it can travel).
    const { repair, requests, served } = await repairFromA((origin, hlc) =>
      makeDelta('set', 'x'.repeat(70_000), makeVersion(0, hlc, A), undefined, new Uint8Array(1), undefined, origin, 2),
    )
    expect(served.skipped, 'left out').to.be.greaterThan(0)
    expect(repair.stats.stalledRanges).to.be.greaterThan(0)
    expect(requests.some((r) => r.startsWith('since'))).to.equal(true)
    expect(requests.length).to.be.below(10)
  })
})
