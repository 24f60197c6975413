// A hostile peer for tests (issue 7 item 3; G7): an insider that holds the cluster key
// and speaks the node's exact stack — it is built by the node's own createTransport (TCP,
// pnet with the key, Noise, yamux, identify, gossipsub with StrictNoSign and the same 4 MiB
// limit, the SWIM service) — and then misbehaves on every protocol:
//
// - sync (`/also-cache/<cluster>/sync/1.0.0`): raw bytes on a fresh stream: garbage frames, truncated
//   frames, length prefixes claiming 2^40 bytes, valid frames with out-of-range kinds/enums;
// - SWIM (`/also-cache/<cluster>/swim/1.0.0`): garbage and oversized frames on a raw stream;
// - gossip (`also-cache/<cluster>/deltas/1`): garbage and malformed batches, deltas stamped far
//   beyond maxClockDriftMs, and a flood of valid deltas at full speed (bounded in count and
//   time: it stops itself);
// - slowloris: many streams opened (with or without a request) and never read.
//
// It runs in the test process. Everything it opens is torn down by stop(). Its SWIM core runs
// (it is a member like any other), so the nodes do not declare it dead and hang up on it in
// the middle of an attack.
import { createRequire } from 'node:module'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Libp2p } from 'libp2p'
import type { Stream } from '@libp2p/interface'
import { createTransport, type CacheServices } from '../../lib/networking/libp2p.ts'
import { PeerGate } from '../../lib/networking/peer-gate.ts'
import { parseClusterKey } from '../../lib/networking/cluster-key.ts'
import { syncProtocol } from '../../lib/networking/sync-service.ts'
import { swimProtocol } from '../../lib/networking/swim-service.ts'
import { replicationProtocol } from '../../lib/networking/replication-protocol.ts'
import { DEFAULT_CLUSTER } from '../../lib/node/constants.ts'
import { encodeDeltas, hlcFromParts, makeDelta, makeVersion, type Delta, type Origin } from '../../crdt/index.ts'
import { Prng } from '../../lib/foundation/index.ts'

/** Unsigned LEB128, any size up to 2^53 (a length prefix may claim more than any bound). */
export function varint(n: number): Uint8Array {
  const out: number[] = []
  while (n > 0x7f) {
    out.push((n % 0x80) | 0x80)
    n = Math.floor(n / 0x80)
  }
  out.push(n)
  return Uint8Array.from(out)
}

/** One length-prefixed frame (the framing of lpStream on both protocols). */
export function lpFrame(payload: Uint8Array): Uint8Array {
  const p = varint(payload.byteLength)
  const out = new Uint8Array(p.byteLength + payload.byteLength)
  out.set(p)
  out.set(payload, p.byteLength)
  return out
}

/** Seeded bytes (the project's Prng): garbage that replays. */
export function garbage(seed: number, n: number): Uint8Array {
  const r = new Prng(seed)
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = r.nextUint32() & 0xff
  return out
}

/**
 * Works around a bug of xsalsa20 1.2.0 (the cipher of @libp2p/pnet 3.0.27) in THIS process
 * only — the hostile side — never in the nodes under test: one pnet write over ~640 KiB (sends
 * coalesced under backpressure, e.g. a flood) grows the shared WASM memory, which detaches
 * every other cipher's cached view; each of those then grows the memory again on its next
 * update, one page at a time, until the 1000-page (62.5 MiB) maximum, where the next grow
 * throws RangeError inside a connection's event listener. Upstream: libp2p/js-libp2p#3585.
 * Here a detached view is refreshed from the latest live one before each update.
 */
