// The cache node (DESIGN §9): a Replica (crdt/) plus transport. It wires the parts together
// and decides nothing they can decide alone:
//
//   libp2p (TCP + Noise + yamux) ── gossipsub ── Replicator (batches out, applies in)
//            ├── SWIM service ── membership: who is alive, events, hang up on the dead
//            └── sync protocol ── Repair (gaps, anti-entropy), warm-up, acknowledged writes
//
// Reads are local and synchronous (G1). Writes apply locally at once, then replicate.
// Two clocks: the wall clock (+ clockOffsetMs) stamps versions and expiry; a monotonic clock
// drives SWIM, whose timers must never see time go backwards.

import type { Libp2p } from 'libp2p'
import { multiaddr } from '@multiformats/multiaddr'
import { MAX_WRITE_VALUE_BYTES, receivableEntryBytes, Replica, type ApplyResult, type Delta, type Hlc, type ReplicaStats } from '../../crdt/index.ts'
import type { StoreStats } from '../store/index.ts'
import type { Member, MemberEvent, SwimStats } from '../../membership/index.ts'
import { EntryTooLargeError, type DecodeError } from '../foundation/index.ts'
import { peerIdFromString } from '@libp2p/peer-id'
import { createTransport, type CacheServices } from '../networking/index.ts'
import { acquireIdentity, type IdentityLease } from '../networking/index.ts'
import { PeerGate } from '../networking/index.ts'
import { keyHash32 } from '../foundation/index.ts'
import { SyncService, type SyncServedStats } from '../networking/index.ts'
import { pushWithAck } from './acks.ts'
import { MALFORMED_WINDOW_MS, MAX_TRACKED_OFFENDERS } from './constants.ts'
import { CacheNodeEvents, type CacheEntry, type DroppedReason, type SyncDone, type WriteOptions, type WriteResult } from './events.ts'
import { checkWriteOptions, type CheckedWriteOptions } from './write-options.ts'
import { NodeClosedError } from './errors.ts'
import { resolveNodeOptions, type CacheNodeInit, type ResolvedNodeOptions } from './options.ts'
import { Repair, type RepairStats } from './repair.ts'
import { Replicator, type ReplicatorStats } from './replicator.ts'
import { warmUp, type WarmupProgress } from './warmup.ts'
import { LagTracker, type LagStats } from './lag.ts'
import { HotKeyHints, type HotKeyHintsStats } from '../hints/index.ts'
import { TakeoverTracker, type TakeoverStats } from './takeover.ts'
import { DEFAULT_HOT_KEYS_MAX } from '../store/index.ts'
import { sinceHotFirst } from '../hints/index.ts'
import type { GossipsubMessage } from '@libp2p/gossipsub'
import { SingleFlightLoader, type GetOrLoadOptions, type LoaderFn, type LoaderStats } from './get-or-load.ts'
import { checkSnapshotPath, loadSnapshot, saveSnapshot, SnapshotError, type LoadedSnapshot, type SnapshotState } from './snapshot.ts'
import { IdentityConflictDetector } from './identity-conflict.ts'

const EMPTY_VALUE = new Uint8Array(0)

/** What a remote delta did here (the outcomes a push answers with). */
type ApplyOutcome = 'applied' | 'stale' | DroppedReason | 'failed'

/** How long start waits for the first bootstrap peer to answer SWIM before warming up anyway. */
const JOIN_WAIT_MS = 5_000
const UNREACHABLE_HINT = 'check the addresses are reachable; if the cluster uses a cluster key, this node needs the same clusterKey'
const UNREACHABLE_OR_KEY_HINT =
  'check the addresses are reachable and that every node has the same clusterKey (a different key looks like a broken connection)'
const monotonicNow = (): number => performance.timeOrigin + performance.now()

