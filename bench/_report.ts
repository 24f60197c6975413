// Small helpers for benchmark reports: medians, percentiles, ratios, markdown tables.

export function median(xs: number[]): number {
  return percentile(xs, 0.5)
}

/** Nearest-rank percentile (q in [0, 1]) of a copy of xs. */
export function percentile(xs: number[], q: number): number {
  if (xs.length === 0) return Number.NaN
  const sorted = Float64Array.from(xs).sort()
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]
}

export function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}×`
}

export function formatTable(header: string[], rows: string[][]): string {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`]
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`)
  return lines.join('\n')
}

/**
 * A copy of `fn` with its own compiled code and type feedback, so that a loop run over
 * several cache implementations in one process stays monomorphic for each of them (a
 * shared loop would go megamorphic and penalise whichever implementation inlines best).
 * `fn` must not close over anything: pass what it needs as arguments.
 */
export function cloneFunction<T extends (...args: never[]) => unknown>(fn: T): T {
  return new Function(`return (${fn.toString()})`)() as T
}
