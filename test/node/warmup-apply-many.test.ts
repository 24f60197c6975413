// warmUp's optional bulk hook (lib/node/warmup.ts): when the node gives applyMany, every chunk
// (and the snapshot) goes through it whole, in order, and apply is not called; without it,
// each delta goes through apply. Either way the replica ends in the same state.
import { expect } from 'chai'
import { Replica, type Delta, type Hlc } from '../../crdt/index.ts'
import type { SyncService } from '../../lib/networking/sync-service.ts'
import { warmUp, type WarmupInit } from '../../lib/node/warmup.ts'

const P = '12D3KooWSiUTSJjHVTdPQSM83Je8wDoBydq32d1WzdhK2YBgaMgu'
const T0 = 1_800_000_000_000

/** A sync service answering since() from `peer` in chunks of `per` deltas. */
function chunkedSync(peer: Replica, per: number): SyncService {
  return {
    async digest() {
      return peer.digest()
    },
    async since(_p: unknown, hlc: number, _lo: number, _hi: number, _max: number, onChunk: (d: Delta[], n: number) => void) {
      const all = [...peer.since(hlc as Hlc)]
      for (let i = 0; i < all.length; i += per) onChunk(all.slice(i, i + per), 0)
      return { complete: true }
    },
  } as unknown as SyncService
}

function source(): Replica {
  const peer = new Replica({ nodeId: P, maxBytes: 1 << 20 })
  for (let i = 0; i < 10; i++) peer.set(`k${i}`, new Uint8Array([i]), {}, T0 + i)
  return peer
}

function init(me: Replica, peer: Replica, hooks: Pick<WarmupInit, 'apply' | 'applyMany'>): WarmupInit {
  return {
    sync: chunkedSync(peer, 4),
    peers: [P],
    digest: () => me.digest(),
    maxBytes: 1 << 20,
    now: () => T0 + 60_000,
    baseline: () => {},
    onProgress: () => {},
    ...hooks,
  }
}

describe('node/warmup applyMany', () => {
  it('with applyMany, each chunk and the snapshot go through it whole and in order; apply is never called', async () => {
    const peer = source()
    const me = new Replica({ nodeId: 'me', epoch: 1, maxBytes: 1 << 20 })
    const calls: { from: string; keys: string[] }[] = []
    let single = 0
    const snapshot = { clock: 0 as Hlc, deltas: [...source().since(0 as Hlc)].slice(0, 2) }
    const r = await warmUp({
      ...init(me, peer, {
        apply: () => single++,
        applyMany: (ds, from) => {
          calls.push({ from, keys: ds.map((d) => d.key) })
          for (const d of ds) me.apply(d, T0 + 60_000)
        },
      }),
      snapshot,
    })
    expect(single).to.equal(0)
    expect(calls.map((c) => [c.from, c.keys.length])).to.deep.equal([
      ['snapshot', 2],
      [P, 4],
      [P, 4],
      [P, 2],
    ])
    expect(calls.slice(1).flatMap((c) => c.keys)).to.deep.equal([...peer.since(0 as Hlc)].map((d) => d.key))
    expect(r).to.include({ entries: 12, complete: true })
    expect(me.get('k9', T0 + 60_000)).to.deep.equal(new Uint8Array([9]))
  })

  it('without applyMany, apply takes every delta one by one', async () => {
    const peer = source()
    const me = new Replica({ nodeId: 'me', epoch: 1, maxBytes: 1 << 20 })
    const seen: string[] = []
    const r = await warmUp(
      init(me, peer, {
        apply: (d) => {
          seen.push(d.key)
          me.apply(d, T0 + 60_000)
        },
      }),
    )
    expect(seen).to.deep.equal([...peer.since(0 as Hlc)].map((d) => d.key))
    expect(r).to.include({ entries: 10, complete: true })
  })
})
