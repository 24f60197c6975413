// Test hosts in network namespaces the test creates itself: n hosts, each a namespace with a
// veth into a bridge that lives in its own namespace, addresses from 10.213.<net>.0/24 — they
// exist only inside these namespaces (never on the machine's real interfaces). Multicast is
// routed on each host's veth (STACK.md: without the 224.0.0.0/4 route mDNS sends fail).
// Deleting the namespaces removes the veths and the bridge; `destroy()` runs even when a
// test fails (call it from an after hook), and a process exit handler deletes leftovers.
import { execFileSync } from 'node:child_process'

const created = new Set<string>()
process.on('exit', () => {
  for (const ns of created) run(['netns', 'del', ns], true)
})

function run(args: string[], ignoreErrors = false): void {
  try {
    execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] })
  } catch (err) {
    if (!ignoreErrors) throw new Error(`ip ${args.join(' ')}: ${(err as { stderr?: Buffer }).stderr?.toString().trim()}`)
  }
}

/** Why netns tests cannot run here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces (run the suite as root, as CI does)'
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' })
  } catch {
    return 'needs the `ip` command (Debian package iproute2)'
  }
  return undefined
}

export interface TestHost {
  /** Namespace name: run a process in it with `ip netns exec <ns> ...`. */
  ns: string
  /** The host's address on the test LAN. */
  ip: string
  /** Its interface inside the namespace (for link down/up and tc). */
  dev: string
}

export class TestLan {
  readonly hosts: TestHost[] = []
  readonly #bridgeNs: string
  readonly #prefix: string

  /** n hosts on one bridge. `net` picks 10.213.<net>.0/24 so parallel LANs do not collide. */
  constructor(n: number, net = process.pid % 250) {
    this.#prefix = `ac${process.pid % 100000}n${net}`
    this.#bridgeNs = `${this.#prefix}br`
    try {
      this.#add(this.#bridgeNs)
      run(['-n', this.#bridgeNs, 'link', 'add', 'br0', 'type', 'bridge'])
      run(['-n', this.#bridgeNs, 'link', 'set', 'br0', 'up'])
      for (let i = 0; i < n; i++) {
        const ns = `${this.#prefix}h${i}`
        const ip = `10.213.${net}.${i + 1}`
        this.#add(ns)
        // veth names are ≤ 15 characters: short, unique per host within this LAN.
        const inHost = `eth${i}`
        const inBridge = `p${i}`
        run(['link', 'add', inHost, 'netns', ns, 'type', 'veth', 'peer', 'name', inBridge, 'netns', this.#bridgeNs])
        run(['-n', this.#bridgeNs, 'link', 'set', inBridge, 'master', 'br0'])
        run(['-n', this.#bridgeNs, 'link', 'set', inBridge, 'up'])
        run(['-n', ns, 'link', 'set', 'lo', 'up'])
        run(['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', inHost])
        run(['-n', ns, 'link', 'set', inHost, 'up', 'multicast', 'on'])
        run(['-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', inHost])
        this.hosts.push({ ns, ip, dev: inHost })
      }
    } catch (err) {
      this.destroy()
      throw err
    }
  }

  destroy(): void {
    for (const h of this.hosts) this.#del(h.ns)
    this.#del(this.#bridgeNs)
    this.hosts.length = 0
  }

  #add(ns: string): void {
    run(['netns', 'del', ns], true) // a leftover from a crashed run
    run(['netns', 'add', ns])
    created.add(ns)
  }

  #del(ns: string): void {
    run(['netns', 'del', ns], true)
    created.delete(ns)
  }
}
