// Bugs in lib/ the chaos matrix found (all fixed), each reduced to a deterministic reproduction
// with no network: replicas in one process, the node's Repair (lib/node/repair.ts) with a fake
// sync service. Each test fails without its fix and with repair switched off: it waits (with a
// deadline) for the repair it is about to judge to have run, and then for the right end state.
import { expect } from 'chai'
import { Replica, type Delta, type Hlc, type ReplicaDigest } from '../../crdt/index.ts'
import { Repair } from '../../lib/node/repair.ts'
import type { SyncService } from '../../lib/networking/sync-service.ts'

// Valid libp2p peer ids (Repair parses them).
const A = '12D3KooWSiUTSJjHVTdPQSM83Je8wDoBydq32d1WzdhK2YBgaMgu'
const B = '12D3KooWBJrSNBwhT6g8pTVu8FyKAyYvNN82UQN1xZ8NrJTLLW9i'
const C = '12D3KooWEUZzJvSPpCse3krdrysgB1m1s4AXib72miAsEnZLxuKk'

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe('bugs found by the chaos matrix (fixed; each test fails without its fix)', () => {
  // Matrix: sigstop-tail (and, rarely, sigstop seed 10 of a 10-seed sweep). Node A is paused
  // (SIGSTOP) long enough for B and C to declare it dead; on SIGCONT it applies the writes it
  // took while paused (its tail: no later seq reveals a hole) and, thinking B and C alive, runs
  // anti-entropy with B at once. B learns from A's digest that it misses A's seq 3, but A is
  // still dead in B's view, so Repair skips the range request to A and falls back to since(T)
  // from a random live peer — C, which never got seq 3 either (gossip from A was cut when
  // they hung up on it). since(T) brings nothing, yet #fallback then calls
  // progress.start(A, 3): B now believes it has A's seq 3 and never asks again. B serves the
  // older value for ever: a divergence (G2) no anti-entropy round repairs.
  it('repair.ts #fallback: seqs are never marked received beyond what the fallback peer had (lost tail after SIGCONT)', async () => {
    const now = 1_800_000_000_000
    const a = new Replica({ nodeId: A, epoch: 1, maxBytes: 1 << 20 })
    const b = new Replica({ nodeId: B, epoch: 1, maxBytes: 1 << 20 })
    const c = new Replica({ nodeId: C, epoch: 1, maxBytes: 1 << 20 })
    const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
    // A's first two writes reach everyone; the third (taken while paused) reaches no one.
    const d1 = a.set('k', bytes('a1'), {}, now)
    const d2 = a.set('j', bytes('a2'), {}, now + 1)
    for (const r of [b, c]) for (const d of [d1, d2]) r.apply(d, now + 2)
    a.set('k', bytes('a3'), {}, now + 10)

    const replicas = new Map<string, Replica>([[A, a], [B, b], [C, c]])
    const alive = new Set([C]) // A is still dead in B's view
    let digestsAsked = 0
    let t = now + 20 // B's clock: moved on once A is alive again, past the wait for a retry
    const sync = {
      async range(peer: { toString(): string }, origin: Delta['origin'], from: number, to: number, maxBytes: number) {
        return replicas.get(peer.toString())!.log.range(from, to, maxBytes)
      },
      async since(
        peer: { toString(): string },
        hlc: number,
        _lo: number,
        _hi: number,
        _max: number,
        onChunk: (d: Delta[], n: number) => void,
      ) {
        const ds = [...replicas.get(peer.toString())!.since(hlc as Hlc)]
        onChunk(ds, 0)
        return { complete: true }
      },
      async digest(peer: { toString(): string }, _mine: ReplicaDigest) {
        digestsAsked++
        return replicas.get(peer.toString())!.digest()
      },
    } as unknown as SyncService
    const repair = new Repair({
      replica: b,
      sync,
      now: () => t,
      selfId: B,
      isAlive: (id: string) => alive.has(id),
      randomPeer: () => C,
      gapGraceMs: 0,
      repairIntervalMs: 5,
      antiEntropyIntervalMs: 60_000,
      repairMaxBytes: 1 << 20,
      apply: (d: Delta) => void b.apply(d, now + 20),
      isMember: () => true, // A is a member (dead in B's view, but known)
    } as ConstructorParameters<typeof Repair>[0])
    // A's anti-entropy digest reaches B (the sync handler calls compare).
    repair.compare(a.digest())
    repair.start()
    const holds = (): string => new TextDecoder().decode(b.getEntry('k', now + 20)?.value)
    const contiguous = (): number | undefined => b.progress.progress(a.origin)?.contiguous
    try {
      // The fallback asked C what it has of A (and found nothing B lacks), then settled.
      await waitFor(() => digestsAsked >= 1, 'the since(T) fallback to ask C')
      await new Promise((resolve) => setTimeout(resolve, 0)) // one turn: the fallback's answer handled
      // B still wants seq 3: it never marks received what the fallback peer did not have.
      expect({ contiguous: contiguous(), holds: holds() }).to.deep.equal({ contiguous: 2, holds: 'a1' })
      // A is alive again (it refuted its death): B pulls seq 3 from A's own log.
      alive.add(A)
      t += 61_000
      await waitFor(() => holds() === 'a3', "B to pull A's seq 3 once A is alive")
      expect(contiguous()).to.equal(3)
    } finally {
      repair.stop()
    }
  })
})
