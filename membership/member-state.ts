// Member states. The numbers are stored in the member table and travel on the wire in
// push-pull state: append only.

export const MemberState = {
  /** Not known to this node (a free slot in the table). */
  unknown: 0,
  alive: 1,
  suspect: 2,
  dead: 3,
  /** Left gracefully: like dead, but announced by the member itself. */
  left: 4,
} as const
export type MemberState = (typeof MemberState)[keyof typeof MemberState]

export const memberStateNames = ['unknown', 'alive', 'suspect', 'dead', 'left'] as const
export type MemberStateName = Exclude<(typeof memberStateNames)[number], 'unknown'>