export interface NodeStats {
  id: string
  hits: number
  misses: number
  /** hits / (hits + misses); 0 before any read. */
  hitRatio: number
  store: StoreStats
  replica: ReplicaStats
  replication: ReplicatorStats
  repair: RepairStats & { pendingOrigins: number }
  /** Serving range and since: values sent as ghosts (too large for the asker, or undecodable) and deltas left out. */
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
  /** Bytes from peers that did not decode, by peer id. */
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

export class CacheNode extends CacheNodeEvents {
  readonly id: string
  readonly #o: ResolvedNodeOptions
  readonly #p2p: Libp2p<CacheServices>
  readonly #replica: Replica
  readonly #sync: SyncService
  readonly #replicator: Replicator
  readonly #repair: Repair
  readonly #now: () => number
  /** Per offending peer: malformed messages in the current window, window start, total. */
  readonly #malformed = new Map<string, { count: number; sinceMs: number; total: number }>()
  readonly #lag = new LagTracker()
  readonly #gate: PeerGate
  readonly #loader: SingleFlightLoader
  readonly #hints: HotKeyHints
  readonly #takeover = new TakeoverTracker()
  readonly #hintsTopic: string
  readonly #onHint = (e: CustomEvent<GossipsubMessage>): void => {
    if (e.detail.msg.topic === this.#hintsTopic) this.#hints.receive(e.detail.propagationSource.toString(), e.detail.msg.data)
  }
  #dropCounters = { drift: 0, horizon: 0, tooLarge: 0, yjs: 0, inadmissible: 0 }
  #internalErrors = 0
  #warmup: (SyncDone & { done: true }) | undefined
  #closed = false
  #snapshot: SnapshotState = { state: 'none' }
  readonly #conflicts: IdentityConflictDetector
  #identity: IdentityLease | undefined
  /** Resolves when the warm-up is over (also announced by the `sync:done` event). */
  readonly warmedUp: Promise<SyncDone>

