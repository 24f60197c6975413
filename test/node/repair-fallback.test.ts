// Repair's since(T) fallback with no network (a fake sync service over replicas in one
// process): a stream the byte budget cuts short is never taken as complete — the key-hash
// space is halved and each half asked for again — so no seq is marked received that did not
// arrive (found by the cluster benchmark: 1M writes, fallbacks cut at 8 MiB, entries lost).
import { expect } from 'chai'
import { Replica, type Delta, type Hlc, type ReplicaDigest } from '../../crdt/index.ts'
import { Repair } from '../../lib/node/repair.ts'
import { keyHash32 } from '../../lib/foundation/key-hash.ts'
import type { SyncService } from '../../lib/networking/sync-service.ts'

const A = '12D3KooWSiUTSJjHVTdPQSM83Je8wDoBydq32d1WzdhK2YBgaMgu'
const B = '12D3KooWBJrSNBwhT6g8pTVu8FyKAyYvNN82UQN1xZ8NrJTLLW9i'

describe('Repair fallback', () => {
  it('a since(T) cut by its budget is re-asked in halved key ranges; nothing is marked received that did not arrive', async () => {
    const now = 1_800_000_000_000
    const a = new Replica({ nodeId: A, epoch: 1, maxBytes: 1 << 24, log: { maxDeltas: 1 } })
    const b = new Replica({ nodeId: B, epoch: 1, maxBytes: 1 << 24 })
    const first = a.set('seed', new Uint8Array(10), {}, now)
    b.apply(first, now)
    for (let i = 0; i < 400; i++) a.set(`k${i}`, new Uint8Array(100), {}, now + 1 + i)
    const requests: [number, number][] = []
    const sync = {
      // The origin's log holds one delta: every range is 'unavailable'.
      async range() {
        return 'unavailable'
      },
      async digest(_peer: unknown, _mine: ReplicaDigest) {
        return a.digest()
      },
      // At most 100 deltas per answer: a budget that cuts any range holding more.
      async since(_peer: unknown, hlc: number, lo: number, hi: number, _max: number, onChunk: (d: Delta[], n: number) => void) {
        requests.push([lo, hi])
        const ds = [...a.since(hlc as Hlc, { keys: (k) => keyHash32(k) >= lo && keyHash32(k) < hi })]
        onChunk(ds.slice(0, 100), 0)
        return { deltas: Math.min(100, ds.length), bytes: 0, complete: ds.length <= 100 }
      },
    } as unknown as SyncService
    const repair = new Repair({
      replica: b,
      sync,
      now: () => now + 1000,
      selfId: B,
      isAlive: (id) => id === A,
      isMember: () => true,
      randomPeer: () => A,
      gapGraceMs: 0,
      repairIntervalMs: 5,
      antiEntropyIntervalMs: 60_000,
      repairMaxBytes: 1 << 20,
      apply: (d) => void b.apply(d, now + 1000),
    })
    repair.compare(a.digest(), A)
    repair.start()
    try {
      const deadline = Date.now() + 5_000
      while ((b.progress.progress(a.origin)?.contiguous ?? 0) < a.log.lastSeq && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    } finally {
      repair.stop()
    }
    expect(requests.length, 'the cut range was split and re-asked').to.be.greaterThan(4)
    for (let i = 0; i < 400; i++) expect(b.get(`k${i}`, now + 1000), `k${i}`).to.not.equal(undefined)
    expect(b.progress.progress(a.origin)?.contiguous).to.equal(a.log.lastSeq)
  })
})
