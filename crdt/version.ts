// The version order (G3, README): (userVersion, hlc, nodeId), compared in that order. Every
// "which write wins" question in the project goes through compareVersions; nothing else
// compares versions field by field.
//
// - userVersion (default 0) is the application's own row version (a database's xmin, an
//   updated_at in ms, a counter). Writes that carry one are ordered by the database, whatever
//   the nodes' clocks say; writes without one fall back to the HLC.
// - hlc orders writes of equal userVersion by hybrid logical time (hlc.ts).
// - nodeId breaks the remaining tie between two nodes that stamped the same hlc, by UTF-16
//   code unit order (String comparison), which every node computes alike.
// Two writes never share a version: one node never hands out the same hlc twice.

import { isHlc, type Hlc } from './hlc.ts'

export interface Version {
  /** The application's row version: a safe integer ≥ 0; 0 when the write carries none. */
  readonly userVersion: number
  /** Hybrid logical time of the write on the node that made it. */
  readonly hlc: Hlc
  /** The node that made the write (its peer id). */
  readonly nodeId: string
}

/** The version below every real one: userVersion 0, hlc 0, nodeId ''. */
export const ZERO_VERSION: Version = Object.freeze(makeVersion(0, 0 as Hlc, ''))

/** A version object (always this shape, so hot paths stay monomorphic). */
export function makeVersion(userVersion: number, hlc: Hlc, nodeId: string): Version {
  return { userVersion, hlc, nodeId }
}

/** Negative when a loses to b, positive when a wins, 0 when they are the same version. */
export function compareVersions(a: Version, b: Version): number {
  if (a.userVersion !== b.userVersion) return a.userVersion < b.userVersion ? -1 : 1
  if (a.hlc !== b.hlc) return a.hlc < b.hlc ? -1 : 1
  if (a.nodeId === b.nodeId) return 0
  return a.nodeId < b.nodeId ? -1 : 1
}

/** The later of two versions (a when equal). */
export function maxVersion(a: Version, b: Version): Version {
  return compareVersions(a, b) >= 0 ? a : b
}

/** Whether `v` is a well-formed version (checked on every input that did not come from us). */
export function isVersion(v: unknown): v is Version {
  if (v === null || typeof v !== 'object') return false
  const o = v as Version
  return Number.isSafeInteger(o.userVersion) && o.userVersion >= 0 && isHlc(o.hlc) && typeof o.nodeId === 'string'
}

/** A userVersion given by the caller: undefined is 0; anything but a safe integer ≥ 0 throws. */
export function checkUserVersion(userVersion: number | undefined, where: string): number {
  if (userVersion === undefined) return 0
  if (!Number.isSafeInteger(userVersion) || userVersion < 0) {
    throw new TypeError(`${where}: userVersion must be a safe integer ≥ 0, got ${String(userVersion)}`)
  }
  return userVersion
}
