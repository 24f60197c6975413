// The push-pull state exchange's two halves that need no protocol state (memberlist
// pushPullNode / mergeState): the page of our view we send, and what a remote member entry
// means to us. swim.ts decides when to exchange and applies the updates.

import type { MemberTable } from './members.ts'
import { MemberState } from './member-state.ts'
import { UpdateKind, type PushPullMember, type Update } from './codec.ts'

/**
 * Pages through a view for push-pull messages: self first, then up to `max − 1` members
 * from a cursor that rotates, so that views larger than one message (pushPullMembersMax)
 * go out whole over successive exchanges.
 */
export class ViewPager {
  #cursor = 0

  page(table: MemberTable, self: PushPullMember, max: number): PushPullMember[] {
    const members: PushPullMember[] = [self]
    let last = this.#cursor - 1
    for (const slot of table.window(this.#cursor, max - 1)) {
      members.push({
        id: table.directory.idOf(slot),
        state: table.state(slot),
        incarnation: table.incarnation(slot),
        epoch: table.epoch(slot),
        addrs: table.addrs(slot),
      })
      last = slot
    }
    this.#cursor = table.directory.size === 0 ? 0 : (last + 1) % table.directory.size
    return members
  }
}

/**
 * The update a remote view entry amounts to, or undefined when it matches ours (most of a
 * remote view does: those are skipped without building anything). A remote "dead" becomes
 * a local "suspect" accused by the sender, so the member gets to refute (memberlist
 * mergeState). A view relays others' verdicts: swim.ts counts it as no more than one
 * confirmation (ours, as memberlist does), not one per sender.
 */
export function remoteEntryUpdate(table: MemberTable, m: PushPullMember, sender: string): Update | undefined {
  const slot = table.directory.slotOf(m.id)
  if (slot !== undefined && slot !== table.self && table.state(slot) === m.state && table.incarnation(slot) === m.incarnation) {
    return undefined
  }
  let kind: UpdateKind
  if (m.state === MemberState.alive) kind = UpdateKind.alive
  else if (m.state === MemberState.left) kind = UpdateKind.left
  else kind = UpdateKind.suspect
  const epoch = kind === UpdateKind.alive ? (m.epoch ?? 0) : 0
  return { kind, id: m.id, incarnation: m.incarnation, epoch, addrs: m.addrs, from: kind === UpdateKind.suspect ? sender : '' }
}
