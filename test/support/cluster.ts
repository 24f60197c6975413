// Multi-process clusters on loopback for tests: each node is a child process
// (node-process.ts) driven over IPC. Every process started here is killed when the test file
// ends (killAll in an after hook) and when this process exits, even on failure.
import { fork, spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const script = fileURLToPath(new URL('./node-process.ts', import.meta.url))
const live = new Set<ChildProcess>()
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL')
})

export interface NodeEvent {
  event: string
  detail: { id?: string; state?: string } & Record<string, unknown>
}

export class NodeProcess {
  readonly child: ChildProcess
  id = ''
  addresses: string[] = []
  readonly events: NodeEvent[] = []
  #next = 1
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>()
  readonly exited: Promise<number | null>

  /** `netns`: run inside that network namespace (test/support/netns.ts). */
  constructor(init: object, netns?: string) {
    const args = [script, JSON.stringify(init)]
    this.child =
      netns === undefined
        ? fork(script, args.slice(1), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
        : spawn('ip', ['netns', 'exec', netns, process.execPath, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    live.add(this.child)
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        live.delete(this.child)
        for (const p of this.#pending.values()) p.reject(new Error(`node process exited (${code})`))
        this.#pending.clear()
        resolve(code)
      }),
    )
    type FromChild = { id?: number; ok?: boolean; result?: unknown; error?: unknown; event?: string; detail?: NodeEvent['detail'] }
    this.child.on('message', (m: FromChild) => {
      if (m.event !== undefined) this.events.push({ event: m.event, detail: m.detail ?? {} })
      if (m.id === undefined) return
      const p = this.#pending.get(m.id)
      this.#pending.delete(m.id)
      if (m.ok) p?.resolve(m.result)
      else p?.reject(Object.assign(new Error((m.error as { message?: string }).message), m.error))
    })
  }

  /** Waits for the process to be up, and learns its id and addresses. */
  async ready(timeoutMs = 45_000): Promise<this> {
    await withDeadline(
      new Promise<void>((resolve, reject) => {
        this.child.on('message', (m: { ready?: boolean }) => m.ready && resolve())
        this.child.once('exit', (code) => reject(new Error(`node process exited (${code}) before it was ready`)))
      }),
      timeoutMs,
      'node process start',
    )
    const info = (await this.call('info')) as { id: string; addresses: string[] }
    this.id = info.id
    this.addresses = info.addresses
    return this
  }

  call(cmd: string, ...args: unknown[]): Promise<unknown> {
    const id = this.#next++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.child.send({ id, cmd, args }, (err) => err && reject(err))
    })
  }

  get<T = string | null>(key: string): Promise<T> {
    return this.call('get', key) as Promise<T>
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal)
  }
}

export async function startNode(init: object = {}, netns?: string): Promise<NodeProcess> {
  return new NodeProcess(init, netns).ready()
}

/** Starts n nodes, each after the first bootstrapping from the first, and waits until all see all alive. */
export async function startCluster(n: number, init: object = {}): Promise<NodeProcess[]> {
  const first = await startNode(init)
  const rest = await Promise.all(Array.from({ length: n - 1 }, () => startNode({ ...init, bootstrap: first.addresses })))
  const nodes = [first, ...rest]
  await waitFor(
    async () => {
      for (const node of nodes) {
        const members = (await node.call('members')) as { state: string }[]
        if (members.filter((m) => m.state === 'alive').length !== n) return false
      }
      return true
    },
    { timeoutMs: 20_000, what: `${n} nodes to see each other alive` },
  )
  return nodes
}

export async function killAll(): Promise<void> {
  for (const c of live) c.kill('SIGKILL')
  await Promise.all([...live].map((c) => new Promise((resolve) => c.once('exit', resolve))))
}

/**
 * Polls `cond` until it returns true or the deadline passes (then throws, naming `what` and
 * the last value seen). A condition with a deadline, never a bare sleep.
 */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  { timeoutMs, what, intervalMs = 25 }: { timeoutMs: number; what: string; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await cond()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)
    }),
  ])
}
