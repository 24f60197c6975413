// Command-line flags of `also-cache`: one table (FLAGS) drives both node:util parseArgs and
// the --help text, so the help can never list a flag the parser does not take. Parsing is
// pure: it returns options or throws BadFlagError (exit 2); nothing here opens a socket.

import { isIP } from 'node:net'
import { parseArgs } from 'node:util'
import { multiaddr } from '@multiformats/multiaddr'
import type { CacheNodeInit } from '../node/index.ts'
import type { ProfileName } from '../../membership/index.ts'
import {
  DEFAULT_HTTP_HOST,
  DEFAULT_HTTP_MAX_BODY_BYTES,
  DEFAULT_HTTP_PORT,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  MAX_SHUTDOWN_TIMEOUT_MS,
} from './constants.ts'
import { BadFlagError } from './errors.ts'

export interface FlagSpec {
  name: string
  type: 'string' | 'boolean'
  multiple?: boolean
  short?: string
  /** Placeholder of the value in --help, e.g. 'ADDR'. */
  value?: string
  /** The default as --help shows it. */
  default: string
  help: string
}

/** Every flag, in --help order. */
export const FLAGS: readonly FlagSpec[] = [
  {
    name: 'listen',
    type: 'string',
    multiple: true,
    value: 'MULTIADDR',
    default: '/ip4/127.0.0.1/tcp/0',
    help:
      'libp2p address to listen on for peers (repeatable). ' +
      'The default is loopback on a free port; use /ip4/0.0.0.0/tcp/4001 to accept peers from other hosts.',
  },
  {
    name: 'bootstrap',
    type: 'string',
    multiple: true,
    value: 'MULTIADDR',
    default: 'none (a cluster of one)',
    help: 'Address of a running node to join through, ending in /p2p/<peer id>, as that node prints it on start (repeatable).',
  },
  {
    name: 'cluster',
    type: 'string',
    value: 'NAME',
    default: 'default',
    help: 'Cluster name: nodes only replicate with nodes of the same name. Letters, digits, dot, underscore and dash; at most 64.',
  },
  {
    name: 'cluster-key',
    type: 'string',
    value: 'FILE',
    default: 'none (any peer may join)',
    help:
      'Private cluster: a key file made by `also-cache keygen > FILE` (chmod 600). ' +
      'Only nodes with the same key can connect, read or write.',
  },
  {
    name: 'mdns',
    type: 'boolean',
    default: 'off',
    help:
      'Find nodes of the same cluster on the LAN by multicast DNS, with no --bootstrap. ' +
      'Only on trusted networks; listen on a LAN address (--listen /ip4/0.0.0.0/tcp/0).',
  },
  {
    name: 'identity',
    type: 'string',
    value: 'FILE',
    default: 'none (a new peer id at every start)',
    help:
      'Keep this node\'s identity key in FILE (created on first start, mode 0600), so its peer id survives restarts; ' +
      'its bootstrap address survives them only with a fixed --listen port (with port 0 the port changes at every start).',
  },
  {
    name: 'allow-peer',
    type: 'string',
    multiple: true,
    value: 'PEER_ID',
    default: 'any peer',
    help: 'Accept connections only from these peer ids (repeatable); give every node an --identity so ids stay stable.',
  },
  {
    name: 'max-bytes',
    type: 'string',
    value: 'SIZE',
    default: '64mib',
    help: 'Memory for cached entries, e.g. 64mib, 1gib, 500mb, or plain bytes. kb/mb/gb are powers of 1000, kib/mib/gib powers of 1024.',
  },
  {
    name: 'http',
    type: 'string',
    value: 'HOST:PORT',
    default: `${DEFAULT_HTTP_HOST}:${DEFAULT_HTTP_PORT}`,
    help: 'Where the HTTP API listens. Port 0 picks a free port (the URL is printed). Loopback only unless --http-public.',
  },
  {
    name: 'http-public',
    type: 'boolean',
    default: 'off',
    help: 'Allow --http on a non-loopback address. The API has no authentication: anyone who reaches it can read and overwrite every key.',
  },
  { name: 'max-body', type: 'string', value: 'SIZE', default: '1mib', help: 'Largest value a PUT accepts; bigger bodies get 413.' },
  {
    name: 'swim-profile',
    type: 'string',
    value: 'lan|wan|local',
    default: 'lan',
    help: 'Failure-detector timing: lan (1 s probes), wan (slower, tolerant of latency), local (fast, one host).',
  },
  {
    name: 'snapshot',
    type: 'string',
    value: 'FILE',
    default: 'none',
    help:
      'Save the cache to FILE on shutdown and load it on the next start, ' +
      'so a restart warms up from disk and asks peers only for newer writes.',
  },
  {
    name: 'shutdown-timeout',
    type: 'string',
    value: 'MS',
    default: String(DEFAULT_SHUTDOWN_TIMEOUT_MS),
    help:
      'On SIGTERM/SIGINT, how long leaving the cluster, flushing and writing the snapshot may take; past it the process ' +
      'exits 1 naming the step that hung. Keep it below the orchestrator\'s grace period (Kubernetes: 30 s).',
  },
  { name: 'help', type: 'boolean', short: 'h', default: '', help: 'Show this help and exit.' },
]

