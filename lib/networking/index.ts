// The networking adapters: libp2p (TCP, Noise, yamux, pnet, identify, mDNS), the SWIM
// service that runs membership's core over a stream protocol, and the sync protocol that
// serves ranges, since(T), digests and pushes. They decide nothing about the cache: the node
// composes them. See docs/README.md.
export { createTransport, type CacheServices, type TransportInit } from './libp2p.ts'
export { deltaTopic, gossipMessageId } from './gossip-message-id.ts'
export { PeerGate, type PeerGateInit } from './peer-gate.ts'
export { acquireIdentity, IdentityFileError, IdentityInUseError, type IdentityLease } from './identity.ts'
export { generateClusterKey, InvalidClusterKeyError, parseClusterKey } from './cluster-key.ts'
export { ListenError } from './listen-error.ts'
export { SyncError, SyncService, UNBOUNDED_ENTRY_BYTES, type SinceResult, type SyncHandlers, type SyncServedStats } from './sync-service.ts'
export { KEY_HASH_SPACE, type PushOutcome } from './sync-codec.ts'
export { FrameStreams, type FrameStreamsInit, type FrameStreamsStats } from './frame-streams.ts'
export { replicationProtocol } from './replication-protocol.ts'
