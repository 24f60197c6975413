// The node's lifecycle: opening its transport, starting its parts in order, and stopping them
// in the reverse order on close. The order matters:
//
//   start: SWIM begins → sync serves → replication streams open to live members → hints → the
//          snapshot loads → mDNS and bootstrap dialling → SWIM joins what they reached →
//          warm-up (background)
//   close: the time is noted (the snapshot's since-bound) → queued batches go out
//          (bounded by leaveTimeoutMs) → hints stop → SWIM says "left" → replication and sync
//          stop → libp2p stops → the identity file is released → the snapshot is saved
//
// Events that start announces (join:failed, snapshot:refused) are dispatched after
// createCacheNode resolves, so a listener added right after `await` hears them.

import type { Libp2p } from 'libp2p'
import type { MemberEvent } from '../../membership/index.ts'
import { createTransport, type CacheServices, type IdentityLease, type PeerGate } from '../networking/index.ts'
import { monotonicNow } from './clock.ts'
import type { Dispatch, SyncDone } from './events.ts'
import { dialBootstrap, dialDiscovered } from './join.ts'
import type { ResolvedNodeOptions } from './options.ts'
import type { NodeParts } from './parts.ts'
import { DEFAULT_MAX_CLOCK_DRIFT_MS } from '../../crdt/index.ts'
import { loadSnapshot, saveSnapshot, snapshotClock, SnapshotError, type LoadedSnapshot, type SnapshotState } from './snapshot.ts'
import { runWarmUp } from './warmup-run.ts'

export interface TransportHooks {
  onMemberEvent: (ev: MemberEvent) => void
  onMalformed: (from: string) => void
}

/** libp2p with this node's services (SWIM on the monotonic clock), listening on `o.listen`. */
export function openTransport(
  o: ResolvedNodeOptions,
  gate: PeerGate,
  identity: IdentityLease | undefined,
  hooks: TransportHooks,
): Promise<Libp2p<CacheServices>> {
  return createTransport({
    gate,
    listen: o.listen,
    cluster: o.cluster,
    ...(identity === undefined ? {} : { privateKey: identity.privateKey }),
    ...(o.clusterKey === undefined ? {} : { clusterKey: o.clusterKey }),
    ...(o.mdns ? { mdnsServiceTag: `also-cache-${o.cluster}.local` } : {}),
    swim: { config: o.swim, now: monotonicNow, onEvent: hooks.onMemberEvent, onMalformed: hooks.onMalformed },
  })
}

export interface StartHooks {
  isClosed: () => boolean
  dispatch: Dispatch
  /** The snapshot file's state, once it is known (stats().snapshot). */
  onSnapshot: (s: SnapshotState) => void
  /** The warm-up is over (the node announces `sync:done`). */
  onWarmedUp: (result: SyncDone) => void
}

