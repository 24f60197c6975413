// The soak (`npm run soak`, not part of `npm test`; a 60-second run of it is
// test/chaos/soak.test.ts): 5 node processes for 10 minutes at half the maximum write rate,
// with a kill -9 and restart every minute and one network partition; it reports each node's
// RSS over time (and its trend over the second half), stale reads, lost acknowledged writes
// and divergent keys after healing — all of which must be 0. What the run does, and how each
// figure is taken: bench/_soak.ts and bench/_soak-check.ts.
//
//   npm run soak                                   the 10-minute soak (~11–12 min in all)
//   npm run soak -- --duration-s 60 --seed 2       a short one
//   npm run soak -- --json                         one JSON line of the figures on stdout
//
// Needs root (network namespaces, as the chaos matrix). Exit status: 0 when every figure that
// must be 0 is 0 and no RSS growth was flagged, 1 otherwise, 2 on a bad flag or when it
// cannot run here. Progress lines go to stderr.
import { parseArgs } from 'node:util'
import { netnsUnavailable } from '../test/support/netns.ts'
import { runSoak, SOAK_DEFAULTS } from './_soak.ts'
import { formatSoak } from './_soak-report.ts'

const USAGE = `usage: npm run soak -- [options]
  --duration-s N     seconds of writes and faults (default ${SOAK_DEFAULTS.durationS})
  --nodes N          node processes, ≥ 3 (default ${SOAK_DEFAULTS.nodes})
  --seed N           workload, victims and partition sides (default ${SOAK_DEFAULTS.seed})
  --rate N           writes/s over all nodes (default: half the maximum, measured first)
  --kill-every-s N   a kill -9 and restart every N s (default ${SOAK_DEFAULTS.killEveryS})
  --partition-s N    length of the one partition, 0 for none (default ${SOAK_DEFAULTS.partitionS})
  --sample-s N       RSS sampling period (default ${SOAK_DEFAULTS.sampleS})
  --keys N           size of the key space (default ${SOAK_DEFAULTS.keys})
  --json             print one JSON line of the figures instead of the tables`

async function main(): Promise<number> {
  let values: Record<string, string | boolean | undefined>
  try {
    ;({ values } = parseArgs({
      options: {
        'duration-s': { type: 'string' },
        nodes: { type: 'string' },
        seed: { type: 'string' },
        rate: { type: 'string' },
        'kill-every-s': { type: 'string' },
        'partition-s': { type: 'string' },
        'sample-s': { type: 'string' },
        keys: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }))
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`)
    return 2
  }
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const num = (name: string, min: number): number | undefined => {
    const v = values[name]
    if (v === undefined) return undefined
    const x = Number(v)
    if (!Number.isFinite(x) || x < min) throw new RangeError(`--${name} must be a number ≥ ${min}, got ${JSON.stringify(v)}`)
    return x
  }
  let init
  try {
    init = {
      durationS: num('duration-s', 10),
      nodes: num('nodes', 3),
      seed: num('seed', 0),
      rate: num('rate', 1),
      killEveryS: num('kill-every-s', 5),
      partitionS: num('partition-s', 0),
      sampleS: num('sample-s', 1),
      keys: num('keys', 1),
    }
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`)
    return 2
  }
  const why = netnsUnavailable()
  if (why !== undefined) {
    console.error(`soak: cannot run here: ${why}`)
    return 2
  }
  const defined = Object.fromEntries(Object.entries(init).filter(([, v]) => v !== undefined))
  const result = await runSoak({ ...defined, log: (line) => void process.stderr.write(`[soak] ${line}\n`) })
  if (values.json) {
    console.log(JSON.stringify(result))
  } else {
    const cmd = `npm run soak -- --duration-s ${result.durationS} --nodes ${result.nodes} --seed ${result.seed}`
    console.log(`## also-cache soak (${new Date().toISOString()}; \`${cmd}\`)\n`)
    console.log(formatSoak(result))
  }
  return result.ok ? 0 : 1
}

// Exit handlers (chaos-node.ts kills the node processes, netns.ts deletes the namespaces) run on ^C too.
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130))
let status = 1
try {
  status = await main()
} catch (err) {
  console.error(err)
}
process.exit(status)
