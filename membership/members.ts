// The member table: one node's view of every member, in typed arrays indexed by slot
// (directory.ts), or, for a simulator's cores that all start from the same view, as that
// shared view plus a sparse map of what changed (see #over). It knows states and
// incarnations, not the protocol: swim.ts decides every transition and calls set(). Counts
// per state are kept incrementally; validate() recounts.
//
// Probe order is SWIM's randomised round-robin: each round visits every slot once, in the
// order of a random affine permutation slot = (a·i + b) mod size with gcd(a, size) = 1, and
// a new (a, b) each round. That costs no per-node array (a shuffled list per node would be
// 4 bytes per member per node) and still bounds the time to probe any member to one round.

import type { Prng } from '../lib/foundation/index.ts'
import { MemberDirectory, type Slot } from './directory.ts'
import { MemberState, memberStateNames, type MemberStateName } from './member-state.ts'
import type { Member } from './swim-types.ts'

const EMPTY: readonly string[] = Object.freeze([])

export class MemberTable {
  readonly directory: MemberDirectory
  readonly self: Slot
  #state: Uint8Array = new Uint8Array(0)
  #inc: Uint32Array = new Uint32Array(0)
  /**
   * Sparse mode, entered by loadAlive on a simulator's shared starting view: slots below
   * #baseN are alive at incarnation 0 unless #over holds them (packed incarnation × 8 + state),
   * and the arrays above stay empty. 10,000 views of 10,000 members then cost what changed in
   * each, not 50 MB of arrays that every message's lookup misses the cache in.
   */
  #baseN = 0
  #over: Map<Slot, number> | null = null
  /** Addresses, only for members that have any (a simulator's members have none: no cost). */
  readonly #addrs = new Map<Slot, readonly string[]>()
  /** Epochs (twin.ts), only for members whose alive update carried one (a simulator's carry none). */
  readonly #epochs = new Map<Slot, number>()
  /** Members per state, self excluded. */
  readonly #counts = [0, 0, 0, 0, 0]
  #permA = 1
  #permB = 0
  #permSize = 0
  #permPos = 0

  constructor(directory: MemberDirectory, selfId: string) {
    this.directory = directory
    this.self = directory.intern(selfId)
    this.#write(this.self, MemberState.alive, 0)
  }

  /** Members known in `state`, self excluded. */
  count(state: MemberState): number {
    return this.#counts[state]
  }

  /** Known members that are not dead or left, self included: the n of SWIM's formulas. */
  get liveCount(): number {
    return this.#counts[MemberState.alive] + this.#counts[MemberState.suspect] + 1
  }

  get knownCount(): number {
    return this.#counts[1] + this.#counts[2] + this.#counts[3] + this.#counts[4]
  }

  state(slot: Slot): MemberState {
    if (this.#over !== null) {
      const o = this.#over.get(slot)
      if (o !== undefined) return (o % 8) as MemberState
      return slot < this.#baseN ? MemberState.alive : MemberState.unknown
    }
    return slot < this.#state.length ? (this.#state[slot] as MemberState) : MemberState.unknown
  }

  incarnation(slot: Slot): number {
    if (this.#over !== null) {
      const o = this.#over.get(slot)
      return o === undefined ? 0 : Math.floor(o / 8)
    }
    return slot < this.#inc.length ? this.#inc[slot] : 0
  }

  addrs(slot: Slot): readonly string[] {
    return this.#addrs.get(slot) ?? EMPTY
  }

  set(slot: Slot, state: MemberState, incarnation: number): void {
    if (slot !== this.self) {
      this.#counts[this.state(slot)]--
      this.#counts[state]++
    }
    this.#write(slot, state, incarnation)
  }

  #write(slot: Slot, state: MemberState, incarnation: number): void {
    if (this.#over !== null) {
      if (slot < this.#baseN && state === MemberState.alive && incarnation === 0) this.#over.delete(slot)
      else this.#over.set(slot, incarnation * 8 + state)
      return
    }
    this.#ensure(slot)
    this.#state[slot] = state
    this.#inc[slot] = incarnation
  }

