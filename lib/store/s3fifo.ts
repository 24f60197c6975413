// S3FifoStore: an S3-FIFO cache (Yang et al., "FIFO queues are all you need for cache
// eviction", SOSP 2023) sized in bytes, with versions, TTLs and tombstones for the replica.
//
// Theory of operation
// - Two FIFOs share one slab of slots: small (S, floor(smallRatio × maxBytes)) and main
//   (M, the rest). New keys enter S; a key found in the ghost FIFO enters M.
// - A hit only increments the entry's frequency: no list is touched, so reads are cheap.
// - To make room, one eviction step evicts from M when M is over its share or S is empty,
//   else from S:
//   · S: the oldest entry with freq ≥ promotionThreshold moves to M's head (freq 0) and the
//     step goes on; the first one below it is dropped into the ghost FIFO and the step ends.
//   · M: the oldest entry with freq ≥ 1 is reinserted at M's head with min(freq, 3) − 1; the
//     first one at 0 is dropped (its version goes to onForget) and the step ends.
// - These are libCacheSim's rules to the request (docs/store.md), including its two
//   admission quirks: an entry larger than S is refused without evicting anything, and an
//   entry of exactly |S| that was not in the ghost is refused after the evictions made for it.
//   Both refusals throw EntryTooLargeError: `maxEntryBytes` (|S| − 1) is always admitted.
// - An update keeps the entry's frequency and queue and moves it to that queue's head.
// - TTLs are absolute `expiresAt` times. A read never returns an expired entry (checked by the
//   injected clock, only for entries that have a TTL); expired entries are reclaimed when a
//   read touches them, when eviction reaches them, and by a sweep of a few slots per write.
//
// Layout (node-lru-cache's, quick-cache's): slots in parallel typed arrays plus arrays of
// keys, values and versions; one Map from key to slot; a free list through `next`; arrays
// double when full. `get` allocates nothing. Hot-key hints (docs/hints.md): promotions go to a
// bounded ring (drainHotKeys); boost raises a frequency.
// The ghost FIFO is a third queue in the same slab (ghost.ts has its rules): a ghost is a slot
// that keeps its key, version and charge but no value. An entry becomes a ghost, and a ghost
// comes back as an entry, in place: same slot, so the key's index value does not change and
// neither step touches the Map (measured on the miss-heavy traces: docs/store.md).

import { EntryTooLargeError } from '../foundation/index.ts'
import { EXPIRY_SWEEP_SLOTS_PER_WRITE, FREQ_SATURATION, MAIN_REINSERT_FREQ_CAP } from './constants.ts'
import { GhostKindCode, growFloat64, growInt32, growUint8, KIND_NAMES, type GhostEntry } from './ghost.ts'
import { HotKeyRing } from './hot-ring.ts'
import { exposeInternals, validateStore, type RawStore } from './inspect.ts'
import { resolveStoreOptions, type S3FifoStoreInit } from './options.ts'
import type { StoreEntry, StoreInternals, StoreSetOptions, StoreStats } from './types.ts'
import { utf8Length } from '../foundation/index.ts'

export type { S3FifoStoreInit, StoreTuning } from './options.ts'
export type { StoreEntry, StoreInternals, StoreSetOptions, StoreStats } from './types.ts'

/** A slot index: a position in the slab, never a byte count. */
type Slot = number & { readonly __brand: 'Slot' }

const NONE = -1
const SMALL = 0
const MAIN = 1
/** The queue mark of a ghost slot (its kind is kept in `freq`, which a ghost does not use). */
const GHOST = 2
type Queue = typeof SMALL | typeof MAIN
const EMPTY_VALUE = new Uint8Array(0)
/** Index lookup result for a key that is neither held nor a ghost (a Smi, like slots). */
const ABSENT = 0x3fffffff
/** Per-entry charges are Uint32 (4 B a slot instead of 8): no single entry reaches 4 GiB. */
const MAX_CHARGE = 0xffffffff

