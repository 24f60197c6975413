// The start-up banner: where the node is, how to try it, how to grow the cluster. Pure (it
// returns the text; run.ts prints it), so what it promises is in one place.
//
// --identity keeps the peer id across restarts; the bootstrap address others copy is that id
// plus the listen port, so it survives a restart only on a fixed port. With port 0 (the
// default) the port changes at every start and a restarted seed splits the cluster for good:
// nodes that bootstrapped from it dial the old port. The banner says so and prints the
// command that keeps the address: this invocation with the ports it got, fixed.

import { DEFAULT_LISTEN } from '../node/index.ts'
import type { CliOptions } from './args.ts'

export interface BannerInit {
  id: string
  /** The node's listen multiaddrs, each ending in /p2p/<id>. */
  addresses: readonly string[]
  /** The HTTP API's base URL. */
  url: string
  options: CliOptions
  /** The flags this process was started with (to print a restart command). */
  argv: readonly string[]
  /** How to run the CLI again: 'also-cache', or 'npm run cli --' from a clone. */
  self: string
}

export function banner(b: BannerInit): string {
  const { options } = b
  const lines = [
    'also-cache node started',
    `  peer id   ${b.id}`,
    `  cluster   ${options.node.cluster ?? 'default'}` +
      `${options.node.clusterKey === undefined ? '' : ' (private: cluster key)'}${options.node.mdns ? ', mDNS on' : ''}`,
    ...b.addresses.map((a) => `  listen    ${a}`),
    `  http      ${b.url}`,
    '',
    'Try it:',
    `  curl -X PUT --data-binary 'hello' ${b.url}/keys/greeting`,
    `  curl ${b.url}/keys/greeting`,
    `  curl ${b.url}/members`,
    '',
    'Start another node in this cluster:',
    `  ${[
      b.self,
      '--http 127.0.0.1:0',
      `--bootstrap ${b.addresses[0] ?? '<this node\'s address>'}`,
      ...sameClusterFlags(options),
    ].join(' ')}`,
    '',
  ]
  const fixed = options.node.identityPath === undefined ? undefined : fixedPortListen(options.node.listen ?? DEFAULT_LISTEN, b.addresses)
  if (fixed !== undefined) {
    lines.push(
      'Restarts: --identity keeps this peer id, but the listen port is a free one (port 0) and changes at every start,',
      'so the address above stops working when this node restarts. To keep it, restart with the port it has now:',
      `  ${[b.self, ...withListen(b.argv, fixed).map(shellWord)].join(' ')}`,
      '',
    )
  }
  lines.push('Ctrl-C leaves the cluster and stops.')
  return `${lines.join('\n')}\n`
}

/** How the user ran this: from a clone (`node lib/cli/main.ts`, `npm run cli`) or installed. */
export function selfCommand(): string {
  return (process.argv[1] ?? '').endsWith('.ts') ? 'npm run cli --' : 'also-cache'
}

/** The flags another node needs to join this one's cluster. */
function sameClusterFlags(options: CliOptions): string[] {
  const flags: string[] = []
  if (options.node.cluster !== undefined) flags.push(`--cluster ${options.node.cluster}`)
  if (options.clusterKeyPath !== undefined) flags.push(`--cluster-key ${options.clusterKeyPath}`)
  if (options.node.swim?.profile !== undefined) flags.push(`--swim-profile ${options.node.swim.profile}`)
  return flags
}

/**
 * The requested listen addresses with each TCP port 0 replaced by the port the node got (the
 * first bound address of the same IP family), or undefined when no port is 0.
 * '/ip4/0.0.0.0/tcp/0' with '/ip4/10.0.0.5/tcp/40123/p2p/…' bound → '/ip4/0.0.0.0/tcp/40123'.
 */
export function fixedPortListen(requested: readonly string[], bound: readonly string[]): string[] | undefined {
  const PORT_ZERO = /^\/(ip[46]|dns[46]?)\/([^/]+)\/tcp\/0(?=\/|$)/
  if (!requested.some((a) => PORT_ZERO.test(a))) return undefined
  return requested.map((a) => {
    const m = PORT_ZERO.exec(a)
    if (m === null) return a
    const family = m[1] === 'ip6' || m[1] === 'dns6' ? 'ip6' : 'ip4'
    const port = bound.map((b) => new RegExp(`^/${family}/[^/]+/tcp/(\\d+)`).exec(b)?.[1]).find((p) => p !== undefined && p !== '0')
    return port === undefined ? a : a.replace(/\/tcp\/0(?=\/|$)/, `/tcp/${port}`)
  })
}

/** argv with every --listen replaced by `listen` (in the place of the first, or at the end). */
function withListen(argv: readonly string[], listen: readonly string[]): string[] {
  const out: string[] = []
  let placed = false
  const place = (): void => {
    if (placed) return
    placed = true
    for (const a of listen) out.push('--listen', a)
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--listen') {
      i++
      place()
    } else if (arg.startsWith('--listen=')) place()
    else out.push(arg)
  }
  place()
  return out
}

/** A word as a POSIX shell reads it back: bare when safe, else single-quoted. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`
}