export interface HttpOptions {
  host: string
  port: number
  /** The user passed --http-public (needed for a non-loopback host). */
  public: boolean
  maxBodyBytes: number
}

/** What the invocation asks for: run a node (the default), print help, or print a new cluster key. */
export type CliCommand = 'run' | 'help' | 'keygen'

export interface CliOptions {
  command: CliCommand
  /** --cluster-key FILE: read (and checked for its mode) by main.ts, not here: parsing does no I/O. */
  clusterKeyPath: string | undefined
  /** Handed to createCacheNode as is; absent fields take the node's defaults. */
  node: CacheNodeInit
  http: HttpOptions
  /** --shutdown-timeout: the bound on a graceful shutdown (run.ts). */
  shutdownTimeoutMs: number
}

const PROFILES: readonly ProfileName[] = ['lan', 'wan', 'local']

/** Parses argv (without node and the script). Throws BadFlagError on anything it cannot use. */
export function parseCliArgs(argv: readonly string[]): CliOptions {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {}
  for (const f of FLAGS) {
    options[f.name] = { type: f.type, ...(f.multiple ? { multiple: true } : {}), ...(f.short ? { short: f.short } : {}) }
  }
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>
  let positionals: string[]
  try {
    ;({ values, positionals } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true }))
  } catch (err) {
    throw parseArgsError(err as Error & { code?: string })
  }
  // One subcommand exists: `keygen`. Anything else positional is a mistake worth naming.
  if (positionals.length > 1 || (positionals.length === 1 && positionals[0] !== 'keygen')) {
    throw new BadFlagError(
      '',
      `Unexpected argument ${JSON.stringify(positionals.find((p) => p !== 'keygen') ?? positionals[1])}: ` +
        'also-cache takes flags, or the one command `keygen` (values go to the HTTP API once it runs).',
    )
  }
  const str = (name: string): string | undefined => values[name] as string | undefined
  const list = (name: string): string[] | undefined => values[name] as string[] | undefined

  const node: CacheNodeInit = {}
  const listen = list('listen')
  if (listen !== undefined) node.listen = listen.map((a) => parseMultiaddr(a, '--listen', false))
  const bootstrap = list('bootstrap')
  if (bootstrap !== undefined) node.bootstrap = bootstrap.map((a) => parseMultiaddr(a, '--bootstrap', true))
  const cluster = str('cluster')
  if (cluster !== undefined) {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(cluster)) {
      throw new BadFlagError('--cluster', `--cluster must be 1-64 characters of A-Z a-z 0-9 . _ -, got ${JSON.stringify(cluster)}.`)
    }
    node.cluster = cluster
  }
  const maxBytes = str('max-bytes')
  if (maxBytes !== undefined) node.maxBytes = parseByteSize(maxBytes, '--max-bytes')
  const profile = str('swim-profile')
  if (profile !== undefined) {
    if (!(PROFILES as readonly string[]).includes(profile)) {
      throw new BadFlagError('--swim-profile', `--swim-profile must be one of ${PROFILES.join(', ')}, got ${JSON.stringify(profile)}.`)
    }
    node.swim = { profile: profile as ProfileName }
  }
  const snapshot = str('snapshot')
  if (snapshot !== undefined) node.snapshotPath = nonEmptyPath(snapshot, '--snapshot')

  if (values.mdns === true) node.mdns = true
  const identity = str('identity')
  if (identity !== undefined) node.identityPath = nonEmptyPath(identity, '--identity')
  const allow = list('allow-peer')
  if (allow !== undefined) node.allowPeers = allow.map((id) => parsePeerId(id))
  const clusterKeyPath = str('cluster-key')
  if (clusterKeyPath !== undefined) nonEmptyPath(clusterKeyPath, '--cluster-key')

  const isPublic = values['http-public'] === true
  const { host, port } = parseHostPort(str('http') ?? `${DEFAULT_HTTP_HOST}:${DEFAULT_HTTP_PORT}`)
  if (!isPublic && !isLoopback(host)) {
    throw new BadFlagError(
      '--http',
      `--http ${host}:${port} is not a loopback address, and the HTTP API has no authentication: ` +
        'anyone who can reach it could read and overwrite every key. ' +
        `Use --http 127.0.0.1:${port}, or add --http-public if only trusted clients can reach ${host}.`,
    )
  }
  const maxBody = str('max-body')
  const shutdownTimeout = str('shutdown-timeout')
  return {
    command: values.help === true ? 'help' : positionals[0] === 'keygen' ? 'keygen' : 'run',
    clusterKeyPath,
    node,
    http: {
      host,
      port,
      public: isPublic,
      maxBodyBytes: maxBody === undefined ? DEFAULT_HTTP_MAX_BODY_BYTES : parseByteSize(maxBody, '--max-body'),
    },
    shutdownTimeoutMs: shutdownTimeout === undefined ? DEFAULT_SHUTDOWN_TIMEOUT_MS : parseShutdownTimeout(shutdownTimeout),
  }
}