/** Starts the parts; resolves once bootstrap dialling is over (the warm-up goes on in the background). */
export async function startParts(parts: NodeParts, o: ResolvedNodeOptions, p2p: Libp2p<CacheServices>, hooks: StartHooks): Promise<void> {
  const { swim, pubsub } = p2p.services
  const id = p2p.peerId.toString()
  // SWIM carries the replica's epoch, so its twin reports and the wire check of deltas name
  // the same run (identity-conflict.ts reports each other epoch once, whichever saw it first).
  swim.begin({ epoch: parts.replica.origin.epoch, onTwin: (t) => parts.conflicts.noteTwin(t.otherEpoch, t.from) })
  await parts.sync.start()
  await parts.link.start()
  // Members SWIM knew before the node listened (its events from now on reach the link).
  for (const m of swim.members()) if (m.state === 'alive' || m.state === 'suspect') parts.link.memberUp(m.id)
  if (parts.hints.enabled) {
    pubsub.subscribe(parts.hintsTopic)
    pubsub.addEventListener('gossipsub:message', parts.onHint)
    parts.hints.start()
  }
  const snapshot = o.snapshotPath === undefined ? undefined : await loadOrRefuse(o.snapshotPath, o.cluster, hooks)
  if (o.mdns) {
    const skip = (peer: string): boolean => hooks.isClosed() || peer === id || swim.isAlive(peer)
    p2p.addEventListener('peer:discovery', (e) => void dialDiscovered(p2p, e.detail, skip))
  }
  const joined = await dialBootstrap({
    p2p,
    bootstrap: o.bootstrap,
    cluster: o.cluster,
    hasClusterKey: o.clusterKey !== undefined,
    onJoinFailed: (e) => hooks.dispatch('join:failed', e),
  })
  if (joined.length > 0) swim.join(joined)
  void runWarmUp({
    joining: joined.length > 0 || o.mdns,
    snapshot,
    warmupPeers: o.warmupPeers,
    others: () => swim.aliveMembers().filter((m) => m !== id),
    isClosed: hooks.isClosed,
    replica: parts.replica,
    sync: parts.sync,
    maxBytes: o.maxBytes,
    entryBytesMax: parts.entryBytesMax,
    now: parts.now,
    apply: (d, from) => void parts.link.applyReceived(from, [d]),
    // A chunk at once: one pass of the engine's apply path and one drain of its outputs.
    applyMany: (deltas, from) => void parts.link.applyReceived(from, deltas),
    baseline: (origin, contiguous, hlc) => parts.link.baseline(origin, contiguous, hlc),
    onProgress: (p) => hooks.dispatch('sync:progress', p),
    onDone: hooks.onWarmedUp,
  })
}

/**
 * A snapshot that does not load is not fatal: the node starts empty, warms up, and replaces
 * the file on close. But it is reported (`snapshot:refused`, stats().snapshot), never swallowed.
 */
async function loadOrRefuse(path: string, cluster: string, hooks: StartHooks): Promise<LoadedSnapshot | undefined> {
  try {
    const snapshot = await loadSnapshot(path, cluster)
    if (snapshot !== undefined) hooks.onSnapshot({ state: 'loaded', deltas: snapshot.deltas.length })
    return snapshot
  } catch (err) {
    const e = err instanceof SnapshotError ? err : new SnapshotError(path, 'corrupt', String(err), { cause: err })
    hooks.onSnapshot({ state: 'refused', reason: e.reason, message: e.message })
    // After createCacheNode resolves, so a listener added right after `await` hears it.
    setTimeout(() => hooks.dispatch('snapshot:refused', { path, reason: e.reason, message: e.message }), 0)
    return undefined
  }
}

/** Stops the parts (close()): SWIM's "left" goes out, and what was queued is sent first. */
export async function stopParts(
  parts: NodeParts,
  o: ResolvedNodeOptions,
  p2p: Libp2p<CacheServices>,
  identity: IdentityLease | undefined,
): Promise<void> {
  const { swim, pubsub } = p2p.services
  // Before this node stops receiving: what it may miss from now on is above it (snapshot.ts).
  const closeMs = parts.now()
  await parts.link.flush(o.leaveTimeoutMs).catch(() => {})
  parts.hints.stop()
  if (parts.hints.enabled) {
    pubsub.removeEventListener('gossipsub:message', parts.onHint)
    pubsub.unsubscribe(parts.hintsTopic)
  }
  await swim.leave(o.leaveTimeoutMs).catch(() => {})
  await parts.link.stop(o.leaveTimeoutMs).catch(() => {})
  await parts.sync.stop().catch(() => {})
  await p2p.stop()
  await identity?.release()
  if (o.snapshotPath !== undefined) {
    const drift = o.maxClockDriftMs ?? DEFAULT_MAX_CLOCK_DRIFT_MS
    await saveSnapshot(o.snapshotPath, parts.replica, o.cluster, snapshotClock(closeMs, drift))
  }
}
