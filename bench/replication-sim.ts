// Replication beside SWIM at N = 10, 100, 1,000 (lib/replication/sim/, docs/replication-sim.md):
// N nodes in one process, each a SWIM core (lan profile, Lifeguard), a ReplicationEngine (its
// defaults) and a crdt Replica, on one seeded network (one-way delay 1 ms + exponential mean
// 2 ms, so messages reorder; --loss per message, 1 % by default). Per N: SWIM runs 2 s, the
// counters are zeroed, then WRITES sets of 100 B values on WRITES distinct-ish keys are made
// over --over-ms of simulated time by random nodes (--writers all) or by n0 alone (--writers one),
// and the run goes on until every live replica holds the newest version of every key.
//
//   npm run bench -- replication-sim
//   npm run bench -- replication-sim -- --sizes 10,100,1000 --writes 2000,2000,500 --writers one --json
//   (--loss 0.01 --over-ms 2000 --seed 1 --max-ms 60000 are the defaults)
//
// Reported per N (simulated time; wall seconds beside it): convergence after the last write,
// replication frames and bytes per write per node (sent; received is the same less losses),
// the writer's bytes per write (its fan-out: one copy per live member) and each receiver's,
// repair's share of replication bytes (gap requests and answers, anti-entropy digests), the
// delay from a write until a remote replica applied it (p99), SWIM's messages and bytes per
// second per node over the same window. And a model of a gossip mesh beside it (see
// meshBytesPerWritePerNode): where the writer's fan-out passes a mesh node's cost.
// --json prints one line per N.

import { parseArgs } from 'node:util'
import { cpus } from 'node:os'
import { ReplicationSim, report, spreadWrites, type ReplicationSimReport } from '../lib/replication/sim/index.ts'

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    sizes: { type: 'string', default: '10,100,1000' },
    /** One count per size; default 2,000 up to N = 100 and 500 above (bounded wall time). */
    writes: { type: 'string' },
    'over-ms': { type: 'string', default: '2000' },
    loss: { type: 'string', default: '0.01' },
    writers: { type: 'string', default: 'all' },
    seed: { type: 'string', default: '1' },
    'max-ms': { type: 'string', default: '60000' },
    json: { type: 'boolean', default: false },
  },
  strict: true,
})

const sizes = values.sizes.split(',').map(Number)
const writesPerSize = values.writes?.split(',').map(Number) ?? sizes.map((n) => (n <= 100 ? 2000 : 500))
const overMs = Number(values['over-ms'])
const loss = Number(values.loss)
const seed = Number(values.seed)
const maxMs = Number(values['max-ms'])
if (values.writers !== 'all' && values.writers !== 'one') throw new TypeError('--writers is all or one')
if (writesPerSize.length !== sizes.length) throw new TypeError('--writes needs one count per size (--sizes)')
const VALUE_BYTES = 100
/** gossipsub's mesh degree (its default D, @libp2p/gossipsub constants GossipsubD). */
const MESH_DEGREE = 6
/** gossipsub's envelope per message beyond the data (docs/node.md, "Gossipsub: what the node relies on"). */
const GOSSIP_ENVELOPE_BYTES = 150
const gc = (globalThis as { gc?: () => void }).gc

interface Row {
  r: ReplicationSimReport
  wallS: number
  /** What one node of a degree-D gossip mesh would send and receive per write (model). */
  meshBytesPerWritePerNode: number
  /** Smallest N at which the writer's direct fan-out passes a mesh node's bytes (model, this row's copy size). */
  crossoverN: number
}

/**
 * A degree-D mesh (gossipsub with floodPublish off): every node forwards each message to its
 * D mesh peers and receives it from about D of them (one copy applied, the rest duplicates
 * dropped by message id), so each node sends and receives about D copies per message, each
 * one batch copy plus the envelope. The direct writer sends N − 1 copies and receives almost
 * nothing: it passes a mesh node when (N − 1) · copy > 2 · D · (copy + envelope per write).
 */
function mesh(r: ReplicationSimReport): { perNode: number; crossoverN: number } {
  const copy = r.receiver.bytesPerWrite
  const envelope = GOSSIP_ENVELOPE_BYTES * r.receiver.framesPerWrite
  const perNode = 2 * MESH_DEGREE * (copy + envelope)
  return { perNode, crossoverN: Math.floor(1 + perNode / copy) + 1 }
}

const rows: Row[] = []
for (let i = 0; i < sizes.length; i++) {
  const n = sizes[i]
  gc?.()
  const t0 = performance.now()
  const sim = new ReplicationSim({ nodes: n, seed, loss })
  sim.run(2000)
  sim.resetCounters()
  const writes = writesPerSize[i]
  spreadWrites(sim, { writes, overMs, keys: writes, valueBytes: VALUE_BYTES, writers: values.writers === 'one' ? [0] : undefined })
  sim.runToConvergence(maxMs)
  const r = report(sim)
  const m = mesh(r)
  const row = { r, wallS: (performance.now() - t0) / 1000, meshBytesPerWritePerNode: m.perNode, crossoverN: m.crossoverN }
  rows.push(row)
  if (values.json) {
    const extra = { wallS: round(row.wallS, 1), meshBytesPerWritePerNode: round(m.perNode, 0), crossoverN: m.crossoverN }
    console.log(JSON.stringify({ ...r, ...extra }))
  } else {
    if (i === 0) header()
    console.log(line(row))
  }
}

function header(): void {
  console.log(
    `replication beside SWIM: seed ${seed}, loss ${loss}, writers ${values.writers}, ` +
      `${VALUE_BYTES} B values over ${overMs} ms simulated; ` +
      `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
  )
  console.log('')
  console.log(
    '| N | writes | convergence ms | msgs/write/node | bytes/write/node | writer bytes/write | receiver bytes/write ' +
      '| repair share | apply p99 ms | SWIM msgs/s/node | SWIM bytes/s/node | mesh bytes/write/node (model) | writer ÷ mesh | wall s |',
  )
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
}

function line(x: Row): string {
  const r = x.r
  const f = (v: number, d = 0): string => v.toLocaleString('en', { minimumFractionDigits: d, maximumFractionDigits: d })
  return (
    `| ${f(r.nodes)} | ${f(r.writes)} | ${r.convergenceMs === null ? 'not reached' : f(r.convergenceMs)} ` +
    `| ${f(r.perWritePerNode.framesSent, 2)} | ${f(r.perWritePerNode.bytesSent)} ` +
    `| ${f(r.writer.bytesPerWrite)} | ${f(r.receiver.bytesPerWrite)} ` +
    `| ${f(r.repair.share * 100, 1)} % | ${r.applyDelay.p99Ms ?? '–'} ` +
    `| ${f(r.swim.messagesPerSecPerNode, 1)} | ${f(r.swim.bytesPerSecPerNode)} ` +
    `| ${f(x.meshBytesPerWritePerNode)} | ${f(r.writer.bytesPerWrite / x.meshBytesPerWritePerNode, 2)} | ${f(x.wallS, 1)} |`
  )
}

if (!values.json) {
  const c = rows.map((x) => `N=${x.r.nodes}: ${x.crossoverN}`).join(', ')
  console.log('')
  console.log(`writer's direct fan-out passes a degree-${MESH_DEGREE} mesh node's bytes above N ≈ (model, per row's copy size) ${c}`)
}

function round(v: number, d: number): number {
  return Math.round(v * 10 ** d) / 10 ** d
}
