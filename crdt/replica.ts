// Replica: the last-writer-wins map of one node over an S3FifoStore, sans-IO.
// Local writes (set, delete, merge) apply at once and return the Delta to send; remote deltas
// go through apply(). Time is an argument of every call; nothing here reads a clock.
//
// Theory of operation (docs/replication.md has the long form)
// - What a replica knows about a key is one of: an entry (value + version), a tombstone (a
//   'deleted' ghost with the delete's version), a shadow (a version whose value this replica
//   does not hold: evicted, expired, refused as too large, or announced by a 'ghost' delta),
//   or nothing. Entries live in the store; tombstones and shadows in its ghost FIFO.
// - The register version of a delta is its version, except for a merge, whose register
//   version is its `base` (the set/delete that started the document it edits). Against what
//   is known: higher wins and replaces; lower is 'stale'; equal is the same write, so it is
//   'stale' unless it adds something: the value behind a shadow, or yjs content (a merge, or
//   the base set of a document that so far holds only merges) folded into the document.
//   This is a lattice (LWW on the register version × yjs union inside one document), so apply
//   is commutative, associative and idempotent: any order, any duplicates, same state.
// - Nothing known about a key and an hlc ≤ horizon: 'dropped'. The horizon is the highest
//   hlc the store forgot for good (a ghost fell out, a main entry was dropped): an update that
//   old may be older than the forgotten version, and a miss is safe where a stale hit is not
//   (G4). Known versions need no horizon: they are compared.
// - A remote hlc more than maxClockDriftMs ahead of nowMs is 'dropped' and counted, and never
//   reaches the clock (G7). Accepted hlcs raise the clock, so a later local write wins over
//   every value this replica has served.
// - A value the store refuses (EntryTooLargeError) leaves a shadow with its version: the
//   older value is dropped, never served again (a miss is safe).
// - Local eviction never makes a delta; since(T) streams shadows as 'ghost' deltas, which
//   drop older values elsewhere but never delete an equal or newer one.
// - clear(prefix) is a range tombstone (crdt/clears.ts): it removes or tombstones every key
//   with the prefix stamped before it, and every write that arrives later stamped before it
//   is refused the same way ('stale': a newer state is known). A replica keeps the ranges;
//   since(T) sends those above T first, so a receiver is safe before any value lands.
// - Tags (crdt/tags.ts): a set may carry tags; invalidate(tag) turns every write tagged with it
//   and stamped before it into a tombstone at the write's own version, here and wherever the
//   write lands later. The tag index finds the entries without a pass over the store.
// - What this file does not know: peers, batching, timers. The node decides when to send a
//   delta, whom to ask for a log range or since(T), and when; this class only keeps the log
//   (`log`) and the receive progress (`progress`) it needs to answer.
//
// Worked scenario (why a shadow of equal version still takes the value):
//   1. A sets k=v1 (version V1); B receives it, then evicts k: B holds a shadow of V1.
//   2. C warms up from B: since(0) gives C 'ghost V1' for k; C holds a shadow of V1.
//   3. C then receives A's set V1 by gossip repair: equal version, but C only has a shadow,
//      so C stores v1. Answering 'stale' would keep C on a miss forever for a live value.

import { EntryTooLargeError } from '../lib/foundation/index.ts'
import { S3FifoStore, type StoreEntry } from '../lib/store/index.ts'
import { GhostKindCode } from '../lib/store/index.ts'
import { ClearTable, stampBefore, type ClearRange } from './clears.ts'
import { TagIndex, TagTable } from './tags.ts'
import { MAX_TAGS_PER_ENTRY } from './constants.ts'
import { makeDelta, type Delta, type Origin } from './delta.ts'
import { YjsValueError } from './errors.ts'
import { HLC_ZERO, HybridLogicalClock, type Hlc } from './hlc.ts'
import { OriginLog } from './origin-log.ts'
import { resolveReplicaOptions, type ReplicaInit } from './replica-options.ts'
import { SeqTracker, type OriginProgress } from './seq-tracker.ts'
import { keyProblem, refuse, tagProblem, tagsProblem, ttlProblem, userVersionProblem, valueProblem, admitsDelta } from './admission.ts'
import { compareVersions, makeVersion, maxVersion, ZERO_VERSION, type Version } from './version.ts'
import { ValueCopier } from './value-copier.ts'
import { bytesEqual, EMPTY_YJS_STATE, foldYjsUpdates } from './yjs-value.ts'

export type { ReplicaInit, ReplicaStoreInit } from './replica-options.ts'

export type ApplyResult = 'applied' | 'stale' | 'dropped'

