// `also-cache`: runs one cache node with the HTTP interface of http.ts. This file owns the
// process: flags in, start-up order, what is printed, signals, exit codes (errors.ts). It is
// loaded by main.ts once the Node version is known to be good.
//
// Start-up order: bind HTTP first (a taken port fails in milliseconds, before this node
// joins and then leaves a cluster), then start the node, then print where everything is.
// Shutdown (handleSignals): stop taking HTTP connections, close the node (it tells the cluster
// it is leaving, so peers see "left" at once instead of suspecting it), exit 0, all within
// --shutdown-timeout.

import type { CacheNode } from '../index.ts'
import { parseCliArgs, type CliOptions } from './args.ts'
import { banner, selfCommand } from './banner.ts'
import { AddressInUseError, BadFlagError, CliError, ExitCode } from './errors.ts'
import { HttpApi } from './http.ts'
import { readClusterKeyFile } from './key-file.ts'
import { usage } from './usage.ts'

async function main(argv: readonly string[]): Promise<void> {
  const options = parseCliArgs(argv)
  if (options.command === 'help') {
    process.stdout.write(`${usage()}\n`)
    return
  }
  if (options.command === 'keygen') {
    // The module itself, not lib/index.ts: printing a key should not load libp2p.
    const { generateClusterKey } = await import('../networking/index.ts')
    process.stdout.write(generateClusterKey())
    return
  }
  if (options.clusterKeyPath !== undefined) options.node.clusterKey = await readClusterKeyFile(options.clusterKeyPath)
  const api = new HttpApi({ maxBodyBytes: options.http.maxBodyBytes })
  const url = await api.listen(options.http.host, options.http.port)
  let node: CacheNode
  try {
    node = await startNode(options)
  } catch (err) {
    await api.close()
    throw err
  }
  api.attach(node)
  process.stdout.write(banner({ id: node.id, addresses: node.addresses(), url, options, argv, self: selfCommand() }))
  watch(node)
  handleSignals(node, api, options)
}

async function startNode(options: CliOptions): Promise<CacheNode> {
  // Loaded here, not at the top: libp2p takes a second or two to import, which --help, a bad
  // flag and a taken HTTP port should not wait for.
  const { createCacheNode } = await import('../index.ts')
  try {
    return await createCacheNode(options.node)
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    // libp2p wraps the socket error; its text still carries the errno.
    if (e.code === 'EADDRINUSE' || /EADDRINUSE/.test(String(e.message))) {
      const addrs = (options.node.listen ?? []).join(', ')
      const advice = 'Stop the process holding it, or listen on port 0: --listen /ip4/127.0.0.1/tcp/0.'
      throw new AddressInUseError(addrs, `a --listen address is already in use (${addrs}). ${advice}`, { cause: err })
    }
    // The node validates its options with TypeError: one of our flags carried a bad value.
    if (err instanceof TypeError) throw new BadFlagError('', err.message.replace(/^createCacheNode: /, ''), { cause: err })
    // Typed node errors that point at a file a flag named.
    const flag = FILE_ERRORS[String(e.code)]
    if (flag !== undefined) throw new BadFlagError(flag, `${flag}: ${e.message}`, { cause: err })
    throw err
  }
}

/** Node error codes caused by the file behind a flag (exit 2: fix the flag or the file). */
const FILE_ERRORS: Record<string, string> = {
  ERR_INVALID_CLUSTER_KEY: '--cluster-key',
  ERR_IDENTITY_FILE: '--identity',
  ERR_IDENTITY_IN_USE: '--identity',
  ERR_SNAPSHOT: '--snapshot',
}

/** Membership and warm-up as they happen: what a newcomer wants to see while trying things. */
function watch(node: CacheNode): void {
  for (const state of ['alive', 'suspect', 'dead', 'left'] as const) {
    node.addEventListener(`member:${state}`, (e) => log(`member ${e.detail.id} is ${state} (incarnation ${e.detail.incarnation})`))
  }
  node.addEventListener('sync:done', (e) => {
    const d = e.detail
    const incomplete = d.complete ? '' : ' (incomplete: byte budget reached)'
    log(`warm-up done: ${d.entries} entries (${d.bytes} bytes) from ${d.peers} peer(s) in ${Math.round(d.ms)} ms${incomplete}`)
  })
  node.addEventListener('snapshot:refused', (e) => log(`warning: ${e.detail.message}`))
  node.addEventListener('identity:conflict', (e) => log(`error: peer id ${e.detail.nodeId}: ${e.detail.hint}`))
}

/**
 * SIGTERM/SIGINT: the graceful shutdown a rolling deploy relies on. In order: /readyz and
 * every route answer 503 `closing` and the server takes no new connection; node.close()
 * sends what is queued (so writes this node acknowledged reach its peers), says "left"
 * (peers drop it at once, and stop waiting for its acknowledgements), stops libp2p and writes
 * the snapshot if --snapshot is set; open HTTP connections are cut; exit 0. The whole is
 * bounded by --shutdown-timeout: past it, exit 1 naming the step that had not finished.
 */
function handleSignals(node: CacheNode, api: HttpApi, options: CliOptions): void {
  let closing = false
  let step = ''
  const stop = (signal: NodeJS.Signals): void => {
    if (closing) {
      log(`${signal} again: exiting without leaving the cluster`)
      process.exit(ExitCode.interrupted)
    }
    closing = true
    const started = performance.now()
    const timeoutMs = options.shutdownTimeoutMs
    log(`${signal}: leaving the cluster and stopping within ${timeoutMs} ms (press Ctrl-C again to force)`)
    // A peer that never answers, or a disk that never returns, must not keep the process alive
    // past the orchestrator's grace period: exit 1, naming what hung.
    setTimeout(() => {
      const message =
        `did not stop within ${timeoutMs} ms: ${step} had not finished. ` +
        'The node may not have left cleanly (peers will find it dead instead) and its snapshot may be missing or old. ' +
        'Raise --shutdown-timeout if the snapshot is large or the disk slow.'
      log(message)
      process.stderr.write(`also-cache [ERR_CLI_SHUTDOWN_TIMEOUT]: ${message}\n`)
      process.exit(ExitCode.failure)
    }, timeoutMs).unref()
    void (async () => {
      const httpClosed = api.close()
      const snapshot = options.node.snapshotPath === undefined ? '' : `, writing the snapshot to ${options.node.snapshotPath}`
      step = `closing the node (flushing queued writes, leaving the cluster, stopping libp2p${snapshot})`
      await node.close()
      // Requests still open (a keep-alive client, a slow ack) have had the node's close to
      // finish; past it they could only get 503, so they are cut rather than waited for.
      step = 'closing the HTTP connections'
      api.server.closeAllConnections()
      await httpClosed
      log(`stopped in ${Math.round(performance.now() - started)} ms`)
      process.exit(ExitCode.ok)
    })()
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

function log(line: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 23)}] ${line}\n`)
}

// Piped into `head` or a closed terminal: output is lost, the node keeps running and still
// shuts down cleanly on a signal, instead of crashing on EPIPE mid-shutdown.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err
})

try {
  await main(process.argv.slice(2))
} catch (err) {
  const code = err instanceof CliError ? err.exitCode : ExitCode.failure
  const e = err as { code?: string; message?: string }
  process.stderr.write(`also-cache${e.code ? ` [${e.code}]` : ''}: ${e.message ?? String(err)}\n`)
  // Exit now: a half-started libp2p may hold handles that would keep the process alive.
  process.exit(code)
}
