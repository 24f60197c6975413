// Configuration of the SWIM core: a `SwimConfigInit` of optional fields, resolved once into a
// readonly `SwimConfig`. Profiles derive from one base (memberlist's DefaultLANConfig) by
// overriding a few fields, as memberlist's DefaultWANConfig and DefaultLocalConfig do.

import * as C from './constants.ts'
import { bool, nonNegativeInt, nonNegativeNumber, numberAtLeast, positiveInt, positiveNumber } from '../lib/foundation/index.ts'

export interface SwimConfig {
  /** Time between probes. @default 1000 (lan) */
  readonly probeIntervalMs: number
  /** Direct ping timeout before ping-req. Must be < probeIntervalMs. @default 500 (lan) */
  readonly probeTimeoutMs: number
  /** Relays per failed direct ping (SWIM k). 0 disables indirect probes. @default 3 */
  readonly indirectChecks: number
  /** Retransmits per update = retransmitMult × ceil(log10(n + 1)). @default 4 */
  readonly retransmitMult: number
  /** Suspicion minimum = suspicionMult × max(1, log10(n)) × probeIntervalMs. @default 4 */
  readonly suspicionMult: number
  /** Lifeguard: suspicion maximum = this × minimum. 1 = fixed timeout. @default 6 */
  readonly suspicionMaxTimeoutMult: number
  /** Lifeguard: largest health multiplier on probe interval and timeout. 1 = off. @default 8 */
  readonly awarenessMaxMultiplier: number
  /** Ask relays for nacks (Lifeguard). @default true */
  readonly nacks: boolean
  /** Tell a suspected member directly when probing it (Lifeguard buddy system). @default true */
  readonly buddy: boolean
  /** Pings to a suspect shortly before its suspicion expires (expiry-check.ts); 0 = none. @default 4 */
  readonly expiryChecks: number
  /** Push-pull period before log2(n) scaling; 0 disables periodic push-pull. @default 30000 */
  readonly pushPullIntervalMs: number
  /** Gossip tick. 0 disables separate gossip (updates ride only on probes). @default 200 */
  readonly gossipIntervalMs: number
  /** Members gossiped to per tick. @default 3 */
  readonly gossipNodes: number
  /** Piggyback budget per message. @default 1400 */
  readonly piggybackBytesMax: number
  /** Members per push-pull message. @default 1024 */
  readonly pushPullMembersMax: number
  /** Updates held for piggybacking. @default 4096 */
  readonly broadcastQueueMax: number
  /** Open ping-req relays. @default 128 */
  readonly relaysMax: number
  /** Members tracked. @default 2^20 */
  readonly membersMax: number
  /** Join retry period and attempts. @default 2000, 5 */
  readonly joinRetryMs: number
  readonly joinAttemptsMax: number
}

export type SwimConfigInit = Partial<SwimConfig> & {
  /** Start from this profile. @default 'lan' */
  profile?: ProfileName
  /**
   * false turns every Lifeguard mechanism off at once (awareness multiplier 1, fixed
   * suspicion timeout, no nacks, no buddy, no expiry checks): plain SWIM, for comparison. @default true
   */
  lifeguard?: boolean
}

/** memberlist DefaultLANConfig. */
export const lan: SwimConfig = Object.freeze({
  probeIntervalMs: C.PROBE_INTERVAL_MS,
  probeTimeoutMs: C.PROBE_TIMEOUT_MS,
  indirectChecks: C.INDIRECT_CHECKS,
  retransmitMult: C.RETRANSMIT_MULT,
  suspicionMult: C.SUSPICION_MULT,
  suspicionMaxTimeoutMult: C.SUSPICION_MAX_TIMEOUT_MULT,
  awarenessMaxMultiplier: C.AWARENESS_MAX_MULTIPLIER,
  nacks: true,
  buddy: true,
  expiryChecks: C.EXPIRY_CHECKS,
  pushPullIntervalMs: C.PUSH_PULL_INTERVAL_MS,
  gossipIntervalMs: C.GOSSIP_INTERVAL_MS,
  gossipNodes: C.GOSSIP_NODES,
  piggybackBytesMax: C.MAX_PIGGYBACK_BYTES,
  pushPullMembersMax: C.MAX_PUSH_PULL_MEMBERS,
  broadcastQueueMax: C.MAX_BROADCAST_QUEUE,
  relaysMax: C.MAX_RELAYS,
  membersMax: C.MAX_MEMBERS,
  joinRetryMs: C.JOIN_RETRY_MS,
  joinAttemptsMax: C.MAX_JOIN_ATTEMPTS,
})