function refreshStaleCipherViews(): void {
  const require = createRequire(import.meta.url)
  const pnetRequire = createRequire(require.resolve('@libp2p/pnet'))
  const XSalsa20 = pnetRequire('xsalsa20') as (nonce: Uint8Array, key: Uint8Array) => { _xor: object }
  const proto = Object.getPrototypeOf(XSalsa20(new Uint8Array(24), new Uint8Array(32))._xor) as {
    update(this: { _memory: Uint8Array }, input: Uint8Array, output: Uint8Array): void
    __refreshed?: boolean
  }
  if (proto.__refreshed === true || typeof proto.update !== 'function') return
  const update = proto.update
  let latest: Uint8Array | undefined
  proto.update = function (input, output) {
    if (this._memory.byteLength === 0 && latest !== undefined && latest.byteLength > 0) this._memory = new Uint8Array(latest.buffer)
    update.call(this, input, output)
    latest = this._memory
  }
  proto.__refreshed = true
}
refreshStaleCipherViews()

export const deltaTopic = (cluster: string): string => `also-cache/${cluster}/deltas/1`

/** How a raw exchange ended, seen from the hostile side. */
export interface ExchangeResult {
  /** 'reset': the node aborted the stream; 'closed': it answered (or not) and closed; 'timeout': neither. */
  outcome: 'reset' | 'closed' | 'timeout' | 'refused'
  /** Bytes the node sent back. */
  bytes: number
  error?: string
}

export interface FloodResult {
  deltas: number
  batches: number
  ms: number
  /** Publishes gossipsub reached nobody with (or threw on). */
  unsent: number
}

export class HostilePeer {
  readonly p2p: Libp2p<CacheServices>
  readonly cluster: string
  readonly origin: Origin
  #seq = 0
  readonly #held: Stream[] = []

  private constructor(p2p: Libp2p<CacheServices>, cluster: string) {
    this.p2p = p2p
    this.cluster = cluster
    this.origin = { nodeId: p2p.peerId.toString(), epoch: Date.now() }
  }

  /** Starts the peer (listening on loopback) with the cluster's key; `clusterKey` undefined: none. */
  static async start(init: { clusterKey?: string; cluster?: string } = {}): Promise<HostilePeer> {
    const cluster = init.cluster ?? DEFAULT_CLUSTER
    const p2p = await createTransport({
      listen: ['/ip4/127.0.0.1/tcp/0'],
      cluster,
      gate: new PeerGate(),
      swim: { config: { profile: 'local' } },
      ...(init.clusterKey === undefined ? {} : { clusterKey: parseClusterKey(init.clusterKey) }),
    })
    p2p.services.swim.begin()
    const peer = new HostilePeer(p2p, cluster)
    p2p.services.pubsub.subscribe(deltaTopic(peer.cluster))
    return peer
  }

  /** Seq of the last delta this peer made (its keys end in it). */
  get lastSeq(): number {
    return this.#seq
  }

  get id(): string {
    return this.p2p.peerId.toString()
  }

