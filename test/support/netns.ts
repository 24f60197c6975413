// Test hosts in network namespaces the test creates itself: n hosts, each a namespace with a
// veth into a bridge that lives in its own namespace, addresses from 10.213.<net>.0/24 — they
// exist only inside these namespaces (never on the machine's real interfaces). Multicast is
// routed on each host's veth: without a 224.0.0.0/4 route the multicast send fails with
// ENETUNREACH, which libp2p's mDNS swallows, and no host discovers another.
// With `relay: true` each host's veth leads instead into a relay namespace, where the userspace
// link impairer (link-impairer.py) forwards its frames to a second veth into the bridge: the
// stand-in for tc netem's loss and delay on kernels without sch_netem, which only the LANs
// that need it pay for (a Python process copies every frame).
// Deleting the namespaces removes the veths and the bridge; `destroy()` runs even when a
// test fails (call it from an after hook), and a process exit handler deletes leftovers.
import { execFileSync } from 'node:child_process'
import { LinkImpairer } from './link-impairer.ts'

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
  /** On a LAN with `relay: true`: the impairer its frames pass through, and its link there. */
  relay?: { impairer: LinkImpairer; link: number }
}

export interface TestLanInit {
  /**
   * Route every host's frames through a link impairer (link-impairer.py) in a relay namespace,
   * so its egress can lose and delay frames without tc netem. Costs a Python process that
   * copies every frame (~0.2 ms more per frame); await `ready()` before traffic starts.
   * @default false
   */
  relay?: boolean
}

export class TestLan {
  readonly hosts: TestHost[] = []
  readonly #bridgeNs: string
  readonly #relayNs: string | undefined
  readonly #prefix: string
  #impairer: LinkImpairer | undefined

  /** n hosts on one bridge. `net` picks 10.213.<net>.0/24 so parallel LANs do not collide. */
  constructor(n: number, net = process.pid % 250, init: TestLanInit = {}) {
    this.#prefix = `ac${process.pid % 100000}n${net}`
    this.#bridgeNs = `${this.#prefix}br`
    this.#relayNs = init.relay ? `${this.#prefix}rl` : undefined
    try {
      this.#add(this.#bridgeNs)
      if (this.#relayNs !== undefined) this.#add(this.#relayNs)
      run(['-n', this.#bridgeNs, 'link', 'add', 'br0', 'type', 'bridge'])
      run(['-n', this.#bridgeNs, 'link', 'set', 'br0', 'up'])
      const links: [string, string][] = []
      for (let i = 0; i < n; i++) {
        const ns = `${this.#prefix}h${i}`
        const ip = `10.213.${net}.${i + 1}`
        this.#add(ns)
        // veth names are ≤ 15 characters: short, unique per host within this LAN.
        const inHost = `eth${i}`
        const inBridge = `p${i}`
        if (this.#relayNs === undefined) {
          run(['link', 'add', inHost, 'netns', ns, 'type', 'veth', 'peer', 'name', inBridge, 'netns', this.#bridgeNs])
        } else {
          // host eth<i> ↔ a<i> (relay) … b<i> (relay) ↔ p<i> (bridge port)
          const [a, b] = [`a${i}`, `b${i}`]
          run(['link', 'add', inHost, 'netns', ns, 'type', 'veth', 'peer', 'name', a, 'netns', this.#relayNs])
          run(['link', 'add', b, 'netns', this.#relayNs, 'type', 'veth', 'peer', 'name', inBridge, 'netns', this.#bridgeNs])
          run(['-n', this.#relayNs, 'link', 'set', a, 'up'])
          run(['-n', this.#relayNs, 'link', 'set', b, 'up'])
          links.push([a, b])
        }
        run(['-n', this.#bridgeNs, 'link', 'set', inBridge, 'master', 'br0'])
        run(['-n', this.#bridgeNs, 'link', 'set', inBridge, 'up'])
        run(['-n', ns, 'link', 'set', 'lo', 'up'])
        run(['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', inHost])
        run(['-n', ns, 'link', 'set', inHost, 'up', 'multicast', 'on'])
        run(['-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', inHost])
        this.hosts.push({ ns, ip, dev: inHost })
      }
      if (this.#relayNs !== undefined) {
        const impairer = new LinkImpairer(this.#relayNs, links)
        this.#impairer = impairer
        this.hosts.forEach((h, link) => (h.relay = { impairer, link }))
      }
    } catch (err) {
      this.destroy()
      throw err
    }
  }

  /** Resolves when frames flow: at once, or once the relay's sockets are open. */
  async ready(): Promise<void> {
    await this.#impairer?.ready
  }

  destroy(): void {
    // The relay first: a namespace a process still runs in outlives its `ip netns del`.
    this.#impairer?.kill()
    this.#impairer = undefined
    for (const h of this.hosts) this.#del(h.ns)
    if (this.#relayNs !== undefined) this.#del(this.#relayNs)
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
