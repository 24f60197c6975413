// Warm-up: a new or restarted node loads the cache from its peers (docs/node.md, "Warm-up").
//
// This file is the driver: every decision (whom to ask its digest, whether the snapshot is
// used, which slice of the key-hash space to stream from which peer within which budget, how a
// failed slice is retried, what is baselined) is the sans-IO WarmupPlan's
// (lib/replication/warmup-plan.ts). The driver performs each request with the sync service,
// applies every chunk as it lands (so `get` starts hitting before the end), and feeds each
// answer back with the time. The budget counts only what this node can hold: a value over its
// entryBytesMax comes as a ghost of its version (crdt/chunks.ts), which is all this node could
// keep of it anyway.

import { peerIdFromString } from '@libp2p/peer-id'
import type { Delta, Origin, ReplicaDigest } from '../../crdt/index.ts'
import { UNBOUNDED_ENTRY_BYTES, type SyncService } from '../networking/index.ts'
import { WarmupPlan, type WarmupSliceResult } from '../replication/index.ts'
import type { LoadedSnapshot } from './snapshot.ts'

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
  const plan = new WarmupPlan({ peers: init.peers, maxBytes: init.maxBytes, snapshotClock: init.snapshot?.clock, nowMs: started })
  const progress: WarmupProgress = { entries: 0, bytes: 0, peers: init.peers.length }
  const entryBytesMax = init.entryBytesMax ?? UNBOUNDED_ENTRY_BYTES
  return new Promise<WarmupResult>((resolve, reject) => {
    /** Performs every output the plan has; called after construction and after each answer. */
    const drain = (): void => {
      for (;;) {
        const out = plan.poll()
        if (out === undefined) return
        progress.peers = plan.peers
        switch (out.type) {
          case 'digest':
            answer(askDigest(out.peer), (d) => plan.handleDigest(out.peer, d, init.now()))
            break
          case 'snapshot':
            applyAll(init, init.snapshot!.deltas, 'snapshot')
            progress.entries += init.snapshot!.deltas.length
            init.onProgress({ ...progress })
            break
          case 'since':
            answer(stream(out.peer, out.hlc, out.lo, out.hi, out.maxBytes), (r) => plan.handleSince(out.id, r, init.now()))
            break
          case 'baseline':
            init.baseline(out.origin, out.contiguous, out.hlc)
            break
          case 'done': {
            const { complete, failedSlices, snapshot, peers } = out.result
            resolve({ ...progress, peers, ms: init.now() - started, snapshot, complete, failedSlices })
            break
          }
        }
      }
    }
    /** Feeds an answer to the plan, then performs what it decided; an exception of ours rejects the warm-up. */
    const answer = <T>(p: Promise<T>, feed: (v: T) => void): void => {
      void p.then((v) => {
        try {
          feed(v)
          drain()
        } catch (err) {
          reject(err)
        }
      })
    }
    const askDigest = async (peer: string): Promise<ReplicaDigest | undefined> => {
      try {
        return await init.sync.digest(peerIdFromString(peer), init.digest())
      } catch {
        return undefined // a peer that does not answer its digest is not used
      }
    }
    const stream = async (peer: string, hlc: number, lo: number, hi: number, budget: number): Promise<WarmupSliceResult> => {
      try {
        const onChunk = (deltas: Delta[], bytes: number): void => {
          applyAll(init, deltas, peer)
          progress.entries += deltas.length
          progress.bytes += bytes
          init.onProgress({ ...progress })
        }
        const r = await init.sync.since(peerIdFromString(peer), hlc, lo, hi, budget, onChunk, entryBytesMax)
        return r.complete ? 'complete' : 'cut'
      } catch {
        return 'failed'
      }
    }
    try {
      drain()
    } catch (err) {
      reject(err)
    }
  })
}

/** A chunk through the bulk hook when the node gives one, else delta by delta. */
function applyAll(init: WarmupInit, deltas: readonly Delta[], from: string): void {
  if (init.applyMany !== undefined) init.applyMany(deltas, from)
  else for (const d of deltas) init.apply(d, from)
}
