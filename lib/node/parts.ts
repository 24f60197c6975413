// The composition root: builds the node's parts and wires them to one another. Each part
// gets what it needs as values and callbacks, never the node itself, so each can be read (and
// tested) alone; the callbacks close over parts built later, which they reach only once the
// node has started. What the node decides itself (its events, its internal-error report, its
// own reads and writes for the loader) comes in as NodeHooks.
//
//   libp2p (TCP + Noise + yamux) ── replication streams (+ gossipsub in large clusters)
//            │     └── ReplicationLink: the replication engine (batches, repair, anti-entropy,
//            │         acks, offenders) and its one apply path
//            ├── SWIM service ── membership: who is alive, events, hang up on the dead
//            └── sync protocol ── SyncService: serves since (since-policy.ts) and digests
//                for warm-ups (its range and push serve older peers)
//   every remote delta ── RemoteAccounting (lag, key:changed, delta:dropped); every malformed message ── PeerPolicing

import type { Libp2p } from 'libp2p'
import type { GossipsubMessage } from '@libp2p/gossipsub'
import { peerIdFromString } from '@libp2p/peer-id'
import { receivableEntryBytes, Replica } from '../../crdt/index.ts'
import { HotKeyHints } from '../hints/index.ts'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import { deltaTopic, SyncService, type CacheServices, type PeerGate, type PushOutcome } from '../networking/index.ts'
import type { ApplyOutcome } from '../replication/index.ts'
import { DEFAULT_HOT_KEYS_MAX } from '../store/index.ts'
import type { Dispatch } from './events.ts'
import { gossipDropper } from './fault-injection.ts'
import { SingleFlightLoader, type LoaderHost } from './get-or-load.ts'
import { IdentityConflictDetector } from './identity-conflict.ts'
import { keyChangeOf } from './key-changed.ts'
import { LagTracker } from './lag.ts'
import type { ResolvedNodeOptions } from './options.ts'
import { PeerPolicing } from './peer-policing.ts'
import { RemoteAccounting } from './remote-apply.ts'
import { ReplicationLink } from './replication-link.ts'
import { serveSince } from './since-policy.ts'
import { TakeoverTracker } from './takeover.ts'

/** What the node itself answers for its parts. */
export interface NodeHooks {
  /** The node's wall clock (clock.ts). */
  now: () => number
  dispatch: Dispatch
  /** A bug of ours, caught where a peer's input or a timer would otherwise crash the node. */
  onInternalError: (where: string, err: unknown) => void
  /** The node's own getEntry and set: a loaded value is written like any other. */
  getEntry: LoaderHost['getEntry']
  set: LoaderHost['set']
  /** Whether anyone listens to `key:changed` (events.ts: no event is built for nobody). */
  keyChangesWatched: () => boolean
}

export interface NodeParts {
  /** The node's wall clock (clock.ts): stamps versions, decides expiry. */
  readonly now: () => number
  readonly replica: Replica
  readonly conflicts: IdentityConflictDetector
  readonly police: PeerPolicing
  readonly sync: SyncService
  /** The replication engine over its streams: writes out, every remote delta in. */
  readonly link: ReplicationLink
  readonly hints: HotKeyHints
  /** The gossipsub topic of hot-key hints (subscribed only with hints on). */
  readonly hintsTopic: string
  /** Hands the messages of hintsTopic to the hints (a gossipsub listener while started). */
  readonly onHint: (e: CustomEvent<GossipsubMessage>) => void
  readonly loader: SingleFlightLoader
  readonly lag: LagTracker
  readonly takeover: TakeoverTracker
  /** What peers may send this node as values (larger ones come as ghosts: its store would refuse them). */
  readonly entryBytesMax: number
}

