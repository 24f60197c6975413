// Simulator knobs, all in one struct (as tigerbeetle's packet simulator): every fault
// probability defaults to zero, so a run with only { nodes, periods, seed } is a clean network.

import type { ProfileName } from '../index.ts'

export const PartitionMode = ['none', 'halves', 'isolate'] as const
export type PartitionMode = (typeof PartitionMode)[number]

export interface SimOptions {
  /** Members at the start (all know each other). */
  nodes: number
  /** Run length in base probe intervals of the profile. */
  periods: number
  /** One seed drives the whole run: same seed, same commit, same run. */
  seed: number
  /** Probability that any one message is lost. @default 0 */
  loss: number
  /** Fraction of nodes that are slow: CPU-starved, handling every input late. @default 0 */
  slow: number
  /** Crashes: a fraction of the nodes when < 1, a count when ≥ 1. @default 0 */
  crash: number
  /** Lifeguard on (the default) or plain SWIM. */
  lifeguard: boolean
  /** SWIM config profile. @default 'lan' */
  profile: ProfileName
  /** One-way delay = delayMinMs + exponential(delayMeanMs). @default 1, 2 */
  delayMinMs: number
  delayMeanMs: number
  /** A slow node handles each input (message or timer) after a further independent uniform [0, this] delay. @default 2000 */
  slowDelayMaxMs: number
  /** Probability that a message is delivered twice. @default 0 */
  duplicate: number
  /** New members joining during the run (for dissemination); undefined = clamp(N/100, 2, 20). */
  joins?: number
  /** Members leaving gracefully during the run; undefined = clamp(N/100, 2, 20). */
  leaves?: number
  /** Crashed nodes restart (empty view, incarnation 0, join through a live node) after this long; 0 = never. @default 0 */
  restartAfterMs: number
  /** Named partition mode, active from partitionStartMs for partitionDurationMs. @default 'none' */
  partition: PartitionMode
  partitionStartMs: number
  partitionDurationMs: number
  /** Call every core's validate() this often (simulated ms); 0 = only at the end. @default 0 */
  validateEveryMs: number
  /** One line per member event, for replaying a failure. */
  trace?: (line: string) => void
}

export const simDefaults: Omit<SimOptions, 'nodes' | 'periods' | 'seed'> = {
  loss: 0,
  slow: 0,
  crash: 0,
  lifeguard: true,
  profile: 'lan',
  delayMinMs: 1,
  delayMeanMs: 2,
  slowDelayMaxMs: 2000,
  duplicate: 0,
  restartAfterMs: 0,
  partition: 'none',
  partitionStartMs: 0,
  partitionDurationMs: 0,
  validateEveryMs: 0,
}

export function churnDefault(n: number): number {
  return Math.min(20, Math.max(2, Math.round(n / 100)))
}
