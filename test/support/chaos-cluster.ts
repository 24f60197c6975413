// The chaos matrix's cluster (test/chaos/matrix.test.ts): one node per test host, each
// restartable, with the SWIM and anti-entropy timings the matrix runs at.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ChaosNode, type StateReply } from './chaos-node.ts'
import type { ReplicaState } from './history.ts'
import { TestLan } from './netns.ts'
import { Prng } from '../../lib/foundation/index.ts'

/** A fault held for a duration (not a wait for a condition: the fault's length is the point). */
export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
export const ACK_TIMEOUT_MS = 2_000
/** The anti-entropy period of the nodes; convergence is awaited within CONVERGE_MS of the end of faults and writes. */
export const ANTI_ENTROPY_MS = 500
/**
 * SWIM faster than the 'local' profile, so that a 3 s fault goes past suspicion: a member is
 * suspected after a 100 ms probe timeout and declared dead ~0.75–1.5 s later (suspicion
 * minimum 3 × 250 ms, at most twice that), and the faults exercise "declared dead, then back".
 * Push-pull every 2 s: after a partition in which both sides declared each other dead, the
 * only way back is a push-pull to a dead member (swim.ts, serf's reconnect rule), so the
 * push-pull interval bounds the re-merge (with the 'local' profile's 15 s it took up to ~9 s).
 */
export const SWIM = {
  profile: 'local',
  probeIntervalMs: 250,
  probeTimeoutMs: 100,
  suspicionMult: 3,
  suspicionMaxTimeoutMult: 2,
  pushPullIntervalMs: 2_000,
}
/**
 * Convergence deadline once faults and writes have stopped: membership re-merge (≤ one push-pull interval,
 * 2 s) plus a few anti-entropy periods, with room for a loaded 2-core machine. The time each
 * run took is in the report.
 */
export const CONVERGE_MS = 10_000
export const START_MS = 30_000

// ---- the cluster: one node per host, restartable ----

export class Cluster {
  readonly lan: TestLan
  readonly nodes: ChaosNode[] = []
  readonly offsets: number[]
  readonly #starts: number[]
  /** Every process ever started (crash detection covers the replaced ones too). */
  readonly all: ChaosNode[] = []
  /** Per host: resolves when the host has a ready node again (after a restart). */
  readonly ready: Promise<void>[]

  readonly extra: object
  /** Each node keeps its identity in a file here (identityPath), so a restart may keep its peer id. */
  readonly identityDir: string

  constructor(lan: TestLan, offsets: number[], extra: object = {}) {
    this.lan = lan
    this.offsets = offsets
    this.extra = extra
    this.identityDir = mkdtempSync(join(tmpdir(), 'also-cache-chaos-'))
    this.#starts = lan.hosts.map(() => 0)
    this.ready = lan.hosts.map(() => Promise.resolve())
  }

  #init(i: number, bootstrap: string[]): object {
    return {
      ...this.extra,
      faultSeed: i + 1,
      identityPath: join(this.identityDir, `h${i}.key`),
      listen: [`/ip4/${this.lan.hosts[i].ip}/tcp/0`],
      bootstrap,
      swim: SWIM,
      antiEntropyIntervalMs: ANTI_ENTROPY_MS,
      ackTimeoutMs: ACK_TIMEOUT_MS,
      maxBytes: 256 * 1024 * 1024,
      clockOffsetMs: this.offsets[i],
    }
  }

  async #spawn(i: number, bootstrap: string[]): Promise<ChaosNode> {
    const node = new ChaosNode(`h${i}#${++this.#starts[i]}`, this.#init(i, bootstrap), this.lan.hosts[i])
    this.all.push(node)
    this.nodes[i] = node
    await node.ready(START_MS)
    return node
  }

  async start(): Promise<void> {
    const first = await this.#spawn(0, [])
    await Promise.all(this.lan.hosts.slice(1).map((_, j) => this.#spawn(j + 1, first.addresses)))
    await this.healthy('the cluster to form')
  }

  /** kill -9 the node of host i (it stays down until restart). */
  async kill(i: number): Promise<void> {
    await this.nodes[i].kill9()
  }

  /**
   * A fresh process on host i, joining through the live others, warmed up; with `sameId` it
   * keeps the killed process's peer id (its identity file), otherwise it gets a new one.
   */
  restart(i: number, sameId = false): Promise<void> {
    if (!sameId) rmSync(join(this.identityDir, `h${i}.key`), { force: true })
    const bootstrap = this.nodes.filter((n, j) => j !== i && n.alive).flatMap((n) => n.addresses)
    const p = this.#spawn(i, bootstrap).then(async (n) => {
      await n.call('warmed')
    })
    this.ready[i] = p
    return p
  }

  /** Every host's node is alive and sees all three alive (membership healed). */
  async allAlive(): Promise<boolean> {
    if (this.nodes.some((n) => !n.alive)) return false
    const counts = await Promise.all(this.nodes.map((n) => n.aliveMembers()))
    return counts.every((c) => c === this.nodes.length)
  }

  /**
   * No node holds another dead (a suspicion may stand: under CPU starvation a probe with the
   * test profile's 100 ms timeout can fail at any time, and the suspect refutes it).
   */
  async noneDead(): Promise<boolean> {
    if (this.nodes.some((n) => !n.alive)) return false
    const ids = this.nodes.map((n) => n.id)
    const views = await Promise.all(this.nodes.map((n) => n.call('members') as Promise<{ id: string; state: string }[]>))
    // Each view has self first; a replaced process's old id may be dead, the current ones not.
    return views.every((v) => ids.every((id) => v.some((m) => m.id === id && (m.state === 'alive' || m.state === 'suspect'))))
  }

  async healthy(what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!(await this.allAlive())) {
      const dead = this.all.filter((n) => n.crashed)
      if (dead.length > 0) {
        throw new Error(`crash: ${dead.map((n) => `${n.label} exited (${n.exitCode ?? n.exitSignal})\n${n.stderr}`).join('\n')}`)
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
      await pause(50)
    }
  }

  /** The history name of a node id. */
  labelOf(id: string): string {
    return this.all.findLast((n) => n.id === id)?.label ?? `?${id.slice(-6)}`
  }

  async states(): Promise<Map<string, ReplicaState>> {
    const live = this.nodes.filter((n) => n.alive)
    const states = await Promise.all(live.map((n) => n.state()))
    return new Map(live.map((n, i) => [n.label, states[i] as StateReply]))
  }

  async destroy(): Promise<void> {
    await Promise.all(this.all.filter((n) => n.alive).map((n) => n.kill9()))
    rmSync(this.identityDir, { recursive: true, force: true })
  }
}

// ---- scenarios ----

/** The project's seeded PRNG (Prng) as floats in [0, 1): the chaos matrix's and the soak's workloads replay from their seed. */
export function prng(seed: number): () => number {
  const r = new Prng(seed)
  return () => r.next()
}
