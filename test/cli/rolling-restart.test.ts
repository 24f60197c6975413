// A rolling restart of three `also-cache` processes under a steady write load, the way a
// deploy restarts a StatefulSet: each node in turn gets SIGTERM, must exit 0 within the
// shutdown bound, is started again with the same identity file, snapshot file and libp2p port
// (bootstrapping from the other two), and must answer GET /readyz 200 before the next one
// stops. A writer issues ack=all PUTs all along, round-robin over the nodes that are ready
// (as a load balancer behind /readyz would). At the end every acknowledged write must be
// readable on every node, and the three replicas must be identical (same keys, same bytes,
// same versions). The figures (writes issued, acknowledged, lost; how long each node took to
// stop and to be ready) are printed so they can be quoted.
//
// Loopback only; every wait is a condition with a deadline; every process is killed in `after`.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { waitFor } from '../support/cluster.ts'
import { DEFAULT_SHUTDOWN_TIMEOUT_MS } from '../../lib/cli/constants.ts'
import { allAlive, CliProcess, stopAll } from './cli-process.ts'
import { request } from './http-client.ts'

/** One write every this many ms (≤ 100 writes/s), at most WRITES_IN_FLIGHT at once. */
const WRITE_INTERVAL_MS = 10
const WRITES_IN_FLIGHT = 16
/** How long a restarted node may take to answer /readyz 200 (start-up, join, warm-up). */
const READY_DEADLINE_MS = 30_000
/** After the writer stops: how long every acknowledged write may take to be everywhere. */
const CONVERGE_DEADLINE_MS = 30_000

interface Slot {
  name: string
  identity: string
  snapshot: string
  /** The libp2p port the first start got, fixed for every restart (others dial it). */
  port: number
  proc: CliProcess
}

interface RestartFigures {
  node: string
  exitCode: number | null
  /** SIGTERM → process exit. */
  stopMs: number
  /** Spawn → /readyz 200. */
  readyMs: number
  /** What the warm-up reported (from /readyz): entries streamed, whether the snapshot was used. */
  warmupEntries: number
  warmupSnapshot: string
  /** Writes acknowledged before the restart began, and how many of them the node lacked when it first answered 200. */
  ackedBeforeSpawn: number
  missingAtReady: number
  /** /readyz answers 503 "warming" seen before the 200. */
  warmingAnswers: number
}

/** ack=all PUTs of unique keys, paced, round-robin over the targets that are in rotation. */
class Writer {
  issued = 0
  readonly acked = new Map<string, string>()
  readonly failures = new Map<string, number>()
  #inFlight = 0
  #targets: CliProcess[] = []
  readonly #timer: ReturnType<typeof setInterval>

  constructor(targets: CliProcess[]) {
    this.#targets = [...targets]
    this.#timer = setInterval(() => this.#tick(), WRITE_INTERVAL_MS)
  }

  remove(p: CliProcess): void {
    this.#targets = this.#targets.filter((t) => t !== p)
  }

  add(p: CliProcess): void {
    this.#targets.push(p)
  }

