// Convergence, measured incrementally: the newest version written of every key is known (the
// simulator sees every write), so after the last write one scan counts, per live node, the keys
// whose replica does not hold that version; each `applied` output that installs it counts one
// down. The run has converged when the count reaches zero: O(nodes × keys) once, then O(1) per
// applied delta, where checking the replicas after every event would be O(nodes × keys) each.
// Sets only: a delete's tombstone is not an entry (the simulator's workload writes sets).

import { compareVersions, type Delta, type Replica, type Version } from '../../../crdt/index.ts'

export class Convergence {
  readonly #newest = new Map<string, Version>()
  /** Per node index: keys it lacks the newest version of (while tracking). */
  #missing: number[] = []
  #total = 0
  #tracking = false
  /** When the last write was made (simulated ms), and when every live replica held the newest versions after it. */
  lastWriteMs = Number.NaN
  convergedAtMs = Number.NaN

  get keys(): ReadonlyMap<string, Version> {
    return this.#newest
  }

  /** Keys still missing, summed over the live nodes (while tracking; 0 when converged). */
  get missing(): number {
    return this.#total
  }

  get tracking(): boolean {
    return this.#tracking
  }

  wrote(key: string, version: Version, nowMs: number): void {
    const v = this.#newest.get(key)
    if (v === undefined || compareVersions(version, v) > 0) this.#newest.set(key, version)
    this.lastWriteMs = nowMs
    // A write after tracking started moves the goal: start() scans again.
    this.#tracking = false
    this.convergedAtMs = Number.NaN
  }

  /** Starts counting from the replicas as they are now (call after the last write). */
  start(replicas: ReadonlyMap<number, Replica>, nowMs: number): void {
    this.#tracking = true
    this.#missing = []
    this.#total = 0
    for (const [i, r] of replicas) this.nodeUp(i, r, nowMs)
    this.#check(nowMs)
  }

  /** A remote delta installed at node `i` ('applied' outcome). */
  applied(i: number, d: Delta, nowMs: number): void {
    if (!this.#tracking || !(this.#missing[i] > 0)) return
    const v = this.#newest.get(d.key)
    if (v === undefined || compareVersions(d.version, v) !== 0) return
    this.#missing[i]--
    this.#total--
    this.#check(nowMs)
  }

  /** A node joined (or tracking starts): count what it lacks. */
  nodeUp(i: number, r: Replica, nowMs: number): void {
    if (!this.#tracking) return
    let lacks = 0
    for (const [key, v] of this.#newest) {
      const e = r.getEntry(key, nowMs)
      if (e === undefined || compareVersions(e.version, v) !== 0) lacks++
    }
    this.#total += lacks - (this.#missing[i] ?? 0)
    this.#missing[i] = lacks
    if (lacks > 0) this.convergedAtMs = Number.NaN
  }

  /** A node crashed: what it lacked no longer counts. */
  nodeDown(i: number, nowMs: number): void {
    if (!this.#tracking) return
    this.#total -= this.#missing[i] ?? 0
    this.#missing[i] = 0
    this.#check(nowMs)
  }

  #check(nowMs: number): void {
    if (this.#total === 0 && Number.isNaN(this.convergedAtMs)) this.convergedAtMs = nowMs
  }
}
