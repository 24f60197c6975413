// Hybrid logical clock (Kulkarni, Demirbas et al., "Logical Physical Clocks", OPODIS 2014),
// packed into one number.
//
// Encoding: hlc = physicalMs × 2^11 + logical, with physicalMs < 2^42 (until 2109) and
// logical < 2^11, so every timestamp is a safe integer (< 2^53) and compares with `<`. The
// paper keeps (l, c) apart; packing them makes the counter carry into the millisecond when
// more than 2,048 events happen within one: the clock then runs ahead of physical time, which
// the paper's l already allows, and catches up as soon as physical time passes it.
//
// Rules
// - `now(pt)` (a local event): max(last + 1, pt × 2^11). Monotonic whatever pt does,
//   including jumps backwards.
// - `receive(remote, pt)`: refuses (ClockDriftError, counted, clock unchanged) a remote whose
//   millisecond is more than maxClockDriftMs ahead of pt; else last = max(last, remote). A
//   receive need not be an event of its own: it only guarantees that the next local event is
//   stamped after everything seen, which is what LWW needs (a write made after reading a
//   remote value wins over it).
// - Physical time is an argument (sans-IO); fractional milliseconds are floored.

import { HLC_LOGICAL_SCALE, HLC_MAX_PHYSICAL_MS, DEFAULT_MAX_CLOCK_DRIFT_MS } from './constants.ts'
import { ClockDriftError } from './errors.ts'
import { nonNegativeNumber } from '../lib/foundation/index.ts'

/** A hybrid logical clock timestamp: physicalMs × 2^11 + logical counter. */
export type Hlc = number & { readonly __brand: 'Hlc' }

/** Below every timestamp a clock hands out: `since(HLC_ZERO)` is everything. */
export const HLC_ZERO = 0 as Hlc

/** The timestamp for (physicalMs, logical). */
export function hlcFromParts(physicalMs: number, logical = 0): Hlc {
  if (!Number.isInteger(physicalMs) || physicalMs < 0 || physicalMs > HLC_MAX_PHYSICAL_MS) {
    throw new RangeError(`hlc: physical time ${physicalMs} ms is outside [0, ${HLC_MAX_PHYSICAL_MS}]`)
  }
  if (!Number.isInteger(logical) || logical < 0 || logical >= HLC_LOGICAL_SCALE) {
    throw new RangeError(`hlc: logical counter ${logical} is outside [0, ${HLC_LOGICAL_SCALE})`)
  }
  return (physicalMs * HLC_LOGICAL_SCALE + logical) as Hlc
}

/** The millisecond part of a timestamp. */
export function hlcPhysicalMs(hlc: Hlc): number {
  return Math.floor(hlc / HLC_LOGICAL_SCALE)
}

/** The logical counter part of a timestamp. */
export function hlcLogical(hlc: Hlc): number {
  return hlc % HLC_LOGICAL_SCALE
}

/** Whether `x` can be a timestamp (a safe non-negative integer). */
export function isHlc(x: unknown): x is Hlc {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0
}

export interface HybridLogicalClockInit {
  /**
   * Largest lead of a remote timestamp over local physical time that `receive` accepts, in
   * ms. Larger lets a fast clock win more writes; smaller refuses more healthy nodes. 0 is
   * allowed (no lead at all); must be a finite non-negative number.
   * @default 60_000 (DEFAULT_MAX_CLOCK_DRIFT_MS: see constants.ts)
   */
  maxClockDriftMs?: number
}

export class HybridLogicalClock {
  readonly maxClockDriftMs: number
  #last: Hlc = HLC_ZERO
  /** Remote timestamps refused for being too far ahead. */
  driftRefusals = 0

  constructor(init: HybridLogicalClockInit = {}) {
    this.maxClockDriftMs = nonNegativeNumber('HybridLogicalClock', 'maxClockDriftMs', init.maxClockDriftMs ?? DEFAULT_MAX_CLOCK_DRIFT_MS)
  }

  /** The last timestamp handed out or received. */
  get last(): Hlc {
    return this.#last
  }

  /** A timestamp for a local event at physical time `physicalMs`: greater than all before. */
  now(physicalMs: number): Hlc {
    const pt = physicalUnits(physicalMs)
    const next = pt > this.#last ? pt : this.#last + 1
    if (next > Number.MAX_SAFE_INTEGER) throw new RangeError('hlc: the clock reached 2^53 - 1')
    this.#last = next as Hlc
    return this.#last
  }

  /**
   * Whether `remote` is acceptable at `physicalMs`: not more than maxClockDriftMs ahead.
   * Counts a refusal. The allocation-free form of `receive` for hot paths.
   */
  accepts(remote: Hlc, physicalMs: number): boolean {
    if (Math.floor(remote / HLC_LOGICAL_SCALE) - physicalMs > this.maxClockDriftMs) {
      this.driftRefusals++
      return false
    }
    return true
  }

  /** Takes in a timestamp seen on a remote event. Throws ClockDriftError if too far ahead. */
  receive(remote: Hlc, physicalMs: number): Hlc {
    if (!this.accepts(remote, physicalMs)) {
      throw new ClockDriftError(hlcPhysicalMs(remote), physicalMs, this.maxClockDriftMs)
    }
    this.observe(remote)
    return this.#last
  }

  /** Raises the clock to `remote` without the drift check (the caller did it). */
  observe(remote: Hlc): void {
    if (remote > this.#last) this.#last = remote
  }
}

function physicalUnits(physicalMs: number): number {
  if (typeof physicalMs !== 'number' || !(physicalMs >= 0) || Math.floor(physicalMs) > HLC_MAX_PHYSICAL_MS) {
    throw new RangeError(`hlc: physical time must be a ms count in [0, ${HLC_MAX_PHYSICAL_MS}], got ${String(physicalMs)}`)
  }
  return Math.floor(physicalMs) * HLC_LOGICAL_SCALE
}
