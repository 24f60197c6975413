// The replication engine's own cost (lib/replication/, not yet wired into the node): 3 engines,
// each with its own crdt Replica, in one process over a lossless in-memory network with no delay
// (test/replication/sim-network.ts); WRITES writes of 100 B values on node 0, keys k0..k(KEYS−1).
//
//   npm run bench -- replication-engine                 200,000 writes
//   npm run bench -- replication-engine -- --writes 50000 --json
//
// Reported: writes/s of the whole run (one thread does the writer's and both receivers' work),
// CPU µs per write spent in each node's calls (replica + engine + the sim's delivery of its
// outputs; the writer's includes replica.set), frames and bytes per write each node sent.
// Beside it, the same writes through the replica alone (set, encodeDeltas in batches of 256,
// decodeDeltas + apply on two receivers): the crdt work any path must do, so the difference is
// the engine's own overhead. Not a comparison with the gossip path (that needs processes and
// libp2p: `npm run bench -- cluster`).

import { Replica, decodeDeltas, encodeDeltas, type Delta } from '../crdt/index.ts'
import { SimNetwork } from '../test/replication/sim-network.ts'

function parse(argv: string[]): { writes: number; json: boolean } {
  let writes = 200_000
  let json = false
  const args = argv.filter((a) => a !== '--')
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--writes') writes = Number(args[++i])
    else if (args[i] === '--json') json = true
    else throw new TypeError(`unknown argument ${args[i]}`)
  }
  if (!Number.isSafeInteger(writes) || writes < 1) throw new TypeError('--writes needs a positive integer')
  return { writes, json }
}

const { writes: WRITES, json } = parse(process.argv.slice(2))
const KEYS = 100_000
const VALUE_BYTES = 100
const BATCH = 256
const gc = (globalThis as { gc?: () => void }).gc

const values = Array.from({ length: 64 }, (_, i) => new Uint8Array(VALUE_BYTES).fill(i))
const keys = Array.from({ length: KEYS }, (_, i) => `k${i}`)

function engineRun(WRITES: number): Record<string, number> {
  const sim = new SimNetwork({ n: 3, seed: 1, delayMs: [0, 0], record: false, time: true, replicaMaxBytes: 256 * 1024 * 1024 })
  gc?.()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  for (let i = 0; i < WRITES; i++) {
    sim.set(0, keys[i % KEYS], values[i & 63])
    if (i % BATCH === BATCH - 1) sim.run(0)
  }
  sim.run(10)
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  if (!sim.converged()) throw new Error('the replicas did not converge')
  const [w, r1, r2] = sim.nodes
  const perWrite = (x: number): number => x / WRITES
  return {
    writes: WRITES,
    writesPerSec: WRITES / (ms / 1000),
    processCpuUsPerWrite: (cpu.user + cpu.system) / WRITES,
    writerUsPerWrite: perWrite(w.busyMs * 1000),
    receiverUsPerWrite: perWrite(((r1.busyMs + r2.busyMs) / 2) * 1000),
    writerFramesPerWrite: perWrite(w.framesSent),
    writerBytesPerWrite: perWrite(w.bytesSent),
    receiverFramesPerWrite: perWrite((r1.framesSent + r2.framesSent) / 2),
    receiverBytesPerWrite: perWrite((r1.bytesSent + r2.bytesSent) / 2),
    batches: w.engine.stats().batches,
  }
}

function replicaOnlyRun(WRITES: number): Record<string, number> {
  const writer = new Replica({ nodeId: 'n0', maxBytes: 256 * 1024 * 1024 })
  const receivers = [1, 2].map((i) => new Replica({ nodeId: `n${i}`, maxBytes: 256 * 1024 * 1024 }))
  gc?.()
  let writerMs = 0
  let receiverMs = 0
  const t0 = performance.now()
  let batch: Delta[] = []
  const flush = (now: number): void => {
    let s = performance.now()
    const bytes = encodeDeltas(batch)
    writerMs += performance.now() - s
    for (const r of receivers) {
      s = performance.now()
      for (const d of decodeDeltas(bytes)) r.apply(d, now)
      receiverMs += performance.now() - s
    }
    batch = []
  }
  for (let i = 0; i < WRITES; i++) {
    const s = performance.now()
    batch.push(writer.set(keys[i % KEYS], values[i & 63], {}, 0))
    writerMs += performance.now() - s
    if (batch.length === BATCH) flush(0)
  }
  if (batch.length > 0) flush(0)
  const ms = performance.now() - t0
  return {
    writesPerSec: WRITES / (ms / 1000),
    writerUsPerWrite: (writerMs * 1000) / WRITES,
    receiverUsPerWrite: (receiverMs * 1000) / 2 / WRITES,
  }
}

// Warm the JIT on a small run of each, then measure.
engineRun(Math.min(WRITES, 20_000))
replicaOnlyRun(Math.min(WRITES, 20_000))
const engine = engineRun(WRITES)
const baseline = replicaOnlyRun(WRITES)

if (json) {
  console.log(JSON.stringify({ engine, replicaOnly: baseline }))
} else {
  const f = (x: number, d = 1): string => x.toLocaleString('en', { minimumFractionDigits: d, maximumFractionDigits: d })
  console.log(`replication engine: 3 engines in one process, lossless, ${WRITES.toLocaleString('en')} writes of ${VALUE_BYTES} B on n0`)
  console.log('')
  console.log('|  | engine | replica alone (set, encode, decode, apply) |')
  console.log('|---|---:|---:|')
  console.log(`| writes/s (one thread, all 3 nodes) | ${f(engine.writesPerSec, 0)} | ${f(baseline.writesPerSec, 0)} |`)
  console.log(`| CPU µs per write, writer | ${f(engine.writerUsPerWrite, 2)} | ${f(baseline.writerUsPerWrite, 2)} |`)
  console.log(`| CPU µs per write, each receiver | ${f(engine.receiverUsPerWrite, 2)} | ${f(baseline.receiverUsPerWrite, 2)} |`)
  console.log(`| process CPU µs per write (all 3 + the sim) | ${f(engine.processCpuUsPerWrite, 2)} | |`)
  const frames = `${f(engine.writerFramesPerWrite, 4)} / ${f(engine.receiverFramesPerWrite, 4)}`
  console.log(`| frames per write sent, writer / each receiver | ${frames} | |`)
  const bytes = `${f(engine.writerBytesPerWrite, 1)} / ${f(engine.receiverBytesPerWrite, 1)}`
  console.log(`| bytes per write sent, writer / each receiver | ${bytes} | |`)
  console.log(`| batches | ${engine.batches.toLocaleString('en')} | |`)
}
