// Warm-up: a new or restarted node loads the cache from its peers (docs/node.md, "Warm-up").
//
// 1. Ask each chosen peer for its digest first: what it has seen of every origin.
// 2. Split the key-hash space into one slice per peer and stream since(0) of each slice
//    from its peer, in chunks, hottest first, within this node's byte budget (split evenly).
//    Every chunk is applied as it lands, so `get` starts hitting before the end. The budget
//    counts only what this node can hold: a value over its entryBytesMax comes as a ghost of
//    its version (crdt/chunks.ts), which is all this node could keep of it anyway.
// 3. A slice whose peer fails is retried once from another peer.
// 4. Baseline every origin at the lowest contiguous seq the peers reported: everything up to
//    it is in what was streamed (each since() ran after its digest); gossip received during
//    the warm-up above it is repaired as a gap. Only when nothing was left out: after a
//    failed slice or a budget cut (hottest first is neither hlc nor seq order, so what was
//    cut cannot be named), no origin is baselined, anti-entropy wants every origin's seqs,
//    and repair pulls what is missing. Worked scenario (issue 13, finding 7): the budget cut
//    36 of 60 keys; baselined as complete, their seqs counted as received and anti-entropy,
//    which compares seqs, never asked for them again.

import { peerIdFromString } from '@libp2p/peer-id'
import { originKey, type Delta, type Origin, type ReplicaDigest } from '../../crdt/index.ts'
import { UNBOUNDED_ENTRY_BYTES, type SyncService } from '../networking/index.ts'
import type { LoadedSnapshot } from './snapshot.ts'
import { KEY_HASH_SPACE } from '../networking/index.ts'

export interface WarmupProgress {
  /** Deltas applied so far (entries, tombstones and ghosts). */
  entries: number
  /** Encoded bytes received so far. */
  bytes: number
  /** Peers streaming. */
  peers: number
}

export interface WarmupResult extends WarmupProgress {
  ms: number
  /** 'used': loaded, then since(its clock); 'discarded': a peer had forgotten newer state. */
  snapshot: 'none' | 'used' | 'discarded'
  /**
   * False when a byte budget cut a slice short (the coldest entries were left out) or a slice
   * failed: then no origin is baselined, and repair pulls what is missing.
   */
  complete: boolean
  /** Slices that no peer could serve. */
  failedSlices: number
}

export interface WarmupInit {
  sync: SyncService
  peers: string[]
  digest: () => ReplicaDigest
  maxBytes: number
  /**
   * The largest entry this node's store can hold, in UTF-8 key + value bytes: peers send
   * larger values as ghosts of their versions. @default unlimited (UNBOUNDED_ENTRY_BYTES)
   */
  entryBytesMax?: number
  now: () => number
  /** Applies one received delta (the node's one path for remote deltas). */
  apply: (delta: Delta, from: string) => void
  /**
   * Applies a whole received chunk, in order, as `apply` would one by one: a bulk path may
   * share work across the chunk (one copy of its values, one pass of accounting). Optional:
   * without it every delta goes through `apply`.
   */
  applyMany?: (deltas: readonly Delta[], from: string) => void
  baseline: (origin: Origin, contiguous: number, hlc: number) => void
  onProgress: (p: WarmupProgress) => void
  /** A local snapshot to start from (see snapshot.ts). */
  snapshot?: LoadedSnapshot
}

