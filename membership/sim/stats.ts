// Percentiles for the simulator's report: nearest rank, on a sorted copy.

export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null
  const rank = Math.max(1, Math.ceil(p * sorted.length))
  return sorted[Math.min(sorted.length, rank) - 1]
}

export function summary(values: readonly number[]): { p50Ms: number | null; p99Ms: number | null; maxMs: number | null } {
  const s = [...values].sort((a, b) => a - b)
  return { p50Ms: round(percentile(s, 0.5)), p99Ms: round(percentile(s, 0.99)), maxMs: round(s.length === 0 ? null : s[s.length - 1]) }
}

function round(v: number | null): number | null {
  return v === null ? null : Math.round(v)
}
