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
import { Replica, type ApplyResult, type Delta, type Hlc, type ReplicaStats } from '../../crdt/index.ts'
import type { StoreStats } from '../store/index.ts'
import type { Member, MemberEvent, SwimStats } from '../../membership/index.ts'
import { EntryTooLargeError, type DecodeError } from '../errors.ts'
import { peerIdFromString } from '@libp2p/peer-id'
import { createTransport, type CacheServices } from '../networking/libp2p.ts'
import { loadOrCreateIdentity } from '../networking/identity.ts'
import { PeerGate } from '../networking/peer-gate.ts'
import { keyHash32 } from '../networking/key-hash.ts'
import { SyncService } from '../networking/sync-service.ts'
import { pushWithAck } from './acks.ts'
import { MALFORMED_WINDOW_MS, MAX_TRACKED_OFFENDERS } from './constants.ts'
import { CacheNodeEvents, type CacheEntry, type DroppedReason, type SyncDone, type WriteOptions } from './events.ts'
import { resolveNodeOptions, type CacheNodeInit, type ResolvedNodeOptions } from './options.ts'
import { Repair, type RepairStats } from './repair.ts'
import { Replicator, type ReplicatorStats } from './replicator.ts'
import { warmUp, type WarmupProgress } from './warmup.ts'
import { LagTracker, type LagStats } from './lag.ts'
import { HotKeyHints, TakeoverTracker, type HotKeyHintsStats, type TakeoverStats } from './hints.ts'
import { DEFAULT_HOT_KEYS_MAX } from '../store/index.ts'
import { sinceHotFirst } from '../../crdt/hot-first.ts'
import type { GossipsubMessage } from '@libp2p/gossipsub'
import { SingleFlightLoader, type GetOrLoadOptions, type LoaderFn, type LoaderStats } from './get-or-load.ts'
import { loadSnapshot, saveSnapshot, type LoadedSnapshot } from './snapshot.ts'

