// NodeStats, what `stats()` returns (`GET /stats` serves it as JSON, prometheus.ts renders
// it), and its assembly from the parts that keep each count.

import type { Replica, ReplicaStats } from '../../crdt/index.ts'
import type { Member, SwimStats } from '../../membership/index.ts'
import type { HotKeyHints, HotKeyHintsStats } from '../hints/index.ts'
import type { CacheServices, SyncService, SyncServedStats } from '../networking/index.ts'
import type { StoreStats } from '../store/index.ts'
import type { SyncDone } from './events.ts'
import type { LoaderStats, SingleFlightLoader } from './get-or-load.ts'
import type { LagStats, LagTracker } from './lag.ts'
import type { ReplicationEngineStats } from '../replication/index.ts'
import type { ReplicationLink, ReplicationStats } from './replication-link.ts'
import type { SnapshotState } from './snapshot.ts'
import type { TakeoverStats, TakeoverTracker } from './takeover.ts'

export interface NodeStats {
  id: string
  /**
   * Whether this node should take traffic: false until the start-up warm-up (snapshot and
   * peers) is over, true after, and false again from the moment close() begins. The CLI's
   * `GET /readyz` answers from it; a load balancer or a rolling deploy waits for it before
   * sending traffic or stopping the next node. Reads and writes work either way: a node that
   * is not ready yet serves misses for what its warm-up has not brought.
   */
  ready: boolean
  hits: number
  misses: number
  /** hits / (hits + misses); 0 before any read. */
  hitRatio: number
  store: StoreStats
  replica: ReplicaStats
  /** The replication engine (batches, frames, outcomes of remote deltas, acks) and its streams. */
  replication: ReplicationStats
  /** Gap repair and anti-entropy: requests made and served, deltas they brought, origins still wanted. */
  repair: ReplicationEngineStats['repair']
  /**
   * Serving warm-ups (since) and older peers' range: values sent as ghosts (too large for the
   * asker, or undecodable) and deltas left out.
   */
  syncServed: SyncServedStats
  swim: SwimStats & { droppedFrames: number }
  members: Record<Member['state'], number>
  warmup: (SyncDone & { done: boolean }) | { done: false }
  /** getOrLoad: loads, failures, coalesced callers, stale values served, refreshes. */
  loader: LoaderStats
  /** Write-to-visible lag of deltas received by gossip (see lag.ts). */
  lag: LagStats
  /** Receive progress per origin (a node in one run): the per-peer sync state. */
  origins: { nodeId: string; epoch: number; contiguous: number; highest: number; abandoned: number }[]
  /** Malformed messages (bytes that did not decode) received in all, by peer id (peer-policing.ts). */
  malformedByPeer: Record<string, number>
  /** Hot-key hints sent, received, applied (docs/hints.md). */
  hints: HotKeyHintsStats
  /** Hit ratio of the first reads after a member's death (the figure hints exist to raise). */
  takeover: TakeoverStats
  /** Connections refused: not on allowPeers, banned for malformed input, or of another cluster. */
  refusedConnections: number
  /** Exceptions of ours caught and reported (`internal:error` events); 0 unless there is a bug. */
  internalErrors: number
  /** The snapshot file at start: none (or no snapshotPath), loaded, or refused and why. */
  snapshot: SnapshotState
  /** Other processes found running with this node's id (see identity-conflict.ts). */
  identityConflicts: number
}

/** Where each figure of NodeStats comes from. */
export interface StatsSources {
  id: string
  replica: Replica
  link: ReplicationLink
  sync: SyncService
  swim: CacheServices['swim']
  /** Every member, this node included. */
  members: readonly Member[]
  /** The warm-up's result once it is over. */
  warmup: (SyncDone & { done: true }) | undefined
  /** close() has begun. */
  closing: boolean
  loader: SingleFlightLoader
  hints: HotKeyHints
  takeover: TakeoverTracker
  lag: LagTracker
  malformedByPeer: Record<string, number>
  refusedConnections: number
  internalErrors: number
  snapshot: SnapshotState
  identityConflicts: number
}

export function nodeStats(s: StatsSources): NodeStats {
  const store = s.replica.store.stats()
  const members: Record<Member['state'], number> = { alive: 0, suspect: 0, dead: 0, left: 0 }
  for (const m of s.members) members[m.state]++
  const reads = store.hits + store.misses
  return {
    id: s.id,
    ready: s.warmup !== undefined && !s.closing,
    hits: store.hits,
    misses: store.misses,
    hitRatio: reads === 0 ? 0 : store.hits / reads,
    store,
    replica: s.replica.stats(),
    replication: s.link.stats(),
    repair: s.link.engine.stats().repair,
    syncServed: { ...s.sync.served },
    swim: { ...s.swim.core.stats, droppedFrames: s.swim.droppedFrames },
    members,
    warmup: s.warmup ?? { done: false },
    loader: { ...s.loader.stats },
    hints: s.hints.stats(),
    takeover: s.takeover.stats(),
    lag: s.lag.stats(),
    origins: s.replica.progress.digest().map((p) => ({
      nodeId: p.origin.nodeId,
      epoch: p.origin.epoch,
      contiguous: p.contiguous,
      highest: p.highest,
      abandoned: p.abandoned,
    })),
    malformedByPeer: s.malformedByPeer,
    refusedConnections: s.refusedConnections,
    internalErrors: s.internalErrors,
    snapshot: s.snapshot,
    identityConflicts: s.identityConflicts,
  }
}
