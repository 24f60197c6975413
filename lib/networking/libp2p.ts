// Builds the libp2p node a cache node runs on: TCP, Noise (always: G8), yamux, identify
// (gossipsub needs it; the cluster guard reads it), gossipsub for deltas, the SWIM service, the
// cluster guard (hangs up on nodes of other clusters), and mDNS when asked.
// Nothing else: no DHT, no relay, no auto-dialler — members are found by bootstrap
// addresses, mDNS and SWIM.

import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify, type Identify } from '@libp2p/identify'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { mdns } from '@libp2p/mdns'
import { preSharedKey } from '@libp2p/pnet'
import type { PrivateKey } from '@libp2p/interface'
import type { PeerGate } from './peer-gate.ts'
import { toListenError } from './listen-error.ts'
import { swimProtocol, swimService, type SwimService, type SwimServiceInit } from './swim-service.ts'
import { clusterGuard, type ClusterGuard } from './cluster-guard.ts'
import { deltaTopic, gossipMessageId } from './gossip-message-id.ts'

/**
 * Gossipsub's inbound message limit, the same on every node: a receiver whose limit is below
 * a message loses its whole stream from that peer (docs/node.md, "Gossipsub: what the node
 * relies on"). 4 MiB is gossipsub's own cap; the node's batches stay far below it
 * (batchMaxBytes).
 */
export const GOSSIP_MAX_MESSAGE_BYTES = 4 * 1024 * 1024

/**
 * Longest an inbound connection may take to complete its handshake (private-network nonce,
 * Noise, muxer) before it is reset. The handshake takes a few round trips; libp2p's default
 * (10 s) let one host without the key hold every pending slot (below) with one connection a
 * second, locking honest nodes out.
 */
export const INBOUND_UPGRADE_TIMEOUT_MS = 5_000

/**
 * Inbound handshakes in progress at once; more are refused (reset). libp2p admits at most
 * 5 new connections per second per host, so one host can hold at most 25 of these at a time
 * (5/s × INBOUND_UPGRADE_TIMEOUT_MS): it cannot fill them. libp2p's default is 10.
 */
export const MAX_PENDING_INBOUND_UPGRADES = 64

export type CacheServices = {
  identify: Identify
  pubsub: GossipSub
  swim: SwimService
  guard: ClusterGuard
}

export interface TransportInit {
  listen: string[]
  /** The cluster name, carried by the SWIM and sync protocol ids and checked at every handshake. */
  cluster: string
  swim: Omit<SwimServiceInit, 'cluster'>
  privateKey?: PrivateKey
  /** mDNS discovery on the LAN: the service tag (one per cluster), or undefined for none. */
  mdnsServiceTag?: string
  /** Private network: the PSK bytes from parseClusterKey (cluster-key.ts). */
  clusterKey?: Uint8Array
  /** Allowlist and bans, checked for every connection once Noise has authenticated the peer. */
  gate: PeerGate
}

export async function createTransport(init: TransportInit): Promise<Libp2p<CacheServices>> {
  try {
    return await startTransport(init)
  } catch (err) {
    throw toListenError(err, init.listen)
  }
}

function startTransport(init: TransportInit): Promise<Libp2p<CacheServices>> {
  return createLibp2p({
    ...(init.privateKey === undefined ? {} : { privateKey: init.privateKey }),
    addresses: { listen: init.listen },
    ...(init.clusterKey === undefined ? {} : { connectionProtector: preSharedKey({ psk: init.clusterKey }) }),
    connectionGater: init.gate.gater(),
    connectionManager: {
      inboundUpgradeTimeout: INBOUND_UPGRADE_TIMEOUT_MS,
      maxIncomingPendingConnections: MAX_PENDING_INBOUND_UPGRADES,
    },
    // SWIM decides liveness; libp2p's own monitor would ping /ipfs/ping/1.0.0, a protocol this
    // node does not serve (every ping a failed negotiation, and busy links were aborted).
    connectionMonitor: { enabled: false },
    // mDNS finds peers; it does not dial them (libp2p 3): the node dials on peer:discovery.
    peerDiscovery: init.mdnsServiceTag === undefined ? [] : [mdns({ serviceTag: init.mdnsServiceTag })],
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({
        // The transport already authenticates every peer (Noise), so messages are not signed
        // (every peer must use the same policy: peers with different ones silently drop each
        // other's messages; docs/node.md).
        globalSignaturePolicy: 'StrictNoSign',
        // A delta batch's id is its origin, epoch and first seq, read from its header; other
        // messages keep the hash of their data (gossip-message-id.ts).
        msgIdFn: gossipMessageId(deltaTopic(init.cluster)),
        allowPublishToZeroTopicPeers: true,
        // A publisher sends to its mesh peers (degree 6) only, not to every subscriber: delta
        // batches go to gossipsub only in clusters above gossipAboveMembers, where flooding
        // would cost the writer a copy per member, as direct streams do (docs/replication-sim.md).
        floodPublish: false,
        emitSelf: false,
        maxInboundDataLength: GOSSIP_MAX_MESSAGE_BYTES,
      }),
      swim: swimService({ ...init.swim, cluster: init.cluster }),
      guard: clusterGuard({ protocol: swimProtocol(init.cluster) }),
    },
  })
}
