// How an update about another member changes this node's view of it: the SWIM transition
// table as data (swim.ts applies it; docs/membership.md draws it from here). Updates about
// the node itself never go through this table: swim.ts #aboutSelf refutes them (an accusation
// at its incarnation or later, or an alive of a previous life of the node).
//
// `when` compares the update's incarnation with the one held:
//   'any'      always (only from unknown)
//   'newer'    update > held
//   'notOlder' update ≥ held
// 'confirm' keeps the state and counts an independent accusation (Lifeguard suspicion.ts).
// A missing entry means the update is ignored.

import { MemberState, type MemberStateName } from './member-state.ts'
import { UpdateKind } from './codec.ts'

export type Guard = 'any' | 'newer' | 'notOlder'
export interface Transition {
  to: MemberState
  when: Guard
  /** Suspect on suspect: count a confirmation instead of changing state. */
  confirm?: true
}

const { alive, suspect, dead, left } = MemberState
const U = UpdateKind

/** TRANSITIONS[held state][update kind]. */
export const TRANSITIONS: ReadonlyArray<Partial<Record<UpdateKind, Transition>>> = [
  // unknown: only an alive update introduces a member; accusations about strangers are
  // dropped (we could not probe them, and re-gossiping them would spread noise).
  /* unknown */ { [U.alive]: { to: alive, when: 'any' } },
  // alive: a newer alive refreshes (new addresses); a suspicion at the same incarnation
  // stands, because the accuser saw this very incarnation fail to answer.
  /* alive */ {
    [U.alive]: { to: alive, when: 'newer' },
    [U.suspect]: { to: suspect, when: 'notOlder' },
    [U.dead]: { to: dead, when: 'notOlder' },
    [U.left]: { to: left, when: 'notOlder' },
  },
  // suspect: only a strictly newer alive refutes. Worked scenario for why 'newer':
  //   1. A suspects M at incarnation 3 and gossips it.
  //   2. B, which had not heard, gossips its stale "M alive at 3".
  //   3. If alive at 3 cleared the suspicion, stale gossip could keep a dead M alive for
  //      ever; only M itself can raise 3 to 4, so only M can refute.
  /* suspect */ {
    [U.alive]: { to: alive, when: 'newer' },
    [U.suspect]: { to: suspect, when: 'notOlder', confirm: true },
    [U.dead]: { to: dead, when: 'notOlder' },
    [U.left]: { to: left, when: 'notOlder' },
  },
  // dead: a member comes back only with a higher incarnation (it restarted, learned it was
  // declared dead, and refuted). A graceful leave at the same incarnation refines dead.
  /* dead */ {
    [U.alive]: { to: alive, when: 'newer' },
    [U.left]: { to: left, when: 'notOlder' },
  },
  /* left */ { [U.alive]: { to: alive, when: 'newer' } },
]

/** The transition for `kind` arriving with `incoming` while `held` at `heldInc`, if any. */
export function transitionFor(held: MemberState, heldInc: number, kind: UpdateKind, incoming: number): Transition | undefined {
  const t = TRANSITIONS[held][kind]
  if (t === undefined) return undefined
  if (t.when === 'newer' && !(incoming > heldInc)) return undefined
  if (t.when === 'notOlder' && incoming < heldInc) return undefined
  return t
}

export const updateKindNames: Record<UpdateKind, MemberStateName> = {
  [U.alive]: 'alive',
  [U.suspect]: 'suspect',
  [U.dead]: 'dead',
  [U.left]: 'left',
}
