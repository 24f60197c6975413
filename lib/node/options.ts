// Options of createCacheNode: every field optional, each with its default and what it costs;
// resolved and validated once (a TypeError names the bad option).

import { MAX_BATCH_BYTES, MAX_WRITE_VALUE_BYTES, Replica, type OriginLogInit } from '../../crdt/index.ts'
import { peerIdFromString } from '@libp2p/peer-id'
import { DEFAULT_HOT_KEYS_MAX, type StoreTuning } from '../store/index.ts'
import { HotKeyHints } from '../hints/index.ts'
import { MAX_TIMEOUT_MS } from './write-options.ts'
import { resolveValueCodec, type ValueCodec, type ValueCodecOption } from './value-codec.ts'
import { bool, finiteNumber, intInRange, nonNegativeInt, positiveInt, ratio } from '../foundation/index.ts'
import { parseClusterKey } from '../networking/index.ts'
import type { HotKeyHintsTuning } from '../hints/index.ts'
import { resolveConfig, type SwimConfigInit } from '../../membership/index.ts'
import {
  DEFAULT_ACK_TIMEOUT_MS,
  DEFAULT_ANTI_ENTROPY_INTERVAL_MS,
  DEFAULT_BAN_MS,
  DEFAULT_MALFORMED_LIMIT,
  DEFAULT_BATCH_INTERVAL_MS,
  DEFAULT_BATCH_MAX_BYTES,
  DEFAULT_BATCH_MAX_DELTAS,
  DEFAULT_CLUSTER,
  DEFAULT_GAP_GRACE_MS,
  DEFAULT_LEAVE_TIMEOUT_MS,
  DEFAULT_LISTEN,
  DEFAULT_MAX_BYTES,
  DEFAULT_GOSSIP_ABOVE_MEMBERS,
  DEFAULT_REPAIR_MAX_BYTES,
  DEFAULT_WARMUP_PEERS,
} from './constants.ts'

