// The cache node: a Replica (crdt/) plus transport, behind the public API — reads, writes,
// events, stats, close. This file is the facade only; each job behind it has its own file:
//
//   parts.ts           builds the parts and wires them to one another (the composition root)
//   lifecycle.ts       opens the transport, starts the parts in order, stops them on close
//   join.ts            dials bootstrap addresses and mDNS peers; join:failed says why not
//   warmup-run.ts      the warm-up run at start (warmup.ts is its protocol)
//   replication-link.ts runs the replication engine (lib/replication/) over its streams
//   remote-apply.ts    accounts for every remote delta the engine applied (lag, delta:dropped)
//   peer-policing.ts   counts malformed input per peer and bans past the limit (peer:banned)
//   since-policy.ts    what a peer's since(T) request is served: its key-hash slice, hot keys first
//   stats.ts           NodeStats and its assembly
//   write-batch.ts     setMany/deleteMany/getMany: every entry checked before any is applied
//   touch.ts           touch: a new expiry, replicated as a new version of the same bytes
//   key-changed.ts     the key:changed event (built only while someone listens)
//   fault-injection.ts the test-only gossip drops (dropGossipRate, faultSeed)
//   clock.ts           the wall clock (versions, expiry) and the monotonic one (SWIM, waits)
//
// Reads are local and synchronous (G1); writes apply here at once, then replicate (docs/node.md).

import type { Libp2p } from 'libp2p'
import { MAX_WRITE_VALUE_BYTES, tagProblem, WriteRefusedError, type Delta } from '../../crdt/index.ts'
import type { Member, MemberEvent } from '../../membership/index.ts'
import { checkKey, checkPrefix } from '../foundation/index.ts'
import { acquireIdentity, PeerGate, type CacheServices, type IdentityLease } from '../networking/index.ts'
import { wallClock } from './clock.ts'
import { NodeClosedError } from './errors.ts'
import {
  CacheNodeEvents,
  type AckOptions,
  type CacheEntry,
  type ClearOptions,
  type DeleteWriteOptions,
  type SyncDone,
  type WriteOptions,
  type WriteResult,
} from './events.ts'
import { LoadedEntry, type GetOrLoadOptions, type LoaderFn } from './get-or-load.ts'
import { openTransport, startParts, stopParts } from './lifecycle.ts'
import { resolveNodeOptions, type CacheNodeInit, type ResolvedNodeOptions } from './options.ts'
import { composeParts, type NodeParts } from './parts.ts'
import { keyChangeOf, type KeyChangeOp } from './key-changed.ts'
import { checkSnapshotPath, type SnapshotState } from './snapshot.ts'
import { nodeStats, type NodeStats } from './stats.ts'
import { touchDelta } from './touch.ts'
import { checkDeleteKeys, checkReadKeys, checkSetEntries, refuseTooLarge, type SetManyEntry } from './write-batch.ts'
import { checkWriteOptions, type CheckedWriteOptions } from './write-options.ts'
import { ValueConverter, type ValueCodec } from './value-codec.ts'


const EMPTY_VALUE = new Uint8Array(0)

/** Tags one invalidateTags call may name (each is one replicated delta). */
export const MAX_TAGS_PER_INVALIDATION = 1024

export class CacheNode<T = Uint8Array> extends CacheNodeEvents {
  readonly id: string
  /** Values ↔ bytes (valueCodec); undefined for bytes, so a byte node converts nothing. */
  readonly #values: ValueConverter<T> | undefined
  readonly #o: ResolvedNodeOptions
  readonly #p2p: Libp2p<CacheServices>
  readonly #gate: PeerGate
  readonly #swim: CacheServices['swim']
  readonly #parts: NodeParts
  #internalErrors = 0
  #warmup: (SyncDone & { done: true }) | undefined
  #closed = false
  #snapshot: SnapshotState = { state: 'none' }
  #identity: IdentityLease | undefined
  /** Resolves when the warm-up is over (also announced by the `sync:done` event). */
  readonly warmedUp: Promise<SyncDone>

