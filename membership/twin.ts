// Twins: another process running with this node's id (a copied identity file on another host).
// Peers cannot tell the two apart — they route every stream for the id to one of them — so the
// other one is found by what it says about itself, not by where its messages come from.
//
// Each run of a node has an epoch (SwimInit.epoch: a per-start number, the wall clock at start
// in the node), carried by its alive updates and its own entry in push-pull views. Two signs:
// 1. Alive: an alive update or view entry about this node's id with an epoch *above* its own
//    was announced by a process that started after this one. One below is normally a previous
//    life of this node (it restarted; its last alive still circulates), so it is not reported.
// 2. Echo: a push-pull reply names the epoch its request's sender gave for itself. A reply that
//    names another epoch answers a request this process did not send: the peer routed the
//    other process's answer here. Worked scenario, the one direct streams make common:
//      1. A runs as X (epoch 100) and is a member of P.
//      2. B starts with a copy of X's key (epoch 200) and joins through P: a push-pull from X.
//      3. P answers X — on its stream to X, which reaches A. B never gets in; its alive goes
//         nowhere (P's view holds X already), so sign 1 never fires.
//      4. A gets a reply echoing epoch 200: a later process runs as X. A reports it.
//    An echo below this node's epoch can be the late answer to a request of its previous life,
//    so it counts only once this node has run PREVIOUS_LIFE_ECHO_GRACE_MS.
// Neither sign needs the other process to write anything. Who learns: the process the peers'
// streams reach (usually the one that was there first). The other is isolated and hears
// nothing; it learns only if a peer's stream to the id moves to it (then sign 2, or sign 1 once
// its alive spreads, reaches it too).
//
// A twin's alive with a higher epoch is not refuted (a previous life's is): two live processes
// refuting each other would raise the incarnation for ever. Epochs are compared as numbers, so
// a previous life on a host whose clock ran ahead by more than the restart took looks like a
// later process (a false alarm, as in lib/node/identity-conflict.ts); two processes started in
// the same millisecond share an epoch and are not told apart.

import { MAX_TWIN_EPOCHS, PREVIOUS_LIFE_ECHO_GRACE_MS } from './constants.ts'

export const TwinSign = { alive: 'alive', echo: 'echo' } as const
export type TwinSign = (typeof TwinSign)[keyof typeof TwinSign]

/** Another process found running with this node's id. */
export interface Twin {
  /** This node's id, which the other process also uses. */
  id: string
  /** This run's epoch. */
  epoch: number
  /** The other process's epoch. */
  otherEpoch: number
  /** The member whose message showed it. */
  from: string
  /** How it showed: an alive update or view entry about us (alive), or a reply meant for it (echo). */
  sign: TwinSign
}

/** Sign 1: whether an alive claim about this node with `otherEpoch` was made by a later process. */
export function aliveShowsTwin(epoch: number, otherEpoch: number): boolean {
  return epoch !== 0 && otherEpoch > epoch
}

/** Sign 2: whether a push-pull reply echoing `echoed` answered another process, `ranMs` into this run. */
export function echoShowsTwin(epoch: number, echoed: number, ranMs: number): boolean {
  if (epoch === 0 || echoed === 0 || echoed === epoch) return false
  return echoed > epoch || ranMs >= PREVIOUS_LIFE_ECHO_GRACE_MS
}

/** The other epochs already reported: each once, at most MAX_TWIN_EPOCHS of them. */
export class TwinLog {
  readonly #seen = new Set<number>()

  get size(): number {
    return this.#seen.size
  }

  /** True the first time `otherEpoch` is noted (it is to be reported), false after or past the bound. */
  note(otherEpoch: number): boolean {
    if (this.#seen.has(otherEpoch) || this.#seen.size >= MAX_TWIN_EPOCHS) return false
    this.#seen.add(otherEpoch)
    return true
  }
}
