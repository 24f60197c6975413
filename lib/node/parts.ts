// The composition root: builds the node's parts and wires them to one another. Each part
// gets what it needs as values and callbacks, never the node itself, so each can be read (and
// tested) alone; the callbacks close over parts built later, which they reach only once the
// node has started. What the node decides itself (its events, its internal-error report, its
// own reads and writes for the loader) comes in as NodeHooks.
//
//   libp2p (TCP + Noise + yamux) ── gossipsub ── Replicator (batches out, applies in)
//            ├── SWIM service ── membership: who is alive, events, hang up on the dead
//            └── sync protocol ── SyncService: serves range, since (since-policy.ts), digest,
//                push; Repair (gaps, anti-entropy), warm-up, acknowledged writes
//   every remote delta ── RemoteApply; every malformed message ── PeerPolicing

import type { Libp2p } from 'libp2p'
import type { GossipsubMessage } from '@libp2p/gossipsub'
import { peerIdFromString } from '@libp2p/peer-id'
import { receivableEntryBytes, Replica } from '../../crdt/index.ts'
import { HotKeyHints } from '../hints/index.ts'
import { deltaTopic, SyncService, type CacheServices, type PeerGate } from '../networking/index.ts'
import { DEFAULT_HOT_KEYS_MAX } from '../store/index.ts'
import type { Dispatch } from './events.ts'
import { gossipDropper } from './fault-injection.ts'
import { SingleFlightLoader, type LoaderHost } from './get-or-load.ts'
import { IdentityConflictDetector } from './identity-conflict.ts'
import { LagTracker } from './lag.ts'
import type { ResolvedNodeOptions } from './options.ts'
import { PeerPolicing } from './peer-policing.ts'
import { RemoteApply } from './remote-apply.ts'
import { Repair } from './repair.ts'
import { Replicator } from './replicator.ts'
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
}

export interface NodeParts {
  /** The node's wall clock (clock.ts): stamps versions, decides expiry. */
  readonly now: () => number
  readonly replica: Replica
  readonly conflicts: IdentityConflictDetector
  readonly police: PeerPolicing
  readonly remote: RemoteApply
  readonly sync: SyncService
  readonly replicator: Replicator
  readonly hints: HotKeyHints
  /** The gossipsub topic of hot-key hints (subscribed only with hints on). */
  readonly hintsTopic: string
  /** Hands the messages of hintsTopic to the hints (a gossipsub listener while started). */
  readonly onHint: (e: CustomEvent<GossipsubMessage>) => void
  readonly repair: Repair
  readonly loader: SingleFlightLoader
  readonly lag: LagTracker
  readonly takeover: TakeoverTracker
  /** What peers may send this node as values (larger ones come as ghosts: its store would refuse them). */
  readonly entryBytesMax: number
}

export function composeParts(o: ResolvedNodeOptions, p2p: Libp2p<CacheServices>, gate: PeerGate, hooks: NodeHooks): NodeParts {
  const id = p2p.peerId.toString()
  const { now, dispatch } = hooks
  const swim = p2p.services.swim
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
  const police = new PeerPolicing({
    now,
    malformedLimit: o.malformedLimit,
    banMs: o.banMs,
    ban: (peer, banMs) => {
      gate.ban(peer, banMs)
      void p2p.hangUp(peerIdFromString(peer)).catch(() => {})
    },
    onBanned: (e) => dispatch('peer:banned', e),
  })
  const onMalformed = (from: string): void => police.noteMalformed(from)
  const hintsEnabled = o.hints.enabled === true
  const remote = new RemoteApply({
    replica,
    now,
    noteOrigin: (origin, hlc, from) => conflicts.note(origin, hlc, from),
    noteDelta: (d) => repair.noteDelta(d),
    noteHeld: hintsEnabled ? (key) => hints.noteHeld(key) : undefined,
    onDropped: (e) => dispatch('delta:dropped', e),
    onInternalError: hooks.onInternalError,
  })
  const components = (p2p as unknown as { components: { registrar: never; connectionManager: never } }).components
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
        repair.compare(remote, from)
        return replica.digest()
      },
      push: (deltas, from) => deltas.map((d) => remote.apply(d, from)),
      malformed: onMalformed,
    },
  })
  const lag = new LagTracker()
  const replicator = new Replicator({
    pubsub: p2p.services.pubsub,
    topic: deltaTopic(o.cluster),
    replica,
    now,
    batchMaxDeltas: o.batchMaxDeltas,
    batchMaxBytes: o.batchMaxBytes,
    batchIntervalMs: o.batchIntervalMs,
    onApplied: (d, result, from) => {
      lag.note(d.version.hlc, now())
      remote.accountFor(d, result, from)
    },
    onMalformed,
    onInternalError: hooks.onInternalError,
    dropIncoming: gossipDropper(o.dropGossipRate, o.faultSeed),
  })
  const hintsTopic = `also-cache/${o.cluster}/hints/1`
  const hints = new HotKeyHints({
    ...o.hints,
    store: replica.store,
    publish: (bytes) => p2p.services.pubsub.publish(hintsTopic, bytes),
    onMalformed,
  })
  const repair = new Repair({
    replica,
    sync,
    now,
    selfId: id,
    isAlive: (peer) => swim.isAlive(peer),
    isMember: (peer) => peer === id || swim.core.member(peer) !== undefined,
    randomPeer: () => {
      const alive = swim.aliveMembers().filter((m) => m !== id)
      return alive.length === 0 ? undefined : alive[Math.floor(Math.random() * alive.length)]
    },
    gapGraceMs: o.gapGraceMs,
    repairIntervalMs: o.repairIntervalMs,
    antiEntropyIntervalMs: o.antiEntropyIntervalMs,
    repairMaxBytes: o.repairMaxBytes,
    entryBytesMax,
    apply: (d, from) => void remote.apply(d, from),
    onDigest: (theirs, from) => {
      for (const p of theirs.progress) conflicts.note(p.origin, undefined, from ?? 'unknown')
    },
  })
  const loader = new SingleFlightLoader({ getEntry: hooks.getEntry, set: hooks.set, now })
  return {
    now,
    replica,
    conflicts,
    police,
    remote,
    sync,
    replicator,
    hints,
    hintsTopic,
    onHint: (e) => {
      if (e.detail.msg.topic === hintsTopic) hints.receive(e.detail.propagationSource.toString(), e.detail.msg.data)
    },
    repair,
    loader,
    lag,
    takeover: new TakeoverTracker(),
    entryBytesMax,
  }
}
