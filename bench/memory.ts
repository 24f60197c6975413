// Memory of replicating nodes over time: what the heap really holds, apart from what V8 and
// the transport keep in reserve. Three node processes on 127.0.0.1 (SWIM 'local'); node 0
// rewrites the same 1,000 keys of 64 B as fast as it takes them (bursts of 1,000, awaiting
// flush), for --duration-s; every --sample-s each node reports process.memoryUsage() right after
// a full GC (the node processes inherit --expose-gc from this one, which the dispatcher sets).
//
//   npm run bench -- memory                       240 s, a sample every 20 s
//   npm run bench -- memory --duration-s 3600     an hour (settles a slow trend)
//
// Reading it: heapUsed after GC is the live heap — bounded if it levels off whatever the
// number of writes; rss also counts V8's reserve (heapTotal) and buffers in flight (external,
// arrayBuffers), which rise and fall with the write rate. The soak (bench/soak.ts) samples RSS
// only, under faults; this isolates the steady state.
import { killAll, startCluster } from '../test/support/cluster.ts'

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name)
  if (i < 0) return fallback
  const v = Number(process.argv[i + 1])
  if (!(Number.isSafeInteger(v) && v > 0)) {
    console.error(`${name} takes a positive integer`)
    process.exit(2)
  }
  return v
}

const durationS = flag('--duration-s', 240)
const sampleS = flag('--sample-s', 20)
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1)

const nodes = await startCluster(3, { swim: { profile: 'local' } })
try {
  const t0 = Date.now()
  let writes = 0
  let nextSample = t0
  console.log('| t (s) | writes | node | heapUsed after GC (MB) | heapTotal | external | arrayBuffers | rss |')
  console.log('|---:|---:|---|---:|---:|---:|---:|---:|')
  while (Date.now() - t0 < durationS * 1000) {
    writes += (await nodes[0].call('load', 'k', 1_000, 64)) as number
    if (Date.now() < nextSample) continue
    nextSample += sampleS * 1000
    const usage = (await Promise.all(nodes.map((n) => n.call('memory')))) as NodeJS.MemoryUsage[]
    const t = Math.round((Date.now() - t0) / 1000)
    usage.forEach((m, i) => {
      console.log(
        `| ${t} | ${writes.toLocaleString('en')} | n${i}${i === 0 ? ' (writer)' : ''} ` +
          `| ${mb(m.heapUsed)} | ${mb(m.heapTotal)} | ${mb(m.external)} | ${mb(m.arrayBuffers)} | ${mb(m.rss)} |`,
      )
    })
  }
} finally {
  await killAll()
}
