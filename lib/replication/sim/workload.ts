// A write workload for the replication simulator: sets of distinct values on random keys, made
// by random live nodes (or the given writers) at random times, `overMs` of simulated time in all.

import type { ReplicationSim } from './simulator.ts'

export interface SpreadWritesOptions {
  writes: number
  /** Simulated time the writes are spread over (inter-arrival uniform in [0, 2 × overMs / writes]). */
  overMs: number
  /** Keys k0 … k(keys − 1). */
  keys: number
  /** @default 100 */
  valueBytes?: number
  /** The nodes that write (a down one skips its turn). @default every node, live ones writing */
  writers?: readonly number[]
}

/** Makes the writes, running the simulator between them; returns how many were made. */
export function spreadWrites(sim: ReplicationSim, o: SpreadWritesOptions): number {
  const step = o.overMs / o.writes
  const size = o.valueBytes ?? 100
  let made = 0
  for (let i = 0; i < o.writes; i++) {
    const live = o.writers === undefined ? sim.live().map((n) => n.index) : o.writers.filter((w) => sim.nodes[w].up)
    if (live.length > 0) {
      const value = new Uint8Array(size)
      // Distinct values: the write's number in the first bytes.
      new DataView(value.buffer).setUint32(0, made, true)
      sim.write(live[sim.rng.int(live.length)], `k${sim.rng.int(o.keys)}`, value)
      made++
    }
    sim.run(sim.rng.next() * 2 * step)
  }
  return made
}
