// warmUp with a local snapshot (lib/node/warmup.ts), against replicas in one process behind a
// fake sync service: the snapshot is used (then only since(its clock) is pulled) when no peer
// has forgotten anything newer than it, and discarded otherwise — a peer that forgot a newer
// delete could not tell the node to drop a value the file still holds (G4).
import { expect } from 'chai'
import { Replica, type Delta, type Hlc, type ReplicaDigest } from '../../crdt/index.ts'
import type { SyncService } from '../../lib/networking/sync-service.ts'
import { warmUp } from '../../lib/node/warmup.ts'

const P = '12D3KooWSiUTSJjHVTdPQSM83Je8wDoBydq32d1WzdhK2YBgaMgu'
const T0 = 1_800_000_000_000
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b))

/** A sync service answering from `peer`, recording the hlc of each since() asked. */
function fakeSync(peer: Replica, asked: number[]): SyncService {
  return {
    async digest(_p: unknown, _mine: ReplicaDigest) {
      return peer.digest()
    },
    async since(_p: unknown, hlc: number, _lo: number, _hi: number, _max: number, onChunk: (d: Delta[], n: number) => void) {
      asked.push(hlc)
      onChunk([...peer.since(hlc as Hlc)], 0)
      return { complete: true }
    },
  } as unknown as SyncService
}

/** The node warming up: its snapshot holds k=old from before the peer's later history. */
function snapshotOf(): { clock: Hlc; deltas: Delta[] } {
  const before = new Replica({ nodeId: 'me', epoch: 1, maxBytes: 1 << 20 })
  before.set('k', bytes('old'), {}, T0)
  return { clock: before.clock, deltas: [...before.since(0 as Hlc)] }
}

async function warm(peer: Replica): Promise<{ me: Replica; asked: number[]; snapshot: string }> {
  const me = new Replica({ nodeId: 'me', epoch: 2, maxBytes: 1 << 20 })
  const asked: number[] = []
  const r = await warmUp({
    sync: fakeSync(peer, asked),
    peers: [P],
    digest: () => me.digest(),
    maxBytes: 1 << 20,
    now: () => T0 + 60_000,
    apply: (d) => void me.apply(d, T0 + 60_000),
    baseline: () => {},
    onProgress: () => {},
    snapshot: snapshotOf(),
  })
  return { me, asked, snapshot: r.snapshot }
}

describe('node/warmup with a snapshot', () => {
  it('a snapshot no peer has forgotten past is used: only since(its clock) is pulled', async () => {
    const peer = new Replica({ nodeId: P, maxBytes: 1 << 20 })
    peer.set('other', bytes('x'), {}, T0 + 10_000)
    const { me, asked, snapshot } = await warm(peer)
    expect(snapshot).to.equal('used')
    expect(asked).to.deep.equal([snapshotOf().clock])
    expect(text(me.get('k', T0 + 60_000))).to.equal('old')
    expect(text(me.get('other', T0 + 60_000))).to.equal('x')
  })

  it('a snapshot older than what a peer forgot is discarded: warm-up from since(0), and the forgotten delete is not undone', async () => {
    // The peer deleted k after the snapshot was taken, then forgot the tombstone (its ghost
    // fell out): its horizon is past the snapshot's clock, and since() no longer lists k.
    const peer = new Replica({ nodeId: P, maxBytes: 4_000, store: { entryOverheadBytes: 8 } })
    peer.apply(snapshotOf().deltas[0], T0 + 1)
    peer.delete('k', {}, T0 + 5_000)
    for (let i = 0; i < 400; i++) peer.set(`fill${i}`, new Uint8Array(40), {}, T0 + 6_000 + i)
    expect(peer.horizon).to.be.greaterThan(snapshotOf().clock)
    expect([...peer.since(0 as Hlc)].some((d) => d.key === 'k')).to.equal(false)
    const { me, asked, snapshot } = await warm(peer)
    expect(snapshot).to.equal('discarded')
    expect(asked).to.deep.equal([0])
    // Using the file would have served k=old for ever: nobody remembers the delete.
    expect(me.get('k', T0 + 60_000)).to.equal(undefined)
  })
})
