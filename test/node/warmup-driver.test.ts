// warmUp (lib/node/warmup.ts) as the driver of the warm-up plan (lib/replication/warmup-plan.ts),
// against replicas in one process behind a fake sync service: it performs the requests the plan
// outputs, and a slice whose peer fails is re-split across the peers left, so the node still
// ends with every key and a complete warm-up.
import { expect } from 'chai'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { Replica, type Delta, type Hlc } from '../../crdt/index.ts'
import { keyHash32 } from '../../lib/foundation/index.ts'
import type { SyncService } from '../../lib/networking/sync-service.ts'
import { warmUp } from '../../lib/node/warmup.ts'

const T0 = 1_800_000_000_000
const KEYS = 300

interface Asked {
  peer: string
  lo: number
  hi: number
  maxBytes: number
}

/** Every peer holds the same replica's data; `failing` throws on since(), as a peer that died would. */
function fakeSync(source: Replica, failing: string, asked: Asked[]): SyncService {
  return {
    async digest() {
      return source.digest()
    },
    async since(
      p: { toString(): string },
      hlc: number,
      lo: number,
      hi: number,
      maxBytes: number,
      onChunk: (d: Delta[], n: number) => void,
    ) {
      asked.push({ peer: p.toString(), lo, hi, maxBytes })
      if (p.toString() === failing) throw new Error('stream reset')
      onChunk(
        [...source.since(hlc as Hlc)].filter((d) => keyHash32(d.key) >= lo && keyHash32(d.key) < hi),
        0,
      )
      return { complete: true }
    },
  } as unknown as SyncService
}

describe('node/warmup driving the plan', () => {
  it('warmUp with one of three peers failing re-splits its slice across the other two and ends complete with every key', async () => {
    const peers = await Promise.all([0, 1, 2].map(async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))
    const source = new Replica({ nodeId: peers[0], maxBytes: 1 << 20 })
    for (let i = 0; i < KEYS; i++) source.set(`k${i}`, new Uint8Array([i & 0xff]), {}, T0 + i)
    const me = new Replica({ nodeId: 'me', epoch: 1, maxBytes: 1 << 20 })
    const asked: Asked[] = []
    const baselined: string[] = []
    const r = await warmUp({
      sync: fakeSync(source, peers[1], asked),
      peers,
      digest: () => me.digest(),
      maxBytes: 3_000_000,
      now: () => T0 + 60_000,
      apply: (d) => void me.apply(d, T0 + 60_000),
      baseline: (origin) => baselined.push(origin.nodeId),
      onProgress: () => {},
    })
    const third = Math.floor(2 ** 32 / 3)
    expect(asked.slice(0, 3).map((a) => [a.peer, a.maxBytes])).to.deep.equal(peers.map((p) => [p, 1_000_000]))
    const retry = asked.slice(3)
    expect(retry.map((a) => a.peer).sort()).to.deep.equal([peers[0], peers[2]].sort())
    expect(retry.map((a) => a.maxBytes)).to.deep.equal([500_000, 500_000])
    expect(Math.min(...retry.map((a) => a.lo))).to.equal(third)
    expect(Math.max(...retry.map((a) => a.hi))).to.equal(Math.floor((2 * 2 ** 32) / 3))
    expect(r).to.include({ complete: true, failedSlices: 0, peers: 3, entries: KEYS, snapshot: 'none' })
    expect(baselined).to.deep.equal([peers[0]])
    for (let i = 0; i < KEYS; i++) expect(me.get(`k${i}`, T0 + 60_000)?.[0], `k${i}`).to.equal(i & 0xff)
  })
})
