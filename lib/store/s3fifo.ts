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
// Layout (quick-cache's slab): each slot a 16 B record (links, charge, frequency, queue) in one
// buffer, so the eviction step finds a slot's fields on one cache line; plain arrays of keys,
// values and versions; expiry times in their own array, allocated at the first TTL; one Map
// from key to slot; slots handed out by a bump pointer, then reused through a free list chained
// through `next`; the buffer doubles when full. `get` allocates nothing. Hot-key hints (docs/hints.md): promotions go to a
// bounded ring (drainHotKeys); boost raises a frequency.
// The ghost FIFO is a third queue in the same slab (ghost.ts has its rules): a ghost is a slot
// that keeps its key, version and charge but no value. An entry becomes a ghost, and a ghost
// comes back as an entry, in place: same slot, so the key's index value does not change and
// neither step touches the Map (measured on the miss-heavy traces: docs/store.md).

import { EntryTooLargeError } from '../foundation/index.ts'
import { EXPIRY_SWEEP_SLOTS_PER_WRITE, FREQ_SATURATION, MAIN_REINSERT_FREQ_CAP } from './constants.ts'
import { GhostKindCode, growFloat64, KIND_NAMES, type GhostEntry } from './ghost.ts'
import { HotKeyRing } from './hot-ring.ts'
import { exposeInternals, validateStore, type RawStore } from './inspect.ts'
import { resolveStoreOptions, type S3FifoStoreInit } from './options.ts'
import type { StoreEntry, StoreInternals, StoreSetOptions, StoreStats } from './types.ts'
import { checkPrefix, utf8Length } from '../foundation/index.ts'

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
/** Slots a store can have: a slot's record starts at byte slot × 16, an Int32. */
const MAX_SLOTS = 1 << 27

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
  /**
   * Absolute expiry per slot, 0 for none. Allocated at the first write with a TTL (one Float64
   * per slot, sized and grown with the slab): until then it is empty, so a store that never
   * sees a TTL neither allocates nor zeroes it (8 B a slot, a third of the slab).
   */
  #expiresAt: Float64Array = new Float64Array(0)
  // A slot's record: 16 B in one buffer, so that the eviction step, which reads and writes all
  // of it for each slot it touches, finds it on one cache line (lru-cache and the earlier
  // layout kept one typed array per field: a cache line per field per slot touched).
  //   Int32 word 0: prev (next newer slot in its queue, NONE at the head)
  //   Int32 word 1: next (next older slot, NONE at the tail; free slots chain through it)
  //   Uint32 word 2: charge
  //   byte 12: freq (an entry's hit counter; a ghost's kind); byte 13: queue (SMALL, MAIN, GHOST)
  // Three views of the same buffer; a slot's byte offset is slot × 16 (so < 2^31: MAX_SLOTS).
  #links: Int32Array = new Int32Array(0)
  #charges: Uint32Array = new Uint32Array(0)
  #flags: Uint8Array = new Uint8Array(0)
  /** Head of the free list: slots released since they were first used. */
  #freeHead = NONE
  #freeCount = 0
  /**
   * Slots ever handed out: every slot at or above it is free without being on the free list
   * (a bump allocator), so presizing costs no pass over the new slots and touches none of them.
   */
  #used = 0
  #slots = 0
  /**
   * The last key `get` missed (or `lookup` asked for) and what the index said for it, so that
   * the `set` that follows a miss (the cache-aside pattern), or the replica's `set` or
   * `delete` after its lookup, does not look the key up again. Valid only until the next
   * mutation: every mutating path clears it.
   */
  #missedKey: string | undefined = undefined
  #missedIndex = ABSENT
  // Newest (head) and oldest (tail) slot, charges and entry count of small, main and the ghost
  // FIFO, as plain fields: the eviction step reads and writes them several times per miss, and a
  // field costs one load where an element of a small typed array costs four (array, its data
  // pointer, its length for the bounds check, the element).
  #smallHead = NONE
  #smallTail = NONE
  #mainHead = NONE
  #mainTail = NONE
  #ghostHead = NONE
  #ghostTail = NONE
  #smallBytes = 0
  #mainBytes = 0
  #smallCount = 0
  #mainCount = 0
  #bytes = 0
  /** Whether maxEntries bounds the store (not Infinity): else makeRoom never counts entries. */
  readonly #entriesBounded: boolean
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
    this.#entriesBounded = o.maxEntries !== Infinity
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
    return this.#smallCount + this.#mainCount
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
    const f = this.#flags[((slot as number) << 4) + 12]
    if (f < FREQ_SATURATION) this.#flags[((slot as number) << 4) + 12] = f + 1
    this.#hits++
    return value
  }

  /** The value without counting a hit, or undefined (expired entries included). */
  peek(key: string): Uint8Array | undefined {
    const slot = this.#index.get(key)
    if (slot === undefined || !this.#holds(slot) || this.#isExpired(slot as Slot)) return undefined
    return this.#values[slot]
  }

  /** Whether `key` is held and not expired, without counting a hit. */
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
    // The ghost keeps the slot's version unless the caller gives one.
    if (hasVersion) this.#versions[slot] = options.version
    this.#deletes++
    this.#toGhost(slot as Slot, GhostKindCode.deleted)
    return true
  }

  /**
   * Removes `key`'s entry or ghost without a trace: no ghost is left and onForget is not
   * called. For an owner that remembers elsewhere what the removed version said (the
   * replica's range clears, crdt/clears.ts). Returns whether anything was removed.
   */
  remove(key: string): boolean {
    this.#missedKey = undefined
    const slot = this.#index.get(key)
    if (slot === undefined) return false
    this.#index.delete(key)
    if (this.#holds(slot)) {
      this.#deletes++
      this.#free(slot as Slot)
    } else {
      this.#ghostUnlink(slot as Slot)
      this.#release(slot as Slot)
    }
    return true
  }

  /**
   * A peer's hint that `key` is hot there: raises a held entry's frequency to min(freq, 3)
   * (MAIN_REINSERT_FREQ_CAP) if lower. Never inserts, lowers, moves or counts a hit; a key not
   * held is a counted no-op. Returns whether the frequency was raised (see hot-ring.ts).
   */
  boost(key: string, freq: number): boolean {
    const slot = this.#index.get(key)
    const target = this.#hot.boostTarget(slot === undefined || !this.#holds(slot) ? -1 : this.#flags[(slot << 4) + 12], freq)
    if (target < 0) return false
    this.#flags[((slot as number) << 4) + 12] = target
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
    return this.#flags[(this.#missedIndex << 4) + 12] as GhostKindCode
  }

  /** The ghost record of a key the store does not hold (evicted, deleted or expired). */
  ghost(key: string): GhostEntry<V> | undefined {
    const slot = this.#index.get(key)
    if (slot === undefined || this.#holds(slot)) return undefined
    return { key, version: this.#versions[slot], kind: KIND_NAMES[this.#flags[(slot << 4) + 12]] }
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
    for (const head of [this.#mainHead, this.#smallHead]) {
      for (let s = head; s !== NONE; s = this.#links[(s << 2) + 1]) {
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

  /**
   * The keys held and not expired, hottest first like `entries` (main queue, then small), only
   * those that start with `prefix` when it is given. No hit is counted. Lazy: a key deleted or
   * evicted before the iterator reaches it is skipped. A prefix that is not a string throws a
   * TypeError (ERR_INVALID_ARG_TYPE) here, not at the first `next()`.
   */
  keys(prefix?: string): IterableIterator<string> {
    const p = checkPrefix('S3FifoStore.keys', prefix)
    return this.#keysStartingWith(p)
  }

  /** Every ghost (evicted, deleted, expired), newest first. */
  *ghosts(): IterableIterator<GhostEntry<V>> {
    const keys: string[] = []
    for (let s = this.#ghostHead; s !== NONE; s = this.#links[(s << 2) + 1]) keys.push(this.#keys[s] as string)
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
    for (const q of [SMALL, MAIN] as const) {
      for (let slot = this.#tailOf(q); slot !== NONE; slot = this.#tailOf(q)) {
        const key = this.#keys[slot] as string
        const version = this.#versions[slot]
        this.#free(slot as Slot)
        this.#index.delete(key)
        this.#onForget?.(key, version)
      }
    }
    while (this.#ghostTail !== NONE) this.#ghostForget(this.#ghostTail as Slot)
    this.#hot.clear()
  }

  stats(): StoreStats {
    return {
      hits: this.#hits, misses: this.#misses, inserts: this.#inserts, updates: this.#updates, deletes: this.#deletes,
      promotions: this.#promotions, smallEvictions: this.#smallEvictions, mainDrops: this.#mainDrops,
      mainReinserts: this.#mainReinserts, expirations: this.#expirations, rejections: this.#rejections,
      ...this.#hot.stats(),
      entries: this.size, bytes: this.#bytes, smallBytes: this.#smallBytes, mainBytes: this.#mainBytes,
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
    return exposeInternals(() => store.#raw())
  }

  /** The raw structures, for validate() and the test door (inspect.ts); never on a hot path. */
  #raw(): RawStore<V> {
    return {
      head: Int32Array.of(this.#smallHead, this.#mainHead, this.#ghostHead),
      tail: Int32Array.of(this.#smallTail, this.#mainTail, this.#ghostTail),
      prev: (s) => this.#links[s << 2], next: (s) => this.#links[(s << 2) + 1], queue: (s) => this.#flags[(s << 4) + 13],
      keys: this.#keys, values: this.#values, charge: (s) => this.#charges[(s << 2) + 2], expiresAt: (s) => this.#expiryOf(s),
      freq: (s) => this.#flags[(s << 4) + 12], index: this.#index, hot: this.#hot,
      ghostCount: this.#ghostCount, ghostBytes: this.#ghostBytes,
      ghostCapacityBytes: this.ghostCapacityBytes,
      freeHead: this.#freeHead, freeCount: this.#freeCount, used: this.#used, slots: this.#slots,
      queueBytes: Float64Array.of(this.#smallBytes, this.#mainBytes),
      queueCount: Int32Array.of(this.#smallCount, this.#mainCount), bytes: this.#bytes,
      ttlCount: this.#ttlCount, maxBytes: this.maxBytes, maxEntries: this.maxEntries,
    }
  }

  /** `found` is the key's index value: ABSENT, or a ghost's slot. */
  #insert(key: string, value: Uint8Array, charge: number, expiresAt: number, version: V | undefined, now: number, found: number): void {
    // A miss always takes the key out of the ghost, even when the entry is then refused.
    let toMain = false
    const fromGhost = found !== ABSENT
    if (fromGhost) {
      toMain = this.#flags[(found << 4) + 12] === GhostKindCode.evicted
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
    this.#charges[(slot << 2) + 2] = charge
    // A free or ghost slot's expiresAt is 0 already: a plain cache never touches the array.
    if (expiresAt !== 0) {
      if (this.#expiresAt.length === 0) this.#expiresAt = new Float64Array(this.#slots)
      this.#expiresAt[slot] = expiresAt
      this.#ttlCount++
    }
    this.#flags[(slot << 4) + 12] = 0
    this.#link(toMain ? MAIN : SMALL, slot)
    this.#inserts++
  }

  #update(slot: Slot, value: Uint8Array, charge: number, expiresAt: number, version: V | undefined, now: number): void {
    if (charge > this.maxEntryBytes) throw this.#reject(this.#keys[slot] as string, charge)
    // Detach so that making room cannot evict the entry being written; frequency is kept.
    const queue = this.#flags[(slot << 4) + 13] as Queue
    this.#unlink(slot)
    this.#makeRoom(charge, 0, now)
    this.#values[slot] = value
    if (version !== undefined || slot < this.#versions.length) this.#versions[slot] = version
    this.#charges[(slot << 2) + 2] = charge
    if ((this.#expiryOf(slot) !== 0) !== (expiresAt !== 0)) this.#ttlCount += expiresAt !== 0 ? 1 : -1
    if (expiresAt !== 0 && this.#expiresAt.length === 0) this.#expiresAt = new Float64Array(this.#slots)
    if (this.#expiresAt.length !== 0) this.#expiresAt[slot] = expiresAt
    this.#link(queue, slot)
    this.#updates++
  }

  #reject(key: string, charge: number): EntryTooLargeError {
    this.#rejections++
    return new EntryTooLargeError(key, charge, this.maxEntryBytes)
  }

  /** Evicts until `charge` more bytes and `extraEntries` more entries fit. */
  #makeRoom(charge: number, extraEntries: number, now: number): void {
    while (this.#bytes + charge > this.maxBytes || (this.#entriesBounded && this.size + extraEntries > this.maxEntries)) {
      if (this.#mainBytes > this.mainCapacityBytes || this.#smallCount === 0) {
        if (this.#mainCount === 0) return // nothing left to evict (charge ≤ |S| ≤ maxBytes: unreachable)
        this.#evictMain(now)
      } else {
        this.#evictSmall(now)
      }
    }
  }

  #evictSmall(now: number): void {
    while (this.#smallCount > 0) {
      const slot = this.#smallTail as Slot
      if (this.#ttlCount > 0 && this.#expiredAt(slot, now)) return this.#expire(slot)
      if (this.#flags[(slot << 4) + 12] >= this.promotionThreshold) {
        this.#unlink(slot)
        this.#flags[(slot << 4) + 12] = 0
        this.#link(MAIN, slot)
        this.#promotions++
        this.#hot.record(this.#keys[slot] as string)
        continue
      }
      this.#smallEvictions++
      // The slot keeps its version: the ghost remembers the entry's own.
      this.#toGhost(slot, GhostKindCode.evicted)
      return
    }
  }

  #evictMain(now: number): void {
    while (this.#mainCount > 0) {
      const slot = this.#mainTail as Slot
      if (this.#ttlCount > 0 && this.#expiredAt(slot, now)) return this.#expire(slot)
      const f = this.#flags[(slot << 4) + 12]
      if (f >= 1) {
        this.#flags[(slot << 4) + 12] = (f < MAIN_REINSERT_FREQ_CAP ? f : MAIN_REINSERT_FREQ_CAP) - 1
        this.#moveMainTailToHead()
        this.#mainReinserts++
        continue
      }
      const key = this.#keys[slot] as string
      const version = slot < this.#versions.length ? this.#versions[slot] : undefined
      this.#free(slot)
      this.#index.delete(key)
      this.#mainDrops++
      if (this.#onForget !== undefined) this.#onForget(key, version)
      return
    }
  }

  #isExpired(slot: Slot): boolean {
    if (this.#ttlCount === 0) return false // no live entry has a TTL
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
    this.#toGhost(slot, GhostKindCode.expired)
  }

  /** Inspects the next few slots of the slab for expired entries (incremental reclamation). */
  #sweep(now: number): void {
    for (let i = 0; i < EXPIRY_SWEEP_SLOTS_PER_WRITE && this.#ttlCount > 0; i++) this.#sweepOne(now)
  }

  #sweepOne(now: number): void {
    const slot = this.#sweepHand as Slot
    // Only slots ever used can hold an entry (while ttlCount > 0, #used > 0).
    this.#sweepHand = this.#sweepHand + 1 >= this.#used ? 0 : this.#sweepHand + 1
    // Ghost and free slots have expiresAt 0: only entries can be expired.
    if (this.#expiredAt(slot, now)) this.#expire(slot)
  }

  /** A slot's expiry, 0 for none (also while no write ever had a TTL: the array is then empty). */
  *#keysStartingWith(prefix: string | undefined): IterableIterator<string> {
    for (const e of this.entries(prefix === undefined || prefix === '' ? undefined : (key) => key.startsWith(prefix))) yield e.key
  }

  #expiryOf(slot: number): number {
    return this.#expiresAt.length === 0 ? 0 : this.#expiresAt[slot]
  }

  #entryAt(slot: Slot): StoreEntry<V> {
    const expiresAt = this.#expiryOf(slot)
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
    // While no entry has a TTL every expiresAt is 0: the array is not read.
    if (this.#ttlCount !== 0 && this.#expiresAt[slot] !== 0) {
      this.#ttlCount--
      this.#expiresAt[slot] = 0
    }
    this.#release(slot)
  }

  /** Puts an unlinked slot (with expiresAt 0) on the free list. */
  #release(slot: Slot): void {
    this.#keys[slot] = undefined
    this.#values[slot] = undefined
    if (slot < this.#versions.length) this.#versions[slot] = undefined
    this.#links[(slot << 2) + 1] = this.#freeHead
    this.#freeHead = slot
    this.#freeCount++
  }

  /** A free slot: the last released, else the next never used (the slab doubles when none is left). */
  #allocate(): Slot {
    const free = this.#freeHead
    if (free !== NONE) {
      this.#freeHead = this.#links[(free << 2) + 1]
      this.#freeCount--
      return free as Slot
    }
    if (this.#used === this.#slots) this.#grow(this.#slots * 2)
    return this.#used++ as Slot
  }

  // ---- The ghost FIFO (rules in ghost.ts). A ghost slot: key, version, charge, no value,
  // expiresAt 0, queue GHOST, its kind in freq; linked through prev/next like the queues.

  /** An entry becomes a ghost in place, with the version its slot holds: its slot and index value stay. */
  #toGhost(slot: Slot, kind: GhostKindCode): void {
    this.#unlink(slot)
    if (this.#ttlCount !== 0 && this.#expiresAt[slot] !== 0) {
      this.#ttlCount--
      this.#expiresAt[slot] = 0
    }
    this.#values[slot] = undefined
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
      this.#flags[(slot << 4) + 12] = kind
      if (charge > this.ghostCapacityBytes || charge > MAX_CHARGE) return this.#ghostForget(slot)
      this.#ghostBytes += charge - this.#charges[(slot << 2) + 2]
      this.#charges[(slot << 2) + 2] = charge
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
    this.#charges[(slot << 2) + 2] = charge
    this.#ghostAdd(slot, kind)
  }

  /** Links a slot that holds key, version and charge at the ghost's head, then trims. */
  #ghostAdd(slot: Slot, kind: GhostKindCode): void {
    const charge = this.#charges[(slot << 2) + 2]
    if (charge > this.ghostCapacityBytes) {
      // Larger than the whole ghost: not remembered, its version forgotten at once.
      const key = this.#keys[slot] as string
      const version = this.#versions[slot]
      this.#index.delete(key)
      this.#release(slot)
      this.#onForget?.(key, version)
      return
    }
    this.#flags[(slot << 4) + 13] = GHOST
    this.#flags[(slot << 4) + 12] = kind
    const head = this.#ghostHead
    this.#links[slot << 2] = NONE
    this.#links[(slot << 2) + 1] = head
    if (head !== NONE) this.#links[head << 2] = slot
    else this.#ghostTail = slot
    this.#ghostHead = slot
    this.#ghostCount++
    this.#ghostBytes += charge
    this.#ghostTrim()
  }

  /** Oldest ghosts fall out until the bound holds (each charge is ≤ the bound, so it ends). */
  #ghostTrim(): void {
    while (this.#ghostBytes > this.ghostCapacityBytes) this.#ghostForgetOldest()
  }

  /**
   * #ghostForget of the ghost's tail, on the path every miss takes in a full store: the tail
   * has no newer neighbour to relink, and a ghost slot's value is already undefined.
   */
  #ghostForgetOldest(): void {
    const slot = this.#ghostTail as Slot
    const key = this.#keys[slot] as string
    const p = this.#links[slot << 2]
    this.#ghostTail = p
    if (p !== NONE) this.#links[(p << 2) + 1] = NONE
    else this.#ghostHead = NONE
    this.#ghostCount--
    this.#ghostBytes -= this.#charges[(slot << 2) + 2]
    this.#index.delete(key)
    const version = this.#onForget !== undefined && slot < this.#versions.length ? this.#versions[slot] : undefined
    this.#keys[slot] = undefined
    if (slot < this.#versions.length) this.#versions[slot] = undefined
    this.#links[(slot << 2) + 1] = this.#freeHead
    this.#freeHead = slot
    this.#freeCount++
    if (this.#onForget !== undefined) this.#onForget(key, version)
  }

  /** Drops a ghost, takes its key out of the index, and hands its version to onForget. */
  #ghostForget(slot: Slot): void {
    const key = this.#keys[slot] as string
    this.#ghostUnlink(slot)
    this.#index.delete(key)
    if (this.#onForget === undefined) return this.#release(slot)
    const version = slot < this.#versions.length ? this.#versions[slot] : undefined
    this.#release(slot)
    this.#onForget(key, version)
  }

  #ghostUnlink(slot: Slot): void {
    const p = this.#links[slot << 2]
    const n = this.#links[(slot << 2) + 1]
    if (p !== NONE) this.#links[(p << 2) + 1] = n
    else this.#ghostHead = n
    if (n !== NONE) this.#links[n << 2] = p
    else this.#ghostTail = p
    this.#ghostCount--
    this.#ghostBytes -= this.#charges[(slot << 2) + 2]
  }

  /** Whether a slot the index names holds an entry (not a ghost): entries always have a value. */
  #holds(slot: number): boolean {
    return this.#values[slot] !== undefined
  }

  /** Oldest slot of small or main (for clear()). */
  #tailOf(q: Queue): number {
    return q === SMALL ? this.#smallTail : this.#mainTail
  }

  /** Pushes a slot at the head (newest end) of a queue and counts its charge there. */
  #link(q: Queue, slot: number): void {
    const charge = this.#charges[(slot << 2) + 2]
    this.#flags[(slot << 4) + 13] = q
    this.#links[slot << 2] = NONE
    if (q === SMALL) {
      const head = this.#smallHead
      this.#links[(slot << 2) + 1] = head
      if (head !== NONE) this.#links[head << 2] = slot
      else this.#smallTail = slot
      this.#smallHead = slot
      this.#smallBytes += charge
      this.#smallCount++
    } else {
      const head = this.#mainHead
      this.#links[(slot << 2) + 1] = head
      if (head !== NONE) this.#links[head << 2] = slot
      else this.#mainTail = slot
      this.#mainHead = slot
      this.#mainBytes += charge
      this.#mainCount++
    }
    this.#bytes += charge
  }

  /** Moves main's oldest slot to its head: a reinsertion, so no byte accounting changes. */
  #moveMainTailToHead(): void {
    const slot = this.#mainTail
    const head = this.#mainHead
    if (slot === head) return
    const p = this.#links[slot << 2]
    this.#links[(p << 2) + 1] = NONE
    this.#mainTail = p
    this.#links[slot << 2] = NONE
    this.#links[(slot << 2) + 1] = head
    this.#links[head << 2] = slot
    this.#mainHead = slot
  }

  /** Takes an entry's slot out of small or main and uncounts its charge. */
  #unlink(slot: number): void {
    const charge = this.#charges[(slot << 2) + 2]
    const p = this.#links[slot << 2]
    const n = this.#links[(slot << 2) + 1]
    if (this.#flags[(slot << 4) + 13] === SMALL) {
      if (p !== NONE) this.#links[(p << 2) + 1] = n
      else this.#smallHead = n
      if (n !== NONE) this.#links[n << 2] = p
      else this.#smallTail = p
      this.#smallBytes -= charge
      this.#smallCount--
    } else {
      if (p !== NONE) this.#links[(p << 2) + 1] = n
      else this.#mainHead = n
      if (n !== NONE) this.#links[n << 2] = p
      else this.#mainTail = p
      this.#mainBytes -= charge
      this.#mainCount--
    }
    this.#bytes -= charge
  }

  /** Resizes the slot arrays to `slots`; the new slots are free (above #used), untouched. */
  #grow(slots: number): void {
    if (slots > MAX_SLOTS) throw new RangeError(`S3FifoStore: estimatedEntries or the entries and ghosts held exceed ${MAX_SLOTS} slots`)
    const flags = new Uint8Array(slots * 16)
    flags.set(this.#flags)
    this.#flags = flags
    this.#links = new Int32Array(flags.buffer)
    this.#charges = new Uint32Array(flags.buffer)
    if (this.#expiresAt.length !== 0) this.#expiresAt = growFloat64(this.#expiresAt, slots)
    this.#slots = slots
  }
}
