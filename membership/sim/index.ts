// The simulator's surface, for tests and the benchmark.
export { Simulator } from './simulator.ts'
export type { SimResult } from './simulator.ts'
export { simDefaults, churnDefault, PartitionMode } from './options.ts'
export type { SimOptions } from './options.ts'
export { percentile, summary } from './stats.ts'