/** Why `apply` dropped a delta (Replica.lastDropReason): one per drop counter of ReplicaStats. */
export type DropReason = 'inadmissible' | 'clock-drift' | 'below-horizon' | 'too-large' | 'invalid-yjs'

export interface SetOptions {
  /** The application's row version (G3): a safe integer ≥ 0. @default 0 */
  userVersion?: number
  /**
   * Time to live in ms from `nowMs` (G5); the delta carries the absolute expiry. > 0 and
   * ≤ MAX_TTL_MS (10 years). @default never expires
   */
  ttlMs?: number
  /**
   * Tags for invalidateTags: up to MAX_TAGS_PER_ENTRY (16) non-empty strings of at most
   * MAX_TAG_BYTES (128) each; duplicates are dropped. @default none
   */
  tags?: readonly string[]
}

export interface SinceOptions {
  /** Only keys this accepts are streamed (e.g. one peer's share of a split warm-up). @default every key */
  keys?: (key: string) => boolean
}

export interface DeleteOptions {
  /** The application's row version of the deletion (G3). @default 0 */
  userVersion?: number
}

export interface ReplicaEntry {
  key: string
  /** The stored bytes (for a yjs key, the document state). Not a copy: do not mutate. */
  value: Uint8Array
  /** The winning set's version (for a yjs document, the set or delete it started from). */
  version: Version
  /** yjs documents only: the highest merge folded in. */
  lastMerge: Version | undefined
  expiresAt: number | undefined
  /** The tags the entry was written with, or undefined. */
  tags: readonly string[] | undefined
}

export interface ReplicaStats {
  /** Local writes (each made one delta). */
  writes: number
  applied: number
  stale: number
  dropped: number
  /** Of dropped: hlc too far ahead (G7). */
  droppedDrift: number
  /** Of dropped: absent key below the horizon (G4). */
  droppedBelowHorizon: number
  /** Of dropped: value refused by the store as too large (the key is a miss, its version kept). */
  droppedTooLarge: number
  /** Of dropped: a merge whose bytes yjs refused. */
  droppedYjs: number
  /** Of dropped: a delta that breaks the admission rule (admission.ts), refused alone. */
  droppedInadmissible: number
  /** Clears applied here (local and remote; a redundant one is 'stale', not counted). */
  clears: number
  /** Keys a clear removed or tombstoned here. */
  clearedKeys: number
  /** Of stale: remote writes refused because a clear held here covers them. */
  staleCleared: number
  /** Range clears held (bounded by maxClearRanges; crdt/clears.ts). */
  clearRanges: number
  /** Tag invalidations applied here (local and remote; one per tag). */
  invalidations: number
  /** Entries an invalidation turned into tombstones here (also writes that arrived covered). */
  invalidatedKeys: number
  /** Tags whose latest invalidation is held (bounded by maxTagInvalidations; crdt/tags.ts). */
  tagInvalidations: number
  /** (tag, key) pairs in the tag index: at most the tags of the entries and ghosts held. */
  tagListings: number
}

/** What the node puts in an anti-entropy exchange. */
export interface ReplicaDigest {
  origin: Origin
  /** This replica's own last seq (its log's lastSeq). */
  lastSeq: number
  /** Its clock: every version it holds has an hlc ≤ this. */
  clock: Hlc
  horizon: Hlc
  /** Receive progress per origin. */
  progress: OriginProgress[]
}

const KNOWN_ENTRY = 0
const KNOWN_TOMBSTONE = 1
const KNOWN_SHADOW = 2

export class Replica {
  readonly nodeId: string
  readonly origin: Origin
  /** This replica's own deltas by seq, for peers' gap repair. */
  readonly log: OriginLog
  /** Seqs received per origin: gaps and the anti-entropy digest. */
  readonly progress: SeqTracker
  readonly #clock: HybridLogicalClock
  readonly #store: S3FifoStore<Version>
  readonly #copier: ValueCopier
  readonly #clears: ClearTable
  readonly #tagTable: TagTable
  readonly #tagIndex = new TagIndex()
  /** Store versions written with tags → their tags (interned by the index). */
  readonly #tags = new WeakMap<Version, readonly string[]>()
  /** Whether any tagged version was ever held: until then the tag paths cost one branch. */
  #tagsUsed = false
  /** What #apply's lookup found for the key being applied (its tags leave the index if replaced). */
  #replaced: Version | undefined = undefined
  readonly #setOptions: { version: Version | undefined; expiresAt: number | undefined } = { version: undefined, expiresAt: undefined }
  readonly #deleteOptions: { version: Version | undefined } = { version: undefined }
  /** Store versions that are yjs documents → the highest merge folded in. Keys are private copies. */
  readonly #docs = new WeakMap<Version, Version>()
  /** Ghost versions that are shadows, not tombstones. Private copies. */
  readonly #shadows = new WeakSet<Version>()
  /** The store's clock: the nowMs of the current call; -Infinity to see expired entries too. */
  #storeNowMs = 0
  #nowMs = 0
  #horizon: Hlc = HLC_ZERO
  #seq = 0
  #writes = 0
  #applied = 0
  #stale = 0
  #droppedDrift = 0
  #droppedBelowHorizon = 0
  #droppedTooLarge = 0
  #droppedYjs = 0
  #droppedInadmissible = 0
  #clearsApplied = 0
  #clearedKeys = 0
  #staleCleared = 0
  #invalidations = 0
  #invalidatedKeys = 0
  #lastLocalResult: ApplyResult = 'applied'
  #lastDropReason: DropReason | undefined = undefined

