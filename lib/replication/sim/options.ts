// The knobs of the replication simulator (simulator.ts), each with its default, validated once.
// The network model is the SWIM simulator's (membership/sim/options.ts): one-way delay
// delayMinMs + exponential(delayMeanMs), which reorders; per-message loss and duplication;
// partitions by group. Every probability defaults to zero: { nodes, seed } is a clean network.

import { intInRange, nonNegativeNumber, positiveInt, ratio } from '../../foundation/index.ts'
import { profiles, type ProfileName } from '../../../membership/index.ts'
import type { ReplicationTuning } from '../index.ts'

/** Most nodes one simulator runs (initial members and joiners): each holds a SWIM core, an engine and a replica. */
export const MAX_SIM_NODES = 10_000

export interface ReplicationSimOptions {
  /** Members at the start: every one knows all the others (SWIM view and engine members). */
  nodes: number
  /** One seed drives the whole run: same seed, same commit, same run. */
  seed: number
  /** Probability that any one message (SWIM or replication) is lost. @default 0 */
  loss?: number
  /** Probability that a message is delivered twice. @default 0 */
  duplicate?: number
  /** One-way delay = delayMinMs + exponential(delayMeanMs). @default 1, 2 (as the SWIM simulator) */
  delayMinMs?: number
  delayMeanMs?: number
  /** SWIM profile. @default 'lan' */
  profile?: ProfileName
  /** Lifeguard on (the default) or plain SWIM. */
  lifeguard?: boolean
  /** The engines' tuning (each engine gets the same). @default the engine's defaults */
  tuning?: ReplicationTuning
  /**
   * A node that receives a replication frame from a peer its SWIM holds dead (or has never
   * seen) joins through that peer, as the node's networking joins through a peer that connects
   * again (lib/networking/swim-service.ts): the peer opened its stream because it sees this
   * node alive. @default true
   */
  rejoinOnContact?: boolean
  /** Store capacity of each replica: large enough that nothing is evicted in a run. @default 64 MiB */
  replicaMaxBytes?: number
}

export type ResolvedSimOptions = Required<ReplicationSimOptions>

export const DEFAULT_SIM_DELAY_MIN_MS = 1
export const DEFAULT_SIM_DELAY_MEAN_MS = 2
export const DEFAULT_SIM_REPLICA_MAX_BYTES = 64 * 1024 * 1024

export function resolveSimOptions(o: ReplicationSimOptions): ResolvedSimOptions {
  const w = 'ReplicationSim'
  if (o === null || typeof o !== 'object') throw new TypeError(`${w}: options object required ({ nodes, seed })`)
  const profile = o.profile ?? 'lan'
  if (!(profile in profiles)) {
    throw new TypeError(`${w}: profile must be one of ${Object.keys(profiles).join(', ')}, got ${String(profile)}`)
  }
  return {
    nodes: intInRange(w, 'nodes', o.nodes, 2, MAX_SIM_NODES),
    seed: intInRange(w, 'seed', o.seed, 0, 0xffffffff),
    loss: ratio(w, 'loss', o.loss ?? 0),
    duplicate: ratio(w, 'duplicate', o.duplicate ?? 0),
    delayMinMs: nonNegativeNumber(w, 'delayMinMs', o.delayMinMs ?? DEFAULT_SIM_DELAY_MIN_MS),
    delayMeanMs: nonNegativeNumber(w, 'delayMeanMs', o.delayMeanMs ?? DEFAULT_SIM_DELAY_MEAN_MS),
    profile,
    lifeguard: o.lifeguard ?? true,
    tuning: o.tuning ?? {},
    rejoinOnContact: o.rejoinOnContact ?? true,
    replicaMaxBytes: positiveInt(w, 'replicaMaxBytes', o.replicaMaxBytes ?? DEFAULT_SIM_REPLICA_MAX_BYTES),
  }
}