export async function warmUp(init: WarmupInit): Promise<WarmupResult> {
  const started = init.now()
  const progress: WarmupProgress = { entries: 0, bytes: 0, peers: init.peers.length }
  const digests = new Map<string, ReplicaDigest>()
  await Promise.all(
    init.peers.map(async (p) => {
      try {
        digests.set(p, await init.sync.digest(peerIdFromString(p), init.digest()))
      } catch {
        // A peer that does not answer its digest is not used.
      }
    }),
  )
  const peers = init.peers.filter((p) => digests.has(p))
  progress.peers = peers.length
  // A snapshot is safe only if no peer forgot anything newer than it (G4; snapshot.ts).
  const snap = init.snapshot
  const snapshotUsable = snap !== undefined && [...digests.values()].every((d) => d.horizon <= snap.clock)
  let sinceHlc = 0
  let used = false
  if (snap !== undefined && (snapshotUsable || peers.length === 0)) {
    used = true
    applyAll(init, snap.deltas, 'snapshot')
    progress.entries += snap.deltas.length
    sinceHlc = snap.clock
    init.onProgress({ ...progress })
  }
  const snapshot = snap === undefined ? 'none' : used ? 'used' : 'discarded'
  if (peers.length === 0) {
    return {
      ...progress,
      ms: init.now() - started,
      snapshot,
      complete: init.peers.length === 0,
      failedSlices: init.peers.length > 0 ? 1 : 0,
    }
  }

  const n = peers.length
  const budget = Math.floor(init.maxBytes / n)
  const entryBytesMax = init.entryBytesMax ?? UNBOUNDED_ENTRY_BYTES
  let complete = true
  let failedSlices = 0
  const stream = async (peer: string, lo: number, hi: number): Promise<boolean> => {
    try {
      const onChunk = (deltas: Delta[], bytes: number): void => {
        applyAll(init, deltas, peer)
        progress.entries += deltas.length
        progress.bytes += bytes
        init.onProgress({ ...progress })
      }
      const r = await init.sync.since(peerIdFromString(peer), sinceHlc, lo, hi, budget, onChunk, entryBytesMax)
      if (!r.complete) complete = false
      return true
    } catch {
      return false
    }
  }
  await Promise.all(
    peers.map(async (peer, i) => {
      const lo = Math.floor((KEY_HASH_SPACE * i) / n)
      const hi = Math.floor((KEY_HASH_SPACE * (i + 1)) / n)
      if (await stream(peer, lo, hi)) return
      // Retried once: on another peer, or on the same one when it is the only one.
      if (!(await stream(peers[(i + 1) % n], lo, hi))) failedSlices++
    }),
  )
  if (failedSlices > 0 || !complete) {
    // A slice is missing or was cut short: no origin may be baselined (its seqs were not all
    // received), so anti-entropy and repair go on fetching what is missing.
    return { ...progress, ms: init.now() - started, snapshot, complete: false, failedSlices }
  }

  // Baselines: the lowest contiguous seq any peer reported for each origin (0 if one did not
  // know it), and each peer's own last seq for its own origin.
  const low = new Map<string, { origin: Origin; contiguous: number; hlc: number }>()
  const seen = (origin: Origin, contiguous: number, hlc: number): void => {
    const k = originKey(origin)
    const cur = low.get(k)
    if (cur === undefined) low.set(k, { origin, contiguous, hlc })
    else {
      cur.contiguous = Math.min(cur.contiguous, contiguous)
      cur.hlc = Math.min(cur.hlc, hlc)
    }
  }
  for (const d of digests.values()) {
    seen(d.origin, d.lastSeq, d.clock)
    for (const p of d.progress) seen(p.origin, p.contiguous, 0)
  }
  for (const { origin, contiguous, hlc } of low.values()) {
    const reportedBy = [...digests.values()].filter(
      (d) => originKey(d.origin) === originKey(origin) || d.progress.some((p) => originKey(p.origin) === originKey(origin)),
    ).length
    init.baseline(origin, reportedBy === digests.size ? contiguous : 0, hlc)
  }
  return { ...progress, ms: init.now() - started, snapshot, complete, failedSlices }
}

/** A chunk through the bulk hook when the node gives one, else delta by delta. */
function applyAll(init: WarmupInit, deltas: readonly Delta[], from: string): void {
  if (init.applyMany !== undefined) init.applyMany(deltas, from)
  else for (const d of deltas) init.apply(d, from)
}
