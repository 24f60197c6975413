// The node's two clocks. The wall clock (plus clockOffsetMs) stamps versions and decides
// expiry: it must agree across nodes, and may step. The monotonic clock drives SWIM and the
// waits of joining and warming up, which must never see time go backwards.

/** Milliseconds since the epoch that never go backwards (performance's origin plus its clock). */
export const monotonicNow = (): number => performance.timeOrigin + performance.now()

/** The wall clock this node stamps with: `clock`, shifted by `offsetMs` (tests of clock skew). */
export function wallClock(clock: () => number, offsetMs: number): () => number {
  return offsetMs === 0 ? clock : () => clock() + offsetMs
}
