// The soak's report for humans (bench/soak.ts prints it, test/chaos/soak.test.ts logs it):
// the figures, RSS per node over time, and the RSS trend per host.
import { formatTable } from './_report.ts'
import type { SoakResult } from './_soak.ts'

const f = (x: number, d = 0): string => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })

/** The human report: the figures, then RSS per node over time, then the trend per host. */
export function formatSoak(r: SoakResult): string {
  const zero = (n: number): string => (n === 0 ? '0' : `**${f(n)}**`)
  const rateLine =
    r.maxRate === undefined ? `${f(r.rate)} writes/s (given)` : `${f(r.rate)} writes/s (half of the measured maximum ${f(r.maxRate)}/s)`
  const p = r.partition
  const failed = r.restartFailures.length > 0 ? `, **${r.restartFailures.length} failed**` : ''
  const figures = formatTable(
    ['figure', 'value'],
    [
      ['nodes, duration, seed', `${r.nodes}, ${r.durationS} s, ${r.seed}`],
      ['machine', `${r.machine.cpus} CPUs; load average (1/5/15 min) at start ${r.machine.loadStart}, at end ${r.machine.loadEnd}`],
      ['write rate: target, achieved', `${rateLine}; ${f(r.achievedRate)} writes/s`],
      ['writes (acked / ack failed / no answer)', `${f(r.writes)} (${f(r.acked)} / ${f(r.ackFailed)} / ${f(r.unknown)})`],
      ['reads (hits)', `${f(r.reads)} (${f(r.hits)})`],
      ['kill -9 and restart', `${r.kills} kills, ${r.restarts} restarts${failed}`],
      ['partition', p === undefined ? 'none' : `h${p.sideA.join(',h')} | h${p.sideB.join(',h')} from ${p.fromS} s to ${p.toS} s`],
      ['convergence after faults and writes (ms)', f(r.convergeMs)],
      ['stale reads', zero(r.staleReads)],
      ['lost acknowledged writes', zero(r.lostAckedWrites)],
      ['divergent keys', zero(r.divergentKeys)],
      ['crashes', zero(r.crashes.length)],
      ['RSS max (MB)', f(r.rssMaxMb, 1)],
      ['verdict', r.ok ? 'ok' : `**FAILED**${r.diagnosis === undefined ? '' : ` (node stats and events: ${r.diagnosis})`}`],
    ],
  )
  const bad = [...r.examples, ...r.crashes, ...r.restartFailures]
  const hosts = r.rss.mb.map((_, i) => `h${i}`)
  const rssRows = r.rss.t.map((t, j) =>
    [String(t), ...r.rss.mb.map((series, i) => {
      const mb = series[j]
      const restarted = j > 0 && r.rss.labels[i][j] !== r.rss.labels[i][j - 1]
      return mb === null ? 'down' : `${f(mb, 1)}${restarted ? ` (${r.rss.labels[i][j]})` : ''}`
    })],
  )
  const trendRows = r.rssTrend.map((t) => {
    const mb = (x: number | null): string => (x === null ? '' : f(x, 1))
    const slope = t.slopeMbPerMin === null ? 'n/a' : f(t.slopeMbPerMin, 2)
    const verdict = !t.judged ? 'not judged' : t.growing ? '**growing**' : 'bounded'
    return [`h${t.host}`, f(t.maxMb, 1), mb(t.peakFirstMb), mb(t.peakSecondMb), slope, t.fit, verdict]
  })
  return [
    figures,
    '',
    'RSS per node (MB; "(h1#2)": a new process since the last sample, "down": killed, not restarted yet):',
    '',
    formatTable(['t (s)', ...hosts], rssRows),
    '',
    'RSS trend per host, of the process that lived longest in the second half: its peaks in each half and the slope of a fit',
    'over the second half; "growing" when both rise (RSS is a GC sawtooth of minutes: each alone misreads it):',
    '',
    formatTable(['host', 'max MB', 'peak, 1st half', 'peak, 2nd half', 'slope, 2nd half (MB/min)', 'process', 'verdict'], trendRows),
    ...(bad.length > 0 ? ['', 'Violations (first ones):', ...bad] : []),
  ].join('\n')
}