  /** Dials each address (with /p2p/<id>) and joins SWIM through them. Throws when a dial fails. */
  async connect(addrs: readonly string[], timeoutMs = 5_000): Promise<void> {
    const ids: string[] = []
    const deadline = Date.now() + timeoutMs
    for (const a of addrs) {
      // Every peer of a test dials from 127.0.0.1, and a node admits at most 5 new inbound
      // connections per second per host (libp2p's inboundConnectionThreshold): a dial refused
      // for that (reset at once) is tried again until the deadline, not taken as a failure.
      for (;;) {
        try {
          const conn = await this.p2p.dial(multiaddr(a), { signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())) })
          ids.push(conn.remotePeer.toString())
          break
        } catch (err) {
          if (Date.now() + 250 >= deadline || !/ECONNRESET/.test(String((err as Error).message))) throw err
          await new Promise((resolve) => setTimeout(resolve, 250))
        }
      }
    }
    this.p2p.services.swim.join(ids)
  }

  /** Dials `addr`; 'refused' when the node will not have us (banned: the gater hangs up). */
  async tryConnect(addr: string, timeoutMs = 3_000): Promise<'connected' | 'refused'> {
    try {
      const conn = await this.p2p.dial(multiaddr(addr), { signal: AbortSignal.timeout(timeoutMs) })
      // A gated inbound connection is closed right after the handshake: open a stream to be sure.
      const s = await conn.newStream(syncProtocol(this.cluster), { signal: AbortSignal.timeout(timeoutMs) })
      s.abort(new Error('probe only'))
      return 'connected'
    } catch {
      return 'refused'
    }
  }

  isConnected(peer: string): boolean {
    return this.p2p.getConnections(peerIdFromString(peer)).some((c) => c.status === 'open')
  }

  // ---- raw streams (sync, SWIM) ----

  /**
   * Opens a stream of `protocol` to `peer`, writes `chunks` as they are (no framing added),
   * optionally closes its writing side, and reads whatever comes back until the node closes
   * or resets the stream, or `timeoutMs` passes.
   */
  async exchange(
    peer: string,
    protocol: string,
    chunks: readonly Uint8Array[],
    { closeWrite = true, timeoutMs = 5_000 } = {},
  ): Promise<ExchangeResult> {
    let stream: Stream
    try {
      stream = await this.p2p.dialProtocol(peerIdFromString(peer), protocol, { signal: AbortSignal.timeout(timeoutMs) })
    } catch (err) {
      return { outcome: 'refused', bytes: 0, error: String(err) }
    }
    const deadline = AbortSignal.timeout(timeoutMs)
    let bytes = 0
    try {
      for (const c of chunks) {
        if (!stream.send(c)) await stream.onDrain({ signal: deadline })
      }
      if (closeWrite) await stream.close({ signal: deadline }).catch(() => {})
      const ended = (async () => {
        for await (const chunk of stream) bytes += chunk.byteLength
      })()
      const timedOut = new Promise<'timeout'>((resolve) => deadline.addEventListener('abort', () => resolve('timeout'), { once: true }))
      const r = await Promise.race([ended.then(() => 'closed' as const), timedOut])
      if (r === 'timeout') stream.abort(new Error('hostile: timeout'))
      return { outcome: r, bytes }
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
      return { outcome: 'reset', bytes, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }
    }
  }

  /**
   * Slowloris: opens `n` streams of `protocol` to `peer`, writes `request` (if any) on each and
   * never reads. The streams stay open until release() or stop(). Returns how many opened.
   */
  async slowloris(peer: string, protocol: string, n: number, request?: Uint8Array): Promise<number> {
    let opened = 0
    await Promise.all(
      Array.from({ length: n }, async () => {
        try {
          const s = await this.p2p.dialProtocol(peerIdFromString(peer), protocol, { signal: AbortSignal.timeout(5_000) })
          this.#held.push(s)
          opened++
          if (request !== undefined) s.send(request)
        } catch {
          // Refused past the node's per-connection stream limit: that is the point.
        }
      }),
    )
    return opened
  }

  /** Streams held by slowloris that the node has not reset yet. */
  heldOpen(): number {
    return this.#held.filter((s) => s.status === 'open').length
  }

  release(): void {
    for (const s of this.#held.splice(0)) s.abort(new Error('hostile: released'))
  }

  // ---- gossip ----

  /** Waits until gossipsub knows `peer` subscribes to the delta topic (else a publish reaches nobody). */
  async waitSubscribed(peers: readonly string[], timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const subs = new Set(this.p2p.services.pubsub.getSubscribers(deltaTopic(this.cluster)).map(String))
      if (peers.every((p) => subs.has(p))) return
      if (Date.now() > deadline) throw new Error(`hostile: ${peers.join(', ')} not subscribed after ${timeoutMs} ms`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  /** Publishes raw bytes on the delta topic; returns how many peers it went to. */
  async publish(bytes: Uint8Array): Promise<number> {
    const r = await this.p2p.services.pubsub.publish(deltaTopic(this.cluster), bytes)
    return r.recipients.length
  }

  /** Valid set deltas of this peer's own origin, seq contiguous, stamped `aheadMs` into the future. */
  makeDeltas(n: number, { keyPrefix = 'hostile-', valueBytes = 100, aheadMs = 0 } = {}): Delta[] {
    const hlc = hlcFromParts(Date.now() + aheadMs)
    const value = new Uint8Array(valueBytes).fill(0x68)
    const out: Delta[] = []
    for (let i = 0; i < n; i++) {
      const seq = ++this.#seq
      const version = makeVersion(0, (hlc + i) as never, this.id)
      out.push(makeDelta('set', `${keyPrefix}${seq}`, version, undefined, value, undefined, this.origin, seq))
    }
    return out
  }

  /**
   * Publishes valid deltas as fast as gossipsub takes them, `batchDeltas` per message, until
   * `maxDeltas` were sent or `maxMs` passed: it stops itself.
   */
  async flood({
    maxDeltas,
    maxMs,
    batchDeltas = 256,
    valueBytes = 100,
  }: {
    maxDeltas: number
    maxMs: number
    batchDeltas?: number
    valueBytes?: number
  }): Promise<FloodResult> {
    const started = Date.now()
    const r: FloodResult = { deltas: 0, batches: 0, ms: 0, unsent: 0 }
    while (r.deltas < maxDeltas && Date.now() - started < maxMs) {
      const batch = encodeDeltas(this.makeDeltas(Math.min(batchDeltas, maxDeltas - r.deltas), { keyPrefix: 'flood-', valueBytes }))
      try {
        if ((await this.publish(batch)) === 0) r.unsent++
      } catch {
        r.unsent++
      }
      r.deltas += Math.min(batchDeltas, maxDeltas - r.deltas)
      r.batches++
    }
    r.ms = Date.now() - started
    return r
  }

  async stop(): Promise<void> {
    this.release()
    try {
      await this.p2p.stop()
    } catch {
      // Already stopping or stopped.
    }
  }
}

/** The protocol ids of the default cluster (the nodes under attack use it). */
export const SYNC_PROTOCOL = syncProtocol(DEFAULT_CLUSTER)
export const SWIM_PROTOCOL = swimProtocol(DEFAULT_CLUSTER)
export const REPLICATION_PROTOCOL = replicationProtocol(DEFAULT_CLUSTER)

/**
 * Runs `fn` while the attacker's own libp2p streams may fail under it: a flood can get this
 * test process's connection reset (the node hangs up, or pnet's cipher gives out: README,
 * Security), and libp2p then rejects an internal promise with a StreamCloseEvent (an Event,
 * not an Error) that nobody awaits. Those rejections are the attacker's problem, not the
 * node's, so they are counted here instead of failing the test; any other unhandled rejection
 * still goes to the handlers that were installed (mocha's).
 */
export async function tolerateOwnStreamResets<T>(fn: () => Promise<T>): Promise<{ result: T; resets: number }> {
  const filter = filterOwnStreamResets()
  try {
    const result = await fn()
    // Rejections of the flood's last writes surface on later turns: let them come in here.
    await new Promise((resolve) => setTimeout(resolve, 0))
    return { result, resets: filter.resets }
  } finally {
    filter.remove()
  }
}

/**
 * Counts, instead of failing the test, the attacker's own stream-close rejections (see
 * tolerateOwnStreamResets) until remove() — for a whole file of attacks: a hang-up that one
 * test earned (a ban) can surface as such a rejection during the next. The nodes under
 * attack run in other processes, so nothing of theirs is filtered; any other unhandled
 * rejection still goes to the handlers that were installed (mocha's).
 */
export function filterOwnStreamResets(): { readonly resets: number; remove: () => void } {
  const saved = process.listeners('unhandledRejection')
  let resets = 0
  const filter = (reason: unknown, promise: Promise<unknown>): void => {
    if (reason instanceof Event && 'error' in reason && 'local' in reason) {
      resets++
      return
    }
    for (const l of saved) l(reason, promise)
  }
  process.removeAllListeners('unhandledRejection')
  process.on('unhandledRejection', filter)
  return {
    get resets() {
      return resets
    },
    remove: () => {
      process.off('unhandledRejection', filter)
      for (const l of saved) if (!process.listeners('unhandledRejection').includes(l)) process.on('unhandledRejection', l)
    },
  }
}