  constructor(init: ReplicaInit) {
    const o = resolveReplicaOptions(init)
    this.nodeId = o.nodeId
    this.origin = Object.freeze({ nodeId: o.nodeId, epoch: o.epoch })
    this.log = new OriginLog(o.log)
    this.progress = new SeqTracker(o.tracker)
    this.#copier = new ValueCopier(o.valueCopy)
    this.#clears = new ClearTable(o.maxClearRanges)
    this.#tagTable = new TagTable(o.maxTagInvalidations)
    this.#clock = new HybridLogicalClock({ maxClockDriftMs: o.maxClockDriftMs })
    this.#store = new S3FifoStore<Version>({
      ...o.store,
      now: () => this.#storeNowMs,
      onForget: (key, version) => this.#forget(key, version),
    })
  }

  /** The highest hlc forgotten for good: absent keys' updates at or below it are dropped. */
  get horizon(): Hlc {
    return this.#horizon
  }

  /**
   * What the last local write (set, delete, merge) did here: 'applied', or 'stale' when the
   * key already held a higher version (a lower userVersion loses, G3: nothing changed, though
   * the delta still travels to keep the seq contiguous), or 'dropped' (value too large here).
   */
  get lastLocalResult(): ApplyResult {
    return this.#lastLocalResult
  }

  /**
   * Why the last call that dropped a delta dropped it (read it right after `apply` returned
   * 'dropped'); undefined before any drop. Set only on a drop, so reading it is free.
   */
  get lastDropReason(): DropReason | undefined {
    return this.#lastDropReason
  }

  /** The clock's last timestamp. */
  get clock(): Hlc {
    return this.#clock.last
  }

  get maxClockDriftMs(): number {
    return this.#clock.maxClockDriftMs
  }

  /** The store underneath (read-only use: sizes and stats; writing to it breaks the rules above). */
  get store(): S3FifoStore<Version> {
    return this.#store
  }

  /**
   * Sets `key` to `value` and returns the delta to send. The value is copied once (the copy
   * is shared by the store and the delta). A value the store cannot hold still makes a
   * delta (peers may hold it) but is a miss here, like any dropped value.
   */
  set(key: string, value: Uint8Array, options: SetOptions = {}, nowMs: number): Delta {
    refuse('key', 'Replica.set', keyProblem(key))
    refuse('value', 'Replica.set', valueProblem(value))
    const ttlMs = options?.ttlMs
    refuse('ttlMs', 'Replica.set', ttlProblem(ttlMs))
    const userVersion = checkedUserVersion(options?.userVersion, 'Replica.set')
    const tags = options?.tags
    refuse('tags', 'Replica.set', tagsProblem(tags))
    const version = makeVersion(userVersion, this.#clock.now(nowMs), this.nodeId)
    const expiresAt = ttlMs === undefined ? undefined : Math.ceil(nowMs + ttlMs)
    const copy = this.#copier.copy(value)
    const distinct = tags === undefined || tags.length === 0 ? undefined : [...new Set(tags)]
    return this.#local(makeDelta('set', key, version, undefined, copy, expiresAt, this.origin, this.#seq + 1, distinct), nowMs)
  }

  /** Deletes `key` (a tombstone with this version) and returns the delta to send. */
  delete(key: string, options: DeleteOptions = {}, nowMs: number): Delta {
    refuse('key', 'Replica.delete', keyProblem(key))
    const userVersion = checkedUserVersion(options?.userVersion, 'Replica.delete')
    const version = makeVersion(userVersion, this.#clock.now(nowMs), this.nodeId)
    return this.#local(makeDelta('delete', key, version, undefined, undefined, undefined, this.origin, this.#seq + 1), nowMs)
  }

  /**
   * Folds a yjs update into the document of `key` and returns the delta to send. The merge
   * edits the document started by the key's current set or delete (its base): a set or delete
   * with a higher version replaces the document and merges made on an older one are discarded
   * everywhere. A key holding nothing starts an empty document. Throws YjsValueError (and
   * changes nothing) when `update` is not a yjs update or the key holds non-yjs bytes.
   */
  merge(key: string, update: Uint8Array, nowMs: number): Delta {
    refuse('key', 'Replica.merge', keyProblem(key))
    refuse('update', 'Replica.merge', valueProblem(update, 'update'))
    this.#setNow(nowMs)
    const entry = this.#rawEntry(key)
    let base: Version = ZERO_VERSION
    if (entry !== undefined) base = entry.version as Version
    else {
      const ghost = this.#store.ghost(key)
      if (ghost !== undefined && ghost.version !== undefined) base = ghost.version
    }
    try {
      foldYjsUpdates(entry === undefined ? EMPTY_YJS_STATE : entry.value, update)
    } catch (err) {
      throw new YjsValueError(key, err)
    }
    const version = makeVersion(base.userVersion, this.#clock.now(nowMs), this.nodeId)
    const baseCopy = makeVersion(base.userVersion, base.hlc, base.nodeId)
    // The document's tags travel with its merges: a replica that only ever sees merges knows them.
    const tags = entry === undefined || !this.#tagsUsed ? undefined : this.#tags.get(entry.version as Version)
    const delta = makeDelta('merge', key, version, baseCopy, update.slice(), entry?.expiresAt, this.origin, this.#seq + 1, tags)
    return this.#local(delta, nowMs)
  }

  /**
   * Clears every key that starts with `prefix` ('' for every key), here and, through the
   * returned delta, on every replica: a write stamped before this clear is gone wherever it
   * lands, one after it survives (crdt/clears.ts has the rule and its memory bound).
   */
  clear(prefix: string, nowMs: number): Delta {
    refuse('prefix', 'Replica.clear', keyProblem(prefix, 'prefix'))
    const version = makeVersion(0, this.#clock.now(nowMs), this.nodeId)
    return this.#local(makeDelta('clear', prefix, version, undefined, undefined, undefined, this.origin, this.#seq + 1), nowMs)
  }

  /**
   * Invalidates `tag`, here and, through the returned delta, on every replica: every write
   * tagged with it and stamped before this call becomes a tombstone at its own version, wherever
   * it lands (crdt/tags.ts has the rule and its memory bound).
   */
  invalidate(tag: string, nowMs: number): Delta {
    refuse('tags', 'Replica.invalidate', tagProblem(tag))
    const version = makeVersion(0, this.#clock.now(nowMs), this.nodeId)
    return this.#local(makeDelta('invalidate', tag, version, undefined, undefined, undefined, this.origin, this.#seq + 1), nowMs)
  }

  /**
   * Applies a remote delta at local time `nowMs`: 'applied' (the state changed), 'stale'
   * (nothing new: an older or duplicate write) or 'dropped' (refused: hlc too far ahead,
   * absent key below the horizon, value too large for the store, or yjs bytes refused).
   * Idempotent and order-insensitive. Notes the delta's seq in `progress` whatever the result.
   * The delta's bytes are copied before they enter the store.
   */
  apply(delta: Delta, nowMs: number): ApplyResult {
    if (delta.seq > 0) this.progress.note(delta.origin, delta.seq)
    // The writer's admission rule, checked again here: a delta that breaks it is refused alone.
    if (!admitsDelta(delta, nowMs, this.#clock.maxClockDriftMs)) {
      this.#droppedInadmissible++
      return this.#drop('inadmissible')
    }
    if (!this.#clock.accepts(delta.version.hlc, nowMs)) {
      this.#droppedDrift++
      return this.#drop('clock-drift')
    }
    // A merge's base is a version it saw, so never later than the merge itself; one that is
    // would let a peer plant a far-future document that outranks every later set (G7).
    if (delta.base !== undefined && delta.base.hlc > delta.version.hlc) {
      this.#droppedDrift++
      return this.#drop('clock-drift')
    }
    this.#clock.observe(delta.version.hlc)
    this.#setNow(nowMs)
    return this.#count(this.#apply(delta, true))
  }

  /** The value of `key` at `nowMs` (counts a hit for eviction), or undefined. Never copies. */
  get(key: string, nowMs: number): Uint8Array | undefined {
    this.#setNow(nowMs)
    return this.#store.get(key)
  }

  /** Value, version and expiry of `key` at `nowMs`, without counting a hit, or undefined. */
  getEntry(key: string, nowMs: number): ReplicaEntry | undefined {
    this.#setNow(nowMs)
    const e = this.#store.getEntry(key)
    if (e === undefined) return undefined
    const version = e.version as Version
    const tags = this.#tagsUsed ? this.#tags.get(version) : undefined
    return { key, value: e.value, version, lastMerge: this.#docs.get(version), expiresAt: e.expiresAt, tags }
  }

  /** Every live entry at `nowMs`, hottest first (main queue, then small). */
  *entries(nowMs: number): IterableIterator<ReplicaEntry> {
    this.#setNow(nowMs)
    for (const e of this.#store.entries()) {
      const version = e.version as Version
      const tags = this.#tagsUsed ? this.#tags.get(version) : undefined
      yield { key: e.key, value: e.value, version, lastMerge: this.#docs.get(version), expiresAt: e.expiresAt, tags }
    }
  }

  /**
   * Everything this replica knows with an hlc > `hlc`, as state-transfer deltas (seq 0, this
   * replica's origin): first its range clears and tag invalidations, then tombstones ('delete') and shadows ('ghost'), newest first —
   * small, and they make the receiver safe before it spends its budget on values — then
   * entries hottest first (main, then small) as 'set', or 'merge' with the full document
   * state for yjs keys. An entry already expired at the last call's nowMs travels as a
   * 'ghost' of its version (a receiver may hold an older value that has not expired).
   * Lazy: the caller stops when its byte budget is spent (see chunkDeltas). `options.keys`
   * keeps only the keys it accepts (a warm-up split over several peers by key range).
   */
  *since(hlc: Hlc, options: SinceOptions = {}): IterableIterator<Delta> {
    const accept = options.keys
    // Clears first, whatever keys are accepted: they bound every slice of the key space.
    for (const r of this.#clears.since(hlc)) yield makeDelta('clear', r.prefix, r.stamp, undefined, undefined, undefined, this.origin, 0)
    for (const [tag, stamp] of this.#tagTable.since(hlc)) {
      yield makeDelta('invalidate', tag, stamp, undefined, undefined, undefined, this.origin, 0)
    }
    for (const g of this.#store.ghosts()) {
      const v = g.version
      if (v === undefined || this.#topHlc(v) <= hlc || (accept !== undefined && !accept(g.key))) continue
      const op = g.kind === 'deleted' && !this.#shadows.has(v) ? 'delete' : 'ghost'
      yield makeDelta(op, g.key, v, undefined, undefined, undefined, this.origin, 0)
    }
    const it = this.#store.entries(accept)
    for (;;) {
      // See expired entries too: their versions must travel.
      this.#storeNowMs = Number.NEGATIVE_INFINITY
      const next = it.next()
      this.#storeNowMs = this.#nowMs
      if (next.done === true) return
      const e = next.value
      const v = e.version as Version
      const lastMerge = this.#docs.get(v)
      if (v.hlc <= hlc && (lastMerge === undefined || lastMerge.hlc <= hlc)) continue
      if (e.expiresAt !== undefined && e.expiresAt <= this.#nowMs) {
        yield makeDelta('ghost', e.key, v, undefined, undefined, undefined, this.origin, 0)
      } else {
        const tags = this.#tagsUsed ? this.#tags.get(v) : undefined
        if (lastMerge === undefined) yield makeDelta('set', e.key, v, undefined, e.value, e.expiresAt, this.origin, 0, tags)
        else yield makeDelta('merge', e.key, lastMerge, v, e.value, e.expiresAt, this.origin, 0, tags)
      }
    }
  }

  /** The anti-entropy digest (see ReplicaDigest). */
  digest(): ReplicaDigest {
    return {
      origin: this.origin,
      lastSeq: this.log.lastSeq,
      clock: this.#clock.last,
      horizon: this.#horizon,
      progress: this.progress.digest(),
    }
  }

  stats(): ReplicaStats {
    return {
      writes: this.#writes,
      applied: this.#applied,
      stale: this.#stale,
      dropped: this.#droppedDrift + this.#droppedBelowHorizon + this.#droppedTooLarge + this.#droppedYjs + this.#droppedInadmissible,
      droppedDrift: this.#droppedDrift,
      droppedBelowHorizon: this.#droppedBelowHorizon,
      droppedTooLarge: this.#droppedTooLarge,
      droppedYjs: this.#droppedYjs,
      droppedInadmissible: this.#droppedInadmissible,
      clears: this.#clearsApplied,
      clearedKeys: this.#clearedKeys,
      staleCleared: this.#staleCleared,
      clearRanges: this.#clears.size,
      invalidations: this.#invalidations,
      invalidatedKeys: this.#invalidatedKeys,
      tagInvalidations: this.#tagTable.size,
      tagListings: this.#tagIndex.listings(),
    }
  }

  /** Recounts every structure from scratch; throws on any inconsistency (tests call it). */
  validate(): void {
    this.#store.validate()
    this.log.validate()
    this.progress.validate()
    if (this.#horizon > this.#clock.last) throw new Error('Replica: horizon above the clock')
    if (this.log.lastSeq !== this.#seq) throw new Error('Replica: log and seq disagree')
    this.#storeNowMs = Number.NEGATIVE_INFINITY
    try {
      for (const e of this.#store.entries()) {
        const v = e.version
        if (v === undefined) throw new Error(`Replica: entry ${e.key} without a version`)
        if (v.hlc > this.#clock.last) throw new Error(`Replica: entry ${e.key} is ahead of the clock`)
        const cover = this.#clears.cover(e.key, v)
        if (cover !== undefined && cover !== this.#clears.floor) throw new Error(`Replica: entry ${e.key} is covered by a clear`)
        const tags = this.#tags.get(v)
        const tagCover = this.#tagTable.cover(tags, v)
        if (tagCover !== undefined && tagCover !== this.#tagTable.floor) throw new Error(`Replica: entry ${e.key} is covered by a tag`)
        for (const t of tags ?? []) if (!this.#tagIndex.has(t, e.key)) throw new Error(`Replica: entry ${e.key} is not listed under ${t}`)
      }
      this.#clears.validate()
      this.#tagTable.validate()
      const held = this.#store.size + this.#store.stats().ghostEntries
      if (this.#tagIndex.listings() > held * MAX_TAGS_PER_ENTRY) throw new Error('Replica: the tag index outgrew the store')
    } finally {
      this.#storeNowMs = this.#nowMs
    }
  }

  #local(delta: Delta, nowMs: number): Delta {
    this.#seq = delta.seq
    this.log.append(delta)
    this.#writes++
    this.#setNow(nowMs)
    this.#lastLocalResult = this.#apply(delta, false)
    return delta
  }

  #drop(reason: DropReason): ApplyResult {
    this.#lastDropReason = reason
    return 'dropped'
  }

  #count(result: ApplyResult): ApplyResult {
    if (result === 'applied') this.#applied++
    else if (result === 'stale') this.#stale++
    return result
  }

  #apply(delta: Delta, remote: boolean): ApplyResult {
    if (delta.op === 'clear') return this.#applyClear(delta)
    if (delta.op === 'invalidate') return this.#applyInvalidate(delta)
    // A remote write stamped before a clear held here: what the clear made of it (clears.ts).
    // A local write never is: its stamp is above every clear this replica has seen.
    if (remote && this.#clears.size > 0) {
      const register = delta.op === 'merge' ? (delta.base as Version) : delta.version
      const stamp = this.#clears.cover(delta.key, register)
      if (stamp !== undefined) {
        // At userVersion 0 the range keeps refusing it; under the floor only where the key
        // holds nothing: where it holds something, possibly older, the tombstone must win.
        if (register.userVersion === 0 && (stamp !== this.#clears.floor || this.#store.lookup(delta.key) === 0)) {
          this.#staleCleared++
          return 'stale'
        }
        const tomb = makeVersion(register.userVersion, stamp.hlc, stamp.nodeId)
        delta = makeDelta('delete', delta.key, tomb, undefined, undefined, undefined, delta.origin, delta.seq)
      }
    }
    // A remote tagged write stamped before an invalidation of one of its tags: a tombstone at
    // its own version (tags.ts). Local writes never are: their stamps are above every invalidation.
    if (remote && delta.tags !== undefined) {
      const register = delta.op === 'merge' ? (delta.base as Version) : delta.version
      if (this.#tagTable.cover(delta.tags, register) !== undefined) {
        this.#invalidatedKeys++
        delta = makeDelta('delete', delta.key, register, undefined, undefined, undefined, delta.origin, delta.seq)
      }
    }
    const key = delta.key
    // One index probe tells entry (even expired: its version still orders writes), ghost or
    // nothing, and primes the store's insert, update or delete that #install may do next: one
    // probe per remote delta on every path (test/crdt/apply-probes.test.ts counts them).
    const store = this.#store
    const found = store.lookup(key)
    let known: Version | undefined
    let kind = KNOWN_ENTRY
    if (found === 1) known = store.lookedUpVersion()
    else if (found === 2) {
      known = store.lookedUpVersion()
      if (known !== undefined) {
        kind = store.lookedUpKind() === GhostKindCode.deleted && !this.#shadows.has(known) ? KNOWN_TOMBSTONE : KNOWN_SHADOW
      }
    }
    this.#replaced = known
    if (known === undefined) {
      if (remote && delta.version.hlc <= this.#horizon) {
        this.#droppedBelowHorizon++
        return this.#drop('below-horizon')
      }
      return this.#install(delta, remote)
    }
    const c = compareVersions(delta.op === 'merge' ? (delta.base as Version) : delta.version, known)
    if (c < 0) return 'stale'
    if (c > 0) return this.#install(delta, remote)
    // The same write (or, for a merge, the same document): only content can be new.
    if (delta.op === 'ghost') return 'stale'
    if (kind === KNOWN_SHADOW) {
      // An expired set would only become the same shadow again.
      if (delta.op === 'set' && delta.expiresAt !== undefined && delta.expiresAt <= this.#nowMs) return 'stale'
      return this.#install(delta, remote)
    }
    if (delta.op === 'merge') {
      if (kind === KNOWN_TOMBSTONE) return this.#install(delta, remote)
      return this.#fold(this.#rawEntry(key) as StoreEntry<Version>, delta)
    }
    if (delta.op === 'set' && kind === KNOWN_ENTRY && this.#docs.has(known)) {
      return this.#fold(this.#rawEntry(key) as StoreEntry<Version>, delta)
    }
    return 'stale'
  }

  /** A clear: into the table, then out of the store ('stale' when a held range already covers it). */
  #applyClear(delta: Delta): ApplyResult {
    if (!this.#clears.add(delta.key, delta.version)) return 'stale'
    this.#clearStore({ prefix: delta.key, stamp: delta.version })
    this.#clearsApplied++
    return 'applied'
  }

  /** An invalidation: into the table, then every listed entry written before it becomes a tombstone. */
  #applyInvalidate(delta: Delta): ApplyResult {
    const tag = delta.key
    const stamp = delta.version
    if (!this.#tagTable.add(tag, stamp)) return 'stale'
    this.#invalidations++
    for (const key of this.#tagIndex.take(tag)) {
      const e = this.#rawEntry(key)
      const v = e?.version as Version | undefined
      const tags = v === undefined ? undefined : this.#tags.get(v)
      if (v === undefined || tags === undefined || !tags.includes(tag)) continue
      if (!stampBefore(v, stamp)) {
        this.#tagIndex.add(key, [tag])
        continue
      }
      this.#tagIndex.remove(key, tags)
      this.#storeDelete(key, v)
      this.#invalidatedKeys++
    }
    return 'applied'
  }

  /**
   * Every key of the range stamped before it: removed without a trace at userVersion 0 (the
   * range refuses its older writes), else a tombstone (u, stamp of the latest covering clear).
   * One pass over the store's entries (expired ones too: their versions order writes) and ghosts.
   */
  #clearStore(range: ClearRange): void {
    const keys: string[] = []
    const versions: Version[] = []
    const prefix = range.prefix
    this.#storeNowMs = Number.NEGATIVE_INFINITY
    try {
      for (const e of this.#store.entries(prefix === '' ? undefined : (k) => k.startsWith(prefix))) {
        const v = e.version as Version
        if (stampBefore(v, range.stamp)) {
          keys.push(e.key)
          versions.push(v)
        }
      }
    } finally {
      this.#storeNowMs = this.#nowMs
    }
    for (const g of this.#store.ghosts()) {
      const v = g.version
      if (v !== undefined && g.key.startsWith(prefix) && stampBefore(v, range.stamp)) {
        keys.push(g.key)
        versions.push(v)
      }
    }
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]
      const v = versions[i]
      const stamp = this.#clears.cover(key, v) ?? range.stamp
      this.#unindex(key, v)
      this.#clearedKeys++
      if (v.userVersion === 0) this.#store.remove(key)
      else this.#storeDelete(key, makeVersion(v.userVersion, stamp.hlc, stamp.nodeId))
    }
  }

  /** Replaces what is known about the key with the delta's content. */
  #install(delta: Delta, copy: boolean): ApplyResult {
    const key = delta.key
    if (this.#tagsUsed && this.#replaced !== undefined) this.#unindex(key, this.#replaced)
    switch (delta.op) {
      case 'delete':
        this.#storeDelete(key, delta.version)
        return 'applied'
      case 'ghost':
        this.#shadow(key, delta.version)
        return 'applied'
      case 'clear':
        return this.#applyClear(delta)
      case 'invalidate':
        return this.#applyInvalidate(delta)
      case 'set': {
        if (delta.expiresAt !== undefined && delta.expiresAt <= this.#nowMs) {
          this.#shadow(key, delta.version)
          return 'applied'
        }
        const value = delta.value as Uint8Array
        const result = this.#put(key, copy ? this.#copier.copy(value) : value, delta.version, delta.expiresAt)
        if (delta.tags !== undefined && result === 'applied') this.#index(key, delta.version, delta.tags)
        return result
      }
      case 'merge': {
        const base = delta.base as Version
        let state: Uint8Array
        try {
          state = foldYjsUpdates(EMPTY_YJS_STATE, delta.value as Uint8Array)
        } catch {
          this.#droppedYjs++
          return this.#drop('invalid-yjs')
        }
        const doc = makeVersion(base.userVersion, base.hlc, base.nodeId)
        this.#docs.set(doc, delta.version)
        const result = this.#put(key, state, doc, delta.expiresAt)
        if (delta.tags !== undefined && result === 'applied') this.#index(key, doc, delta.tags)
        return result
      }
    }
  }

  /** Folds yjs content of the same document into the entry. */
  #fold(entry: StoreEntry<Version>, delta: Delta): ApplyResult {
    const current = entry.version as Version
    let state: Uint8Array
    try {
      state = foldYjsUpdates(entry.value, delta.value as Uint8Array)
    } catch {
      this.#droppedYjs++
      return this.#drop('invalid-yjs')
    }
    const lastMerge = this.#docs.get(current)
    const nextMerge = delta.op !== 'merge' ? lastMerge : lastMerge === undefined ? delta.version : maxVersion(lastMerge, delta.version)
    if (nextMerge === lastMerge && bytesEqual(state, entry.value)) return 'stale'
    const doc = lastMerge === undefined ? makeVersion(current.userVersion, current.hlc, current.nodeId) : current
    this.#docs.set(doc, nextMerge as Version)
    const tags = this.#tagsUsed ? this.#tags.get(current) : undefined
    if (tags !== undefined) this.#tags.set(doc, tags)
    return this.#put(entry.key, state, doc, entry.expiresAt)
  }

  #put(key: string, value: Uint8Array, version: Version, expiresAt: number | undefined): ApplyResult {
    // One options object reused for every write (the store reads it synchronously).
    const opts = this.#setOptions
    opts.version = version
    opts.expiresAt = expiresAt
    try {
      this.#store.set(key, value, opts)
      return 'applied'
    } catch (err) {
      if (!(err instanceof EntryTooLargeError)) throw err
      // Never keep serving an older value: drop it, remember this version (a miss is safe).
      this.#shadow(key, version)
      this.#droppedTooLarge++
      return this.#drop('too-large')
    }
  }

  #shadow(key: string, version: Version): void {
    const v = makeVersion(version.userVersion, version.hlc, version.nodeId)
    const lastMerge = this.#docs.get(version)
    if (lastMerge !== undefined) this.#docs.set(v, lastMerge)
    this.#shadows.add(v)
    this.#storeDelete(key, v)
  }

  /**
   * A tombstone or shadow of `version` for `key`. Right after #apply's lookup of the same key
   * the store reuses that probe (S3FifoStore.lookup), so a remote delete asks the index once.
   */
  #storeDelete(key: string, version: Version): void {
    // One options object reused for every delete (the store reads it synchronously).
    const opts = this.#deleteOptions
    opts.version = version
    this.#store.delete(key, opts)
    opts.version = undefined
  }

  /** The entry even if expired (its version still orders writes), without counting a hit. */
  #rawEntry(key: string): StoreEntry<Version> | undefined {
    this.#storeNowMs = Number.NEGATIVE_INFINITY
    const e = this.#store.getEntry(key)
    this.#storeNowMs = this.#nowMs
    return e
  }

  #topHlc(v: Version): number {
    const lastMerge = this.#docs.get(v)
    return lastMerge === undefined || lastMerge.hlc < v.hlc ? v.hlc : lastMerge.hlc
  }

  /** Lists a held version's tags in the index (interned) and remembers them beside it. */
  #index(key: string, version: Version, tags: readonly string[]): void {
    this.#tagsUsed = true
    this.#tags.set(version, this.#tagIndex.add(key, tags))
  }

  /** Takes a version's tags (if any) out of the index: the version left the store or was replaced. */
  #unindex(key: string, version: Version): void {
    const tags = this.#tags.get(version)
    if (tags !== undefined) this.#tagIndex.remove(key, tags)
  }

  #forget(key: string, version: Version | undefined): void {
    if (version === undefined) return
    if (this.#tagsUsed) this.#unindex(key, version)
    const hlc = this.#topHlc(version)
    if (hlc > this.#horizon) this.#horizon = hlc as Hlc
  }

  #setNow(nowMs: number): void {
    if (typeof nowMs !== 'number' || Number.isNaN(nowMs)) throw new TypeError(`Replica: nowMs must be a number, got ${String(nowMs)}`)
    this.#nowMs = nowMs
    this.#storeNowMs = nowMs
  }
}

function checkedUserVersion(userVersion: number | undefined, where: string): number {
  refuse('userVersion', where, userVersionProblem(userVersion))
  return userVersion ?? 0
}
