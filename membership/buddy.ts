// Lifeguard buddy system (Dadgar et al. 2018, §IV-C). When a node probes a member it
// currently suspects, it puts the suspicion itself in front of the ping's piggyback, so the
// accused learns of it at once and can refute, instead of waiting for gossip to reach it
// by chance. This matters most in large clusters, where a suspicion may take several
// gossip rounds to reach the one member it is about.

import { MemberState } from './member-state.ts'

/** True when a ping to a member in `targetState` should carry that member's suspicion first. */
export function shouldTellSuspect(targetState: MemberState, lifeguard: boolean): boolean {
  return lifeguard && targetState === MemberState.suspect
}
