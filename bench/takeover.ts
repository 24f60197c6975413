// Takeover with and without hot-key hints (docs/hints.md, issue 9): does a node that takes over a
// failed node's traffic start warm?
//
// Workload: each real trace (examples/traces.ts, docs/store.md), replayed by 3 Replicas in one process with
// simulated delivery (bench/_takeover-sim.ts): keys are the trace's strings, values stand-ins
// of the trace's sizes (charged and counted at their real size); each node's budget 10% of
// the trace's unique bytes; replication and hint rounds every 1,000 requests; node A fails
// halfway through the trace and its requests go to B. Three runs per trace: hints off, hints
// on (the defaults of lib/hints/rounds.ts), and A never failing (what A itself would have hit
// on the same requests: the trace's own difficulty at that point, not a cold start).
//
//   npm run -s bench -- takeover [--json] [--traces a,b] [--split position|slice|key] [--round N]
//                                [--hints '{"keysPerRound":64}'] [--hint-round N]
//
// --json prints one object per line per trace (-s keeps npm's banner off stdout). Fractions,
// not percentages. --hints overrides HotKeyHints options for the hints-on run (sweeps).

import { loadTrace, traceFile, TRACE_NAMES } from '../examples/traces.ts'
import { formatTable } from './_report.ts'
import { DEFAULT_TAKEOVER_CONFIG, runTakeover, type Split, type TakeoverResult } from './_takeover-sim.ts'
import { loadavg } from 'node:os'

const args = process.argv.slice(2)
const json = args.includes('--json')
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name)
  return i === -1 ? undefined : args[i + 1]
}
const split = (opt('--split') ?? 'position') as Split
if (!['position', 'slice', 'key'].includes(split)) throw new Error(`--split must be position, slice or key, got ${split}`)
const roundRequests = Number(opt('--round') ?? DEFAULT_TAKEOVER_CONFIG.roundRequests)
/** Hints every this many requests instead of with each delta round (0: with the deltas). */
const hintRoundRequests = Number(opt('--hint-round') ?? 0)
const hintOptions = JSON.parse(opt('--hints') ?? '{}') as Record<string, unknown>
const names = (opt('--traces')?.split(',') ?? [...TRACE_NAMES]).filter((n) => traceFile(n) !== undefined)

const pct = (x: number): string => (x * 100).toFixed(1)
const rows: string[][] = []
const bOwn: string[][] = []
for (const name of names) {
  const trace = loadTrace(name)
  const base = { split, roundRequests, hintRoundRequests }
  const off = runTakeover(trace, { ...base, hints: undefined })
  const on = runTakeover(trace, { ...base, hints: hintOptions })
  const alive = runTakeover(trace, { ...base, hints: undefined, fail: false })
  const ratios = (r: TakeoverResult): { first1: number; first5: number; first20: number } => ({
    first1: r.first1,
    first5: r.first5,
    first20: r.first20,
  })
  const record = {
    trace: name,
    split,
    nodes: DEFAULT_TAKEOVER_CONFIG.nodes,
    roundRequests,
    hintRoundRequests,
    hintOptions,
    requests: trace.keys.length,
    takenOver: on.takenOver,
    steadyHitRatioA: on.steadyHitRatioA,
    steadyHitRatioAHintsOff: off.steadyHitRatioA,
    hintsOn: ratios(on),
    hintsOff: ratios(off),
    aNeverFailed: ratios(alive),
    bOwn: { hintsOffBefore: off.bOwnBefore, hintsOffAfter: off.bOwnAfter, hintsOnBefore: on.bOwnBefore, hintsOnAfter: on.bOwnAfter },
    overallHitRatio: { hintsOff: off.overall, hintsOn: on.overall },
    hintBytes: on.hintBytes,
    hintBytesAsHashes: on.hintBytesAsHashes,
    deltaBytes: on.deltaBytes,
    hintMessages: on.hintMessages,
    hintKeys: on.hintKeys,
    hintKeysPerRound: { p50: on.hintKeysPerRoundP50, p95: on.hintKeysPerRoundP95 },
    boosts: on.boosts,
    // The goals, literally: |first5 − A steady| ≤ 2 points, on > off, hint bytes < 1%.
    goals: {
      first5Within2Points: Math.abs(on.first5 - on.steadyHitRatioA) <= 0.02,
      betterThanWithout: on.first5 > off.first5,
      hintBytesUnder1Percent: on.hintBytes < on.deltaBytes * 0.01,
    },
    ms: Math.round(off.ms + on.ms + alive.ms),
    load1: loadavg()[0],
  }
  if (json) console.log(JSON.stringify(record))
  else process.stderr.write(`${name}: ${record.ms} ms\n`)
  const g = record.goals
  const goal = [
    g.first5Within2Points ? 'within 2' : 'not within 2',
    g.betterThanWithout ? 'better' : 'not better',
    g.hintBytesUnder1Percent ? '< 1%' : '≥ 1%',
  ].join(', ')
  rows.push([
    name,
    pct(on.steadyHitRatioA),
    `${pct(on.first1)} / ${pct(off.first1)}`,
    `${pct(on.first5)} / ${pct(off.first5)}`,
    `${pct(on.first20)} / ${pct(off.first20)}`,
    `${pct(alive.first1)} / ${pct(alive.first5)} / ${pct(alive.first20)}`,
    `${((100 * on.hintBytes) / on.deltaBytes).toFixed(3)}% (${((100 * on.hintBytesAsHashes) / on.deltaBytes).toFixed(3)}%)`,
    goal,
  ])
  bOwn.push([
    name,
    `${pct(off.bOwnBefore)} → ${pct(off.bOwnAfter)}`,
    `${pct(on.bOwnBefore)} → ${pct(on.bOwnAfter)}`,
    `${pct(off.overall)} / ${pct(on.overall)}`,
    `${on.hintKeysPerRoundP50} / ${on.hintKeysPerRoundP95}`,
  ])
}
if (!json) {
  const config = DEFAULT_TAKEOVER_CONFIG
  console.log(
    `split: ${split}, ${config.nodes} nodes, budget ${config.capacityFraction * 100}% of unique bytes each, ` +
      `round ${roundRequests} requests, A fails at ${config.failAt * 100}%; load ${loadavg()[0].toFixed(1)}\n`,
  )
  console.log(
    formatTable(
      [
        'trace',
        'A steady %',
        'B first 1% on/off',
        'B first 5% on/off',
        'B first 20% on/off',
        'A never failed 1/5/20',
        'hint/delta bytes (as hashes)',
        'goals (first 5%, on vs off, bytes)',
      ],
      rows,
    ),
  )
  console.log()
  const bOwnHeader = [
    'trace',
    "B's own, hints off: before → after",
    'hints on: before → after',
    'cluster hit ratio off / on',
    'hint keys per round p50 / p95',
  ]
  console.log(formatTable(bOwnHeader, bOwn))
}