  /** Use createCacheNode(). */
  private constructor(o: ResolvedNodeOptions, p2p: Libp2p<CacheServices>, gate: PeerGate) {
    super()
    this.#gate = gate
    this.#o = o
    this.#p2p = p2p
    this.id = p2p.peerId.toString()
    const offset = o.clockOffsetMs
    const clock = o.clock
    this.#now = offset === 0 ? clock : () => clock() + offset
    this.#replica = new Replica({
      nodeId: this.id,
      epoch: Date.now(),
      maxBytes: o.maxBytes,
      // Hints need the store's hot-key ring; without hints it costs nothing (hotKeysMax 0).
      store: o.hints.enabled === true ? { hotKeysMax: DEFAULT_HOT_KEYS_MAX, ...o.store } : o.store,
      log: o.replicationLog,
      ...(o.maxClockDriftMs === undefined ? {} : { maxClockDriftMs: o.maxClockDriftMs }),
    })
    this.#conflicts = new IdentityConflictDetector({
      origin: this.#replica.origin,
      startedMs: this.#now(),
      maxClockDriftMs: this.#replica.maxClockDriftMs,
      onConflict: (c) => this.dispatch('identity:conflict', c),
    })
    const components = (p2p as unknown as { components: { registrar: never; connectionManager: never } }).components
    this.#sync = new SyncService({
      cluster: o.cluster,
      registrar: components.registrar,
      connectionManager: components.connectionManager,
      handlers: {
        range: (origin, from, to, maxBytes) => {
          const mine = this.#replica.origin
          if (origin.nodeId !== mine.nodeId || origin.epoch !== mine.epoch) return 'not-mine'
          return this.#replica.log.range(from, to, maxBytes)
        },
        since: (hlc, lo, hi) => this.#since(hlc, lo, hi),
        digest: (remote, from) => {
          this.#repair.compare(remote, from)
          return this.#replica.digest()
        },
        push: (deltas, from) => deltas.map((d) => this.#applyRemote(d, from)),
        malformed: (from, err) => this.#onMalformed(from, err),
      },
    })
    let faultState = o.faultSeed >>> 0 || 1
    this.#replicator = new Replicator({
      pubsub: p2p.services.pubsub,
      topic: `also-cache/${o.cluster}/deltas/1`,
      replica: this.#replica,
      now: this.#now,
      batchMaxDeltas: o.batchMaxDeltas,
      batchMaxBytes: o.batchMaxBytes,
      batchIntervalMs: o.batchIntervalMs,
      onApplied: (d, result, from) => {
        this.#lag.note(d.version.hlc, this.#now())
        this.#afterApply(d, result, from)
      },
      onMalformed: (from, err) => this.#onMalformed(from, err),
      onInternalError: (where, err) => this.#onInternalError(where, err),
      dropIncoming:
        o.dropGossipRate === 0
          ? undefined
          : () => {
              faultState ^= faultState << 13
              faultState ^= faultState >>> 17
              faultState ^= faultState << 5
              return (faultState >>> 0) / 2 ** 32 < o.dropGossipRate
            },
    })
    this.#hintsTopic = `also-cache/${o.cluster}/hints/1`
    this.#hints = new HotKeyHints({
      ...o.hints,
      store: this.#replica.store,
      publish: (bytes) => p2p.services.pubsub.publish(this.#hintsTopic, bytes),
      onMalformed: (from, err) => this.#onMalformed(from, err),
    })
    this.#repair = new Repair({
      replica: this.#replica,
      sync: this.#sync,
      now: this.#now,
      selfId: this.id,
      isAlive: (id) => this.#swim.isAlive(id),
      isMember: (id) => id === this.id || this.#swim.core.member(id) !== undefined,
      randomPeer: () => {
        const alive = this.#swim.aliveMembers().filter((m) => m !== this.id)
        return alive.length === 0 ? undefined : alive[Math.floor(Math.random() * alive.length)]
      },
      gapGraceMs: o.gapGraceMs,
      repairIntervalMs: o.repairIntervalMs,
      antiEntropyIntervalMs: o.antiEntropyIntervalMs,
      repairMaxBytes: o.repairMaxBytes,
      entryBytesMax: this.#entryBytesMax(),
      apply: (d, from) => void this.#applyRemote(d, from),
      onDigest: (theirs, from) => {
        for (const p of theirs.progress) this.#conflicts.note(p.origin, undefined, from ?? 'unknown')
      },
    })
    this.#loader = new SingleFlightLoader({
      getEntry: (key) => this.getEntry(key),
      set: (key, value, options) => this.set(key, value, options),
      now: this.#now,
    })
    let resolveWarm: (d: SyncDone) => void = () => {}
    this.warmedUp = new Promise((resolve) => (resolveWarm = resolve))
    this.addEventListener('sync:done', (e) => resolveWarm(e.detail))
  }

  /** @internal Use createCacheNode(). */
  static async create(init?: CacheNodeInit): Promise<CacheNode> {
    const o = resolveNodeOptions(init)
    const gate = new PeerGate({ ...(o.allowPeers === undefined ? {} : { allowed: o.allowPeers }) })
    // Paths are checked before anything listens: a bad one leaves nothing behind.
    if (o.snapshotPath !== undefined) await checkSnapshotPath(o.snapshotPath)
    const identity = o.identityPath === undefined ? undefined : await acquireIdentity(o.identityPath)
    try {
      return await CacheNode.#create(o, gate, identity)
    } catch (err) {
      await identity?.release()
      throw err
    }
  }

  static async #create(o: ResolvedNodeOptions, gate: PeerGate, identity: IdentityLease | undefined): Promise<CacheNode> {
    let node: CacheNode | undefined
    const p2p = await createTransport({
      gate,
      listen: o.listen,
      cluster: o.cluster,
      ...(identity === undefined ? {} : { privateKey: identity.privateKey }),
      ...(o.clusterKey === undefined ? {} : { clusterKey: o.clusterKey }),
      ...(o.mdns ? { mdnsServiceTag: `also-cache-${o.cluster}.local` } : {}),
      swim: {
        config: o.swim,
        now: monotonicNow,
        onEvent: (ev) => {
          if (node !== undefined) node.#onMemberEvent(ev)
        },
        onMalformed: (from) => {
          if (node !== undefined) node.#onMalformed(from)
        },
      },
    })
    node = new CacheNode(o, p2p, gate)
    node.#identity = identity
    await node.#start()
    return node
  }

  get #swim() {
    return this.#p2p.services.swim
  }

  // ---- reads (G1: local, synchronous, no copy) ----

  /** The value of `key`, or undefined. Counts a hit or a miss. Never touches the network. */
  get(key: string): Uint8Array | undefined {
    const v = this.#replica.get(key, this.#now())
    this.#takeover.noteRead(v !== undefined)
    return v
  }

  /** Value, version and expiry of `key` (no hit counted), or undefined. */
  getEntry(key: string): CacheEntry | undefined {
    const e = this.#replica.getEntry(key, this.#now())
    return e === undefined ? undefined : { value: e.value, version: e.version, expiresAt: e.expiresAt }
  }

  /** Every live entry, hottest first (main queue, then small). No hit is counted. */
  *entries(): IterableIterator<[string, CacheEntry]> {
    for (const e of this.#replica.entries(this.#now())) yield [e.key, { value: e.value, version: e.version, expiresAt: e.expiresAt }]
  }

  /**
   * The value of `key`, loading it with `loader` on a miss: one loader call per key however
   * many callers wait, stale-while-revalidate inside `staleWhileRevalidateMs`, stale kept on
   * a failed refresh. The loaded value replicates like a set. See get-or-load.ts.
   */
  getOrLoad(key: string, loader: LoaderFn, options: GetOrLoadOptions): Promise<Uint8Array> {
    try {
      this.#assertOpen()
      return this.#loader.getOrLoad(key, loader, options)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  // ---- writes: applied here at once, then replicated ----
  // Every write is checked whole before anything is applied or sent (the admission rule:
  // crdt/admission.ts, write-options.ts); a refused one rejects with a typed error and changes
  // nothing anywhere. The methods return promises and never throw.

  /**
   * Sets `key` (the value is copied). Readable here as soon as this returns; the promise
   * resolves at once, or with `ack: 'all'` once every live member applied it (G6), with the
   * write's version and whether it lost to a higher version already held (`stale`).
   */
  set(key: string, value: Uint8Array, options?: WriteOptions): Promise<WriteResult> {
    try {
      this.#assertOpen()
      const o = checkWriteOptions(options, 'set')
      // Refused here, before it replicates, if this node's store could never hold it: the
      // caller hears of it at once instead of finding a miss.
      const store = this.#replica.store
      if (value instanceof Uint8Array && typeof key === 'string') {
        const charge = store.chargeOf(key, value)
        if (charge > store.maxEntryBytes) throw new EntryTooLargeError(key, charge, store.maxEntryBytes)
      }
      return this.#replicate(this.#replica.set(key, value, o, this.#now()), o)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /** The largest entry charge (key + value + overhead) this node's store admits. */
  get maxEntryBytes(): number {
    return this.#replica.store.maxEntryBytes
  }

  /**
   * The largest value a write may carry here, for a one-byte key: the smaller of the wire
   * bound (MAX_WRITE_VALUE_BYTES, 4 MiB − 128 KiB) and the store's largest entry less the
   * per-entry charge. A longer key leaves that much less (key bytes count in the charge).
   */
  get maxValueBytes(): number {
    const store = this.#replica.store
    return Math.min(MAX_WRITE_VALUE_BYTES, store.maxEntryBytes - store.chargeOf('k', EMPTY_VALUE))
  }

  /** Deletes `key` everywhere (a tombstone with this write's version). */
  delete(key: string, options?: Omit<WriteOptions, 'ttlMs'>): Promise<WriteResult> {
    try {
      this.#assertOpen()
      const o = checkWriteOptions(options, 'delete')
      return this.#replicate(this.#replica.delete(key, o, this.#now()), o)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /** Folds a yjs update into the document of `key` (see docs/replication.md). */
  merge(key: string, update: Uint8Array, options?: Pick<WriteOptions, 'ack' | 'timeoutMs'>): Promise<WriteResult> {
    try {
      this.#assertOpen()
      const o = checkWriteOptions(options, 'merge')
      return this.#replicate(this.#replica.merge(key, update, this.#now()), o)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /** Sends every queued delta now. */
  flush(): Promise<void> {
    return this.#replicator.flush()
  }

  // ---- what is going on ----

  /** The listening multiaddrs, each ending in /p2p/<this node's id>. */
  addresses(): string[] {
    return this.#p2p.getMultiaddrs().map(String)
  }

  /** Every member this node knows of, itself first, with SWIM state and incarnation. */
  members(): Member[] {
    const core = this.#swim.core
    const self: Member = { id: this.id, state: core.leaving ? 'left' : 'alive', incarnation: core.incarnation, addrs: this.addresses() }
    return [self, ...this.#swim.members()]
  }

  stats(): NodeStats {
    const store = this.#replica.store.stats()
    const members: Record<Member['state'], number> = { alive: 0, suspect: 0, dead: 0, left: 0 }
    for (const m of this.members()) members[m.state]++
    const reads = store.hits + store.misses
    return {
      id: this.id,
      hits: store.hits,
      misses: store.misses,
      hitRatio: reads === 0 ? 0 : store.hits / reads,
      store,
      replica: this.#replica.stats(),
      replication: { ...this.#replicator.stats },
      repair: { ...this.#repair.stats, pendingOrigins: this.#repair.pendingOrigins },
      syncServed: { ...this.#sync.served },
      swim: { ...this.#swim.core.stats, droppedFrames: this.#swim.droppedFrames },
      members,
      warmup: this.#warmup ?? { done: false },
      loader: { ...this.#loader.stats },
      hints: this.#hints.stats(),
      takeover: this.#takeover.stats(),
      lag: this.#lag.stats(),
      origins: this.#replica.progress.digest().map((p) => ({ nodeId: p.origin.nodeId, epoch: p.origin.epoch, contiguous: p.contiguous, highest: p.highest, abandoned: p.abandoned })),
      malformedByPeer: Object.fromEntries([...this.#malformed].map(([peer, o]) => [peer, o.total])),
      refusedConnections: this.#gate.refused + this.#p2p.services.guard.refused,
      internalErrors: this.#internalErrors,
      snapshot: this.#snapshot,
      identityConflicts: this.#conflicts.conflicts,
    }
  }

  /** @internal Recounts the replica and store; throws on inconsistency (tests). */
  validate(): void {
    this.#replica.validate()
  }

  /** Leaves the cluster gracefully (SWIM "left"), sends what is queued, and stops. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#repair.stop()
    await this.#replicator.flush().catch(() => {})
    this.#hints.stop()
    if (this.#hints.enabled) {
      this.#p2p.services.pubsub.removeEventListener('gossipsub:message', this.#onHint)
      this.#p2p.services.pubsub.unsubscribe(this.#hintsTopic)
    }
    await this.#swim.leave(this.#o.leaveTimeoutMs).catch(() => {})
    await this.#replicator.stop().catch(() => {})
    await this.#sync.stop().catch(() => {})
    await this.#p2p.stop()
    await this.#identity?.release()
    if (this.#o.snapshotPath !== undefined) await saveSnapshot(this.#o.snapshotPath, this.#replica, this.#o.cluster)
  }

  // ---- internals ----

  async #start(): Promise<void> {
    this.#swim.begin()
    await this.#sync.start()
    this.#replicator.start()
    if (this.#hints.enabled) {
      this.#p2p.services.pubsub.subscribe(this.#hintsTopic)
      this.#p2p.services.pubsub.addEventListener('gossipsub:message', this.#onHint)
      this.#hints.start()
    }
    this.#repair.start()
    const snapshot = this.#o.snapshotPath === undefined ? undefined : await this.#loadSnapshot(this.#o.snapshotPath)
    if (this.#o.mdns) this.#p2p.addEventListener('peer:discovery', (e) => void this.#dialDiscovered(e.detail))
    const joined = await this.#dialBootstrap()
    if (joined.length > 0) this.#swim.join(joined)
    void this.#warmUp(joined.length > 0 || this.#o.mdns, snapshot)
  }

  /**
   * A snapshot that does not load is not fatal: the node starts empty, warms up, and replaces
   * the file on close. But it is reported (`snapshot:refused`, stats().snapshot), never swallowed.
   */
  async #loadSnapshot(path: string): Promise<LoadedSnapshot | undefined> {
    try {
      const snapshot = await loadSnapshot(path, this.#o.cluster)
      if (snapshot !== undefined) this.#snapshot = { state: 'loaded', deltas: snapshot.deltas.length }
      return snapshot
    } catch (err) {
      const e = err instanceof SnapshotError ? err : new SnapshotError(path, 'corrupt', String(err), { cause: err })
      this.#snapshot = { state: 'refused', reason: e.reason, message: e.message }
      // After createCacheNode resolves, so a listener added right after `await` hears it.
      setTimeout(() => this.dispatch('snapshot:refused', { path, reason: e.reason, message: e.message }), 0)
      return undefined
    }
  }

  /**
   * Dials every bootstrap address; returns the peer ids reached that are of this cluster.
   * When none is, a `join:failed` event says why: a peer of another cluster is named as such
   * (identify shows it does not serve this cluster's SWIM protocol; the guard hangs up on it),
   * and libp2p's own errors for a refused private-network handshake are unclear (STACK.md:
   * parse errors, resets, timeouts), so the hint names the cluster key.
   */
  async #dialBootstrap(): Promise<string[]> {
    const reached: string[] = []
    const errors: string[] = []
    let foreign = 0
    await Promise.all(
      this.#o.bootstrap.map(async (addr) => {
        try {
          const signal = AbortSignal.timeout(JOIN_WAIT_MS)
          const conn = await this.#p2p.dial(multiaddr(addr), { signal })
          // undefined: identify did not answer in time; SWIM's own negotiation decides then.
          if ((await this.#p2p.services.guard.verdict(conn, signal)) === false) {
            foreign++
            errors.push(`peer at ${addr} belongs to another cluster (it does not speak cluster '${this.#o.cluster}')`)
            return
          }
          reached.push(conn.remotePeer.toString())
        } catch (err) {
          errors.push(`${addr}: ${err instanceof Error ? err.message : String(err)}`)
        }
      }),
    )
    if (reached.length === 0 && errors.length > 0) {
      const hints: string[] = []
      if (foreign > 0) hints.push(`check the cluster option: a node joins only nodes of its own cluster (here '${this.#o.cluster}')`)
      if (foreign < errors.length) hints.push(this.#o.clusterKey === undefined ? UNREACHABLE_HINT : UNREACHABLE_OR_KEY_HINT)
      // After createCacheNode resolves, so a listener added right after `await` hears it.
      setTimeout(() => this.dispatch('join:failed', { addrs: [...this.#o.bootstrap], errors, hint: hints.join('; ') }), 0)
    }
    return reached
  }

  /**
   * Dials a peer mDNS found (the SWIM service joins through it on connect). Loopback
   * addresses are dropped: mDNS advertises 127.0.0.1 too, which is this host, not theirs.
   */
  async #dialDiscovered(peer: { id: { toString(): string }; multiaddrs: { toString(): string }[] }): Promise<void> {
    if (this.#closed || peer.id.toString() === this.id || this.#swim.isAlive(peer.id.toString())) return
    const addrs = peer.multiaddrs.map(String).filter((a) => !/^\/ip4\/127\.|^\/ip6\/::1\//.test(a))
    if (addrs.length === 0) return
    try {
      await this.#p2p.dial(
        addrs.map((a) => multiaddr(a.includes('/p2p/') ? a : `${a}/p2p/${peer.id.toString()}`)),
        { signal: AbortSignal.timeout(JOIN_WAIT_MS) },
      )
    } catch {
      // Unreachable now; mDNS announces again and SWIM may learn it from others.
    }
  }

  async #warmUp(joining: boolean, snapshot: LoadedSnapshot | undefined): Promise<void> {
    const started = this.#now()
    if (joining && this.#o.warmupPeers > 0) {
      const deadline = monotonicNow() + JOIN_WAIT_MS
      while (this.#others().length === 0 && monotonicNow() < deadline && !this.#closed) {
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    }
    const peers = this.#o.warmupPeers === 0 ? [] : shuffle(this.#others()).slice(0, this.#o.warmupPeers)
    const failed = { entries: 0, bytes: 0, peers: peers.length, ms: 0, snapshot: 'none' as const, complete: false, failedSlices: 1 }
    const result =
      peers.length === 0 && snapshot === undefined
        ? { entries: 0, bytes: 0, peers: 0, ms: this.#now() - started, snapshot: 'none' as const, complete: true, failedSlices: 0 }
        : await warmUp({
            snapshot,
            sync: this.#sync,
            peers,
            digest: () => this.#replica.digest(),
            maxBytes: this.#o.maxBytes,
            entryBytesMax: this.#entryBytesMax(),
            now: this.#now,
            apply: (d, from) => void this.#applyRemote(d, from),
            baseline: (origin, contiguous, hlc) => this.#repair.baseline(origin, contiguous, hlc),
            onProgress: (p: WarmupProgress) => this.dispatch('sync:progress', p),
          }).catch(() => ({ ...failed, ms: this.#now() - started })) // never an unhandled rejection: repair and anti-entropy go on
    if (this.#closed) return
    // From now on an origin this node has not heard of is new since its warm-up: wanted from seq 1.
    this.#replica.progress.warmedUp()
    this.#warmup = { ...result, done: true }
    this.dispatch('sync:done', result)
  }

  #others(): string[] {
    return this.#swim.aliveMembers().filter((m) => m !== this.id)
  }

  async #replicate(delta: Delta, options: CheckedWriteOptions): Promise<WriteResult> {
    // Read before the first await: the replica's last local result is this write's.
    const result: WriteResult = { version: delta.version, stale: this.#replica.lastLocalResult === 'stale' }
    this.#replicator.enqueue(delta)
    if (options.ack !== 'all') return result
    // Suspected members still count: SWIM has not declared them dead (G6).
    const counts = (id: string): boolean => {
      const state = this.#swim.core.member(id)?.state
      return state === 'alive' || state === 'suspect'
    }
    await pushWithAck(delta, {
      sync: this.#sync,
      members: this.#swim.members().filter((m) => counts(m.id)).map((m) => m.id),
      isAlive: counts,
      timeoutMs: options.timeoutMs ?? this.#o.ackTimeoutMs,
    })
    return result
  }

  /**
   * Applies a delta from a peer (gossip, repair, warm-up or push) and accounts for it. Returns
   * what it did: 'applied', 'stale', the reason it was refused, or 'failed' (our own bug).
   */
  #applyRemote(d: Delta, from: string): ApplyOutcome {
    let result: ApplyResult
    try {
      result = this.#replica.apply(d, this.#now())
    } catch (err) {
      // The bytes decoded: whatever threw is ours, not the peer's. Only this delta is lost
      // (repair asks again); the rest of its chunk goes on.
      this.#onInternalError('apply a received delta', err)
      return 'failed'
    }
    return this.#afterApply(d, result, from)
  }

  #afterApply(d: Delta, result: ApplyResult, from: string): ApplyOutcome {
    if (d.seq > 0) this.#conflicts.note(d.origin, d.version.hlc, from)
    this.#repair.noteDelta(d)
    if (result === 'applied' && this.#hints.enabled) this.#hints.noteHeld(d.key)
    if (result !== 'dropped') return result
    const reason = this.#dropReason()
    this.dispatch('delta:dropped', { key: d.key, origin: d.origin.nodeId, from, reason })
    return reason
  }

  /** Why the replica just dropped a delta: the one drop counter that moved. */
  #dropReason(): DroppedReason {
    const s = this.#replica.stats()
    const before = this.#dropCounters
    const reason: DroppedReason =
      s.droppedInadmissible > before.inadmissible
        ? 'inadmissible'
        : s.droppedDrift > before.drift
          ? 'clock-drift'
          : s.droppedBelowHorizon > before.horizon
            ? 'below-horizon'
            : s.droppedTooLarge > before.tooLarge
              ? 'too-large'
              : 'invalid-yjs'
    this.#dropCounters = {
      drift: s.droppedDrift,
      horizon: s.droppedBelowHorizon,
      tooLarge: s.droppedTooLarge,
      yjs: s.droppedYjs,
      inadmissible: s.droppedInadmissible,
    }
    return reason
  }

  /** What peers may send this node as values (larger ones come as ghosts: its store would refuse them). */
  #entryBytesMax(): number {
    return receivableEntryBytes(this.#replica.store, this.#o.store.sizeOf !== undefined)
  }

  /** since(T) for a peer, restricted to a slice of the key-hash space. */
  #since(hlc: number, lo: number, hi: number): Iterable<Delta> {
    const all = lo === 0 && hi >= 2 ** 32
    // With hints, the keys the cluster reported hot (and this node may lack) go first.
    const hot = this.#hints.enabled ? this.#hints.receiver.recentKeys() : []
    const options = all ? {} : { keys: (key: string) => {
      const h = keyHash32(key)
      return h >= lo && h < hi
    } }
    return hot.length === 0 ? this.#replica.since(hlc as Hlc, options) : sinceHotFirst(this.#replica, hlc as Hlc, hot, options)
  }

  /**
   * Bad bytes from a peer (any protocol): counted per peer; past malformedLimit within a
   * minute the peer is hung up on and refused for banMs (G7).
   */
  #onMalformed(from: string, _err?: DecodeError): void {
    const now = this.#now()
    let o = this.#malformed.get(from)
    if (o === undefined || now - o.sinceMs > MALFORMED_WINDOW_MS) {
      o = { count: 0, sinceMs: now, total: o?.total ?? 0 }
      this.#malformed.delete(from)
      this.#malformed.set(from, o)
      if (this.#malformed.size > MAX_TRACKED_OFFENDERS) this.#malformed.delete(this.#malformed.keys().next().value as string)
    }
    o.count++
    o.total++
    if (o.count < this.#o.malformedLimit) return
    o.count = 0
    this.#gate.ban(from, this.#o.banMs)
    void this.#p2p.hangUp(peerIdFromString(from)).catch(() => {})
    this.dispatch('peer:banned', { peer: from, malformed: o.total, untilMs: now + this.#o.banMs })
  }

  #onMemberEvent(ev: MemberEvent): void {
    const { by: _by, ...member } = ev
    if (ev.state === 'dead') this.#takeover.memberDied(ev.id, this.#now())
    this.dispatch(`member:${ev.state}`, member)
  }

  #assertOpen(): void {
    if (this.#closed) throw new NodeClosedError()
  }

  /** A bug of ours, caught where a peer's input or a timer would otherwise crash the node. */
  #onInternalError(where: string, error: unknown): void {
    this.#internalErrors++
    console.error(`also-cache: internal error while trying to ${where} (please report):`, error)
    this.dispatch('internal:error', { where, error })
  }
}

/** Starts a cache node: listens, joins through `bootstrap`, warms up in the background. */
export function createCacheNode(init?: CacheNodeInit): Promise<CacheNode> {
  return CacheNode.create(init)
}

function shuffle<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[xs[i], xs[j]] = [xs[j], xs[i]]
  }
  return xs
}