/**
 * memberlist DefaultWANConfig: long timeouts for round trips of hundreds of ms; detection is
 * slower (suspicion minimum 6 × log10(n) × 5 s) and false positives rarer.
 */
export const wan: SwimConfig = Object.freeze({
  ...lan,
  suspicionMult: 6,
  pushPullIntervalMs: 60_000,
  probeTimeoutMs: 3000,
  probeIntervalMs: 5000,
  gossipNodes: 4,
  gossipIntervalMs: 500,
})

/**
 * memberlist DefaultLocalConfig: one host or a fast LAN; fewer relays and retransmits, a
 * 200 ms probe timeout. Tests use it (with a virtual clock its timings cost nothing).
 */
export const local: SwimConfig = Object.freeze({
  ...lan,
  indirectChecks: 1,
  retransmitMult: 2,
  suspicionMult: 3,
  pushPullIntervalMs: 15_000,
  probeTimeoutMs: 200,
  gossipIntervalMs: 100,
})

export const profiles = { lan, wan, local } as const
export type ProfileName = keyof typeof profiles

/**
 * Resolves an init into a full config, validating every field: a TypeError names the option,
 * as `swim: <name> must be …` (the `swim` option of createCacheNode, the `config` of Swim).
 */
export function resolveConfig(init: SwimConfigInit = {}): SwimConfig {
  const { profile = 'lan', lifeguard = true, ...overrides } = init
  const base = profiles[profile]
  if (base === undefined) {
    throw new TypeError(`swim: profile must be one of ${Object.keys(profiles).join(', ')}, got ${String(profile)}`)
  }
  const c: { -readonly [K in keyof SwimConfig]: SwimConfig[K] } = { ...base }
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) (c as Record<string, unknown>)[k] = v
  if (!lifeguard) {
    c.suspicionMaxTimeoutMult = 1
    c.awarenessMaxMultiplier = 1
    c.nacks = false
    c.buddy = false
    c.expiryChecks = 0
  }
  positiveNumber('swim', 'probeIntervalMs', c.probeIntervalMs)
  positiveNumber('swim', 'probeTimeoutMs', c.probeTimeoutMs)
  if (c.probeTimeoutMs >= c.probeIntervalMs) {
    throw new TypeError(`swim: probeTimeoutMs (${c.probeTimeoutMs}) must be below probeIntervalMs (${c.probeIntervalMs})`)
  }
  nonNegativeInt('swim', 'indirectChecks', c.indirectChecks)
  nonNegativeInt('swim', 'expiryChecks', c.expiryChecks)
  positiveInt('swim', 'retransmitMult', c.retransmitMult)
  positiveNumber('swim', 'suspicionMult', c.suspicionMult)
  numberAtLeast('swim', 'suspicionMaxTimeoutMult', c.suspicionMaxTimeoutMult, 1)
  numberAtLeast('swim', 'awarenessMaxMultiplier', c.awarenessMaxMultiplier, 1)
  nonNegativeNumber('swim', 'pushPullIntervalMs', c.pushPullIntervalMs)
  nonNegativeNumber('swim', 'gossipIntervalMs', c.gossipIntervalMs)
  positiveInt('swim', 'gossipNodes', c.gossipNodes)
  numberAtLeast('swim', 'piggybackBytesMax', c.piggybackBytesMax, 64)
  positiveInt('swim', 'pushPullMembersMax', c.pushPullMembersMax)
  positiveInt('swim', 'broadcastQueueMax', c.broadcastQueueMax)
  positiveInt('swim', 'relaysMax', c.relaysMax)
  positiveInt('swim', 'membersMax', c.membersMax)
  positiveNumber('swim', 'joinRetryMs', c.joinRetryMs)
  positiveInt('swim', 'joinAttemptsMax', c.joinAttemptsMax)
  bool('swim', 'nacks', c.nacks)
  bool('swim', 'buddy', c.buddy)
  return Object.freeze(c)
}

/** memberlist `pushPullScale`: interval × (ceil(log2(n) − log2(32)) + 1) above 32 members. */
export function pushPullScaleMs(intervalMs: number, n: number): number {
  if (n <= C.PUSH_PULL_SCALE_THRESHOLD) return intervalMs
  const multiplier = Math.ceil(Math.log2(n) - Math.log2(C.PUSH_PULL_SCALE_THRESHOLD)) + 1
  return intervalMs * multiplier
}

/** memberlist `retransmitLimit`: mult × ceil(log10(n + 1)). */
export function retransmitLimit(retransmitMult: number, n: number): number {
  return retransmitMult * Math.ceil(Math.log10(n + 1))
}