  /** Use createCacheNode(). */
  private constructor(o: ResolvedNodeOptions, p2p: Libp2p<CacheServices>, gate: PeerGate) {
    super()
    this.#gate = gate
    this.#o = o
    this.#p2p = p2p
    this.#swim = p2p.services.swim
    this.id = p2p.peerId.toString()
    this.#values = o.valueCodec === undefined ? undefined : new ValueConverter(o.valueCodec as ValueCodec<T>, o.keepDecoded)
    this.#parts = composeParts(o, p2p, gate, {
      now: wallClock(o.clock, o.clockOffsetMs),
      dispatch: (type, detail) => this.dispatch(type, detail),
      onInternalError: (where, err) => this.#onInternalError(where, err),
      // The loader works on the stored bytes, whatever the codec (getOrLoad converts at its edges).
      getEntry: (key) => this.#entryBytes(key),
      set: (key, value, options) => this.#setBytes(key, value, options),
      keyChangesWatched: () => this.listens('key:changed'),
    })
    let resolveWarm: (d: SyncDone) => void = () => {}
    this.warmedUp = new Promise((resolve) => (resolveWarm = resolve))
    this.addEventListener('sync:done', (e) => resolveWarm(e.detail))
  }

  /** @internal Use createCacheNode(). */
  static async create<T = Uint8Array>(init?: CacheNodeInit<T>): Promise<CacheNode<T>> {
    const o = resolveNodeOptions(init as CacheNodeInit<unknown>)
    const gate = new PeerGate({ ...(o.allowPeers === undefined ? {} : { allowed: o.allowPeers }) })
    // Paths are checked before anything listens: a bad one leaves nothing behind.
    if (o.snapshotPath !== undefined) await checkSnapshotPath(o.snapshotPath)
    const identity = o.identityPath === undefined ? undefined : await acquireIdentity(o.identityPath)
    try {
      return await CacheNode.#create<T>(o, gate, identity)
    } catch (err) {
      await identity?.release()
      throw err
    }
  }

  static async #create<T>(o: ResolvedNodeOptions, gate: PeerGate, identity: IdentityLease | undefined): Promise<CacheNode<T>> {
    // SWIM may speak before the node exists: what it says until then is not the node's to hear.
    let node: CacheNode<T> | undefined
    const p2p = await openTransport(o, gate, identity, {
      onMemberEvent: (ev) => void (node !== undefined && node.#onMemberEvent(ev)),
      onMalformed: (from) => void (node !== undefined && node.#parts.police.noteMalformed(from)),
    })
    node = new CacheNode<T>(o, p2p, gate)
    node.#identity = identity
    await node.#start()
    return node
  }

  // ---- reads (G1: local, synchronous, no copy) ----

  /**
   * The value of `key`, or undefined. Counts a hit or a miss. Never touches the network. With a
   * valueCodec, the decoded value (ValueCodecError when the bytes do not decode).
   */
  get(key: string): T | undefined {
    const v = this.#parts.replica.get(key, this.#parts.now())
    this.#parts.takeover.noteRead(v !== undefined)
    if (v === undefined || this.#values === undefined) return v as T | undefined
    return this.#values.decode(key, v)
  }

  /** Value, version, expiry and tags of `key` (no hit counted), or undefined. */
  getEntry(key: string): CacheEntry<T> | undefined {
    const e = this.#entryBytes(key)
    if (e === undefined || this.#values === undefined) return e as CacheEntry<T> | undefined
    return { ...e, value: this.#values.decode(key, e.value) }
  }

  /** Whether `key` is held here and not expired. No hit is counted. Throws a TypeError for a non-string key. */
  has(key: string): boolean {
    return this.#parts.replica.getEntry(checkKey('CacheNode.has', 'key', key), this.#parts.now()) !== undefined
  }

  /**
   * The values of `keys`, in order, undefined for each miss: local and synchronous, each key
   * counted as a hit or a miss like `get`. Throws a TypeError (before reading any) when `keys`
   * is not an array of strings.
   */
  getMany(keys: readonly string[]): (T | undefined)[] {
    const list = checkReadKeys(keys)
    const values = new Array<T | undefined>(list.length)
    for (let i = 0; i < list.length; i++) values[i] = this.get(list[i])
    return values
  }

  /**
   * Every live entry (those starting with `prefix` when given), hottest first (main queue, then
   * small). Local; no hit is counted. A prefix that is not a string throws a TypeError at once.
   */
  entries(prefix?: string): IterableIterator<[string, CacheEntry<T>]> {
    return this.#entries(checkPrefix('CacheNode.entries', prefix))
  }

  /** The keys `entries(prefix)` would give, in the same order. */
  keys(prefix?: string): IterableIterator<string> {
    return this.#keys(checkPrefix('CacheNode.keys', prefix))
  }

  /**
   * The value of `key`, loading it with `loader` on a miss: one loader call per key however
   * many callers wait, stale-while-revalidate inside `staleWhileRevalidateMs`, stale kept on
   * a failed refresh. The loaded value replicates like a set. See get-or-load.ts.
   */
  getOrLoad(key: string, loader: LoaderFn<T>, options: GetOrLoadOptions): Promise<T> {
    try {
      this.#assertOpen()
      const values = this.#values
      if (values === undefined) return this.#parts.loader.getOrLoad(key, loader as LoaderFn, options) as Promise<T>
      // With a codec the loader's value is encoded as a set's would be; the caller gets it decoded.
      const bytesLoader: LoaderFn = async (k) => {
        const r = await loader(k)
        if (r instanceof LoadedEntry) return { value: values.encode(r.value as T, 'getOrLoad'), userVersion: r.userVersion, ttlMs: r.ttlMs }
        return values.encode(r as T, 'getOrLoad')
      }
      return this.#parts.loader.getOrLoad(key, bytesLoader, options).then((bytes) => values.decode(key, bytes))
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
  set(key: string, value: T, options?: WriteOptions): Promise<WriteResult> {
    try {
      const bytes = this.#values === undefined ? (value as Uint8Array) : this.#values.encode(value, 'CacheNode.set')
      return this.#setBytes(key, bytes, options)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /** The largest entry charge (key + value + overhead) this node's store admits. */
  get maxEntryBytes(): number {
    return this.#parts.replica.store.maxEntryBytes
  }

  /**
   * The largest value a write may carry here, for a one-byte key: the smaller of the wire
   * bound (MAX_WRITE_VALUE_BYTES, 4 MiB − 128 KiB) and the store's largest entry less the
   * per-entry charge. A longer key leaves that much less (key bytes count in the charge).
   */
  get maxValueBytes(): number {
    const store = this.#parts.replica.store
    return Math.min(MAX_WRITE_VALUE_BYTES, store.maxEntryBytes - store.chargeOf('k', EMPTY_VALUE))
  }

  /** Deletes `key` everywhere (a tombstone with this write's version). */
  delete(key: string, options?: DeleteWriteOptions): Promise<WriteResult> {
    try {
      this.#assertOpen()
      const o = checkWriteOptions(options, 'delete')
      return this.#replicate(this.#parts.replica.delete(key, o, this.#parts.now()), o)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /**
   * Clears every key, here and on every node — or, with `prefix`, every key that starts with
   * it — written before this call; writes made after it survive, in whatever order the
   * deliveries arrive (hybrid logical time orders them: docs/replication.md, "Clears").
   * Replicated, repaired and warmed up like a delete; with `ack: 'all'`, resolves once every
   * live member applied it. Costs one pass over this node's keys here and on each member.
   */
  clear(options?: ClearOptions): Promise<WriteResult> {
    try {
      this.#assertOpen()
      const o = checkWriteOptions(options, 'clear')
      return this.#replicate(this.#parts.replica.clear(o.prefix ?? '', this.#parts.now()), o)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /**
   * Invalidates `tags`: every entry written with one of them before this call is deleted here
   * and on every node, and so is such a write that reaches a node later; entries written with
   * them afterwards survive (docs/replication.md, "Tags"). One replicated delta per tag; with
   * `ack: 'all'`, resolves once every live member applied them all. The result's version is
   * the last tag's.
   */
  invalidateTags(tags: readonly string[], options?: AckOptions): Promise<WriteResult> {
    try {
      this.#assertOpen()
      const o = checkWriteOptions(options, 'invalidateTags')
      if (!Array.isArray(tags) || tags.length === 0 || tags.length > MAX_TAGS_PER_INVALIDATION) {
        throw new WriteRefusedError('tags', `CacheNode.invalidateTags: tags must be an array of 1 to ${MAX_TAGS_PER_INVALIDATION} tags`)
      }
      for (const t of tags) {
        const problem = tagProblem(t)
        if (problem !== undefined) throw new WriteRefusedError('tags', `CacheNode.invalidateTags: ${problem}`)
      }
      const now = this.#parts.now()
      const writes = [...new Set(tags)].map((t) => this.#replicate(this.#parts.replica.invalidate(t, now), o))
      return Promise.all(writes).then((results) => results[results.length - 1])
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /**
   * Sets every entry (`{ key, value, ttlMs?, userVersion? }`), in order, as that many sets. All
   * are checked first: one bad entry rejects the call (its error's `index` names it) and
   * nothing is applied or sent. Resolves with each write's result, in order; with
   * `ack: 'all'`, once every live member applied every one of them.
   */
  setMany(entries: readonly SetManyEntry<T>[], options?: AckOptions): Promise<WriteResult[]> {
    try {
      this.#assertOpen()
      const o = checkWriteOptions(options, 'setMany')
      const values = this.#values
      const asBytes = values === undefined ? entries : encodeEntries(entries, values)
      const checked = checkSetEntries(asBytes, this.#parts.replica.store)
      const now = this.#parts.now()
      return Promise.all(checked.map((e) => this.#replicate(this.#parts.replica.set(e.key, e.value, e, now), o)))
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /** Deletes every key, in order, as that many deletes; checked all first, like setMany. */
  deleteMany(keys: readonly string[], options?: DeleteWriteOptions): Promise<WriteResult[]> {
    try {
      this.#assertOpen()
      const o = checkWriteOptions(options, 'deleteMany')
      const checked = checkDeleteKeys(keys)
      const now = this.#parts.now()
      return Promise.all(checked.map((key) => this.#replicate(this.#parts.replica.delete(key, o, now), o)))
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /**
   * Gives `key` a new time to live, everywhere: resolves true, or false when the key is not
   * held here (absent or expired: nothing is sent, like Redis EXPIRE). It travels as a new
   * version of the same bytes with the entry's userVersion (touch.ts: cost and ordering).
   */
  touch(key: string, ttlMs: number, options?: AckOptions): Promise<boolean> {
    try {
      this.#assertOpen()
      const o = checkWriteOptions(options, 'touch')
      const delta = touchDelta(this.#parts.replica, key, ttlMs, this.#parts.now())
      if (delta === undefined) return Promise.resolve(false)
      return this.#replicate(delta, o, 'touch').then(() => true)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /** Folds a yjs update into the document of `key` (see docs/replication.md). */
  merge(key: string, update: Uint8Array, options?: AckOptions): Promise<WriteResult> {
    try {
      this.#assertOpen()
      const o = checkWriteOptions(options, 'merge')
      return this.#replicate(this.#parts.replica.merge(key, update, this.#parts.now()), o)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /**
   * Sends the batch being filled now, and resolves once the replication streams have taken
   * what was queued (at most a batch left per member), or after ackTimeoutMs: a bulk writer
   * that awaits it every few thousand writes gets backpressure instead of pushing its members
   * behind. Never rejects.
   */
  flush(): Promise<void> {
    return this.#parts.link.flush(this.#o.ackTimeoutMs).catch(() => {})
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
    return nodeStats({
      ...this.#parts,
      id: this.id,
      swim: this.#swim,
      members: this.members(),
      warmup: this.#warmup,
      closing: this.#closed,
      malformedByPeer: this.#parts.police.byPeer(),
      refusedConnections: this.#gate.refused + this.#p2p.services.guard.refused,
      internalErrors: this.#internalErrors,
      snapshot: this.#snapshot,
      identityConflicts: this.#parts.conflicts.conflicts,
    })
  }

  /** @internal Recounts the replica and store; throws on inconsistency (tests). */
  validate(): void {
    this.#parts.replica.validate()
  }

  /** Leaves the cluster gracefully (SWIM "left"), sends what is queued, and stops. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await stopParts(this.#parts, this.#o, this.#p2p, this.#identity)
  }

  // ---- internals ----

  #start(): Promise<void> {
    return startParts(this.#parts, this.#o, this.#p2p, {
      isClosed: () => this.#closed,
      dispatch: (type, detail) => this.dispatch(type, detail),
      onSnapshot: (s) => (this.#snapshot = s),
      onWarmedUp: (result) => {
        this.#warmup = { ...result, done: true }
        this.dispatch('sync:done', result)
      },
    })
  }

  /** The stored bytes of `key` with version, expiry and tags (no hit counted), or undefined. */
  #entryBytes(key: string): CacheEntry | undefined {
    const e = this.#parts.replica.getEntry(key, this.#parts.now())
    return e === undefined ? undefined : { value: e.value, version: e.version, expiresAt: e.expiresAt, tags: e.tags }
  }

  /** set of bytes: checked whole (the admission rule, the store's entry bound), applied, replicated. */
  #setBytes(key: string, value: Uint8Array, options?: WriteOptions): Promise<WriteResult> {
    this.#assertOpen()
    const o = checkWriteOptions(options, 'set')
    refuseTooLarge(this.#parts.replica.store, key, value)
    return this.#replicate(this.#parts.replica.set(key, value, o, this.#parts.now()), o)
  }

  async #replicate(delta: Delta, options: CheckedWriteOptions, op?: KeyChangeOp): Promise<WriteResult> {
    // Read before the first await: the replica's last local result is this write's.
    const applied = this.#parts.replica.lastLocalResult
    const result: WriteResult = { version: delta.version, stale: applied === 'stale' }
    // With ack 'all': every member alive or suspected now (SWIM has not declared it dead, G6) must apply it.
    const acked = this.#parts.link.write(delta, options.ack === 'all' ? (options.timeoutMs ?? this.#o.ackTimeoutMs) : undefined)
    if (applied === 'applied' && this.listens('key:changed')) this.dispatch('key:changed', keyChangeOf(delta, undefined, op))
    if (acked !== undefined) await acked
    return result
  }

  *#entries(prefix: string | undefined): IterableIterator<[string, CacheEntry<T>]> {
    const values = this.#values
    for (const e of this.#parts.replica.entries(this.#parts.now())) {
      if (prefix !== undefined && !e.key.startsWith(prefix)) continue
      const value = values === undefined ? (e.value as T) : values.decode(e.key, e.value)
      yield [e.key, { value, version: e.version, expiresAt: e.expiresAt, tags: e.tags }]
    }
  }

  *#keys(prefix: string | undefined): IterableIterator<string> {
    for (const e of this.#parts.replica.entries(this.#parts.now())) if (prefix === undefined || e.key.startsWith(prefix)) yield e.key
  }

  #onMemberEvent(ev: MemberEvent): void {
    const { by: _by, ...member } = ev
    if (ev.state === 'dead') this.#parts.takeover.memberDied(ev.id, this.#parts.now())
    if (ev.state === 'alive' || ev.state === 'suspect') this.#parts.link.memberUp(ev.id)
    else this.#parts.link.memberDown(ev.id)
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

/**
 * Starts a cache node: listens, joins through `bootstrap`, warms up in the background. `T` is
 * the value type with a `valueCodec` (`createCacheNode<User>({ valueCodec: 'json' })`); bytes without.
 */
export function createCacheNode<T = Uint8Array>(init?: CacheNodeInit<T>): Promise<CacheNode<T>> {
  return CacheNode.create<T>(init)
}

/** setMany's entries with their values encoded; a value the codec refuses names its entry. */
function encodeEntries<T>(entries: readonly SetManyEntry<T>[], values: ValueConverter<T>): SetManyEntry[] {
  if (!Array.isArray(entries)) return entries as unknown as SetManyEntry[] // checkSetEntries names the mistake
  return entries.map((e, i) => {
    if (e === null || typeof e !== 'object') return e as unknown as SetManyEntry
    try {
      return { ...e, value: values.encode(e.value, `CacheNode.setMany: entries[${i}]`) }
    } catch (err) {
      if (err instanceof WriteRefusedError) throw new WriteRefusedError('value', err.message, i, { cause: err.cause })
      throw err
    }
  })
}
