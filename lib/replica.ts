// also-cache/replica: the sans-IO replica core, for tests and simulations. The same LWW map
// with hybrid logical clocks over an S3-FIFO store that every node runs, with no network, no
// timers and no clock reads: time is an argument. A simulation creates replicas, writes to
// them, and carries their deltas (as objects, or as bytes through encodeDeltas/decodeDeltas)
// in whatever order and with whatever loss it wants to test. docs/replication.md is the theory
// of operation; docs/api.md lists these names. Each is a semver promise, like lib/index.ts's.
//
//   import { Replica } from 'also-cache/replica'
//   const a = new Replica({ nodeId: 'a', epoch: 1, maxBytes: 1 << 20 })
//   const b = new Replica({ nodeId: 'b', epoch: 1, maxBytes: 1 << 20 })
//   b.apply(a.set('k', bytes, {}, now), now)   // b.get('k', now) is now bytes

export { Replica } from '../crdt/index.ts'
export type {
  ApplyResult,
  DeleteOptions,
  ReplicaDigest,
  ReplicaEntry,
  ReplicaInit,
  ReplicaStats,
  ReplicaStoreInit,
  SetOptions,
  SinceOptions,
  OriginLogInit,
  SeqTrackerInit,
  ValueCopy,
} from '../crdt/index.ts'

// What a replica exchanges: deltas, their versions and clocks, and the wire form of a batch.
export { compareVersions, decodeDeltas, DeltaOp, encodeDeltas, HLC_ZERO, hlcFromParts, hlcLogical, hlcPhysicalMs } from '../crdt/index.ts'
export type { Delta, Hlc, Origin, OriginProgress, Version } from '../crdt/index.ts'

// The admission rule every replica applies to writes and received deltas, and its bounds.
export { MAX_KEY_BYTES, MAX_TTL_MS, MAX_WRITE_VALUE_BYTES, WriteRefusedError } from '../crdt/index.ts'
export type { WriteArgument } from '../crdt/index.ts'

// Errors a replica throws.
export { YjsValueError } from '../crdt/index.ts'
export { AlsoCacheError, DecodeError, DecodeErrorCode } from './foundation/index.ts'
