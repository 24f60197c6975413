// Detects another live process using this node's id: a copied identity file on another host
// (on one host the lock file refuses the second process first; lib/networking/identity.ts).
//
// Each run of a node has an origin (its id, and an epoch: the wall clock at start). Deltas and
// anti-entropy digests name the origins they carry, so a node sees its own id in two ways:
// 1. An epoch below its own: normally a previous life of this node (it restarted; repair and
//    warm-up bring back its old writes). Harmless — unless that origin is still writing: a
//    delta of it stamped after this run started (beyond the accepted clock drift, so a
//    previous life on a host whose clock ran ahead is not mistaken for one) was written by a
//    process that is running now.
// 2. An epoch above its own: a process that started after this one with the same id.
// Both mean two processes share one node id, which SWIM, gossip and repair cannot tell apart:
// each ignores the other's writes as its own, and concurrent writes diverge for good.
// 3. SWIM's own check (membership/twin.ts, noteTwin): the epoch rides on SWIM's alive updates
//    and push-pull views, and a push-pull answer names the epoch of the process that asked.
//    With direct replication streams peers route everything for the id to one of the two
//    processes, so the other one's deltas reach nobody and cases 1–2 never see them; SWIM
//    needs no write: the first process hears of the later one as soon as it tries to join.
//
// What the node does about it: it reports, once per foreign epoch — an `identity:conflict`
// event, stats().identityConflicts, and the CLI logs it as an error. It does not stop itself:
// the process that detects it is as often the one that should keep running (the other one was
// started by mistake), and a cache that keeps serving its local reads harms nobody. Stopping
// the wrong process is the operator's call; the event says which epochs are involved.
//
// Epochs come from wall clocks of different hosts, so case 2 also fires for a previous life
// of this node on a host whose clock was ahead by more than the restart took. That is a
// moved identity file plus a skewed clock; the report is then a false alarm, and says so.

import { hlcPhysicalMs, type Hlc, type Origin } from '../../crdt/index.ts'

/** Foreign epochs remembered (each reported once); far more than two processes will make. */
const MAX_REPORTED_EPOCHS = 64

export interface IdentityConflict {
  /** This node's id, which the other process also uses. */
  nodeId: string
  /** This run's epoch (ms of the wall clock at start). */
  epoch: number
  /** The other process's epoch. */
  otherEpoch: number
  /** The peer whose data showed it. */
  from: string
  /** What to do. */
  hint: string
}

export interface IdentityConflictInit {
  origin: Origin
  /** This run's start on the node's clock (the clock that stamps its hlcs). */
  startedMs: number
  /** Remote hlcs up to this far ahead are accepted; a previous life's may be, too. */
  maxClockDriftMs: number
  onConflict: (c: IdentityConflict) => void
}

export class IdentityConflictDetector {
  readonly #i: IdentityConflictInit
  readonly #reported = new Set<number>()

  constructor(init: IdentityConflictInit) {
    this.#i = init
  }

  /** How many other processes (epochs) were found using this node's id. */
  get conflicts(): number {
    return this.#reported.size
  }

  /** An origin seen in a delta (with its hlc) or a digest (without) that `from` sent. */
  note(origin: Origin, hlc: Hlc | undefined, from: string): void {
    const mine = this.#i.origin
    if (origin.nodeId !== mine.nodeId || origin.epoch === mine.epoch) return
    const later = origin.epoch > mine.epoch
    const writingNow = hlc !== undefined && hlcPhysicalMs(hlc) > this.#i.startedMs + this.#i.maxClockDriftMs
    if (!later && !writingNow) return
    this.#report(origin.epoch, from)
  }

  /**
   * SWIM found another process with this id (membership/twin.ts: an alive or a push-pull
   * answer that names another epoch); it has decided already, this reports it once.
   */
  noteTwin(otherEpoch: number, from: string): void {
    this.#report(otherEpoch, from)
  }

  #report(otherEpoch: number, from: string): void {
    const mine = this.#i.origin
    if (otherEpoch === mine.epoch || this.#reported.has(otherEpoch) || this.#reported.size >= MAX_REPORTED_EPOCHS) return
    this.#reported.add(otherEpoch)
    const later = otherEpoch > mine.epoch
    this.#i.onConflict({
      nodeId: mine.nodeId,
      epoch: mine.epoch,
      otherEpoch,
      from,
      hint:
        `another process is running with this node's id (it started ${later ? 'after' : 'before'} this one): ` +
        'its writes and this one\'s are lost to each other. Stop one of them, or give each its own identity file. ' +
        (later ? '(A false alarm only if this id moved from a host whose clock ran ahead.)' : ''),
    })
  }
}
