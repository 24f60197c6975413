// Acknowledged writes (DESIGN G6): a write with `ack: 'all'` is pushed straight to every member
// SWIM considers alive (besides going out by gossip like any write), and the call resolves once
// each has applied it. A member SWIM declares dead or left while we wait no longer counts; a
// member that fails is retried until the deadline; at the deadline the call rejects with an
// AckTimeoutError naming who did not answer.
//
// This is the answer to "what if a node crashes before it sends its update": invalidate with
// ack before the database write, set after it (README, write-through recipe).

import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import type { Delta } from '../../crdt/index.ts'
import { AlsoCacheError } from '../errors.ts'
import type { SyncService } from '../networking/sync-service.ts'

/** Retry spacing for a member whose push failed (it may be restarting its stream). */
const ACK_RETRY_MS = 100

export class AckTimeoutError extends AlsoCacheError {
  /** Member ids that had not acknowledged the write at the deadline. */
  readonly missing: readonly string[]
  constructor(key: string, missing: readonly string[], timeoutMs: number) {
    super(
      'ERR_ACK_TIMEOUT',
      `write of "${key}" was not acknowledged within ${timeoutMs} ms by ${missing.length} member(s): ${missing.join(', ')}. ` +
        'The write is applied here and will still reach them by gossip and repair; if you need it ' +
        'everywhere before going on, retry, or wait until SWIM declares them dead',
    )
    this.missing = missing
  }
}

export interface AckInit {
  sync: SyncService
  /** Members that count now: alive or suspected, not this node. */
  members: string[]
  /** Does the member still count (not declared dead, not left)? */
  isAlive: (id: string) => boolean
  timeoutMs: number
}

export async function pushWithAck(delta: Delta, init: AckInit): Promise<void> {
  const deadline = AbortSignal.timeout(init.timeoutMs)
  const waiting = new Set(init.members)
  await Promise.all(
    init.members.map(async (member) => {
      let peer: PeerId
      try {
        peer = peerIdFromString(member)
      } catch {
        return // not a peer id (a member id off the wire): it can never be reached, so it never answers
      }
      while (!deadline.aborted) {
        // Declared dead or left while we wait: it no longer counts.
        if (!init.isAlive(member)) return void waiting.delete(member)
        try {
          await init.sync.push(peer, [delta], deadline)
          return void waiting.delete(member)
        } catch {
          if (deadline.aborted) break
          await new Promise((resolve) => setTimeout(resolve, ACK_RETRY_MS))
        }
      }
      if (!init.isAlive(member)) waiting.delete(member)
    }),
  )
  if (waiting.size > 0) throw new AckTimeoutError(delta.key, [...waiting].sort(), init.timeoutMs)
}