export interface CacheNodeInit<T = Uint8Array> {
  /**
   * How values are stored: 'bytes' (Uint8Array in and out), 'json', 'v8' (structured clone), or
   * the program's own { encode, decode }; with a codec, `set`/`get` take and return T
   * (`createCacheNode<T>(...)`). Every node and writer of a key must use the same. See
   * value-codec.ts. @default 'bytes'
   */
  valueCodec?: ValueCodecOption<T>
  /**
   * With a valueCodec: keep the decoded object of each entry's bytes, so later gets return that
   * object instead of decoding again (shared by every caller: do not mutate it). Costs the
   * objects' heap beside the bytes charged in maxBytes. @default false
   */
  keepDecoded?: boolean
  /** Multiaddrs to listen on. @default ['/ip4/127.0.0.1/tcp/0'] (loopback, a free port) */
  listen?: string[]
  /** Multiaddrs (with /p2p/<peer id>) of members to join through. @default [] */
  bootstrap?: string[]
  /** Cluster name, carried by every protocol: nodes of other clusters are hung up on (join:failed). @default 'default' */
  cluster?: string
  /**
   * Private cluster (G8): the text of a key from generateClusterKey() / `also-cache keygen`.
   * A process without it, or with another, cannot connect, read or write.
   * @default undefined (any peer that speaks the protocol may join; Noise still encrypts)
   */
  clusterKey?: string | Uint8Array
  /**
   * Only these peer ids may connect (in and out), checked once Noise authenticated them.
   * Combine with `identityPath` on every node so ids survive restarts.
   * @default undefined (no allowlist)
   */
  allowPeers?: string[]
  /**
   * File holding this node's identity key: created on first start (mode 0600), loaded after,
   * so the peer id survives restarts. A file readable by others is refused.
   * @default undefined (a new identity at every start)
   */
  identityPath?: string
  /**
   * Find peers on the LAN by mDNS (service `also-cache-<cluster>.local`), with no bootstrap
   * list. Multicast on every interface the node listens on: enable it on trusted LANs only.
   * @default false
   */
  mdns?: boolean
  /** Store capacity in bytes of charges (see S3FifoStore). @default 64 MiB */
  maxBytes?: number
  /** Further store options (entryOverheadBytes, promotionThreshold, ...). */
  store?: StoreTuning
  /** Remote hlc further ahead than this is refused (G7). @default 60 s (crdt/constants.ts) */
  maxClockDriftMs?: number
  /**
   * Bounds of this node's replication log, from which peers pull the deltas gossip lost.
   * A peer further behind falls back to since(T). @default 65,536 deltas, 16 MiB
   */
  replicationLog?: OriginLogInit
  /** Deltas per gossip message. @default 256 */
  batchMaxDeltas?: number
  /**
   * Encoded bytes per gossip message; a delta that would pass it goes in the next message
   * (a large value travels alone). At most MAX_WRITE_VALUE_BYTES (4 MiB − 128 KiB), so every
   * message fits gossipsub's 4 MiB. @default 512 KiB
   */
  batchMaxBytes?: number
  /** Longest a write waits for its batch. 0 sends every write alone. @default 2 ms */
  batchIntervalMs?: number
  /** Anti-entropy period. @default 2 s */
  antiEntropyIntervalMs?: number
  /** How long a seq gap may stay open before it is repaired. @default 100 ms */
  gapGraceMs?: number
  /**
   * Cluster size (members, this node included) above which delta batches go to the gossip
   * mesh, one publish each, instead of a copy to every member on its replication stream
   * (docs/replication-engine.md, "Direct or gossip"). @default 24
   */
  gossipAboveMembers?: number
  /** Bytes one repair answer (or warm-up request) may carry: 4 KiB … 8 MiB. @default 8 MiB */
  repairMaxBytes?: number
  /** Peers to warm up from at once (key-hash slices); 0 skips warm-up. @default 2 */
  warmupPeers?: number
  /**
   * A file to save the replica to on close() and load at the next start, before asking peers
   * only for what is newer (see lib/node/snapshot.ts). Created with mode 0600.
   * @default undefined (no snapshot: warm up from since(0))
   */
  snapshotPath?: string
  /** Deadline of `ack: 'all'` writes when the call gives none: 1 ms … 2^31 − 1 ms. @default 5 s */
  ackTimeoutMs?: number
  /**
   * Malformed messages a peer may send within a minute before it is disconnected and refused
   * for `banMs` (a `peer:banned` event). @default 10
   */
  malformedLimit?: number
  /** How long a peer past `malformedLimit` is refused. @default 60 s */
  banMs?: number
  /** Longest `close()` waits for the SWIM leave to spread. @default 1 s */
  leaveTimeoutMs?: number
  /**
   * Hot-key hints (distributed S3-FIFO, docs/hints.md): `{ enabled: true, ... }` gossips the
   * keys this node promotes so peers keep them too. Off: on the real traces they did not raise
   * the hit ratio after a takeover (docs/takeover-results.md).
   * @default { enabled: false }
   */
  hints?: HotKeyHintsTuning
  /** SWIM timing: a profile name ('lan', 'wan', 'local') or fields. @default 'lan' */
  swim?: SwimConfigInit
  /** Added to this node's wall clock (tests of clock skew). @default 0 */
  clockOffsetMs?: number
  /**
   * The wall clock in ms: stamps versions, decides expiry. Tests inject a fake one.
   * @default Date.now
   */
  clock?: () => number
  /**
   * @internal Fault injection for tests: drop this share of incoming gossip messages
   * (deterministic from `faultSeed`), to exercise gap repair.
   */
  dropGossipRate?: number
  /** @internal Seed of the fault injection. @default 1 */
  faultSeed?: number
}

export interface ResolvedNodeOptions {
  valueCodec: ValueCodec<unknown> | undefined
  keepDecoded: boolean
  listen: string[]
  bootstrap: string[]
  cluster: string
  clusterKey: Uint8Array | undefined
  allowPeers: ReadonlySet<string> | undefined
  identityPath: string | undefined
  mdns: boolean
  maxBytes: number
  store: StoreTuning
  maxClockDriftMs: number | undefined
  replicationLog: OriginLogInit
  batchMaxDeltas: number
  batchMaxBytes: number
  batchIntervalMs: number
  antiEntropyIntervalMs: number
  gapGraceMs: number
  gossipAboveMembers: number
  repairMaxBytes: number
  warmupPeers: number
  snapshotPath: string | undefined
  ackTimeoutMs: number
  malformedLimit: number
  banMs: number
  leaveTimeoutMs: number
  hints: HotKeyHintsTuning
  swim: SwimConfigInit | undefined
  clockOffsetMs: number
  clock: () => number
  dropGossipRate: number
  faultSeed: number
}