export class S3FifoStore<V = unknown> {
  readonly maxBytes: number
  readonly maxEntries: number
  readonly smallCapacityBytes: number
  readonly mainCapacityBytes: number
  readonly promotionThreshold: number
  readonly entryOverheadBytes: number
  /** Capacity of the hot-key ring (0: none); see S3FifoStoreInit.hotKeysMax. */
  readonly hotKeysMax: number
  readonly #sizeOf: ((key: string, value: Uint8Array) => number) | undefined
  readonly #now: () => number
  readonly #onForget: ((key: string, version: V | undefined) => void) | undefined
  /** Bound of the ghost FIFO, in the charges of the keys it remembers (ghostRatio × maxBytes). */
  readonly ghostCapacityBytes: number
  readonly #hot: HotKeyRing
  /** key → slot of a held entry or of a ghost (a ghost's slot has no value). */
  readonly #index = new Map<string, number>()
  #keys: (string | undefined)[] = []
  #values: (Uint8Array | undefined)[] = []
  /** Written only once some entry has a version, so a plain cache pays nothing for it. */
  #versions: (V | undefined)[] = []
  #charge: Uint32Array = new Uint32Array(0)
  #expiresAt: Float64Array = new Float64Array(0)
  #freq: Uint8Array = new Uint8Array(0)
  #queue: Uint8Array = new Uint8Array(0)
  #prev: Int32Array = new Int32Array(0)
  /** Next older slot in a queue, or the next free slot (free slots are chained through it). */
  #next: Int32Array = new Int32Array(0)
  #freeHead = NONE
  #freeCount = 0
  #slots = 0
  /**
   * The last key `get` missed (or `lookup` asked for) and what the index said for it, so that
   * the `set` that follows a miss (the cache-aside pattern), or the replica's `set` or
   * `delete` after its lookup, does not look the key up again. Valid only until the next
   * mutation: every mutating path clears it.
   */
  #missedKey: string | undefined = undefined
  #missedIndex = ABSENT
  /** Newest and oldest slot of small, main and the ghost FIFO (indexed SMALL, MAIN, GHOST). */
  readonly #head = new Int32Array([NONE, NONE, NONE])
  readonly #tail = new Int32Array([NONE, NONE, NONE])
  readonly #queueBytes = new Float64Array(2)
  readonly #queueCount = new Int32Array(2)
  #bytes = 0
  /** The ghost FIFO's size; its charges never count toward maxBytes. */
  #ghostCount = 0
  #ghostBytes = 0
  /** Live entries with a TTL; while 0, no operation reads the clock. */
  #ttlCount = 0
  #sweepHand = 0
  #hits = 0
  #misses = 0
  #inserts = 0
  #updates = 0
  #deletes = 0
  #promotions = 0
  #smallEvictions = 0
  #mainDrops = 0
  #mainReinserts = 0
  #expirations = 0
  #rejections = 0

  constructor(init: S3FifoStoreInit<V>) {
    const o = resolveStoreOptions(init)
    this.maxBytes = o.maxBytes
    this.maxEntries = o.maxEntries
    this.smallCapacityBytes = o.smallCapacityBytes
    this.mainCapacityBytes = o.mainCapacityBytes
    this.promotionThreshold = o.promotionThreshold
    this.entryOverheadBytes = o.entryOverheadBytes
    this.hotKeysMax = o.hotKeysMax
    this.#sizeOf = o.sizeOf
    this.#now = o.now
    this.#onForget = o.onForget
    this.ghostCapacityBytes = o.ghostCapacityBytes
    this.#hot = new HotKeyRing(o.hotKeysMax)
    this.#grow(o.estimatedEntries)
  }

  /** Entries held (expired ones not yet reclaimed included). */
  get size(): number {
    return this.#queueCount[SMALL] + this.#queueCount[MAIN]
  }

  /** Sum of the charges of the entries held; always ≤ maxBytes. */
  get bytes(): number {
    return this.#bytes
  }

  /** The largest charge always admitted: one byte below the small queue's capacity. */
  get maxEntryBytes(): number {
    return Math.min(this.smallCapacityBytes - 1, MAX_CHARGE)
  }

