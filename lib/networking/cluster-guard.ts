// Cluster identity at the handshake (docs/node.md, Trust and bounds): a connection is kept
// only with a peer that serves this cluster's SWIM protocol, `/also-cache/<cluster>/swim/1.0.0`.
//
// libp2p runs identify on every new connection, in both directions; its answer lists the
// protocols the remote serves. A remote without ours belongs to another cluster (or is no cache
// node at all): it is hung up on as soon as identify answers, so it never becomes a SWIM
// member, and no warm-up, repair, digest, acknowledged push or gossip passes either way. The
// protocol ids themselves carry the cluster name too (swimProtocol, syncProtocol), so even a
// stream opened before the hang-up is refused at negotiation.
//
// What can cross before the hang-up: identify itself (addresses, protocol ids) and gossipsub's
// hello (its topic subscriptions, whose names carry the cluster: no mesh forms, no message is
// forwarded, as the topics differ). The cluster name is a label, not a secret: keeping others
// out is the cluster key's job (G8).

import type { Connection, IdentifyResult, Libp2pEvents, PeerId, Startable, TypedEventTarget } from '@libp2p/interface'

/** How long the hang-up may take to close streams gracefully before the connection is aborted. */
export const FOREIGN_CLOSE_TIMEOUT_MS = 1_000

export interface ClusterGuardInit {
  /** The protocol a peer of this cluster serves: swimProtocol(cluster). */
  protocol: string
  /** A peer of another cluster was hung up on (after the hang-up started). */
  onForeign?: (peer: PeerId, connection: Connection) => void
}

export interface ClusterGuardComponents {
  events: TypedEventTarget<Libp2pEvents>
}

export class ClusterGuard implements Startable {
  readonly #events: TypedEventTarget<Libp2pEvents>
  readonly #init: ClusterGuardInit
  /** Per connection, once identify has answered: is the remote of this cluster? */
  readonly #verdicts = new WeakMap<Connection, boolean>()
  readonly #waiters = new Map<Connection, Set<(member: boolean) => void>>()
  /** Connections hung up on because the peer was of another cluster. */
  refused = 0
  readonly #onIdentify = (e: CustomEvent<IdentifyResult>): void => this.#identified(e.detail)

  constructor(components: ClusterGuardComponents, init: ClusterGuardInit) {
    this.#events = components.events
    this.#init = init
  }

  start(): void {
    this.#events.addEventListener('peer:identify', this.#onIdentify)
  }

  stop(): void {
    this.#events.removeEventListener('peer:identify', this.#onIdentify)
    this.#waiters.clear()
  }

  /**
   * Whether `connection`'s remote is of this cluster, once identify has answered on it;
   * undefined when `signal` aborts first (identify slow or failed: nothing is known).
   */
  verdict(connection: Connection, signal: AbortSignal): Promise<boolean | undefined> {
    const known = this.#verdicts.get(connection)
    if (known !== undefined) return Promise.resolve(known)
    if (signal.aborted) return Promise.resolve(undefined)
    return new Promise((resolve) => {
      let waiters = this.#waiters.get(connection)
      if (waiters === undefined) {
        waiters = new Set()
        this.#waiters.set(connection, waiters)
      }
      const set = waiters
      const done = (member: boolean | undefined): void => {
        set.delete(settle)
        if (set.size === 0 && this.#waiters.get(connection) === set) this.#waiters.delete(connection)
        signal.removeEventListener('abort', onAbort)
        resolve(member)
      }
      const settle = (member: boolean): void => done(member)
      const onAbort = (): void => done(undefined)
      set.add(settle)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  #identified(result: IdentifyResult): void {
    const connection = result.connection
    const member = result.protocols.includes(this.#init.protocol)
    this.#verdicts.set(connection, member)
    const waiters = this.#waiters.get(connection)
    this.#waiters.delete(connection)
    for (const settle of waiters ?? []) settle(member)
    if (member) return
    this.refused++
    const reason = new Error(`peer ${result.peerId.toString()} does not serve ${this.#init.protocol}: it belongs to another cluster`)
    void connection.close({ signal: AbortSignal.timeout(FOREIGN_CLOSE_TIMEOUT_MS) }).catch(() => connection.abort(reason))
    this.#init.onForeign?.(result.peerId, connection)
  }
}

/** The libp2p service factory: `services: { guard: clusterGuard({ protocol }) }`. */
export function clusterGuard(init: ClusterGuardInit): (components: ClusterGuardComponents) => ClusterGuard {
  return (components) => new ClusterGuard(components, init)
}
