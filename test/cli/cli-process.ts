// `also-cache` as a child process for tests: spawned from lib/cli/main.ts with this Node,
// stdout/stderr captured, and every process killed when the test file ends (stopAll in an
// after hook) and when the test process exits, even on failure.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { waitFor } from '../support/cluster.ts'
import { request } from './http-client.ts'

export const MAIN = fileURLToPath(new URL('../../lib/cli/main.ts', import.meta.url))
const live = new Set<ChildProcess>()
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL')
})

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export class CliProcess {
  readonly child: ChildProcess
  stdout = ''
  stderr = ''
  readonly exited: Promise<Exit>
  #exit: Exit | undefined
  /** Filled by started(). */
  url = ''
  id = ''
  addresses: string[] = []

  constructor(args: readonly string[]) {
    this.child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    live.add(this.child)
    this.child.stdout?.setEncoding('utf8').on('data', (s: string) => (this.stdout += s))
    this.child.stderr?.setEncoding('utf8').on('data', (s: string) => (this.stderr += s))
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        live.delete(this.child)
        this.#exit = { code, signal }
        resolve(this.#exit)
      }),
    )
  }

  /** Waits for the start-up banner and reads the HTTP URL, peer id and listen addresses from it. */
  async started(timeoutMs = 20_000): Promise<this> {
    await waitFor(
      () => {
        if (this.#exit !== undefined) throw new Error(`also-cache exited (${this.#exit.code}) before starting:\n${this.stderr}`)
        return /^\s+http\s+http:\/\/\S+$/m.test(this.stdout)
      },
      { timeoutMs, what: `also-cache to print its HTTP URL (stdout so far: ${JSON.stringify(this.stdout)})` },
    )
    this.url = /^\s+http\s+(http:\/\/\S+)$/m.exec(this.stdout)![1]
    this.id = /^\s+peer id\s+(\S+)$/m.exec(this.stdout)![1]
    this.addresses = [...this.stdout.matchAll(/^\s+listen\s+(\S+)$/gm)].map((m) => m[1])
    return this
  }

  /** Resolves with the exit, or throws (after SIGKILL) if the process outlives the deadline. */
  async exit(timeoutMs: number): Promise<Exit> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL')
        reject(new Error(`also-cache did not exit within ${timeoutMs} ms (stdout: ${this.stdout})`))
      }, timeoutMs)
    })
    try {
      return await Promise.race([this.exited, deadline])
    } finally {
      clearTimeout(timer)
    }
  }
}

/** Runs `also-cache args` to its end (flags that fail fast, --help). */
export async function runCli(args: readonly string[], timeoutMs = 15_000): Promise<Exit & { stdout: string; stderr: string }> {
  const p = new CliProcess(args)
  const exit = await p.exit(timeoutMs)
  return { ...exit, stdout: p.stdout, stderr: p.stderr }
}

export async function stopAll(): Promise<void> {
  const children = [...live]
  for (const c of children) {
    c.kill('SIGCONT')
    c.kill('SIGKILL')
  }
  await Promise.all(
    children.map((c) => new Promise((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve(null) : c.once('exit', resolve)))),
  )
}

/** Waits until every CLI node lists all of them alive on /members. */
export async function allAlive(processes: readonly CliProcess[], timeoutMs = 15_000): Promise<void> {
  await waitFor(
    async () => {
      for (const p of processes) {
        const { members } = (await request(`${p.url}/members`)).json<{ members: { state: string }[] }>()
        if (members.filter((m) => m.state === 'alive').length !== processes.length) return false
      }
      return true
    },
    { timeoutMs, what: `the ${processes.length} CLI nodes to see each other alive` },
  )
}
