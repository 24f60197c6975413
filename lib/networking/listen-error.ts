// A listen address the node cannot bind, as a typed error that says what to do. libp2p's own
// error for it (UnsupportedListenAddressesError) has no code and advises removing addresses or
// lowering its fault tolerance, which is not what a cache's user should do.

import { AlsoCacheError } from '../foundation/index.ts'

/** What to do about a listen error, by the socket's errno. */
const LISTEN_ADVICE: Record<string, string> = {
  EADDRINUSE:
    'the port is taken (by another process, or another node in this one): pick another port, or port 0 for a free one ' +
    '(e.g. /ip4/127.0.0.1/tcp/0)',
  EADDRNOTAVAIL: 'no interface of this host has that IP: listen on one of its own addresses, or 0.0.0.0',
  EACCES: 'ports below 1024 need privileges: pick a port of 1024 or more, or port 0 for a free one',
}

/**
 * A listen address the node could not bind (taken, not this host's, not permitted). Nothing
 * is left listening or running: libp2p stops what it started before this is thrown.
 */
export class ListenError extends AlsoCacheError {
  /** The listen addresses that failed (all of them when libp2p did not say which). */
  readonly addresses: string[]
  /** The socket error, e.g. 'EADDRINUSE', when known. */
  readonly errno: string | undefined

  constructor(addresses: string[], errno: string | undefined, detail: string, options?: ErrorOptions) {
    const advice = (errno === undefined ? undefined : LISTEN_ADVICE[errno]) ?? `check the address (${detail})`
    super('ERR_LISTEN_FAILED', `cannot listen on ${addresses.join(', ')}${errno === undefined ? '' : ` (${errno})`}: ${advice}`, options)
    this.addresses = addresses
    this.errno = errno
  }
}

/**
 * libp2p's listen failure (UnsupportedListenAddressesError) lists "  <addr>: <error>" per
 * address; its code is not set, and its advice (remove addresses, or fault tolerance) is not
 * ours. Anything else is passed through.
 */
export function toListenError(err: unknown, listen: readonly string[]): unknown {
  if (!(err instanceof Error) || err.name !== 'UnsupportedListenAddressesError') return err
  const failed = [...err.message.matchAll(/^\s+(\/\S+): (.*)$/gm)]
  const addresses = failed.length === 0 ? [...listen] : failed.map((m) => m[1])
  const errno = /\b(E[A-Z]{3,})\b/.exec(failed[0]?.[2] ?? err.message)?.[1]
  return new ListenError(addresses, errno, failed[0]?.[2] ?? err.message, { cause: err })
}
