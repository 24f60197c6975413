// `npm run sim -- --nodes N --periods P --loss L --slow S --crash C --seed X [--json]
//   [--no-lifeguard] [--profile lan|wan|local] [--partition none|halves|isolate
//   --partition-start-ms T --partition-duration-ms D] [--restart-after-ms R]
//   [--slow-delay-ms D] [--delay-min-ms A --delay-mean-ms B] [--duplicate P]
//   [--joins J] [--leaves L] [--validate-every-ms V] [--trace]`
//
// Prints one JSON object (--json) or a short human summary. The only file in membership/
// allowed to read argv, print, or look at the wall clock.

import { parseArgs } from 'node:util'
import { Simulator } from './simulator.ts'
import { PartitionMode } from './options.ts'
import { profiles, type ProfileName } from '../index.ts'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '100' },
    periods: { type: 'string', default: '100' },
    loss: { type: 'string', default: '0' },
    slow: { type: 'string', default: '0' },
    crash: { type: 'string', default: '0' },
    seed: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
    'no-lifeguard': { type: 'boolean', default: false },
    profile: { type: 'string', default: 'lan' },
    partition: { type: 'string', default: 'none' },
    'partition-start-ms': { type: 'string', default: '0' },
    'partition-duration-ms': { type: 'string', default: '0' },
    'restart-after-ms': { type: 'string', default: '0' },
    'slow-delay-ms': { type: 'string', default: '2000' },
    'delay-min-ms': { type: 'string', default: '1' },
    'delay-mean-ms': { type: 'string', default: '2' },
    duplicate: { type: 'string', default: '0' },
    joins: { type: 'string' },
    leaves: { type: 'string' },
    'validate-every-ms': { type: 'string', default: '0' },
    trace: { type: 'boolean', default: false },
  },
  strict: true,
})

function num(name: keyof typeof values): number {
  const v = Number(values[name])
  if (!Number.isFinite(v)) {
    console.error(`--${name} must be a number, got ${String(values[name])}`)
    process.exit(2)
  }
  return v
}

const profile = values.profile as ProfileName
if (!(profile in profiles)) {
  console.error(`--profile must be one of ${Object.keys(profiles).join(', ')}`)
  process.exit(2)
}
const partition = values.partition as PartitionMode
if (!PartitionMode.includes(partition)) {
  console.error(`--partition must be one of ${PartitionMode.join(', ')}`)
  process.exit(2)
}

// The wall clock counts construction too (10,000 cores load their starting views).
const t0 = performance.now()
const cpu0 = process.cpuUsage()
const sim = new Simulator({
  nodes: num('nodes'),
  periods: num('periods'),
  loss: num('loss'),
  slow: num('slow'),
  crash: num('crash'),
  seed: num('seed'),
  lifeguard: !values['no-lifeguard'],
  profile,
  partition,
  partitionStartMs: num('partition-start-ms'),
  partitionDurationMs: num('partition-duration-ms'),
  restartAfterMs: num('restart-after-ms'),
  slowDelayMaxMs: num('slow-delay-ms'),
  delayMinMs: num('delay-min-ms'),
  delayMeanMs: num('delay-mean-ms'),
  duplicate: num('duplicate'),
  joins: values.joins === undefined ? undefined : num('joins'),
  leaves: values.leaves === undefined ? undefined : num('leaves'),
  validateEveryMs: num('validate-every-ms'),
  trace: values.trace ? (line) => process.stderr.write(`${line}\n`) : undefined,
})
const result = sim.run()
result.wallMs = Math.round(performance.now() - t0)
// CPU time of this process: on a shared machine it says more than wall time does.
const cpu = process.cpuUsage(cpu0)
const report = { ...result, cpuMs: Math.round((cpu.user + cpu.system) / 1000) }
if (values.json) {
  console.log(JSON.stringify(report))
} else {
  const d = result.detection
  console.log(
    `nodes=${result.nodes} periods=${result.periods} seed=${result.seed} lifeguard=${result.lifeguard} ` +
      `detection p50/p99/max=${d.p50Ms}/${d.p99Ms}/${d.maxMs} ms (${d.detected} detected, ${d.undetected} not) ` +
      `falseDead=${result.falseDead} falseSuspect=${result.falseSuspect} dissemination p99=${result.disseminationP99Ms} ms ` +
      `msgs/member/period=${result.msgsPerMemberPerPeriod} bytes/member/period=${result.bytesPerMemberPerPeriod} ` +
      `wall=${result.wallMs} ms cpu=${report.cpuMs} ms`,
  )
}
