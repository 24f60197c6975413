// key:changed benchmark: what the event costs a node, with nobody listening and with a
// listener, on the two paths that announce it, side by side in one process and one run.
//
//   npm run bench -- key-changed            7 rounds + 1 warm-up
//   npm run bench -- key-changed --quick    3 rounds
//
// Workloads (keys `key:<i>`, 20,000 distinct; values 100 B Uint8Array; every write 'applied'):
// - local writes: 100,000 `node.set(key, value)` on a real node (createCacheNode, alone: no
//   member to send to, so the figure is the write path itself — replica, log, engine batch,
//   the event check — not the network), promises not awaited one by one (one await at the end).
// - remote apply: 100,000 deltas of another writer, as 391 gossip batches of 256 (encoded once,
//   outside the timing), through the node's own remote path: ReplicationEngine.receiveGossip
//   (decode, Replica.apply), its `applied` outputs drained into RemoteAccounting.account, which
//   asks CacheNodeEvents whether anyone listens and builds and dispatches the event if so.
//   The same classes the node wires in lib/node/parts.ts, without the sockets.
// Modes, interleaved in every round (in a rotating order) so machine noise hits them alike:
// - off:      no listener (the default): one `listens` probe per write or applied delta;
// - on:       one listener that counts its events (the cost of building and dispatching one);
// - removed:  a listener added then removed before the run (back to off: nothing left behind).
// - the probe alone: 10,000,000 calls of the `listens('key:changed')` check a write makes with
//   nobody listening (a Map probe), in ns per call, and its share of one write or apply at the
//   `off` median: what "off" costs, measured directly rather than as the difference of two
//   noisy throughputs.
// Each figure is the median of the rounds, in writes (or deltas) per second of wall time, with
// the ratio to `off`, and the best round beside it (on a shared machine the best round is the
// one least disturbed: off and removed should tie there).

import { encodeDeltas, hlcFromParts, makeDelta, makeVersion, Replica, type Delta } from '../crdt/index.ts'
import { createCacheNode, type CacheNode } from '../lib/index.ts'
import { CacheNodeEvents } from '../lib/node/events.ts'
import { keyChangeOf } from '../lib/node/key-changed.ts'
import { RemoteAccounting } from '../lib/node/remote-apply.ts'
import { ReplicationEngine } from '../lib/replication/index.ts'
import { formatTable, median, ratio } from './_report.ts'
import { cpus } from 'node:os'

const quick = process.argv.includes('--quick')
const ROUNDS = quick ? 3 : 7
const WRITES = 100_000
const KEYS = 20_000
const VALUE_BYTES = 100
const BATCH = 256
const T0 = Date.UTC(2026, 11, 1)
const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => {})
type Mode = 'off' | 'on' | 'removed'
const MODES: Mode[] = ['off', 'on', 'removed']

const values = Array.from({ length: KEYS }, (_, i) => new Uint8Array(VALUE_BYTES).fill(i & 0xff))
const keys = Array.from({ length: KEYS }, (_, i) => `key:${i}`)

/** Listens (or not) on `target` for the run; returns how many events the listener saw. */
function attach(target: CacheNodeEvents, mode: Mode): { seen(): number; detach(): void } {
  let seen = 0
  const listener = (): void => void seen++
  if (mode !== 'off') target.addEventListener('key:changed', listener)
  if (mode === 'removed') target.removeEventListener('key:changed', listener)
  return { seen: () => seen, detach: () => target.removeEventListener('key:changed', listener) }
}

async function localWrites(node: CacheNode, mode: Mode): Promise<{ rate: number; seen: number }> {
  const l = attach(node, mode)
  gc()
  const t0 = performance.now()
  let last: Promise<unknown> = Promise.resolve()
  for (let i = 0; i < WRITES; i++) last = node.set(keys[i % KEYS], values[i % KEYS])
  await last
  const s = (performance.now() - t0) / 1000
  l.detach()
  return { rate: WRITES / s, seen: l.seen() }
}

/** The node's event base with its protected door opened (the bench plays the node). */
class BenchEvents extends CacheNodeEvents {
  watching(): boolean {
    return this.listens('key:changed')
  }

  announce(d: Delta, from: string, op?: 'delete'): void {
    this.dispatch('key:changed', keyChangeOf(d, from, op))
  }
}

