// What the simulator measures, from the member events the cores emit.
//
// - detection: for each crashed node, the time from its crash until every reference
//   observer (an initial member that never crashes or leaves) has declared it dead.
// - falseDead / falseSuspect: distinct healthy members (up, not slow, not leaving at the
//   time) that anyone declared dead / suspected. slowDead / slowSuspect: the same for slow
//   members (an accusation of a starved node is not quite false, so it is counted apart).
// - falseAccusations: suspicions of a healthy member that a node started itself (its own
//   failed probe), counting every accuser: the raw rate Lifeguard is meant to cut.
// - dissemination: for each join (leave), the time until every reference observer has the
//   joiner alive (the leaver left).

import type { MemberEvent } from '../index.ts'
import { summary } from './stats.ts'

export interface Subject {
  index: number
  up: boolean
  slow: boolean
  leaving: boolean
}

interface Tracker {
  startMs: number
  seen: Uint8Array
  count: number
  doneMs: number
}

export class SimMetrics {
  readonly #reference: Uint8Array
  readonly #refCount: number
  readonly #crashes = new Map<number, Tracker>()
  readonly #joins = new Map<number, Tracker>()
  readonly #leaves = new Map<number, Tracker>()
  readonly #size: number
  readonly falseDead = new Set<number>()
  readonly falseSuspect = new Set<number>()
  readonly slowDead = new Set<number>()
  readonly slowSuspect = new Set<number>()
  falseAccusations = 0

  constructor(size: number, reference: Uint8Array) {
    this.#size = size
    this.#reference = reference
    let n = 0
    for (const r of reference) n += r
    this.#refCount = n
  }

  crashed(index: number, atMs: number): void {
    if (!this.#crashes.has(index)) this.#crashes.set(index, this.#tracker(atMs))
  }

  /** An observer already held the crashed member dead or left when it crashed: detected at once. */
  heldDeadAtCrash(index: number, observer: number, atMs: number): void {
    const c = this.#crashes.get(index)
    if (c !== undefined) this.#see(c, observer, atMs)
  }

  joined(index: number, atMs: number): void {
    this.#joins.set(index, this.#tracker(atMs))
  }

  left(index: number, atMs: number): void {
    this.#leaves.set(index, this.#tracker(atMs))
  }

  #tracker(startMs: number): Tracker {
    return { startMs, seen: new Uint8Array(this.#size), count: 0, doneMs: NaN }
  }

  onEvent(observer: number, observerId: string, subject: Subject, e: MemberEvent, nowMs: number): void {
    if (e.state === 'dead' || e.state === 'left') {
      const c = this.#crashes.get(subject.index)
      if (c !== undefined && !subject.up) this.#see(c, observer, nowMs)
    }
    if (e.state === 'left') {
      const l = this.#leaves.get(subject.index)
      if (l !== undefined) this.#see(l, observer, nowMs)
    }
    if (e.state === 'alive') {
      const j = this.#joins.get(subject.index)
      if (j !== undefined) this.#see(j, observer, nowMs)
    }
    if (!subject.up || subject.leaving) return
    if (e.state === 'dead') (subject.slow ? this.slowDead : this.falseDead).add(subject.index)
    if (e.state === 'suspect') {
      ;(subject.slow ? this.slowSuspect : this.falseSuspect).add(subject.index)
      if (!subject.slow && e.by === observerId) this.falseAccusations++
    }
  }

  #see(t: Tracker, observer: number, nowMs: number): void {
    if (this.#reference[observer] === 0 || t.seen[observer] === 1) return
    t.seen[observer] = 1
    if (++t.count === this.#refCount) t.doneMs = nowMs
  }

  detection(): { p50Ms: number | null; p99Ms: number | null; maxMs: number | null; detected: number; undetected: number } {
    const times: number[] = []
    let undetected = 0
    for (const c of this.#crashes.values()) {
      if (Number.isNaN(c.doneMs)) undetected++
      else times.push(c.doneMs - c.startMs)
    }
    return { ...summary(times), detected: times.length, undetected }
  }

  dissemination(): { p99Ms: number | null; incomplete: number } {
    const times: number[] = []
    let incomplete = 0
    for (const t of [...this.#joins.values(), ...this.#leaves.values()]) {
      if (Number.isNaN(t.doneMs)) incomplete++
      else times.push(t.doneMs - t.startMs)
    }
    return { p99Ms: summary(times).p99Ms, incomplete }
  }
}