  /** What an entry would be charged (see S3FifoStoreInit.sizeOf). */
  chargeOf(key: string, value: Uint8Array): number {
    if (this.#sizeOf === undefined) return Math.max(1, utf8Length(key) + value.byteLength + this.entryOverheadBytes)
    const charge = this.#sizeOf(key, value)
    if (!Number.isSafeInteger(charge) || charge < 1) {
      throw new TypeError(`S3FifoStore: sizeOf must return a positive safe integer, got ${String(charge)}`)
    }
    return charge
  }

  /** The value, counting a hit (raises the entry's frequency), or undefined. Never copies. */
  get(key: string): Uint8Array | undefined {
    const slot = this.#index.get(key)
    // A ghost's slot has no value: the value read a hit needs anyway tells a ghost apart.
    const value = slot === undefined ? undefined : this.#values[slot]
    if (value === undefined) {
      this.#misses++
      this.#missedKey = key
      this.#missedIndex = slot === undefined ? ABSENT : slot
      return undefined
    }
    // While no entry has a TTL the expiry array is not even read (one cache line fewer).
    if (this.#ttlCount !== 0) {
      const expiresAt = this.#expiresAt[slot as number]
      if (expiresAt !== 0 && expiresAt <= this.#now()) {
        this.#expire(slot as Slot)
        this.#misses++
        return undefined
      }
    }
    const f = this.#freq[slot as number]
    if (f < FREQ_SATURATION) this.#freq[slot as number] = f + 1
    this.#hits++
    return value
  }

  /** The value without counting a hit, or undefined (expired entries included). */
  peek(key: string): Uint8Array | undefined {
    const slot = this.#index.get(key)
    if (slot === undefined || !this.#holds(slot) || this.#isExpired(slot as Slot)) return undefined
    return this.#values[slot]
  }

  has(key: string): boolean {
    const slot = this.#index.get(key)
    return slot !== undefined && this.#holds(slot) && !this.#isExpired(slot as Slot)
  }

  /** Value, version and expiry, without counting a hit. Allocates the returned object. */
  getEntry(key: string): StoreEntry<V> | undefined {
    const slot = this.#index.get(key)
    if (slot === undefined || !this.#holds(slot) || this.#isExpired(slot as Slot)) return undefined
    return this.#entryAt(slot as Slot)
  }

  /**
   * Inserts or updates `key`. The value is stored as given (not copied: do not mutate it
   * afterwards). Throws EntryTooLargeError, with the store unchanged except for evictions in
   * the one libCacheSim case described at the top of this file.
   */
  set(key: string, value: Uint8Array, options?: StoreSetOptions<V>): void {
    if (typeof key !== 'string') throw new TypeError(`S3FifoStore.set: key must be a string, got ${typeof key}`)
    if (!(value instanceof Uint8Array)) throw new TypeError('S3FifoStore.set: value must be a Uint8Array')
    const expiresAt = options?.expiresAt ?? 0
    if (typeof expiresAt !== 'number' || !(expiresAt >= 0)) {
      throw new TypeError(`S3FifoStore.set: expiresAt must be a time in ms, got ${String(expiresAt)}`)
    }
    const version = options?.version
    const charge = this.chargeOf(key, value)
    // The clock is read once, and only when expiry can matter to this write.
    const now = this.#ttlCount > 0 ? this.#now() : 0
    const found = key === this.#missedKey ? this.#missedIndex : (this.#index.get(key) ?? ABSENT)
    this.#missedKey = undefined
    if (found !== ABSENT && this.#holds(found)) this.#update(found as Slot, value, charge, expiresAt, version, now)
    else this.#insert(key, value, charge, expiresAt, version, now, found)
    if (this.#ttlCount > 0) this.#sweep(now === 0 ? this.#now() : now)
  }

  /**
   * Removes `key`. When the key was present or a version is given, a ghost of kind 'deleted'
   * remembers the version (the entry's own when none is given): the replica's tombstone.
   * Returns whether an entry was removed.
   */
  delete(key: string, options?: { version?: V }): boolean {
    // A delete right after a lookup (or a missed get) of the same key reuses that probe.
    const slot = key === this.#missedKey ? this.#missedIndex : (this.#index.get(key) ?? ABSENT)
    this.#missedKey = undefined
    const hasVersion = options !== undefined && options.version !== undefined
    if (slot === ABSENT || !this.#holds(slot)) {
      if (hasVersion) this.#ghostInsert(key, slot, options.version, GhostKindCode.deleted, this.chargeOf(key, EMPTY_VALUE))
      return false
    }
    const version = hasVersion ? options.version : this.#versions[slot]
    this.#deletes++
    this.#toGhost(slot as Slot, version, GhostKindCode.deleted)
    return true
  }

  /**
   * A peer's hint that `key` is hot there: raises a held entry's frequency to min(freq, 3)
   * (MAIN_REINSERT_FREQ_CAP) if lower. Never inserts, lowers, moves or counts a hit; a key not
   * held is a counted no-op. Returns whether the frequency was raised (see hot-ring.ts).
   */
  boost(key: string, freq: number): boolean {
    const slot = this.#index.get(key)
    const target = this.#hot.boostTarget(slot === undefined || !this.#holds(slot) ? -1 : this.#freq[slot], freq)
    if (target < 0) return false
    this.#freq[slot as number] = target
    return true
  }

  /** Up to `max` distinct keys promoted to main since the last drain, newest first, still held. */
  drainHotKeys(max: number): string[] {
    return this.#hot.drain(max, (key) => {
      const slot = this.#index.get(key)
      return slot !== undefined && this.#holds(slot)
    })
  }

  /**
   * @internal For the replica: one index probe answers 0 nothing, 1 an entry (even expired),
   * 2 a ghost; no hit counted. Primes the `set` or `delete` of the same key that follows (as a
   * missed `get` does); lookedUpVersion/lookedUpKind read what it found until the next write.
   */
  lookup(key: string): 0 | 1 | 2 {
    const v = this.#index.get(key)
    this.#missedKey = key
    this.#missedIndex = v === undefined ? ABSENT : v
    return v === undefined ? 0 : this.#holds(v) ? 1 : 2
  }

  /** @internal The version of what the last lookup found (see lookup). */
  lookedUpVersion(): V | undefined {
    const v = this.#missedIndex
    return v === ABSENT ? undefined : this.#versions[v]
  }

  /** @internal The ghost kind the last lookup found (meaningful when it returned 2). */
  lookedUpKind(): GhostKindCode {
    return this.#freq[this.#missedIndex] as GhostKindCode
  }

  /** The ghost record of a key the store does not hold (evicted, deleted or expired). */
  ghost(key: string): GhostEntry<V> | undefined {
    const slot = this.#index.get(key)
    if (slot === undefined || this.#holds(slot)) return undefined
    return { key, version: this.#versions[slot], kind: KIND_NAMES[this.#freq[slot]] }
  }

  /**
   * Live entries, main queue first, then small, each newest first: hottest first, the order
   * a warm-up wants. A snapshot of the slots (and their keys) is taken at the call; entries
   * changed or removed while iterating are seen as they are at that moment, or skipped.
   * `accept` keeps only the keys it accepts, asked before an entry is built (a warm-up slice
   * wants half the keys or fewer: the others cost no allocation) and only as far as the
   * caller reads (a repair whose byte budget ends the stream early hashes no further).
   */
  *entries(accept?: (key: string) => boolean): IterableIterator<StoreEntry<V>> {
    const slots: number[] = []
    const keys: string[] = []
    for (const q of [MAIN, SMALL]) {
      for (let s = this.#head[q]; s !== NONE; s = this.#next[s]) {
        slots.push(s)
        keys.push(this.#keys[s] as string)
      }
    }
    for (let i = 0; i < slots.length; i++) {
      const key = keys[i]
      if (accept !== undefined && !accept(key)) continue
      // The slot still holds its key: no index probe (one per key was most of a warm-up's
      // serving cost on a 1M-entry store, 3–5 µs; docs/cluster-results.md). Otherwise the
      // slot was freed or reused meanwhile: the index says where the key is now, if anywhere.
      let slot: number | undefined = slots[i]
      if (this.#keys[slot] !== key) slot = this.#index.get(key)
      if (slot === undefined || !this.#holds(slot) || this.#isExpired(slot as Slot)) continue
      yield this.#entryAt(slot as Slot)
    }
  }

  /** Every ghost (evicted, deleted, expired), newest first. */
  *ghosts(): IterableIterator<GhostEntry<V>> {
    const keys: string[] = []
    for (let s = this.#head[GHOST]; s !== NONE; s = this.#next[s]) keys.push(this.#keys[s] as string)
    for (const key of keys) {
      const g = this.ghost(key)
      if (g !== undefined) yield g
    }
  }

  /**
   * Reclaims up to `maxSlots` slots' worth of expired entries (an incremental sweep; writes
   * already run one). Returns how many expired entries were reclaimed.
   */
  purgeExpired(maxSlots = this.#slots): number {
    this.#missedKey = undefined
    if (this.#ttlCount === 0) return 0
    const before = this.#expirations
    let budget = maxSlots
    const now = this.#now()
    while (budget-- > 0 && this.#ttlCount > 0) this.#sweepOne(now)
    return this.#expirations - before
  }

  /** Removes every entry and ghost; each version goes to onForget. */
  clear(): void {
    this.#missedKey = undefined
    for (const q of [SMALL, MAIN]) {
      while (this.#tail[q] !== NONE) {
        const slot = this.#tail[q] as Slot
        const key = this.#keys[slot] as string
        const version = this.#versions[slot]
        this.#free(slot)
        this.#index.delete(key)
        this.#onForget?.(key, version)
      }
    }
    while (this.#tail[GHOST] !== NONE) this.#ghostForget(this.#tail[GHOST] as Slot)
    this.#hot.clear()
  }

  stats(): StoreStats {
    return {
      hits: this.#hits, misses: this.#misses, inserts: this.#inserts, updates: this.#updates, deletes: this.#deletes,
      promotions: this.#promotions, smallEvictions: this.#smallEvictions, mainDrops: this.#mainDrops,
      mainReinserts: this.#mainReinserts, expirations: this.#expirations, rejections: this.#rejections,
      ...this.#hot.stats(),
      entries: this.size, bytes: this.#bytes, smallBytes: this.#queueBytes[SMALL], mainBytes: this.#queueBytes[MAIN],
      ghostEntries: this.#ghostCount, ghostBytes: this.#ghostBytes,
    }
  }

  /** Recounts everything from scratch; throws on any inconsistency. For tests and the simulator. */
  validate(): void {
    validateStore(this.#raw())
  }

  /**
   * @internal The one door tests use to see the queues (test/store/model.test.ts). Not part
   * of the public API: its shape may change in any release.
   */
  static unsafeExposeInternals<V>(store: S3FifoStore<V>): StoreInternals {
    return exposeInternals(store.#raw())
  }

  /** The raw structures, for validate() and the test door (inspect.ts); never on a hot path. */
  #raw(): RawStore<V> {
    return {
      head: this.#head, tail: this.#tail, prev: this.#prev, next: this.#next, queue: this.#queue,
      keys: this.#keys, values: this.#values, charge: this.#charge, expiresAt: this.#expiresAt,
      freq: this.#freq, index: this.#index, hot: this.#hot,
      ghostCount: this.#ghostCount, ghostBytes: this.#ghostBytes,
      ghostCapacityBytes: this.ghostCapacityBytes,
      freeHead: this.#freeHead, freeCount: this.#freeCount, slots: this.#slots,
      queueBytes: this.#queueBytes, queueCount: this.#queueCount, bytes: this.#bytes,
      ttlCount: this.#ttlCount, maxBytes: this.maxBytes, maxEntries: this.maxEntries,
    }
  }

  /** `found` is the key's index value: ABSENT, or a ghost's slot. */
  #insert(key: string, value: Uint8Array, charge: number, expiresAt: number, version: V | undefined, now: number, found: number): void {
    // A miss always takes the key out of the ghost, even when the entry is then refused.
    let toMain = false
    const fromGhost = found !== ABSENT
    if (fromGhost) {
      toMain = this.#freq[found] === GhostKindCode.evicted
      if (charge > this.maxEntryBytes + 1) this.#ghostForget(found as Slot)
      // Unlinked, the slot waits for the entry (its key and index value kept): nothing below
      // looks this key up (evictions touch only the keys they evict).
      else this.#ghostUnlink(found as Slot)
    }
    if (charge > this.maxEntryBytes + 1) throw this.#reject(key, charge)
    this.#makeRoom(charge, 1, now)
    // libCacheSim's second quirk: exactly |S|, not from the ghost, is refused after evicting.
    if (charge === this.smallCapacityBytes && !toMain) {
      if (fromGhost) {
        this.#index.delete(key)
        this.#release(found as Slot)
      }
      throw this.#reject(key, charge)
    }
    const slot = fromGhost ? (found as Slot) : this.#allocate()
    if (!fromGhost) this.#index.set(key, slot)
    this.#keys[slot] = key
    this.#values[slot] = value
    if (version !== undefined || slot < this.#versions.length) this.#versions[slot] = version
    this.#charge[slot] = charge
    this.#expiresAt[slot] = expiresAt
    if (expiresAt !== 0) this.#ttlCount++
    this.#freq[slot] = 0
    this.#link(toMain ? MAIN : SMALL, slot)
    this.#inserts++
  }

  #update(slot: Slot, value: Uint8Array, charge: number, expiresAt: number, version: V | undefined, now: number): void {
    if (charge > this.maxEntryBytes) throw this.#reject(this.#keys[slot] as string, charge)
    // Detach so that making room cannot evict the entry being written; frequency is kept.
    const queue = this.#queue[slot] as Queue
    this.#unlink(slot)
    this.#makeRoom(charge, 0, now)
    this.#values[slot] = value
    if (version !== undefined || slot < this.#versions.length) this.#versions[slot] = version
    this.#charge[slot] = charge
    if ((this.#expiresAt[slot] !== 0) !== (expiresAt !== 0)) this.#ttlCount += expiresAt !== 0 ? 1 : -1
    this.#expiresAt[slot] = expiresAt
    this.#link(queue, slot)
    this.#updates++
  }

  #reject(key: string, charge: number): EntryTooLargeError {
    this.#rejections++
    return new EntryTooLargeError(key, charge, this.maxEntryBytes)
  }

  /** Evicts until `charge` more bytes and `extraEntries` more entries fit. */
  #makeRoom(charge: number, extraEntries: number, now: number): void {
    while (this.#bytes + charge > this.maxBytes || this.size + extraEntries > this.maxEntries) {
      if (this.#queueBytes[MAIN] > this.mainCapacityBytes || this.#queueCount[SMALL] === 0) {
        if (this.#queueCount[MAIN] === 0) return // nothing left to evict (charge ≤ |S| ≤ maxBytes: unreachable)
        this.#evictMain(now)
      } else {
        this.#evictSmall(now)
      }
    }
  }

  #evictSmall(now: number): void {
    while (this.#queueCount[SMALL] > 0) {
      const slot = this.#tail[SMALL] as Slot
      if (this.#ttlCount > 0 && this.#expiredAt(slot, now)) return this.#expire(slot)
      if (this.#freq[slot] >= this.promotionThreshold) {
        this.#unlink(slot)
        this.#freq[slot] = 0
        this.#link(MAIN, slot)
        this.#promotions++
        this.#hot.record(this.#keys[slot] as string)
        continue
      }
      this.#smallEvictions++
      this.#toGhost(slot, this.#versions[slot], GhostKindCode.evicted)
      return
    }
  }

  #evictMain(now: number): void {
    while (this.#queueCount[MAIN] > 0) {
      const slot = this.#tail[MAIN] as Slot
      if (this.#ttlCount > 0 && this.#expiredAt(slot, now)) return this.#expire(slot)
      const f = this.#freq[slot]
      if (f >= 1) {
        this.#freq[slot] = (f < MAIN_REINSERT_FREQ_CAP ? f : MAIN_REINSERT_FREQ_CAP) - 1
        this.#moveTailToHead(MAIN)
        this.#mainReinserts++
        continue
      }
      const key = this.#keys[slot] as string
      const version = this.#versions[slot]
      this.#free(slot)
      this.#index.delete(key)
      this.#mainDrops++
      this.#onForget?.(key, version)
      return
    }
  }

  #isExpired(slot: Slot): boolean {
    const expiresAt = this.#expiresAt[slot]
    return expiresAt !== 0 && expiresAt <= this.#now()
  }

  #expiredAt(slot: number, now: number): boolean {
    const expiresAt = this.#expiresAt[slot]
    return expiresAt !== 0 && expiresAt <= now
  }

  #expire(slot: Slot): void {
    this.#missedKey = undefined
    this.#expirations++
    this.#toGhost(slot, this.#versions[slot], GhostKindCode.expired)
  }

  /** Inspects the next few slots of the slab for expired entries (incremental reclamation). */
  #sweep(now: number): void {
    for (let i = 0; i < EXPIRY_SWEEP_SLOTS_PER_WRITE && this.#ttlCount > 0; i++) this.#sweepOne(now)
  }

  #sweepOne(now: number): void {
    const slot = this.#sweepHand as Slot
    this.#sweepHand = this.#sweepHand + 1 === this.#slots ? 0 : this.#sweepHand + 1
    // Ghost and free slots have expiresAt 0: only entries can be expired.
    if (this.#expiredAt(slot, now)) this.#expire(slot)
  }

  #entryAt(slot: Slot): StoreEntry<V> {
    const expiresAt = this.#expiresAt[slot]
    return {
      key: this.#keys[slot] as string,
      value: this.#values[slot] as Uint8Array,
      version: this.#versions[slot],
      expiresAt: expiresAt === 0 ? undefined : expiresAt,
    }
  }

  /** Unlinks an entry's slot and puts it on the free list. The caller deletes the key's index value. */
  #free(slot: Slot): void {
    this.#unlink(slot)
    if (this.#expiresAt[slot] !== 0) this.#ttlCount--
    this.#expiresAt[slot] = 0
    this.#release(slot)
  }

  /** Puts an unlinked slot (with expiresAt 0) on the free list. */
  #release(slot: Slot): void {
    this.#keys[slot] = undefined
    this.#values[slot] = undefined
    if (slot < this.#versions.length) this.#versions[slot] = undefined
    this.#next[slot] = this.#freeHead
    this.#freeHead = slot
    this.#freeCount++
  }

  /** A free slot (the slab doubles when none is left). */
  #allocate(): Slot {
    if (this.#freeHead === NONE) this.#grow(this.#slots * 2)
    const slot = this.#freeHead as Slot
    this.#freeHead = this.#next[slot]
    this.#freeCount--
    return slot
  }

  // ---- The ghost FIFO (rules in ghost.ts). A ghost slot: key, version, charge, no value,
  // expiresAt 0, queue GHOST, its kind in freq; linked through prev/next like the queues.

  /** An entry becomes a ghost of `version` in place: its slot and index value stay. */
  #toGhost(slot: Slot, version: V | undefined, kind: GhostKindCode): void {
    this.#unlink(slot)
    if (this.#expiresAt[slot] !== 0) this.#ttlCount--
    this.#expiresAt[slot] = 0
    this.#values[slot] = undefined
    if (version !== undefined || slot < this.#versions.length) this.#versions[slot] = version
    this.#ghostAdd(slot, kind)
  }

  /**
   * Remembers `key` (not held) with a version: `found` is its ghost slot, or ABSENT. A key
   * already in the ghost keeps its place in the FIFO (as libCacheSim does) and takes the new
   * version, kind and charge.
   */
  #ghostInsert(key: string, found: number, version: V | undefined, kind: GhostKindCode, charge: number): void {
    if (found !== ABSENT) {
      const slot = found as Slot
      if (version !== undefined || slot < this.#versions.length) this.#versions[slot] = version
      this.#freq[slot] = kind
      if (charge > this.ghostCapacityBytes || charge > MAX_CHARGE) return this.#ghostForget(slot)
      this.#ghostBytes += charge - this.#charge[slot]
      this.#charge[slot] = charge
      this.#ghostTrim()
      return
    }
    if (charge > this.ghostCapacityBytes || charge > MAX_CHARGE) {
      this.#onForget?.(key, version)
      return
    }
    const slot = this.#allocate()
    this.#index.set(key, slot)
    this.#keys[slot] = key
    if (version !== undefined || slot < this.#versions.length) this.#versions[slot] = version
    this.#charge[slot] = charge
    this.#ghostAdd(slot, kind)
  }

  /** Links a slot that holds key, version and charge at the ghost's head, then trims. */
  #ghostAdd(slot: Slot, kind: GhostKindCode): void {
    const charge = this.#charge[slot]
    if (charge > this.ghostCapacityBytes) {
      // Larger than the whole ghost: not remembered, its version forgotten at once.
      const key = this.#keys[slot] as string
      const version = this.#versions[slot]
      this.#index.delete(key)
      this.#release(slot)
      this.#onForget?.(key, version)
      return
    }
    this.#queue[slot] = GHOST
    this.#freq[slot] = kind
    const head = this.#head[GHOST]
    this.#prev[slot] = NONE
    this.#next[slot] = head
    if (head !== NONE) this.#prev[head] = slot
    else this.#tail[GHOST] = slot
    this.#head[GHOST] = slot
    this.#ghostCount++
    this.#ghostBytes += charge
    this.#ghostTrim()
  }

  /** Oldest ghosts fall out until the bound holds (each charge is ≤ the bound, so it ends). */
  #ghostTrim(): void {
    while (this.#ghostBytes > this.ghostCapacityBytes) this.#ghostForget(this.#tail[GHOST] as Slot)
  }

  /** Drops a ghost, takes its key out of the index, and hands its version to onForget. */
  #ghostForget(slot: Slot): void {
    const key = this.#keys[slot] as string
    const version = this.#versions[slot]
    this.#ghostUnlink(slot)
    this.#index.delete(key)
    this.#release(slot)
    this.#onForget?.(key, version)
  }

  #ghostUnlink(slot: Slot): void {
    const p = this.#prev[slot]
    const n = this.#next[slot]
    if (p !== NONE) this.#next[p] = n
    else this.#head[GHOST] = n
    if (n !== NONE) this.#prev[n] = p
    else this.#tail[GHOST] = p
    this.#ghostCount--
    this.#ghostBytes -= this.#charge[slot]
  }

  /** Whether a slot the index names holds an entry (not a ghost): entries always have a value. */
  #holds(slot: number): boolean {
    return this.#values[slot] !== undefined
  }

  /** Pushes a slot at the head (newest end) of a queue and counts its charge there. */
  #link(q: Queue, slot: number): void {
    const head = this.#head[q]
    this.#queue[slot] = q
    this.#prev[slot] = NONE
    this.#next[slot] = head
    if (head !== NONE) this.#prev[head] = slot
    else this.#tail[q] = slot
    this.#head[q] = slot
    this.#queueBytes[q] += this.#charge[slot]
    this.#queueCount[q]++
    this.#bytes += this.#charge[slot]
  }

  /** Moves a queue's oldest slot to its head: a reinsertion, so no byte accounting changes. */
  #moveTailToHead(q: Queue): void {
    const slot = this.#tail[q]
    const head = this.#head[q]
    if (slot === head) return
    const p = this.#prev[slot]
    this.#next[p] = NONE
    this.#tail[q] = p
    this.#prev[slot] = NONE
    this.#next[slot] = head
    this.#prev[head] = slot
    this.#head[q] = slot
  }

  #unlink(slot: number): void {
    const q = this.#queue[slot]
    const p = this.#prev[slot]
    const n = this.#next[slot]
    if (p !== NONE) this.#next[p] = n
    else this.#head[q] = n
    if (n !== NONE) this.#prev[n] = p
    else this.#tail[q] = p
    this.#queueBytes[q] -= this.#charge[slot]
    this.#queueCount[q]--
    this.#bytes -= this.#charge[slot]
  }

  #grow(slots: number): void {
    if (slots >= ABSENT) throw new RangeError(`S3FifoStore: more than ${ABSENT} slots`)
    const old = this.#slots
    const charge = new Uint32Array(slots)
    charge.set(this.#charge)
    this.#charge = charge
    this.#expiresAt = growFloat64(this.#expiresAt, slots)
    this.#freq = growUint8(this.#freq, slots)
    this.#queue = growUint8(this.#queue, slots)
    this.#prev = growInt32(this.#prev, slots)
    this.#next = growInt32(this.#next, slots)
    // Chain the new slots so the lowest is handed out first.
    for (let s = slots - 1; s >= old; s--) {
      this.#next[s] = this.#freeHead
      this.#freeHead = s
    }
    this.#freeCount += slots - old
    this.#slots = slots
  }
}
