// One node's open suspicions: which members it suspects (suspicion.ts holds each one's
// accusers and deadline), when each expires, and when its expiry checks are due
// (expiry-check.ts). swim.ts decides what a suspicion means; this file only keeps time.
//
// Deadlines and check times sit in two heaps. A suspicion's deadline only moves earlier
// (confirmations), so each move pushes a new entry and leaves the old one behind: entries
// are checked against the suspicion on pop and skipped when stale, which keeps every
// operation O(log n) with no search.

import { TimeHeap } from './heap.ts'
import { nextCheckMs } from './expiry-check.ts'
import type { Suspicion } from './suspicion.ts'
import type { Slot } from './directory.ts'
import type { MemberTable } from './members.ts'
import { MemberState } from './member-state.ts'

export class Suspicions {
  readonly #open = new Map<Slot, Suspicion>()
  readonly #deadlines = new TimeHeap<Slot>()
  readonly #checks = new TimeHeap<Slot>()
  readonly #checksPer: number

  /** `checksPer` expiry checks per suspicion. */
  constructor(checksPer: number) {
    this.#checksPer = checksPer
  }

  get size(): number {
    return this.#open.size
  }

  get(slot: Slot): Suspicion | undefined {
    return this.#open.get(slot)
  }

  /**
   * Opens a suspicion (replacing any about the same member) and arms its deadline and
   * checks, `checkSpacingMs` apart (the probe timeout, stretched by the node's health score).
   */
  open(slot: Slot, s: Suspicion, nowMs: number, checkSpacingMs: number): void {
    this.#open.set(slot, s)
    this.rearm(slot, s, nowMs, checkSpacingMs)
  }

  /**
   * After `s.confirm()` moved its deadline: arms the new deadline and next check. A late
   * confirmation can move the deadline into the past (the timeout shrinks with the count,
   * measured from the start); the checks not yet sent still get their time first, so the
   * member dies no sooner than the checks allow. Real crashes are confirmed early, long
   * before their deadline, and never meet this floor.
   */
  rearm(slot: Slot, s: Suspicion, nowMs: number, checkSpacingMs: number): void {
    s.checkSpacingMs = checkSpacingMs
    s.notBefore(nowMs + Math.max(0, this.#checksPer - s.checksSent) * checkSpacingMs)
    this.#deadlines.push(s.deadlineMs, slot)
    const at = nextCheckMs(s.deadlineMs, s.checksSent, this.#checksPer, s.checkSpacingMs)
    if (at !== Infinity) this.#checks.push(Math.max(at, nowMs), slot)
  }

  /** Ends a suspicion (refuted, or the member changed state otherwise). */
  close(slot: Slot): void {
    this.#open.delete(slot)
  }

  /** The earliest deadline or check time, for the caller's timer. Infinity when none. */
  nextDeadlineMs(): number {
    return this.#deadlines.peekTime()
  }
  nextCheckMs(): number {
    return this.#checks.peekTime()
  }

  /** Closes and hands out every suspicion whose deadline has come. */
  expire(nowMs: number, onExpired: (slot: Slot) => void): void {
    const heap = this.#deadlines
    while (heap.peekTime() <= nowMs) {
      const slot = heap.pop() as Slot
      const s = this.#open.get(slot)
      if (s === undefined || s.deadlineMs > nowMs) continue // stale entry
      this.#open.delete(slot)
      onExpired(slot)
    }
  }

  /** Hands out every suspect whose expiry check is due, counting the check and arming the next. */
  dueChecks(nowMs: number, onCheck: (slot: Slot) => void): void {
    const heap = this.#checks
    while (heap.peekTime() <= nowMs) {
      const at = heap.peekTime()
      const slot = heap.pop() as Slot
      const s = this.#open.get(slot)
      // Stale: the suspicion ended, or its deadline moved and a newer entry stands for it.
      if (s === undefined || nextCheckMs(s.deadlineMs, s.checksSent, this.#checksPer, s.checkSpacingMs) > at) continue
      s.checksSent++
      onCheck(slot)
      const next = nextCheckMs(s.deadlineMs, s.checksSent, this.#checksPer, s.checkSpacingMs)
      if (next !== Infinity) heap.push(Math.max(next, nowMs), slot)
    }
  }

  /** Exactly the members the table holds suspect have a suspicion open. */
  validate(table: MemberTable): void {
    if (this.#open.size !== table.count(MemberState.suspect)) {
      throw new Error(`Suspicions: ${this.#open.size} open for ${table.count(MemberState.suspect)} suspects`)
    }
    for (const slot of this.#open.keys()) {
      if (table.state(slot) !== MemberState.suspect) throw new Error(`Suspicions: one open on a non-suspect member`)
    }
  }
}