const CLUSTER_NAME = /^[A-Za-z0-9._-]{1,64}$/

/** Every option createCacheNode takes: anything else is a typo, refused rather than ignored. */
const OPTION_NAMES: ReadonlySet<string> = new Set<keyof CacheNodeInit>([
  'listen', 'bootstrap', 'cluster', 'clusterKey', 'allowPeers', 'identityPath', 'mdns', 'maxBytes', 'store',
  'maxClockDriftMs', 'replicationLog', 'batchMaxDeltas', 'batchMaxBytes', 'batchIntervalMs', 'antiEntropyIntervalMs',
  'gapGraceMs', 'gossipAboveMembers', 'repairMaxBytes', 'warmupPeers', 'snapshotPath', 'ackTimeoutMs', 'malformedLimit',
  'banMs', 'leaveTimeoutMs', 'hints', 'swim', 'clockOffsetMs', 'clock', 'dropGossipRate', 'faultSeed', 'valueCodec', 'keepDecoded',
])

/**
 * Resolves and validates every option before anything starts: a bad option throws a
 * TypeError naming it, and no socket has been opened (the replica's and the hints' own
 * checks run here too, on a throwaway instance).
 */
export function resolveNodeOptions(init: CacheNodeInit<unknown> = {}): ResolvedNodeOptions {
  if (init === null || typeof init !== 'object') throw new TypeError('createCacheNode: options must be an object')
  for (const name of Object.keys(init)) {
    if (!OPTION_NAMES.has(name)) {
      const near = [...OPTION_NAMES].find((n) => n.toLowerCase() === name.toLowerCase())
      throw new TypeError(`createCacheNode: unknown option ${JSON.stringify(name)}${near === undefined ? '' : ` (did you mean ${near}?)`}`)
    }
  }
  const resolved = resolveFields(init)
  checkComponents(resolved)
  return resolved
}

/** Builds the replica and the hints once, and drops them: their constructors check their options. */
function checkComponents(o: ResolvedNodeOptions): void {
  const replica = new Replica({
    nodeId: 'options-check',
    maxBytes: o.maxBytes,
    store: o.hints.enabled === true ? { hotKeysMax: DEFAULT_HOT_KEYS_MAX, ...o.store } : o.store,
    log: o.replicationLog,
    ...(o.maxClockDriftMs === undefined ? {} : { maxClockDriftMs: o.maxClockDriftMs }),
  })
  new HotKeyHints({ ...o.hints, store: replica.store, publish: () => {} })
  try {
    resolveConfig(o.swim)
  } catch (err) {
    // resolveConfig's messages open with `swim: `, the option's name here.
    throw new TypeError(`createCacheNode: ${(err as Error).message}`)
  }
}