const writerId = 'QmWriterNodeIdxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'
const origin = { nodeId: writerId, epoch: T0 }
const batches: Uint8Array[] = []
for (let i = 0; i < WRITES; i += BATCH) {
  const ds: Delta[] = []
  for (let j = i; j < Math.min(WRITES, i + BATCH); j++) {
    const version = makeVersion(0, hlcFromParts(T0 + j), writerId)
    ds.push(makeDelta('set', keys[j % KEYS], version, undefined, values[j % KEYS], undefined, origin, j + 1))
  }
  batches.push(encodeDeltas(ds))
}

function remoteApply(mode: Mode): { rate: number; seen: number } {
  const replica = new Replica({ nodeId: 'receiver', maxBytes: 1 << 30, store: { estimatedEntries: KEYS } })
  const engine = new ReplicationEngine({ replica, selfId: 'receiver', seed: 1 })
  const events = new BenchEvents()
  const accounting = new RemoteAccounting({
    noteLag: () => {},
    noteOrigin: () => {},
    noteHeld: undefined,
    onDropped: () => {},
    keyChangesWatched: () => events.watching(),
    onKeyChanged: (d, from, op) => events.announce(d, from, op as 'delete' | undefined),
    onInternalError: (_where, err) => {
      throw err
    },
  })
  const l = attach(events, mode)
  const nowMs = T0 + WRITES + 1
  gc()
  const t0 = performance.now()
  for (const b of batches) {
    engine.receiveGossip(writerId, b, nowMs)
    for (let o = engine.poll(); o !== undefined; o = engine.poll()) {
      if (o.type === 'applied') accounting.account(o.delta, o.outcome, o.from, o.live, nowMs, o.error)
    }
  }
  const s = (performance.now() - t0) / 1000
  if (replica.stats().applied !== WRITES) throw new Error(`remote apply: ${replica.stats().applied} of ${WRITES} applied`)
  return { rate: WRITES / s, seen: l.seen() }
}

/** ns per `listens` probe with nobody listening (best of 5 runs of 10M). */
function probeNs(): number {
  const events = new BenchEvents()
  attach(events, 'removed')
  const N = 10_000_000
  let best = Infinity
  let sink = 0
  for (let run = 0; run < 5; run++) {
    const t0 = performance.now()
    for (let i = 0; i < N; i++) if (events.watching()) sink++
    best = Math.min(best, ((performance.now() - t0) * 1e6) / N)
  }
  if (sink !== 0) throw new Error('nobody listens')
  return best
}

const node = await createCacheNode({ warmupPeers: 0, listen: ['/ip4/127.0.0.1/tcp/0'] })
const local: Record<Mode, number[]> = { off: [], on: [], removed: [] }
const remote: Record<Mode, number[]> = { off: [], on: [], removed: [] }
try {
  for (let round = 0; round <= ROUNDS; round++) {
    // The order rotates every round: no mode always runs first (after a GC-heavy neighbour or not).
    for (let k = 0; k < MODES.length; k++) {
      const mode = MODES[(k + round) % MODES.length]
      const w = await localWrites(node, mode)
      const r = remoteApply(mode)
      const expected = mode === 'on' ? WRITES : 0
      if (w.seen !== expected || r.seen !== expected) throw new Error(`${mode}: saw ${w.seen} and ${r.seen} events, expected ${expected}`)
      if (round === 0) continue // warm-up
      local[mode].push(w.rate)
      remote[mode].push(r.rate)
    }
  }
} finally {
  await node.close()
}

const probe = probeNs()
const fmt = (x: number): string => Math.round(x).toLocaleString('en-US')
console.log(`key:changed — ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, ${ROUNDS} rounds (median)`)
console.log(
  formatTable(
    ['mode', 'local writes/s (median)', 'vs off', 'best round', 'vs off']
      .concat(['remote deltas applied/s (median)', 'vs off', 'best round', 'vs off']),
    MODES.map((m) => [
      m,
      fmt(median(local[m])),
      ratio(median(local[m]), median(local.off)),
      fmt(Math.max(...local[m])),
      ratio(Math.max(...local[m]), Math.max(...local.off)),
      fmt(median(remote[m])),
      ratio(median(remote[m]), median(remote.off)),
      fmt(Math.max(...remote[m])),
      ratio(Math.max(...remote[m]), Math.max(...remote.off)),
    ]),
  ),
)
const share = (rate: number): string => `${((probe / (1e9 / rate)) * 100).toFixed(2)} %`
console.log(
  `the check with nobody listening: ${probe.toFixed(1)} ns per call = ${share(median(local.off))} of a local write, ` +
    `${share(median(remote.off))} of a remote apply (at the off medians)`,
)
