// The protocol id of the replication streams (lib/node/replication-link.ts runs the engine over it).

/**
 * The replication protocol id of a cluster: as for SWIM's, the name is in the id, so nodes of
 * different clusters never open a replication stream to each other. Cluster names are 1–64
 * characters of A–Z a–z 0–9 . _ - (lib/node/options.ts): safe in a protocol id.
 */
export const replicationProtocol = (cluster: string): string => `/also-cache/${cluster}/replication/1.0.0`