/** How long start waits for the first bootstrap peer to answer SWIM before warming up anyway. */
const JOIN_WAIT_MS = 5_000
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
  /** Connections refused: not on allowPeers, or banned for malformed input. */
  refusedConnections: number
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
  #dropCounters = { drift: 0, horizon: 0, tooLarge: 0, yjs: 0 }
  #warmup: (SyncDone & { done: true }) | undefined
  #closed = false
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
    const components = (p2p as unknown as { components: { registrar: never; connectionManager: never } }).components
    this.#sync = new SyncService({
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
        push: (deltas, from) => deltas.reduce((n, d) => n + (this.#applyRemote(d, from) === 'applied' ? 1 : 0), 0),
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
      apply: (d, from) => void this.#applyRemote(d, from),
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
    let node: CacheNode | undefined
    const gate = new PeerGate({ ...(o.allowPeers === undefined ? {} : { allowed: o.allowPeers }) })
    const p2p = await createTransport({
      gate,
      listen: o.listen,
      ...(o.identityPath === undefined ? {} : { privateKey: await loadOrCreateIdentity(o.identityPath) }),
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
    this.#assertOpen()
    return this.#loader.getOrLoad(key, loader, options)
  }

  // ---- writes: applied here at once, then replicated ----

  /**
   * Sets `key` (the value is copied). Readable here as soon as this returns; the promise
   * resolves at once, or with `ack: 'all'` once every live member applied it (G6).
   */
  set(key: string, value: Uint8Array, options: WriteOptions = {}): Promise<void> {
    this.#assertOpen()
    // Refused here, before it replicates, if this node's store could never hold it: the
    // caller hears of it at once instead of finding a miss.
    const store = this.#replica.store
    if (value instanceof Uint8Array && typeof key === 'string') {
      const charge = store.chargeOf(key, value)
      if (charge > store.maxEntryBytes) throw new EntryTooLargeError(key, charge, store.maxEntryBytes)
    }
    return this.#replicate(this.#replica.set(key, value, options, this.#now()), options)
  }

  /** The largest entry charge (key + value + overhead) this node's store admits. */
  get maxEntryBytes(): number {
    return this.#replica.store.maxEntryBytes
  }

  /** Deletes `key` everywhere (a tombstone with this write's version). */
  delete(key: string, options: Omit<WriteOptions, 'ttlMs'> = {}): Promise<void> {
    this.#assertOpen()
    return this.#replicate(this.#replica.delete(key, options, this.#now()), options)
  }

  /** Folds a yjs update into the document of `key` (see docs/replication.md). */
  merge(key: string, update: Uint8Array, options: Pick<WriteOptions, 'ack' | 'timeoutMs'> = {}): Promise<void> {
    this.#assertOpen()
    return this.#replicate(this.#replica.merge(key, update, this.#now()), options)
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
      swim: { ...this.#swim.core.stats, droppedFrames: this.#swim.droppedFrames },
      members,
      warmup: this.#warmup ?? { done: false },
      loader: { ...this.#loader.stats },
      hints: this.#hints.stats(),
      takeover: this.#takeover.stats(),
      lag: this.#lag.stats(),
      origins: this.#replica.progress.digest().map((p) => ({ nodeId: p.origin.nodeId, epoch: p.origin.epoch, contiguous: p.contiguous, highest: p.highest, abandoned: p.abandoned })),
      malformedByPeer: Object.fromEntries([...this.#malformed].map(([peer, o]) => [peer, o.total])),
      refusedConnections: this.#gate.refused,
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
    if (this.#o.snapshotPath !== undefined) await saveSnapshot(this.#o.snapshotPath, this.#replica)
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
    // A snapshot that does not load is not fatal: the node starts empty and warms up.
    const snapshot = this.#o.snapshotPath === undefined ? undefined : await loadSnapshot(this.#o.snapshotPath).catch(() => undefined)
    if (this.#o.mdns) this.#p2p.addEventListener('peer:discovery', (e) => void this.#dialDiscovered(e.detail))
    const joined = await this.#dialBootstrap()
    if (joined.length > 0) this.#swim.join(joined)
    void this.#warmUp(joined.length > 0 || this.#o.mdns, snapshot)
  }

  /**
   * Dials every bootstrap address; returns the peer ids reached. When none answers, a
   * `join:failed` event says why: libp2p's own errors for a refused private-network handshake
   * are unclear (STACK.md: parse errors, resets, timeouts), so the hint names the cluster key.
   */
  async #dialBootstrap(): Promise<string[]> {
    const reached: string[] = []
    const errors: string[] = []
    await Promise.all(
      this.#o.bootstrap.map(async (addr) => {
        try {
          const conn = await this.#p2p.dial(multiaddr(addr), { signal: AbortSignal.timeout(JOIN_WAIT_MS) })
          reached.push(conn.remotePeer.toString())
        } catch (err) {
          errors.push(`${addr}: ${err instanceof Error ? err.message : String(err)}`)
        }
      }),
    )
    if (reached.length === 0 && errors.length > 0) {
      const hint =
        this.#o.clusterKey === undefined
          ? 'check the addresses are reachable; if the cluster uses a cluster key, this node needs the same clusterKey'
          : 'check the addresses are reachable and that every node has the same clusterKey (a different key looks like a broken connection)'
      // After createCacheNode resolves, so a listener added right after `await` hears it.
      setTimeout(() => this.dispatch('join:failed', { addrs: [...this.#o.bootstrap], errors, hint }), 0)
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

  async #replicate(delta: Delta, options: { ack?: 'all' | 'none'; timeoutMs?: number }): Promise<void> {
    this.#replicator.enqueue(delta)
    if (options.ack !== 'all') return
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
  }

  /** Applies a delta from a peer (gossip, repair, warm-up or push) and accounts for it. */
  #applyRemote(d: Delta, from: string): ApplyResult {
    const result = this.#replica.apply(d, this.#now())
    this.#afterApply(d, result, from)
    return result
  }

  #afterApply(d: Delta, result: ApplyResult, from: string): void {
    this.#repair.noteDelta(d)
    if (result === 'applied' && this.#hints.enabled) this.#hints.noteHeld(d.key)
    if (result === 'dropped') this.#emitDropped(d, from)
  }

  #emitDropped(d: Delta, from: string): void {
    const s = this.#replica.stats()
    const before = this.#dropCounters
    const reason: DroppedReason =
      s.droppedDrift > before.drift ? 'clock-drift' : s.droppedBelowHorizon > before.horizon ? 'below-horizon' : s.droppedTooLarge > before.tooLarge ? 'too-large' : 'invalid-yjs'
    this.#dropCounters = { drift: s.droppedDrift, horizon: s.droppedBelowHorizon, tooLarge: s.droppedTooLarge, yjs: s.droppedYjs }
    this.dispatch('delta:dropped', { key: d.key, origin: d.origin.nodeId, from, reason })
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
    if (this.#closed) throw new TypeError('CacheNode: closed; create a new node')
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