function resolveFields(init: CacheNodeInit<unknown>): ResolvedNodeOptions {
  const listen = init.listen ?? [...DEFAULT_LISTEN]
  if (!Array.isArray(listen) || !listen.every((a) => typeof a === 'string')) {
    throw new TypeError('createCacheNode: listen must be an array of multiaddr strings')
  }
  const bootstrap = init.bootstrap ?? []
  if (!Array.isArray(bootstrap) || !bootstrap.every((a) => typeof a === 'string')) {
    throw new TypeError('createCacheNode: bootstrap must be an array of multiaddr strings')
  }
  const cluster = init.cluster ?? DEFAULT_CLUSTER
  if (typeof cluster !== 'string' || !CLUSTER_NAME.test(cluster)) {
    throw new TypeError(`createCacheNode: cluster must be 1–64 characters of A–Z a–z 0–9 . _ -, got ${JSON.stringify(cluster)}`)
  }
  return {
    valueCodec: resolveValueCodec(init.valueCodec),
    keepDecoded: bool('createCacheNode', 'keepDecoded', init.keepDecoded ?? false),
    listen,
    bootstrap,
    cluster,
    clusterKey: init.clusterKey === undefined ? undefined : parseClusterKey(init.clusterKey),
    allowPeers: peerList(init.allowPeers),
    identityPath: optionalString(init.identityPath, 'identityPath'),
    mdns: bool('createCacheNode', 'mdns', init.mdns ?? false),
    maxBytes: positiveInt('createCacheNode', 'maxBytes', init.maxBytes ?? DEFAULT_MAX_BYTES),
    store: init.store ?? {},
    maxClockDriftMs: init.maxClockDriftMs,
    replicationLog: init.replicationLog ?? {},
    batchMaxDeltas: positiveInt('createCacheNode', 'batchMaxDeltas', init.batchMaxDeltas ?? DEFAULT_BATCH_MAX_DELTAS),
    batchMaxBytes: intInRange('createCacheNode', 'batchMaxBytes', init.batchMaxBytes ?? DEFAULT_BATCH_MAX_BYTES, 1, MAX_WRITE_VALUE_BYTES),
    batchIntervalMs: nonNegativeInt('createCacheNode', 'batchIntervalMs', init.batchIntervalMs ?? DEFAULT_BATCH_INTERVAL_MS),
    antiEntropyIntervalMs: positiveInt(
      'createCacheNode',
      'antiEntropyIntervalMs',
      init.antiEntropyIntervalMs ?? DEFAULT_ANTI_ENTROPY_INTERVAL_MS,
    ),
    gapGraceMs: nonNegativeInt('createCacheNode', 'gapGraceMs', init.gapGraceMs ?? DEFAULT_GAP_GRACE_MS),
    gossipAboveMembers: positiveInt('createCacheNode', 'gossipAboveMembers', init.gossipAboveMembers ?? DEFAULT_GOSSIP_ABOVE_MEMBERS),
    repairMaxBytes: intInRange(
      'createCacheNode',
      'repairMaxBytes',
      init.repairMaxBytes ?? DEFAULT_REPAIR_MAX_BYTES,
      4096,
      MAX_BATCH_BYTES / 2,
    ),
    warmupPeers: nonNegativeInt('createCacheNode', 'warmupPeers', init.warmupPeers ?? DEFAULT_WARMUP_PEERS),
    snapshotPath: optionalString(init.snapshotPath, 'snapshotPath'),
    ackTimeoutMs: intInRange('createCacheNode', 'ackTimeoutMs', init.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS, 1, MAX_TIMEOUT_MS),
    malformedLimit: positiveInt('createCacheNode', 'malformedLimit', init.malformedLimit ?? DEFAULT_MALFORMED_LIMIT),
    banMs: nonNegativeInt('createCacheNode', 'banMs', init.banMs ?? DEFAULT_BAN_MS),
    leaveTimeoutMs: nonNegativeInt('createCacheNode', 'leaveTimeoutMs', init.leaveTimeoutMs ?? DEFAULT_LEAVE_TIMEOUT_MS),
    hints: hintsInit(init.hints),
    swim: init.swim,
    clockOffsetMs: finiteNumber('createCacheNode', 'clockOffsetMs', init.clockOffsetMs ?? 0),
    clock: clockFn(init.clock),
    dropGossipRate: ratio('createCacheNode', 'dropGossipRate', init.dropGossipRate ?? 0),
    faultSeed: finiteNumber('createCacheNode', 'faultSeed', init.faultSeed ?? 1),
  }
}

function peerList(v: string[] | undefined): ReadonlySet<string> | undefined {
  if (v === undefined) return undefined
  if (!Array.isArray(v) || !v.every((p) => typeof p === 'string' && p.length > 0)) {
    throw new TypeError('createCacheNode: allowPeers must be an array of peer id strings')
  }
  for (const p of v) {
    try {
      peerIdFromString(p)
    } catch {
      const hint = 'copy ids from members() or the CLI banner'
      throw new TypeError(`createCacheNode: allowPeers holds ${JSON.stringify(p)}, which is not a peer id (${hint})`)
    }
  }
  return new Set(v)
}
function hintsInit(v: CacheNodeInit['hints']): NonNullable<CacheNodeInit['hints']> {
  if (v === undefined) return {}
  if (v === null || typeof v !== 'object') {
    throw new TypeError(`createCacheNode: hints must be an object such as { enabled: true }, got ${JSON.stringify(v)}`)
  }
  if (v.enabled !== undefined) bool('createCacheNode', 'hints.enabled', v.enabled)
  return v
}
function clockFn(v: (() => number) | undefined): () => number {
  if (v !== undefined && typeof v !== 'function') throw new TypeError('createCacheNode: clock must be a function returning ms')
  return v ?? Date.now
}
function optionalString(v: string | undefined, name: string): string | undefined {
  if (v !== undefined && (typeof v !== 'string' || v.length === 0)) {
    throw new TypeError(`createCacheNode: ${name} must be a non-empty string`)
  }
  return v
}
