// The soak run (bench/soak.ts prints it, test/chaos/soak.test.ts runs a 60-second one): N node
// processes of the chaos harness (test/support/chaos-cluster.ts, one per host of a TestLan in
// network namespaces, test/support/netns.ts) take reads and writes from this process for the
// whole run, while
//   - every `killEveryS` one node is killed with SIGKILL, stays down `downS`, and a fresh process
//     takes its place on the same host (half the time keeping its peer id), warmed up from the
//     others; host 0 is never killed, so one process lives through the whole run (the clearest
//     RSS series);
//   - once, from 40% of the run for `partitionS`, the hosts are split in two (⌊N/2⌋ against
//     the rest) by blackhole routes in their namespaces: both sides keep running and writing,
//     neither reaches the other, then the routes go and the sides merge;
//   - every `sampleS` the resident set (VmRSS) of each node process is read from /proc.
// The write rate: `rate` writes/s in total, or, without it, half the maximum measured first in
// the same run — every node written flat out (PROBE_WINDOW in flight each, no ack) for `probeS`,
// the maximum being those writes over the time until each node's last one was readable on all
// the others. It is the rate this harness can push (one driver, a round trip over IPC per
// operation), not the library's in-process rate (bench/cluster.ts measures that).
// Per write: a key among `keys`, 10% deletes, 10% with `ack: 'all'` (at most MAX_ACKS waiting
// per node); one read of a random key on the same node per write. Every operation is checked
// as it answers (bench/_soak-check.ts). After the run: faults over, a convergence wait, then the
// replicas' final states give divergent keys and lost acknowledged writes.
// Every loop is bounded in time and in count; every wait on a node has a deadline.
// The network: the hosts' addresses (10.213.<net>.0/24) exist only inside the namespaces this
// run creates — nothing reaches the machine's interfaces — and the namespaces are deleted at
// the end, also on failure (netns.ts). It needs root, like the chaos matrix.
import { cpus, loadavg } from 'node:os'
import { readFileSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { compareVersions, type Version } from '../crdt/version.ts'
import { Cluster, pause, prng } from '../test/support/chaos-cluster.ts'
import { checkConvergence, converged, type ReplicaState, type WriteOp } from '../test/support/history.ts'
import { TestLan, type TestHost } from '../test/support/netns.ts'
import type { WriteReply } from '../test/support/chaos-node.ts'
import { SoakChecker } from './_soak-check.ts'

export interface SoakInit {
  /** Seconds of writes and faults. @default 600 */
  durationS?: number
  /** Node processes (≥ 3: a partition of ⌊N/2⌋ against the rest, host 0 never killed). @default 5 */
  nodes?: number
  /** Seeds the workload, the victims, the partition's sides. @default 1 */
  seed?: number
  /** Writes/s over all nodes; undefined: half the maximum measured first. @default undefined */
  rate?: number
  /** Ceiling on the rate (npm test keeps the machine usable for the rest of the suite). @default Infinity */
  rateMax?: number
  /** A kill -9 and restart every this many seconds (the first at half of it). @default 60 */
  killEveryS?: number
  /** How long a killed node stays down. @default 2 */
  downS?: number
  /** Length of the one partition (0: none). @default 30 */
  partitionS?: number
  /** RSS sampling period. @default 10 */
  sampleS?: number
  /** Size of the key space. @default 1000 */
  keys?: number
  /** Length of the max-rate probe (unused with `rate`). @default 5 */
  probeS?: number
  /** Progress lines (stderr in the CLI). @default none */
  log?: (line: string) => void
}

export interface RssTrend {
  host: number
  maxMb: number
  /** Least-squares slope of one process's RSS over the run's second half (MB per minute); null: too few samples. */
  slopeMbPerMin: number | null
  /** That process's highest RSS in the first half (after its first minute) and in the second; null: not judged. */
  peakFirstMb: number | null
  peakSecondMb: number | null
  /** Which process and how many samples the fit used. */
  fit: string
  /** It ran through the second half, and for a minute and more of the first (see trends()). */
  judged: boolean
  /** Judged, and both the slope's rise and the second half's peak over the first's exceed the flags (see trends()). */
  growing: boolean
}

export interface SoakResult {
  seed: number
  nodes: number
  durationS: number
  machine: { cpus: number; loadStart: string; loadEnd: string }
  /** Measured maximum writes/s (undefined when the rate was given). */
  maxRate: number | undefined
  /** Target writes/s and what was achieved. */
  rate: number
  achievedRate: number
  writes: number
  acked: number
  ackFailed: number
  /** Writes whose answer never came (the process was killed with it in flight). */
  unknown: number
  reads: number
  hits: number
  kills: number
  restarts: number
  restartFailures: string[]
  partition: { sideA: number[]; sideB: number[]; fromS: number; toS: number } | undefined
  /** Time from the end of writes and faults until the replicas matched (or the deadline). */
  convergeMs: number
  staleReads: number
  lostAckedWrites: number
  divergentKeys: number
  crashes: string[]
  /** Sample times (s from the start of the workload) and, per host, MB (null: down). */
  rss: { t: number[]; mb: (number | null)[][]; labels: string[][] }
  rssTrend: RssTrend[]
  /** The largest RSS seen on any node (MB). */
  rssMaxMb: number
  examples: string[]
  /** A file with each node's stats and events, written when a replica ended wrong. */
  diagnosis: string | undefined
  /** Every figure that must be 0 is 0, no crash, no restart failure, no RSS growth flagged. */
  ok: boolean
}

export const SOAK_DEFAULTS = {
  durationS: 600,
  nodes: 5,
  seed: 1,
  killEveryS: 60,
  downS: 2,
  partitionS: 30,
  sampleS: 10,
  keys: 1000,
  probeS: 5,
}

/** Operations in flight per node (writes and reads; acked writes count while they wait). */
const WINDOW = 16
const PROBE_WINDOW = 32
const MAX_ACKS = 4
const ACK_SHARE = 0.1
const DELETE_SHARE = 0.1
const VALUE_BYTES = 64
/** Every call to a node answers within this, or counts as unanswered. */
const CALL_MS = 30_000
/** A restart (start, join, warm-up) longer than this is a failure. */
const RESTART_MS = 90_000
/** Convergence deadline once writes and faults are over. */
const SOAK_CONVERGE_MS = 60_000
/** RSS growth that flags a leak, in MB and as a share (see trends()). */
const GROWTH_FLAG_MB = 16
const GROWTH_FLAG_SHARE = 0.1


/** `p`, or undefined after `ms` (never rejects). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))
    return await Promise.race([p.catch(() => undefined), late])
  } finally {
    clearTimeout(timer)
  }
}

function rssMb(pid: number | undefined): number | null {
  if (pid === undefined) return null
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kb === undefined ? null : Math.round(Number(kb) / 102.4) / 10
  } catch {
    return null
  }
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my)
    den += (xs[i] - mx) ** 2
  }
  return den === 0 ? 0 : num / den
}

/** Blackhole routes between the two sides (both directions), or their removal. */
function split(a: TestHost[], b: TestHost[], on: boolean): void {
  for (const [from, to] of [...a.flatMap((x) => b.map((y) => [x, y])), ...b.flatMap((y) => a.map((x) => [y, x]))]) {
    try {
      execFileSync('ip', ['-n', from.ns, 'route', on ? 'add' : 'del', 'blackhole', `${to.ip}/32`], { stdio: ['ignore', 'ignore', 'pipe'] })
    } catch (err) {
      if (on) throw new Error(`ip -n ${from.ns} route add blackhole ${to.ip}/32: ${(err as { stderr?: Buffer }).stderr?.toString().trim()}`)
    }
  }
}

export async function runSoak(init: SoakInit = {}): Promise<SoakResult> {
  const o = { ...SOAK_DEFAULTS, ...init }
  if (!(o.nodes >= 3)) throw new TypeError('runSoak: nodes must be ≥ 3')
  const logged: string[] = []
  const t00 = Date.now()
  const log = (line: string): void => {
    logged.push(`${String(Date.now() - t00).padStart(7)} ms ${line}`)
    init.log?.(line)
  }
  let diagnosis: string | undefined
  const loadStart = loadavg().map((x) => x.toFixed(2)).join(' ')
  const lan = new TestLan(o.nodes, (process.pid % 250 + 150) % 250)
  const cluster = new Cluster(lan, Array.from({ length: o.nodes }, () => 0))
  const hosts = lan.hosts
  let partitioned: { a: TestHost[]; b: TestHost[] } | undefined
  try {
    await cluster.start()
    log(`${o.nodes} nodes up: ${cluster.nodes.map((n) => `${n.label}=${n.child.pid}`).join(' ')}`)
    const keys = Array.from({ length: o.keys }, (_, i) => `soak.k${i}`)
    const pad = 'x'.repeat(VALUE_BYTES)
    const valueOf = (label: string, n: number): string => `${label}.${n}.${pad}`.slice(0, Math.max(VALUE_BYTES, label.length + 12))

    // ---- the rate ----
    let maxRate: number | undefined
    if (o.rate === undefined) {
      maxRate = await probeMaxRate(cluster, keys, o.probeS, valueOf)
      log(`max rate ${Math.round(maxRate)} writes/s (probe of ${o.probeS} s)`)
    }
    const rate = Math.min(o.rate ?? (maxRate as number) / 2, init.rateMax ?? Number.POSITIVE_INFINITY)
    log(`running at ${Math.round(rate)} writes/s for ${o.durationS} s`)

    // ---- the workload, faults and sampling ----
    const checker = new SoakChecker()
    const t0 = Date.now()
    const durationMs = o.durationS * 1000
    const end = t0 + durationMs
    const until = async (ms: number): Promise<void> => {
      const wait = t0 + ms - Date.now()
      if (wait > 0) await pause(wait)
    }
    const counts = { writes: 0, acked: 0, ackFailed: 0, unknown: 0, reads: 0, hits: 0, kills: 0, restarts: 0 }
    const restartFailures: string[] = []
    const rss: SoakResult['rss'] = { t: [], mb: hosts.map(() => []), labels: hosts.map(() => []) }
    const starts = new Map<string, number>()
    for (const n of cluster.nodes) starts.set(n.label, Date.now())

    const hostLoop = async (i: number): Promise<void> => {
      const rng = prng(o.seed * 7919 + i)
      const perS = rate / o.nodes
      const maxWrites = Math.ceil(perS * o.durationS) + 100
      const inflight = new Set<Promise<void>>()
      let acks = 0
      let slot = 0
      let n = 0
      const track = (p: Promise<void>): void => {
        inflight.add(p)
        void p.finally(() => inflight.delete(p))
      }
      while (Date.now() < end && n < maxWrites) {
        await within(cluster.ready[i], RESTART_MS)
        const node = cluster.nodes[i]
        if (!node.alive) {
          await pause(20) // killed, not restarted yet
          continue
        }
        const due = Math.floor(((Date.now() - t0) * perS) / 1000)
        if (slot >= due) {
          await pause(Math.max(1, Math.ceil(t0 + ((slot + 1) * 1000) / perS - Date.now())))
          continue
        }
        // Behind by more than a second (a restart, a stall): drop the backlog, do not burst.
        slot = Math.max(slot, due - Math.ceil(perS)) + 1
        n++
        const label = node.label
        const key = keys[Math.floor(rng() * keys.length)]
        const del = rng() < DELETE_SHARE
        const ack = rng() < ACK_SHARE && acks < MAX_ACKS
        const value = valueOf(label, n)
        const start = Date.now()
        const p = checker.beginWrite(label, key)
        const opts = ack ? { ack: 'all', timeoutMs: 2_000 } : {}
        const call = (del ? node.delete(key, opts) : node.set(key, value, opts)) as Promise<WriteReply>
        if (ack) acks++
        counts.writes++
        track(
          within(call, CALL_MS).then((reply) => {
            if (ack) acks--
            checker.end(label, p, reply?.version)
            if (reply === undefined) counts.unknown++
            else if (reply.acked === false) counts.ackFailed++
            else if (reply.acked === true) {
              counts.acked++
              const w: WriteOp = { type: 'write', node: label, seq: n, key, op: del ? 'delete' : 'set', ack: true, start }
              Object.assign(w, { end: Date.now(), version: reply.version, outcome: 'acked' }, del ? {} : { value })
              checker.acked(w, (reply.ackedBy ?? []).map((id) => cluster.labelOf(id)), Date.now())
            }
          }),
        )
        const rkey = keys[Math.floor(rng() * keys.length)]
        const r = checker.beginRead(label, rkey)
        counts.reads++
        track(
          within(node.read(rkey), CALL_MS).then((reply) => {
            checker.end(label, r, reply === undefined ? undefined : reply.version)
            if (reply?.value != null) counts.hits++
          }),
        )
        while (inflight.size >= WINDOW) await Promise.race(inflight)
      }
      await Promise.all(inflight)
    }

    const sampler = async (): Promise<void> => {
      for (let k = 0; k * o.sampleS * 1000 <= durationMs; k++) {
        await until(k * o.sampleS * 1000)
        rss.t.push(Math.round((Date.now() - t0) / 1000))
        const stale = checker.staleReads + checker.staleAfterAck
        let line = `t=${rss.t.at(-1)}s writes=${counts.writes} acked=${counts.acked} reads=${counts.reads} stale=${stale} rss`
        cluster.nodes.forEach((node, i) => {
          const mb = node.alive ? rssMb(node.child.pid) : null
          rss.mb[i].push(mb)
          rss.labels[i].push(node.label)
          line += ` ${node.label}=${mb ?? '-'}`
        })
        log(line)
      }
    }

    const partitionFrom = Math.max(1_000, Math.round(durationMs * 0.4))
    const partitionTo = Math.min(durationMs - 2_000, partitionFrom + o.partitionS * 1000)
    const prng0 = prng(o.seed ^ 0x50a4)
    const order = hosts.map((_, i) => i).sort(() => prng0() - 0.5)
    const sideA = order.slice(0, Math.floor(o.nodes / 2)).sort()
    const sideB = order.slice(Math.floor(o.nodes / 2)).sort()
    const partition =
      o.partitionS > 0 && partitionTo > partitionFrom ? { sideA, sideB, fromS: partitionFrom / 1000, toS: partitionTo / 1000 } : undefined

    const partitioner = async (): Promise<void> => {
      if (partition === undefined) return
      await until(partitionFrom)
      partitioned = { a: sideA.map((i) => hosts[i]), b: sideB.map((i) => hosts[i]) }
      split(partitioned.a, partitioned.b, true)
      log(`partition: h${sideA.join(',h')} | h${sideB.join(',h')}`)
      await until(partitionTo)
      split(partitioned.a, partitioned.b, false)
      partitioned = undefined
      log('partition healed')
    }

    const killer = async (): Promise<void> => {
      const rng = prng(o.seed ^ 0x6b11)
      const every = o.killEveryS * 1000
      for (let k = 0; k < 10_000; k++) {
        const at = (k + 0.5) * every
        if (at + o.downS * 1000 + 1_000 > durationMs) break
        await until(at)
        if (Date.now() > end) break
        // Host 0 lives through the run; during the partition only the larger side loses nodes.
        const spared = (i: number): boolean => i === 0 || !cluster.nodes[i].alive || (partitioned !== undefined && sideA.includes(i))
        const candidates = hosts.map((_, i) => i).filter((i) => !spared(i))
        if (candidates.length === 0) continue
        const victim = candidates[Math.floor(rng() * candidates.length)]
        const sameId = rng() < 0.5
        const old = cluster.nodes[victim]
        await cluster.kill(victim)
        counts.kills++
        log(`kill -9 ${old.label} (pid ${old.child.pid})`)
        await pause(o.downS * 1000)
        const restarted = cluster.restart(victim, sameId).then(() => true)
        const ok = await within(restarted, RESTART_MS)
        if (ok === true) {
          counts.restarts++
          starts.set(cluster.nodes[victim].label, Date.now())
          log(`restarted ${cluster.nodes[victim].label}${sameId ? ' (same id)' : ''}, warmed up`)
        } else {
          const n = cluster.nodes[victim]
          const why = n.crashed ? `: ${n.stderr.slice(-1000)}` : ''
          restartFailures.push(`h${victim} at ${Math.round((Date.now() - t0) / 1000)} s: not warmed up within ${RESTART_MS} ms${why}`)
        }
      }
    }

    try {
      await Promise.all([...hosts.map((_, i) => hostLoop(i)), sampler(), partitioner(), killer()])
    } finally {
      if (partitioned !== undefined) split(partitioned.a, partitioned.b, false)
      partitioned = undefined
    }
    const writesMs = Date.now() - t0
    log(`workload and faults over after ${writesMs} ms; waiting for convergence`)

    // ---- convergence, then the final checks ----
    const quiet = Date.now()
    let finals = new Map<string, ReplicaState>()
    for (let k = 0; k < 10_000; k++) {
      if (cluster.all.some((n) => n.crashed)) break
      const healed = await within(cluster.allAlive(), CALL_MS)
      finals = (await within(cluster.states(), CALL_MS)) ?? finals
      if (healed === true && converged(finals)) break
      if (Date.now() - quiet > SOAK_CONVERGE_MS) break
      await pause(200)
    }
    const convergeMs = Date.now() - quiet
    for (const n of cluster.nodes) if (n.alive) await within(n.call('validate'), CALL_MS)
    const divergences = checkConvergence(finals)
    const lost = checker.lostAckedWrites(finals)
    const crashed = cluster.all.filter((n) => n.crashed)
    const crashes = crashed.map((n) => `${n.label} exited (${n.exitCode ?? n.exitSignal}): ${n.stderr.slice(-2000)}`)
    const examples = [
      ...checker.examples,
      ...lost.slice(0, 10).map((v) => v.message),
      ...divergences.slice(0, 10).map((v) => `divergent ${v.message}`),
    ]
    if (divergences.length + lost.length + crashes.length > 0) {
      // For the diagnosis: each live node's repair and warm-up state, and every node's events.
      const live = cluster.nodes.filter((n) => n.alive)
      const stats = await Promise.all(live.map(async (n) => [n.label, await within(n.call('stats'), CALL_MS)]))
      const pick = (st: unknown): unknown => {
        const x = (st ?? {}) as Record<string, unknown>
        return { id: x.id, members: x.members, warmup: x.warmup, origins: x.origins, repair: x.repair, replication: x.replication }
      }
      const events = cluster.all
        .flatMap((n) => n.events.map((e) => ({ at: e.at - t0, text: `${n.label} ${e.event} ${JSON.stringify(e.detail)}` })))
        .sort((a, b) => a.at - b.at)
        .map((e) => `${String(e.at).padStart(7)} ms ${e.text}`)
      diagnosis = `/tmp/also-cache-soak-seed${o.seed}-${process.pid}.log`
      writeFileSync(
        diagnosis,
        [
          `soak seed ${o.seed}: ${divergences.length} divergent keys, ${lost.length} lost acked writes`,
          ...divergences.map((v) => v.message),
          ...lost.map((v) => v.message),
          '',
          'log:',
          ...logged,
          '',
          'node events (ms from the workload start):',
          ...events,
          '',
          'node stats after the convergence wait:',
          JSON.stringify(Object.fromEntries(stats.map(([l, st]) => [l, pick(st)])), null, 1),
        ].join('\n'),
      )
    }
    const rssTrend = trends(rss, o.durationS, starts, t0)
    const rssMaxMb = Math.max(0, ...rss.mb.flat().filter((x): x is number => x !== null))
    const staleReads = checker.staleReads + checker.staleAfterAck
    const result: SoakResult = {
      seed: o.seed,
      nodes: o.nodes,
      durationS: o.durationS,
      machine: { cpus: cpus().length, loadStart, loadEnd: loadavg().map((x) => x.toFixed(2)).join(' ') },
      maxRate,
      rate,
      achievedRate: counts.writes / (writesMs / 1000),
      ...counts,
      restartFailures,
      partition,
      convergeMs,
      staleReads,
      lostAckedWrites: lost.length,
      divergentKeys: divergences.length,
      crashes,
      rss,
      rssTrend,
      rssMaxMb,
      examples,
      diagnosis,
      ok: false,
    }
    const zeros = staleReads + lost.length + divergences.length + crashes.length + restartFailures.length
    result.ok = zeros === 0 && rssTrend.every((t) => !t.growing)
    return result
  } finally {
    if (partitioned !== undefined) split(partitioned.a, partitioned.b, false)
    await cluster.destroy()
    lan.destroy()
  }
}

/** Every node written flat out for probeS; the rate until each node's last write is readable everywhere. */
async function probeMaxRate(
  cluster: Cluster,
  keys: string[],
  probeS: number,
  valueOf: (label: string, n: number) => string,
): Promise<number> {
  const t0 = Date.now()
  const stop = t0 + probeS * 1000
  const last: { key: string; version: Version }[] = []
  let total = 0
  await Promise.all(
    cluster.nodes.map(async (node, i) => {
      const inflight = new Set<Promise<void>>()
      for (let n = 0; n < 1_000_000 && Date.now() < stop; n++) {
        const key = keys[(n * 7 + i) % keys.length]
        const p = within(node.set(key, valueOf(node.label, n)), CALL_MS).then((reply) => {
          if (reply === undefined) return
          total++
          if (last[i] === undefined || compareVersions(reply.version, last[i].version) > 0) last[i] = { key, version: reply.version }
        })
        inflight.add(p)
        void p.finally(() => inflight.delete(p))
        while (inflight.size >= PROBE_WINDOW) await Promise.race(inflight)
      }
      await Promise.all(inflight)
    }),
  )
  // Visible everywhere: each node's newest write (or a newer version of its key) on every node.
  const deadline = Date.now() + CALL_MS
  for (;;) {
    const seen = await Promise.all(
      cluster.nodes.flatMap((reader) => last.map(async (w) => {
        if (w === undefined) return true
        const r = await within(reader.read(w.key), CALL_MS)
        return r?.version != null && compareVersions(r.version, w.version) >= 0
      })),
    )
    if (seen.every(Boolean)) break
    if (Date.now() > deadline) throw new Error(`probe: writes of the max-rate probe not replicated within ${CALL_MS} ms`)
    await pause(20)
  }
  return total / ((Date.now() - t0) / 1000)
}

/**
 * Per host, for the process that lived longest in the second half: the least-squares slope of
 * its RSS there, and its peaks in each half. RSS is a sawtooth — V8 lets the heap grow for
 * minutes, then a major GC hands ~150 MB back (400 → 250 MB every ~5 min on one process in the
 * first 10-minute runs) — so each measure alone misreads it: a fit over a 5-minute half reads
 * the saw's rising edge as growth, and a first-half peak that falls in a trough reads the next
 * peak as growth. Flagged as growing when both rise: the slope's rise over the half and the
 * second half's peak over the first's, each above GROWTH_FLAG_MB and GROWTH_FLAG_SHARE.
 * Judged only when the process ran through the second half and for a minute and more of the
 * first (a restarted process climbs from ~190 MB to the others' level: warm-up, not a leak).
 * Host 0 is never killed, so at least one process is always judged.
 */
function trends(rss: SoakResult['rss'], durationS: number, starts: Map<string, number>, t0: number): RssTrend[] {
  const half = durationS / 2
  return rss.mb.map((series, host) => {
    const maxMb = Math.max(0, ...series.filter((x): x is number => x !== null))
    const segs = new Map<string, { x: number[]; y: number[] }>()
    series.forEach((mb, j) => {
      const t = rss.t[j]
      if (mb === null || t < half) return
      const label = rss.labels[host][j]
      let s = segs.get(label)
      if (s === undefined) segs.set(label, (s = { x: [], y: [] }))
      s.x.push(t / 60)
      s.y.push(mb)
    })
    const [label, best] = [...segs].sort((a, b) => b[1].x.length - a[1].x.length)[0] ?? ['', { x: [], y: [] }]
    const none = { peakFirstMb: null, peakSecondMb: null, judged: false, growing: false }
    if (best.x.length < 3) return { host, maxMb, slopeMbPerMin: null, fit: `${best.x.length} samples: too few`, ...none }
    const slopeMbPerMin = Math.round(slope(best.x, best.y) * 100) / 100
    const startedS = ((starts.get(label) ?? t0) - t0) / 1000
    const spanS = (best.x.at(-1)! - best.x[0]) * 60
    // Its samples in the first half, once a minute old.
    const mine = (j: number): boolean => rss.labels[host][j] === label && rss.t[j] < half && rss.t[j] >= startedS + 60
    const first = series.filter((mb, j) => mb !== null && mine(j)) as number[]
    const through = spanS >= 0.8 * (durationS - half)
    const judged = through && first.length >= 3
    const why = judged ? '' : !through ? ', not through the second half' : `, started at ${Math.round(startedS)} s`
    const fit = `${label}, ${best.x.length} samples${why}`
    if (!judged) return { host, maxMb, slopeMbPerMin, fit, ...none }
    const peakFirstMb = Math.max(...first)
    const peakSecondMb = Math.max(...best.y)
    const over = (rise: number, base: number): boolean => rise > GROWTH_FLAG_MB && rise > GROWTH_FLAG_SHARE * base
    const mean = best.y.reduce((a, b) => a + b, 0) / best.y.length
    const growing = over(peakSecondMb - peakFirstMb, peakFirstMb) && over((slopeMbPerMin * spanS) / 60, mean)
    return { host, maxMb, slopeMbPerMin, peakFirstMb, peakSecondMb, fit, judged, growing }
  })
}
