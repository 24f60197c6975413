// The chaos matrix's hands: a node process in a network namespace (chaos-process.ts) driven over
// IPC, and the faults applied to a host of a TestLan (loss/delay, qdiscs, link down/up). Every
// process started here is SIGKILLed (after a SIGCONT) when the test process exits; every fault
// helper has its undo, and `clearFaults` undoes all of them whatever state the host is in.
// Loss and delay (`impair`) go to tc netem where the kernel has sch_netem, and to the host's
// userspace link impairer (link-impairer.py) on a LAN built with `relay: true` — for kernels
// without it, such as this machine's and the CI's.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { LinkImpairment } from './link-impairer.ts'
import type { TestHost } from './netns.ts'
import type { ReadReply, StateReply, WriteReply } from './chaos-process.ts'

export type { ReadReply, StateReply, WriteReply }

const script = fileURLToPath(new URL('./chaos-process.ts', import.meta.url))
const live = new Set<ChildProcess>()
process.on('exit', () => {
  for (const c of live) {
    c.kill('SIGCONT')
    c.kill('SIGKILL')
  }
})

export class ChaosNode {
  readonly child: ChildProcess
  /** A name for the history: host index and start count, e.g. "h1#2". */
  readonly label: string
  id = ''
  addresses: string[] = []
  readonly events: { event: string; detail: Record<string, unknown>; at: number }[] = []
  /** Set when the test killed it on purpose (so its exit is not a crash). */
  killedOnPurpose = false
  paused = false
  exitCode: number | null | undefined = undefined
  exitSignal: NodeJS.Signals | null = null
  readonly exited: Promise<void>
  #next = 1
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>()

