// Replication beside SWIM in one process (docs/replication-sim.md): the simulator, its
// workload and its report, for tests and the benchmark.
export { ReplicationSim } from './simulator.ts'
export type { ReplicationSimNode } from './simulator.ts'
export { MAX_SIM_NODES, DEFAULT_SIM_DELAY_MEAN_MS, DEFAULT_SIM_DELAY_MIN_MS, DEFAULT_SIM_REPLICA_MAX_BYTES } from './options.ts'
export type { ReplicationSimOptions } from './options.ts'
export { spreadWrites } from './workload.ts'
export type { SpreadWritesOptions } from './workload.ts'
export { report } from './report.ts'
export type { ReplicationSimReport } from './report.ts'
export { Traffic, REPAIR_KINDS } from './traffic.ts'
export type { KindCount } from './traffic.ts'
