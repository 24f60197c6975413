// What a remote delta did where it was applied, as its writer hears it (an acknowledged write's
// answer, in the sync protocol's push and in the replication engine's ack frames). The index of
// each name is its wire code: APPEND-ONLY. 'applied' and 'stale' (the receiver already held this
// write or a newer one) acknowledge a write; the rest are refusals, named by the replica's
// DropReason, and 'failed' (the receiver's own code threw: its bug, not the writer's).

import type { DropReason } from './replica.ts'

export const DELTA_OUTCOMES = [
  'applied',
  'stale',
  'clock-drift',
  'below-horizon',
  'too-large',
  'invalid-yjs',
  'inadmissible',
  'failed',
] as const satisfies readonly ('applied' | 'stale' | DropReason | 'failed')[]
export type DeltaOutcome = (typeof DELTA_OUTCOMES)[number]