  /** Stops issuing and waits for the writes in flight to be answered. */
  async stop(): Promise<void> {
    clearInterval(this.#timer)
    await waitFor(() => this.#inFlight === 0, { timeoutMs: 15_000, what: 'the writes in flight to be answered' })
  }

  #tick(): void {
    if (this.#inFlight >= WRITES_IN_FLIGHT || this.#targets.length === 0) return
    const seq = this.issued++
    const target = this.#targets[seq % this.#targets.length]
    const key = `w-${seq}`
    const value = `v-${seq}-via-${target.id.slice(-6)}`
    this.#inFlight++
    request(`${target.url}/keys/${key}?ack=all`, { method: 'PUT', body: value })
      .then(
        (r) => {
          if (r.status === 200) this.acked.set(key, value)
          else this.#fail(`${r.status} ${/"code":\s*"(\w+)"/.exec(r.body.toString())?.[1] ?? ''}`)
        },
        (err: NodeJS.ErrnoException) => this.#fail(err.code ?? err.name),
      )
      .finally(() => this.#inFlight--)
  }

  #fail(reason: string): void {
    this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1)
  }
}

function portOf(addr: string): number {
  return Number(/\/tcp\/(\d+)\//.exec(addr)![1])
}

async function readyz(p: CliProcess): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await request(`${p.url}/readyz`)
  return { status: r.status, body: r.json() }
}

/** Every live key on `p` with its bytes and version, as one comparable string per key. */
async function contents(p: CliProcess): Promise<Map<string, string>> {
  const list = (await request(`${p.url}/keys?limit=10000`)).json<{ keys: string[]; truncated: boolean }>()
  expect(list.truncated, `${p.url} lists more than 10000 keys`).to.equal(false)
  const out = new Map<string, string>()
  const keys = [...list.keys]
  const workers = Array.from({ length: 8 }, async () => {
    for (let key = keys.pop(); key !== undefined; key = keys.pop()) {
      const r = await request(`${p.url}/keys/${encodeURIComponent(key)}`)
      if (r.status !== 200) continue // expired or deleted between the list and the read: not in this replica
      out.set(key, `${r.body.toString()}|${String(r.headers['x-version-hlc'])}|${String(r.headers['x-version-node'])}`)
    }
  })
  await Promise.all(workers)
  return out
}

describe('cli rolling restart', function () {
  this.timeout(240_000)
  let dir: string

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'also-cache-rolling-'))
  })
  after(async () => {
    await stopAll()
    rmSync(dir, { recursive: true, force: true })
  })

  it('SIGTERM, restart, /readyz 200, one node at a time under ack=all writes: 0 acknowledged writes lost, identical replicas', async () => {
    const t0 = performance.now()
    const args = (s: Omit<Slot, 'proc'>, bootstrap: string[], listenPort: number): string[] => [
      '--http', '127.0.0.1:0',
      '--listen', `/ip4/127.0.0.1/tcp/${listenPort}`,
      '--identity', s.identity,
      '--snapshot', s.snapshot,
      ...bootstrap.flatMap((b) => ['--bootstrap', b]),
    ]
    const slots: Slot[] = []
    for (const name of ['n0', 'n1', 'n2']) {
      const s = { name, identity: join(dir, `${name}.key`), snapshot: join(dir, `${name}.snap`), port: 0 }
      const bootstrap = slots.length === 0 ? [] : [slots[0].proc.addresses[0]]
      const proc = await new CliProcess(args(s, bootstrap, 0)).started()
      slots.push({ ...s, port: portOf(proc.addresses[0]), proc })
    }
    await allAlive(slots.map((s) => s.proc))
    for (const s of slots) {
      await waitFor(async () => (await readyz(s.proc)).status === 200, { timeoutMs: READY_DEADLINE_MS, what: `${s.name} ready` })
    }

    const writer = new Writer(slots.map((s) => s.proc))
    // Some load before the first stop, so every node holds writes that must survive.
    await waitFor(() => writer.acked.size >= 200, { timeoutMs: 30_000, what: '200 acknowledged writes before the first restart' })

    const figures: RestartFigures[] = []
    for (const s of slots) {
      const old = s.proc
      // Out of rotation first, as a load balancer does once the pod is terminating.
      writer.remove(old)
      const stopStart = performance.now()
      old.child.kill('SIGTERM')
      const exit = await old.exit(DEFAULT_SHUTDOWN_TIMEOUT_MS + 5_000)
      const stopMs = performance.now() - stopStart
      expect(exit.code, `${s.name} exit (stdout: ${old.stdout}\nstderr: ${old.stderr})`).to.equal(0)
      expect(old.stdout).to.match(/stopped in \d+ ms/)

      const others = slots.filter((o) => o !== s).map((o) => o.proc.addresses[0])
      const ackedBeforeSpawn = new Map(writer.acked)
      const spawnAt = performance.now()
      const proc = await new CliProcess(args(s, others, s.port)).started()
      expect(proc.id, 'same identity file, same peer id').to.equal(old.id)
      let ready: { status: number; body: Record<string, unknown> } = { status: 0, body: {} }
      let warmingAnswers = 0
      await waitFor(
        async () => {
          ready = await readyz(proc)
          expect(['ready', 'warming'], JSON.stringify(ready.body)).to.include(ready.body.status)
          if (ready.status === 503) warmingAnswers++
          return ready.status === 200
        },
        { timeoutMs: READY_DEADLINE_MS, what: `${s.name} to answer /readyz 200 after its restart` },
      )
      const readyMs = performance.now() - spawnAt
      // Ready means warm: every write acknowledged before this restart (on the others, or in
      // its snapshot) is already here. Replication alone only adds keys, so a read after 200
      // can only find more than the node held at 200, never less.
      const held = await contents(proc)
      const missingAtReady = [...ackedBeforeSpawn].filter(([k, v]) => held.get(k)?.split('|')[0] !== v).length
      const warmup = ready.body.warmup as { entries: number; snapshot: string }
      figures.push({
        node: s.name,
        exitCode: exit.code,
        stopMs,
        readyMs,
        warmupEntries: warmup.entries,
        warmupSnapshot: warmup.snapshot,
        ackedBeforeSpawn: ackedBeforeSpawn.size,
        missingAtReady,
        warmingAnswers,
      })
      s.proc = proc
      writer.add(proc)
      // Traffic reaches the new process before the next node stops.
      const before = writer.acked.size
      await waitFor(() => writer.acked.size >= before + 50, { timeoutMs: 30_000, what: `50 acknowledged writes after ${s.name} restarted` })
    }

    await writer.stop()
    const procs = slots.map((s) => s.proc)
    await allAlive(procs)

    // Every acknowledged write readable on every node, with the acknowledged bytes.
    const lostOn = async (p: CliProcess): Promise<string[]> => {
      const have = await contents(p)
      return [...writer.acked].filter(([k, v]) => have.get(k)?.split('|')[0] !== v).map(([k]) => k)
    }
    const convergeStart = performance.now()
    let lost: string[][] = []
    try {
      await waitFor(
        async () => {
          lost = await Promise.all(procs.map(lostOn))
          return lost.every((l) => l.length === 0)
        },
        { timeoutMs: CONVERGE_DEADLINE_MS, what: 'every acknowledged write on every node', intervalMs: 500 },
      )
    } catch {
      // Reported below with the figures, then asserted.
    }
    const convergeMs = performance.now() - convergeStart
    const [c0, c1, c2] = await Promise.all(procs.map(contents))

    const lostKeys = new Set(lost.flat())
    const report = {
      writesIssued: writer.issued,
      writesAcknowledged: writer.acked.size,
      writesRefused: Object.fromEntries(writer.failures),
      acknowledgedLost: lostKeys.size,
      lostSample: [...lostKeys].slice(0, 10).map((k) => `${k}=${writer.acked.get(k)}`),
      lostPerNode: Object.fromEntries(slots.map((s, i) => [s.name, lost[i]?.length ?? 0])),
      keysPerNode: Object.fromEntries(slots.map((s, i) => [s.name, [c0, c1, c2][i].size])),
      convergedAfterWriterStopMs: Math.round(convergeMs),
      nodes: Object.fromEntries(slots.map((s) => [s.name, s.proc.id.slice(-6)])),
      restarts: figures.map((f) => ({ ...f, stopMs: Math.round(f.stopMs), readyMs: Math.round(f.readyMs) })),
      testMs: Math.round(performance.now() - t0),
    }
    console.log(`      rolling restart figures: ${JSON.stringify(report, null, 2).replace(/\n/g, '\n      ')}`)

    expect(writer.acked.size).to.be.greaterThan(0)
    expect([...lostKeys].slice(0, 10), `acknowledged writes lost (of ${lostKeys.size})`).to.deep.equal([])
    for (const f of figures) {
      expect(f.exitCode, f.node).to.equal(0)
      expect(f.missingAtReady, `${f.node}: acknowledged writes missing when /readyz first said 200`).to.equal(0)
    }
    // Identical replicas: the same keys, bytes and versions everywhere.
    expect(c1.size, 'n1 holds as many keys as n0').to.equal(c0.size)
    expect(c2.size, 'n2 holds as many keys as n0').to.equal(c0.size)
    for (const [k, v] of c0) {
      expect(c1.get(k), `n1 ${k}`).to.equal(v)
      expect(c2.get(k), `n2 ${k}`).to.equal(v)
    }
  })
})
