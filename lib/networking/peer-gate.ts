// Who may connect (G7, G8): the optional allowlist of peer ids, and short bans of peers that
// sent malformed input past a threshold. Installed as libp2p's connection gater, so it is
// checked for every connection, inbound and outbound, once Noise has authenticated the peer.

import type { PeerId } from '@libp2p/interface'
import { BoundedMap } from '../foundation/index.ts'

export interface PeerGateInit {
  /** Only these peer ids may connect. @default undefined (everyone with the cluster key) */
  allowed?: ReadonlySet<string>
  /** Clock for bans. @default Date.now */
  now?: () => number
}

/** Bans remembered at once; the oldest is lifted early past it (a flood of new ids cannot grow it). */
export const MAX_BANNED_PEERS = 1024

export class PeerGate {
  readonly #allowed: ReadonlySet<string> | undefined
  readonly #now: () => number
  /** Peer → ban end (ms); past MAX_BANNED_PEERS the oldest ban is lifted early. */
  readonly #bannedUntil = new BoundedMap<string, number>(MAX_BANNED_PEERS)
  /** Connections refused (not allowed, or banned). */
  refused = 0

  constructor(init: PeerGateInit = {}) {
    this.#allowed = init.allowed
    this.#now = init.now ?? Date.now
  }

  /** Refuses `peer` for `ms` from now. */
  ban(peer: string, ms: number): void {
    this.#bannedUntil.set(peer, this.#now() + ms)
  }

  isBanned(peer: string): boolean {
    const until = this.#bannedUntil.get(peer)
    if (until === undefined) return false
    if (until > this.#now()) return true
    this.#bannedUntil.delete(peer)
    return false
  }

  /** Would a connection with `peer` be refused? Counts the refusal. */
  refuses(peer: string): boolean {
    if ((this.#allowed === undefined || this.#allowed.has(peer)) && !this.isBanned(peer)) return false
    this.refused++
    return true
  }

  /** The libp2p connection gater. */
  gater() {
    const deny = async (peer: PeerId): Promise<boolean> => this.refuses(peer.toString())
    return { denyDialPeer: deny, denyInboundEncryptedConnection: deny, denyOutboundEncryptedConnection: deny }
  }
}
