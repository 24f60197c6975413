// The TypeScript side of link-impairer.py, the userspace stand-in for `tc netem` loss and delay
// (this machine's kernel, like the CI's, has no sch_netem). One Python process per TestLan
// built with `relay: true` (netns.ts) relays every host's frames to the bridge through its
// own namespace, and impairs each host's egress as told over its stdin: one JSON line per
// command, answered by one line, in order, so a command's promise settles once the relay
// applies it. The process is SIGKILLed by kill() (TestLan.destroy) and when the test process
// exits; it also exits by itself when its stdin closes.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const script = fileURLToPath(new URL('./link-impairer.py', import.meta.url))
const live = new Set<ChildProcess>()
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL')
})

/** Why the link impairer cannot run here (no python3, or one without AF_PACKET), or undefined. */
export function impairerUnavailable(): string | undefined {
  try {
    execFileSync('python3', ['-c', 'import socket; socket.AF_PACKET'], { stdio: ['ignore', 'ignore', 'pipe'] })
    return undefined
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer }
    if (e.code === 'ENOENT') return 'the userspace link impairer needs python3 (Debian package python3)'
    return `the userspace link impairer needs python3 with AF_PACKET sockets: ${e.stderr?.toString().trim()}`
  }
}

/** What to do to a host's egress frames. Absent fields keep their current value. */
export interface LinkImpairment {
  /** Share of frames dropped, 0–100 (Bernoulli per frame, as netem `loss 20%`). */
  lossPct?: number
  /** Added one-way delay (netem `delay 200ms`). */
  delayMs?: number
  /** Uniform spread around delayMs, ≤ delayMs (netem `delay 200ms 50ms`); reorders frames. */
  jitterMs?: number
  /** Restarts the link's PRNG, so a run's drops and delays follow its seed. */
  seed?: number
}

/** A link as the relay holds it: its impairment and frame counters since the relay started. */
export interface LinkState {
  lossPct: number
  delayMs: number
  jitterMs: number
  /** Frames waiting out their delay. */
  held: number
  dropped: number
  forwarded: number
}

export class LinkImpairer {
  /** Resolves once every link's sockets are open (frames sent before are lost). */
  readonly ready: Promise<void>
  readonly #child: ChildProcess
  readonly #pending: { resolve(line: string): void; reject(err: Error): void }[] = []
  #stderr = ''
  #exited = false

  /** `links[i]` = [the host-side veth, the bridge-side veth] of host i, both in namespace `ns`. */
  constructor(ns: string, links: [string, string][]) {
    this.#child = spawn('ip', ['netns', 'exec', ns, 'python3', script, '0', ...links.map(([a, b]) => `${a}:${b}`)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    live.add(this.#child)
    this.#child.stderr?.on('data', (b: Buffer) => {
      this.#stderr = (this.#stderr + b.toString()).slice(-4_000)
    })
    // A write after the process died would otherwise be an unhandled 'error' (EPIPE).
    this.#child.stdin?.on('error', () => {})
    let started: { resolve(): void; reject(err: Error): void } | undefined
    this.ready = new Promise((resolve, reject) => {
      started = { resolve, reject }
    })
    const lines = createInterface({ input: this.#child.stdout! })
    lines.on('line', (line) => {
      if (started !== undefined && line === 'ready') {
        started.resolve()
        started = undefined
        return
      }
      const p = this.#pending.shift()
      if (line.startsWith('error: ')) p?.reject(new Error(`link impairer: ${line.slice(7)}`))
      else p?.resolve(line)
    })
    this.#child.once('exit', (code, signal) => {
      live.delete(this.#child)
      this.#exited = true
      const err = new Error(`link impairer exited (${code ?? signal}): ${this.#stderr.trim()}`)
      started?.reject(err)
      for (const p of this.#pending.splice(0)) p.reject(err)
    })
  }

  /** Sets link i's impairment (fields left out keep their value). */
  async set(link: number, imp: LinkImpairment): Promise<void> {
    await this.#command({
      link,
      ...(imp.lossPct === undefined ? {} : { loss: imp.lossPct / 100 }),
      ...(imp.delayMs === undefined ? {} : { delay: imp.delayMs }),
      ...(imp.jitterMs === undefined ? {} : { jitter: imp.jitterMs }),
      ...(imp.seed === undefined ? {} : { seed: imp.seed }),
    })
  }

  /** No impairment on any link. */
  async clear(): Promise<void> {
    await this.#command({ clear: true })
  }

  async show(): Promise<LinkState[]> {
    type Shown = { loss: number; delay: number; jitter: number; held: number; dropped: number; forwarded: number }
    const links = JSON.parse(await this.#command({ show: true })) as Shown[]
    return links.map((l) => ({
      lossPct: l.loss * 100,
      delayMs: l.delay,
      jitterMs: l.jitter,
      held: l.held,
      dropped: l.dropped,
      forwarded: l.forwarded,
    }))
  }

  kill(): void {
    this.#child.kill('SIGKILL')
  }

  #command(cmd: object): Promise<string> {
    if (this.#exited) return Promise.reject(new Error(`link impairer exited: ${this.#stderr.trim()}`))
    return new Promise((resolve, reject) => {
      this.#pending.push({ resolve, reject })
      this.#child.stdin?.write(`${JSON.stringify(cmd)}\n`)
    })
  }
}
