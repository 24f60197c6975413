// Joining the cluster: dialling the bootstrap addresses at start, and the peers mDNS finds
// later. SWIM joins through whatever this reaches. When no bootstrap address can be joined,
// a `join:failed` event says why and what to check: an unreachable address, a cluster key
// that differs, or a peer of another cluster. See docs/node.md, "Cluster identity".

import type { Libp2p } from 'libp2p'
import { multiaddr } from '@multiformats/multiaddr'
import type { CacheServices } from '../networking/index.ts'
import type { JoinFailed } from './events.ts'

/**
 * How long a dial waits for a peer to answer; also how long start waits for the first
 * bootstrap peer to answer SWIM before warming up anyway (warmup-run.ts).
 */
export const JOIN_WAIT_MS = 5_000

const UNREACHABLE_HINT = 'check the addresses are reachable; if the cluster uses a cluster key, this node needs the same clusterKey'
const UNREACHABLE_OR_KEY_HINT =
  'check the addresses are reachable and that every node has the same clusterKey (a different key looks like a broken connection)'

export interface BootstrapInit {
  p2p: Libp2p<CacheServices>
  bootstrap: readonly string[]
  cluster: string
  /** Whether this node has a cluster key: the hint for an unreachable address names it then. */
  hasClusterKey: boolean
  /** Called with the reasons when no address could be joined; after createCacheNode resolves. */
  onJoinFailed: (e: JoinFailed) => void
}

/**
 * Dials every bootstrap address; returns the peer ids reached that are of this cluster.
 * When none is, `onJoinFailed` says why: a peer of another cluster is named as such
 * (identify shows it does not serve this cluster's SWIM protocol; the guard hangs up on it),
 * and libp2p's own errors for a refused private-network handshake are unclear (parse errors,
 * resets, timeouts: a different key looks like a broken connection), so the hint names the
 * cluster key.
 */
export async function dialBootstrap(init: BootstrapInit): Promise<string[]> {
  const { p2p, cluster } = init
  const reached: string[] = []
  const errors: string[] = []
  let foreign = 0
  await Promise.all(
    init.bootstrap.map(async (addr) => {
      try {
        const signal = AbortSignal.timeout(JOIN_WAIT_MS)
        const conn = await p2p.dial(multiaddr(addr), { signal })
        // undefined: identify did not answer in time; SWIM's own negotiation decides then.
        if ((await p2p.services.guard.verdict(conn, signal)) === false) {
          foreign++
          errors.push(`peer at ${addr} belongs to another cluster (it does not speak cluster '${cluster}')`)
          return
        }
        reached.push(conn.remotePeer.toString())
      } catch (err) {
        errors.push(`${addr}: ${err instanceof Error ? err.message : String(err)}`)
      }
    }),
  )
  if (reached.length === 0 && errors.length > 0) {
    const hints: string[] = []
    if (foreign > 0) hints.push(`check the cluster option: a node joins only nodes of its own cluster (here '${cluster}')`)
    if (foreign < errors.length) hints.push(init.hasClusterKey ? UNREACHABLE_OR_KEY_HINT : UNREACHABLE_HINT)
    const failed: JoinFailed = { addrs: [...init.bootstrap], errors, hint: hints.join('; ') }
    // After createCacheNode resolves, so a listener added right after `await` hears it.
    setTimeout(() => init.onJoinFailed(failed), 0)
  }
  return reached
}

/** A peer as mDNS announces it (libp2p's `peer:discovery` detail). */
export interface DiscoveredPeer {
  id: { toString(): string }
  multiaddrs: { toString(): string }[]
}

/**
 * Dials a peer mDNS found (the SWIM service joins through it on connect), unless `skip` says
 * it is this node or already a live member. Loopback addresses are dropped: mDNS advertises
 * 127.0.0.1 too, which is this host, not theirs.
 */
export async function dialDiscovered(p2p: Libp2p<CacheServices>, peer: DiscoveredPeer, skip: (id: string) => boolean): Promise<void> {
  const id = peer.id.toString()
  if (skip(id)) return
  const addrs = peer.multiaddrs.map(String).filter((a) => !/^\/ip4\/127\.|^\/ip6\/::1\//.test(a))
  if (addrs.length === 0) return
  try {
    await p2p.dial(
      addrs.map((a) => multiaddr(a.includes('/p2p/') ? a : `${a}/p2p/${id}`)),
      { signal: AbortSignal.timeout(JOIN_WAIT_MS) },
    )
  } catch {
    // Unreachable now; mDNS announces again and SWIM may learn it from others.
  }
}