  /** Loads a starting view: every slot not yet known becomes alive at incarnation 0. */
  loadAlive(slots: Int32Array): void {
    const n = slots.length
    if (
      this.knownCount === 0 &&
      this.#over === null &&
      n > 0 &&
      slots[0] === 0 &&
      slots[n - 1] === n - 1 &&
      this.directory.isRange(slots)
    ) {
      // A fresh table loading slots 0..n−1 (a simulator's starting view): sparse mode, in
      // which self (alive at 0, set by the constructor) is part of the baseline or an override.
      const selfInc = this.incarnation(this.self)
      this.#over = new Map()
      this.#baseN = n
      this.#state = new Uint8Array(0)
      this.#inc = new Uint32Array(0)
      this.#write(this.self, MemberState.alive, selfInc)
      this.#counts[MemberState.alive] += this.self < n ? n - 1 : n
      return
    }
    let added = 0
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i] as Slot
      if (s === this.self || this.state(s) !== MemberState.unknown) continue
      this.#write(s, MemberState.alive, 0)
      added++
    }
    this.#counts[MemberState.alive] += added
  }

  setAddrs(slot: Slot, addrs: readonly string[]): void {
    if (addrs.length === 0) this.#addrs.delete(slot)
    else this.#addrs.set(slot, addrs)
  }

  /** The epoch of the member's run that last announced itself alive; 0 when unknown. */
  epoch(slot: Slot): number {
    return this.#epochs.get(slot) ?? 0
  }

  setEpoch(slot: Slot, epoch: number): void {
    if (epoch === 0) this.#epochs.delete(slot)
    else this.#epochs.set(slot, epoch)
  }

  #ensure(slot: Slot): void {
    if (slot < this.#state.length) return
    let cap = Math.max(16, this.#state.length * 2, this.directory.size)
    while (cap <= slot) cap *= 2
    const s = new Uint8Array(cap)
    s.set(this.#state)
    const i = new Uint32Array(cap)
    i.set(this.#inc)
    this.#state = s
    this.#inc = i
    // The unknown count is not tracked (slots are unbounded); keep the invariant simple.
  }

  /** Next member to probe (alive or suspect, not self), or -1 when there is none. */
  nextProbe(rng: Prng): Slot | -1 {
    const eligibleExists = this.#counts[MemberState.alive] + this.#counts[MemberState.suspect] > 0
    if (!eligibleExists) return -1
    // At most two rounds: the rest of the current one and a fresh one over the current size.
    for (let steps = 0, limit = this.#permSize - this.#permPos + this.directory.size + 1; steps < limit; steps++) {
      if (this.#permPos >= this.#permSize) this.#newRound(rng)
      const slot = ((this.#permA * this.#permPos + this.#permB) % this.#permSize) as Slot
      this.#permPos++
      const st = this.state(slot)
      if (slot !== this.self && (st === MemberState.alive || st === MemberState.suspect)) return slot
    }
    return -1
  }

  #newRound(rng: Prng): void {
    const size = Math.max(1, this.directory.size)
    let a = 1
    if (size > 2) {
      do a = 1 + rng.int(size - 1)
      while (gcd(a, size) !== 1)
    }
    this.#permA = a
    this.#permB = rng.int(size)
    this.#permSize = size
    this.#permPos = 0
  }

  /**
   * Up to `k` distinct random members whose state passes `eligible`, never self or
   * `exclude`, appended to `out`. Rejection sampling over the slot space (O(k) when most
   * slots qualify), then a bounded scan from a random start so a sparse table still answers.
   */
  randomMembers(k: number, rng: Prng, eligible: (s: MemberState) => boolean, exclude: Slot | -1, out: Slot[]): void {
    const size = this.directory.size
    if (k <= 0 || size === 0) return
    const start = out.length
    for (let tries = 0; tries < 4 * k + 8 && out.length - start < k; tries++) {
      const s = rng.int(size) as Slot
      if (s === this.self || s === exclude || !eligible(this.state(s))) continue
      if (includes(out, start, s)) continue
      out.push(s)
    }
    if (out.length - start >= k) return
    const from = rng.int(size)
    for (let i = 0; i < size && out.length - start < k; i++) {
      const s = ((from + i) % size) as Slot
      if (s === this.self || s === exclude || !eligible(this.state(s))) continue
      if (includes(out, start, s)) continue
      out.push(s)
    }
  }

  /** Known slots (self excluded), starting at `from` and wrapping, at most `max` of them. */
  *window(from: number, max: number): Generator<Slot> {
    const size = this.directory.size
    let n = 0
    for (let i = 0; i < size && n < max; i++) {
      const s = ((from + i) % size) as Slot
      if (s === this.self || this.state(s) === MemberState.unknown) continue
      n++
      yield s
    }
  }

  // ---- the adapter's view (Swim's queries) ----

  /** A known member as the adapter sees it. */
  describe(slot: Slot): Member {
    return {
      id: this.directory.idOf(slot),
      state: memberStateNames[this.state(slot)] as MemberStateName,
      incarnation: this.incarnation(slot),
      addrs: this.addrs(slot),
    }
  }

  /** Every known member, self excluded. O(members). */
  describeAll(): Member[] {
    const out: Member[] = []
    for (const slot of this.window(0, Infinity)) out.push(this.describe(slot))
    return out
  }

  /** The known member with this id (never self), or undefined. */
  find(id: string): Member | undefined {
    const slot = this.directory.slotOf(id)
    if (slot === undefined || slot === this.self || this.state(slot) === MemberState.unknown) return undefined
    return this.describe(slot)
  }

  /** Ids of the members in `state`, self excluded. */
  idsIn(state: MemberState): string[] {
    const out: string[] = []
    for (const slot of this.window(0, Infinity)) if (this.state(slot) === state) out.push(this.directory.idOf(slot))
    return out
  }

  /** Whether the member with this id (never self) is in `state`. */
  isIn(id: string, state: MemberState): boolean {
    const slot = this.directory.slotOf(id)
    return slot !== undefined && slot !== this.self && this.state(slot) === state
  }

  /** Recounts from scratch and compares with the incremental counters. */
  validate(): void {
    const counts = [0, 0, 0, 0, 0]
    if (this.#over !== null) {
      // Sparse: the baseline's alive members, then each override in place of its baseline.
      counts[MemberState.alive] = this.self < this.#baseN ? this.#baseN - 1 : this.#baseN
      for (const [slot, packed] of this.#over) {
        const st = packed % 8
        if (slot < this.#baseN && st === MemberState.alive && packed < 8) {
          throw new Error(`MemberTable: override of slot ${slot} equals the baseline`)
        }
        if (slot === this.self) continue
        if (slot < this.#baseN) counts[MemberState.alive]--
        counts[st]++
      }
    } else {
      const size = Math.min(this.directory.size, this.#state.length)
      for (let s = 0; s < size; s++) if (s !== this.self) counts[this.#state[s]]++
    }
    for (let st = 1; st <= 4; st++) {
      if (counts[st] !== this.#counts[st]) throw new Error(`MemberTable: ${st} count ${this.#counts[st]} but recount ${counts[st]}`)
    }
    for (const slot of this.#addrs.keys()) {
      if (this.state(slot) === MemberState.unknown) throw new Error(`MemberTable: addresses for unknown slot ${slot}`)
    }
    for (const slot of this.#epochs.keys()) {
      if (this.state(slot) === MemberState.unknown) throw new Error(`MemberTable: epoch for unknown slot ${slot}`)
    }
  }
}

function includes(a: Slot[], from: number, s: Slot): boolean {
  for (let i = from; i < a.length; i++) if (a[i] === s) return true
  return false
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b]
  return a
}

/** Same addresses in the same order (an alive update that changes them is news). */
export function sameAddrs(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