  constructor(label: string, init: object, host: TestHost) {
    this.label = label
    this.child = spawn('ip', ['netns', 'exec', host.ns, process.execPath, script, JSON.stringify(init)], {
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    })
    // Keep the child's stderr (a crash's stack) for the report, and show it.
    this.child.stderr?.on('data', (b: Buffer) => {
      this.stderr += b.toString()
      if (this.stderr.length > 20_000) this.stderr = this.stderr.slice(-20_000)
    })
    live.add(this.child)
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        live.delete(this.child)
        this.exitCode = code
        this.exitSignal = signal
        for (const p of this.#pending.values()) p.reject(new Error(`node process ${this.label} exited (${code ?? signal})`))
        this.#pending.clear()
        resolve()
      }),
    )
    type FromChild = { id?: number; ok?: boolean; result?: unknown; error?: unknown; event?: string; detail?: Record<string, unknown> }
    this.child.on('message', (m: FromChild) => {
      if (m.event !== undefined) this.events.push({ event: m.event, detail: m.detail ?? {}, at: Date.now() })
      if (m.id === undefined) return
      const p = this.#pending.get(m.id)
      this.#pending.delete(m.id)
      if (m.ok) p?.resolve(m.result)
      else p?.reject(Object.assign(new Error((m.error as { message?: string }).message), m.error))
    })
  }

  stderr = ''

  get alive(): boolean {
    return this.exitCode === undefined
  }

  /** Exited without the test killing it: a crash. */
  get crashed(): boolean {
    return !this.alive && !this.killedOnPurpose
  }

  async ready(timeoutMs: number): Promise<this> {
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([
      new Promise<void>((resolve, reject) => {
        this.child.on('message', (m: { ready?: boolean }) => m.ready && resolve())
        this.child.once('exit', (code) =>
          reject(new Error(`node process ${this.label} exited (${code}) before it was ready:\n${this.stderr}`)),
        )
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: start of ${this.label}`)), timeoutMs)
      }),
    ]).finally(() => clearTimeout(timer))
    const info = (await this.call('info')) as { id: string; addresses: string[] }
    this.id = info.id
    this.addresses = info.addresses
    return this
  }

  call(cmd: string, ...args: unknown[]): Promise<unknown> {
    if (!this.alive) return Promise.reject(new Error(`node process ${this.label} exited`))
    const id = this.#next++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.child.send({ id, cmd, args }, (err) => err && reject(err))
    })
  }

  set(key: string, value: string, opts: object = {}): Promise<WriteReply> {
    return this.call('set', key, value, opts) as Promise<WriteReply>
  }
  delete(key: string, opts: object = {}): Promise<WriteReply> {
    return this.call('delete', key, opts) as Promise<WriteReply>
  }
  read(key: string): Promise<ReadReply> {
    return this.call('read', key) as Promise<ReadReply>
  }
  state(): Promise<StateReply> {
    return this.call('state') as Promise<StateReply>
  }
  async aliveMembers(): Promise<number> {
    return ((await this.call('members')) as { state: string }[]).filter((m) => m.state === 'alive').length
  }

  /** SIGKILL, on purpose (no crash). Resolves once it is gone. */
  async kill9(): Promise<void> {
    this.killedOnPurpose = true
    if (this.paused) this.resume()
    this.child.kill('SIGKILL')
    await this.exited
  }
  pause(): void {
    this.paused = true
    this.child.kill('SIGSTOP')
  }
  resume(): void {
    this.paused = false
    this.child.kill('SIGCONT')
  }
}

// ---- faults on a host (all inside its namespace) ----

function sh(cmd: string, args: string[], ignoreErrors = false): string {
  try {
    return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString()
  } catch (err) {
    if (ignoreErrors) return ''
    throw new Error(`${cmd} ${args.join(' ')}: ${(err as { stderr?: Buffer }).stderr?.toString().trim()}`)
  }
}

/**
 * Why tc netem cannot be used here, or undefined: probed on a veth pair in a throwaway
 * namespace (deleted before returning). Call where netnsUnavailable() said yes.
 */
export function netemUnavailable(): string | undefined {
  try {
    sh('tc', ['-V'])
  } catch {
    return 'needs the `tc` command (Debian package iproute2)'
  }
  const ns = `acnp${process.pid % 100000}`
  try {
    sh('ip', ['netns', 'add', ns])
    sh('ip', ['-n', ns, 'link', 'add', 'np0', 'type', 'veth', 'peer', 'name', 'np1'])
    sh('tc', ['-n', ns, 'qdisc', 'add', 'dev', 'np0', 'root', 'netem', 'delay', '1ms'])
    return undefined
  } catch (err) {
    const msg = (err as Error).message
    return /qdisc kind is unknown/.test(msg)
      ? `this kernel has no tc netem (sch_netem): ${msg.split(': ').pop()}`
      : `tc netem failed: ${msg}`
  } finally {
    sh('ip', ['netns', 'del', ns], true)
  }
}

/** Adds a netem qdisc on the host's egress, e.g. ['loss', '20%'] or ['delay', '200ms', '50ms']. */
export function netem(host: TestHost, params: string[]): void {
  sh('tc', ['-n', host.ns, 'qdisc', 'replace', 'dev', host.dev, 'root', 'netem', ...params])
}

/**
 * Loss and/or delay on the host's egress: through its link impairer when its LAN has one
 * (`relay: true`), else as a netem qdisc (which replaces any other root qdisc; netem has no
 * seed here, so `seed` only steers the impairer).
 */
export async function impair(host: TestHost, imp: LinkImpairment): Promise<void> {
  if (host.relay !== undefined) return host.relay.impairer.set(host.relay.link, imp)
  const params: string[] = []
  if (imp.delayMs !== undefined) params.push('delay', `${imp.delayMs}ms`, ...(imp.jitterMs ? [`${imp.jitterMs}ms`] : []))
  if (imp.lossPct !== undefined) params.push('loss', `${imp.lossPct}%`)
  netem(host, params)
}

/** Replaces the host's root qdisc, e.g. ['tbf', 'rate', '128kbit', 'burst', '4kb', 'latency', '200ms']. */
export function rootQdisc(host: TestHost, params: string[]): void {
  sh('tc', ['-n', host.ns, 'qdisc', 'replace', 'dev', host.dev, 'root', ...params])
}

export function linkDown(host: TestHost): void {
  sh('ip', ['-n', host.ns, 'link', 'set', host.dev, 'down'])
}

/** Link up again, with the multicast route netns.ts set (a link going down drops it). */
export function linkUp(host: TestHost): void {
  sh('ip', ['-n', host.ns, 'link', 'set', host.dev, 'up'])
  sh('ip', ['-n', host.ns, 'route', 'replace', '224.0.0.0/4', 'dev', host.dev], true)
}

/** Undoes every fault on the host: no qdisc, no loss or delay in its impairer, link up. Never rejects. */
export async function clearFaults(host: TestHost): Promise<void> {
  sh('tc', ['-n', host.ns, 'qdisc', 'del', 'dev', host.dev, 'root'], true)
  try {
    linkUp(host)
  } catch {
    // The namespace is gone already.
  }
  await host.relay?.impairer.set(host.relay.link, { lossPct: 0, delayMs: 0, jitterMs: 0 }).catch(() => {
    // The impairer is gone already (its LAN destroyed).
  })
}

/** The qdiscs on a host's link (to check a cleanup). */
export function qdiscs(host: TestHost): string {
  return sh('tc', ['-n', host.ns, 'qdisc', 'show', 'dev', host.dev], true)
}

/**
 * Everything that impairs the host's egress, to check a cleanup: its qdiscs, then, on a relay
 * LAN, `link-impairer loss … delay … jitter …` when its link there is not clear.
 */
export async function impairments(host: TestHost): Promise<string> {
  let out = qdiscs(host)
  if (host.relay !== undefined) {
    const l = (await host.relay.impairer.show())[host.relay.link]
    if (l.lossPct > 0 || l.delayMs > 0 || l.jitterMs > 0) {
      out += `link-impairer loss ${l.lossPct}% delay ${l.delayMs}ms jitter ${l.jitterMs}ms\n`
    }
  }
  return out
}