export function composeParts(o: ResolvedNodeOptions, p2p: Libp2p<CacheServices>, gate: PeerGate, hooks: NodeHooks): NodeParts {
  const id = p2p.peerId.toString()
  const { now, dispatch } = hooks
  const replica = new Replica({
    nodeId: id,
    epoch: Date.now(),
    maxBytes: o.maxBytes,
    // Hints need the store's hot-key ring; without hints it costs nothing (hotKeysMax 0).
    store: o.hints.enabled === true ? { hotKeysMax: DEFAULT_HOT_KEYS_MAX, ...o.store } : o.store,
    log: o.replicationLog,
    ...(o.maxClockDriftMs === undefined ? {} : { maxClockDriftMs: o.maxClockDriftMs }),
  })
  const entryBytesMax = receivableEntryBytes(replica.store, o.store.sizeOf !== undefined)
  const conflicts = new IdentityConflictDetector({
    origin: replica.origin,
    startedMs: now(),
    maxClockDriftMs: replica.maxClockDriftMs,
    onConflict: (c) => dispatch('identity:conflict', c),
  })
  const ban = (peer: string, banMs: number): void => {
    gate.ban(peer, banMs)
    void p2p.hangUp(peerIdFromString(peer)).catch(() => {})
  }
  const police = new PeerPolicing({
    now,
    malformedLimit: o.malformedLimit,
    banMs: o.banMs,
    ban,
    onBanned: (e) => dispatch('peer:banned', e),
  })
  const onMalformed = (from: string): void => police.noteMalformed(from)
  const hintsEnabled = o.hints.enabled === true
  const lag = new LagTracker()
  const accounting = new RemoteAccounting({
    noteLag: (hlc, nowMs) => lag.note(hlc, nowMs),
    noteOrigin: (origin, hlc, from) => conflicts.note(origin, hlc, from),
    noteHeld: hintsEnabled ? (key) => hints.noteHeld(key) : undefined,
    onDropped: (e) => dispatch('delta:dropped', e),
    keyChangesWatched: hooks.keyChangesWatched,
    onKeyChanged: (d, from, op) => dispatch('key:changed', keyChangeOf(d, from, op)),
    onInternalError: hooks.onInternalError,
  })
  const components = (p2p as unknown as { components: { registrar: Registrar; connectionManager: ConnectionManager } }).components
  const link = new ReplicationLink({
    cluster: o.cluster,
    selfId: id,
    replica,
    now,
    tuning: {
      batchMaxDeltas: o.batchMaxDeltas,
      batchMaxBytes: o.batchMaxBytes,
      batchIntervalMs: o.batchIntervalMs,
      gapGraceMs: o.gapGraceMs,
      antiEntropyIntervalMs: o.antiEntropyIntervalMs,
      repairAnswerMaxBytes: o.repairMaxBytes,
      ackTimeoutMs: o.ackTimeoutMs,
      gossipAboveMembers: o.gossipAboveMembers,
      malformedLimit: o.malformedLimit,
    },
    seed: Math.floor(Math.random() * 2 ** 32),
    registrar: components.registrar,
    connectionManager: components.connectionManager,
    pubsub: p2p.services.pubsub,
    topic: deltaTopic(o.cluster),
    onApplied: (d, outcome, from, live, nowMs, error) => accounting.account(d, outcome, from, live, nowMs, error),
    onDigest: (digest, from) => {
      for (const p of digest.progress) conflicts.note(p.origin, undefined, from)
    },
    onOffender: (peer, malformed) => {
      ban(peer, o.banMs)
      dispatch('peer:banned', { peer, malformed, untilMs: now() + o.banMs })
    },
    onMalformed,
    onInternalError: hooks.onInternalError,
    dropIncoming: gossipDropper(o.dropGossipRate, o.faultSeed),
  })
  const sync = new SyncService({
    cluster: o.cluster,
    registrar: components.registrar,
    connectionManager: components.connectionManager,
    handlers: {
      range: (origin, from, to, maxBytes) => {
        const mine = replica.origin
        if (origin.nodeId !== mine.nodeId || origin.epoch !== mine.epoch) return 'not-mine'
        return replica.log.range(from, to, maxBytes)
      },
      // With hints, the keys the cluster reported hot (and this node may lack) go first.
      since: (hlc, lo, hi) => serveSince(replica, hints.enabled ? hints.receiver.recentKeys() : [], hlc, lo, hi),
      digest: (remote, from) => {
        for (const p of remote.progress) conflicts.note(p.origin, undefined, from)
        link.noteDigest(remote)
        return replica.digest()
      },
      push: (deltas, from) => link.applyReceived(from, deltas).map(pushOutcome),
      malformed: onMalformed,
    },
  })
  const hintsTopic = `also-cache/${o.cluster}/hints/1`
  const hints = new HotKeyHints({
    ...o.hints,
    store: replica.store,
    publish: (bytes) => p2p.services.pubsub.publish(hintsTopic, bytes),
    onMalformed,
  })
  const loader = new SingleFlightLoader({ getEntry: hooks.getEntry, set: hooks.set, now })
  return {
    now,
    replica,
    conflicts,
    police,
    sync,
    link,
    hints,
    hintsTopic,
    onHint: (e) => {
      if (e.detail.msg.topic === hintsTopic) hints.receive(e.detail.propagationSource.toString(), e.detail.msg.data)
    },
    loader,
    lag,
    takeover: new TakeoverTracker(),
    entryBytesMax,
  }
}

/** A push's answer: what the delta did here (the sync protocol's outcome names). */
function pushOutcome(o: ApplyOutcome): PushOutcome {
  return typeof o === 'string' ? o : o.dropped
}