/** '--shutdown-timeout 25000': whole milliseconds, 1 … MAX_SHUTDOWN_TIMEOUT_MS. */
function parseShutdownTimeout(text: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) : NaN
  if (!(Number.isSafeInteger(ms) && ms >= 1 && ms <= MAX_SHUTDOWN_TIMEOUT_MS)) {
    throw new BadFlagError(
      '--shutdown-timeout',
      `--shutdown-timeout takes whole milliseconds from 1 to ${MAX_SHUTDOWN_TIMEOUT_MS}, e.g. 25000, got ${JSON.stringify(text)}.`,
    )
  }
  return ms
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
}

/**
 * '64mib' → 67108864, '1.5gb' → 1500000000, '4096' → 4096. Case-insensitive; kb/mb/gb are
 * SI (×1000), kib/mib/gib binary (×1024). Bare k/m/g are refused: they are ambiguous.
 */
export function parseByteSize(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text)
  const unit = m === null ? undefined : UNITS[m[2].toLowerCase()]
  if (m === null || unit === undefined) {
    throw new BadFlagError(flag, `${flag} takes a size like 64mib, 1gib, 500mb or a number of bytes, got ${JSON.stringify(text)}.`)
  }
  const bytes = Math.floor(Number(m[1]) * unit)
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new BadFlagError(flag, `${flag} must be at least 1 byte and below 8 PiB, got ${JSON.stringify(text)}.`)
  }
  return bytes
}

/** '127.0.0.1:7070', '[::1]:7070', 'localhost:0', or a bare port (on 127.0.0.1). */
export function parseHostPort(text: string): { host: string; port: number } {
  const bad = (): BadFlagError =>
    new BadFlagError(
      '--http',
      `--http takes HOST:PORT such as 127.0.0.1:7070 ([::1]:7070 for IPv6; port 0 picks a free one), got ${JSON.stringify(text)}.`,
    )
  const m = /^\d+$/.test(text) ? [text, undefined, DEFAULT_HTTP_HOST, text] : /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(text)
  if (m === null) throw bad()
  const bracketed = m[1] !== undefined
  const host = (m[1] ?? m[2]) as string
  const port = Number(m[3])
  if (!(Number.isInteger(port) && port <= 65535)) throw bad()
  if (bracketed ? isIP(host) !== 6 : isIP(host) === 0 && !/^[A-Za-z0-9.-]+$/.test(host)) throw bad()
  return { host, port }
}

/** Only addresses that never leave this machine. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true
  return isIP(host) === 4 && host.startsWith('127.')
}

function nonEmptyPath(path: string, flag: string): string {
  if (path === '') throw new BadFlagError(flag, `${flag} needs a file path, e.g. ${flag} ./also-cache.${flag.slice(2)}.`)
  return path
}

/** A libp2p peer id as printed by a node ('12D3Koo...', base58btc, no whitespace). */
function parsePeerId(id: string): string {
  if (!/^[1-9A-HJ-NP-Za-km-z]{40,100}$/.test(id)) {
    throw new BadFlagError(
      '--allow-peer',
      `--allow-peer ${JSON.stringify(id)} is not a peer id: ` +
        'copy the "peer id" line another node printed on start (it looks like 12D3KooW...).',
    )
  }
  return id
}

function parseMultiaddr(text: string, flag: string, needsPeerId: boolean): string {
  let components: { name: string }[]
  try {
    components = multiaddr(text).getComponents()
  } catch (err) {
    throw new BadFlagError(
      flag,
      `${flag} ${JSON.stringify(text)} is not a multiaddr (${(err as Error).message}); it looks like /ip4/127.0.0.1/tcp/4001.`,
      { cause: err },
    )
  }
  if (needsPeerId && !components.some((c) => c.name === 'p2p')) {
    throw new BadFlagError(
      flag,
      `${flag} ${JSON.stringify(text)} has no /p2p/<peer id>: ` +
        'copy the full address the other node printed on start (it ends in /p2p/12D3Koo...).',
    )
  }
  return text
}

function parseArgsError(err: Error & { code?: string }): BadFlagError {
  // node:util parseArgs messages already name the flag; keep them and add the fix.
  const flag = /--[a-z][a-z0-9-]*/i.exec(err.message)?.[0] ?? /'(-[^' ,]+)/.exec(err.message)?.[1] ?? ''
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new BadFlagError(flag, `Unknown flag ${flag || err.message}.`, { cause: err })
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return new BadFlagError(flag, err.message.replace(/\.?$/, '.'), { cause: err })
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new BadFlagError(
        '',
        `${err.message.replace(/\.?$/, '.')} also-cache takes flags only (values go to the HTTP API once it runs).`,
        { cause: err },
      )
    default:
      return new BadFlagError(flag, err.message, { cause: err })
  }
}
