// The warm-up a node runs once at start (the protocol itself is warmup.ts): wait a little for
// the first member when joining, choose up to warmupPeers live members at random, stream from
// them (and the snapshot, if one loaded), then mark the replica warmed up. It never fails:
// a warm-up that throws ends as an incomplete one, and repair and anti-entropy go on.
// See docs/node.md, "Warm-up".

import type { Delta, Origin, Replica } from '../../crdt/index.ts'
import type { SyncService } from '../networking/index.ts'
import { monotonicNow } from './clock.ts'
import { JOIN_WAIT_MS } from './join.ts'
import type { LoadedSnapshot } from './snapshot.ts'
import { warmUp, type WarmupProgress, type WarmupResult } from './warmup.ts'

/** How often the wait for the first member looks again. */
const FIRST_MEMBER_POLL_MS = 20

export interface WarmupRunInit {
  /** Whether this node joins others (bootstrap reached, or mDNS): then it waits for the first member. */
  joining: boolean
  snapshot: LoadedSnapshot | undefined
  /** Members to stream from at once (0: no warm-up from peers). */
  warmupPeers: number
  /** The live members other than this node, now. */
  others: () => string[]
  isClosed: () => boolean
  replica: Replica
  sync: SyncService
  maxBytes: number
  entryBytesMax: number
  now: () => number
  apply: (d: Delta, from: string) => void
  /** A chunk at once (see WarmupInit.applyMany); optional. */
  applyMany?: (deltas: readonly Delta[], from: string) => void
  baseline: (origin: Origin, contiguous: number, hlc: number) => void
  onProgress: (p: WarmupProgress) => void
  /** Called once the replica is marked warmed up, unless the node closed meanwhile. */
  onDone: (result: WarmupResult) => void
}

/** Runs the warm-up; resolves once it is over (never rejects). */
export async function runWarmUp(i: WarmupRunInit): Promise<void> {
  const started = i.now()
  if (i.joining && i.warmupPeers > 0) {
    const deadline = monotonicNow() + JOIN_WAIT_MS
    while (i.others().length === 0 && monotonicNow() < deadline && !i.isClosed()) {
      await new Promise((resolve) => setTimeout(resolve, FIRST_MEMBER_POLL_MS))
    }
  }
  const peers = i.warmupPeers === 0 ? [] : shuffle(i.others()).slice(0, i.warmupPeers)
  const failed = { entries: 0, bytes: 0, peers: peers.length, ms: 0, snapshot: 'none' as const, complete: false, failedSlices: 1 }
  const result: WarmupResult =
    peers.length === 0 && i.snapshot === undefined
      ? { entries: 0, bytes: 0, peers: 0, ms: i.now() - started, snapshot: 'none', complete: true, failedSlices: 0 }
      : await warmUp({
          snapshot: i.snapshot,
          sync: i.sync,
          peers,
          digest: () => i.replica.digest(),
          maxBytes: i.maxBytes,
          entryBytesMax: i.entryBytesMax,
          now: i.now,
          apply: i.apply,
          applyMany: i.applyMany,
          baseline: i.baseline,
          onProgress: i.onProgress,
        }).catch(() => ({ ...failed, ms: i.now() - started })) // never an unhandled rejection: repair and anti-entropy go on
  if (i.isClosed()) return
  // From now on an origin this node has not heard of is new since its warm-up: wanted from seq 1.
  i.replica.progress.warmedUp()
  i.onDone(result)
}

function shuffle<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[xs[i], xs[j]] = [xs[j], xs[i]]
  }
  return xs
}
