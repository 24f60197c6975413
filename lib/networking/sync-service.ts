// The sync protocol `/also-cache/<cluster>/sync/1.0.0` over libp2p: one request per stream, answered by
// one or more frames (sync-codec.ts), then the stream closes. It moves bytes only: what to
// answer comes from the handlers the node gives it (its replica), and what to ask is the
// node's decision.
//
// - range:  an origin's own deltas from its replication log (gap repair).
// - since:  everything known with hlc > T in a key-hash range, in chunks, within the
//           receiver's byte budget, hottest first (warm-up and fallback repair).
// - digest: anti-entropy: exchange digests.
// - push:   apply these deltas and say so (acknowledged writes, G6).
//
// Bounds (G7): one frame ≤ MAX_SYNC_FRAME_BYTES, read with a deadline; at most
// `maxInboundStreams` requests served at once per connection; each chunk ≤ chunkBytes.

import { lpStream } from '@libp2p/utils'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import { chunkDeltas, decodeDeltas, encodeDeltas, type Delta, type Origin, type ReplicaDigest } from '../../crdt/index.ts'
import { AlsoCacheError, DecodeError } from '../errors.ts'
import { decodeSyncMessage, encodeSyncMessage, MAX_SYNC_FRAME_BYTES, type SyncMessage } from './sync-codec.ts'

/**
 * The sync protocol id of a cluster: with the name in the id, a node never serves repair,
 * warm-up, digests or acknowledged pushes to a node of another cluster, nor asks one for them
 * (the stream is refused at negotiation: UnsupportedProtocolError).
 */
export const syncProtocol = (cluster: string): string => `/also-cache/${cluster}/sync/1.0.0`

/**
 * lpStream's framing errors: a length prefix over the bound or not a varint. They are bad
 * input like a DecodeError and count toward a ban (a truncated stream is not: a peer may die).
 */
export const FRAMING_ERRORS: ReadonlySet<string> = new Set(['InvalidDataLengthError', 'InvalidDataLengthLengthError', 'InvalidMessageLengthError'])

/** What the node answers with. Each runs synchronously against the local replica. */
export interface SyncHandlers {
  /** This node's own deltas from..to, at most maxBytes of them; undefined: no longer logged. */
  range(origin: Origin, from: number, to: number, maxBytes: number): Delta[] | undefined | 'not-mine'
  /** Everything with hlc > `hlc` whose key hash is in [lo, hi), hottest first (lazy). */
  since(hlc: number, lo: number, hi: number): Iterable<Delta>
  /** Takes the peer's digest, returns ours. */
  digest(remote: ReplicaDigest, from: string): ReplicaDigest
  /** Applies pushed deltas; returns how many changed state. */
  push(deltas: Delta[], from: string): number
  /** A peer sent bytes that do not decode (counted; the node may hang up on it). */
  malformed(from: string, err: DecodeError): void
}

export interface SyncServiceInit {
  /** The cluster name: the protocol is syncProtocol(cluster). */
  cluster: string
  handlers: SyncHandlers
  registrar: Registrar
  connectionManager: ConnectionManager
  /** Bytes per since() chunk. @default 256 KiB */
  chunkBytes?: number
  /**
   * Idle deadline of one request: given up when no frame arrives (or, serving, none can be
   * sent) for this long. A long since() is fine as long as it moves. @default 10 s
   */
  requestTimeoutMs?: number
  /** Requests served at once per connection. @default 16 */
  maxInboundStreams?: number
}

export const DEFAULT_SYNC_CHUNK_BYTES = 256 * 1024
export const DEFAULT_SYNC_REQUEST_TIMEOUT_MS = 10_000
export const DEFAULT_SYNC_MAX_INBOUND_STREAMS = 16

/** A sync request that failed: the peer refused it, broke the stream, or timed out. */
export class SyncError extends AlsoCacheError {
  readonly peer: string
  constructor(peer: string, message: string, options?: ErrorOptions) {
    super('ERR_SYNC_FAILED', `sync with ${peer} failed: ${message}`, options)
    this.peer = peer
  }
}

/**
 * A deadline that moves: aborts when nothing has happened for `ms` (touch() restarts it).
 * A large since() takes as long as it takes; only a stalled one is given up on.
 */
class IdleDeadline {
  readonly #controller = new AbortController()
  readonly #ms: number
  #timer: ReturnType<typeof setTimeout>

  constructor(ms: number) {
    this.#ms = ms
    this.#timer = setTimeout(() => this.#controller.abort(new Error(`no progress for ${ms} ms`)), ms)
  }

  get signal(): AbortSignal {
    return this.#controller.signal
  }

  touch(): void {
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => this.#controller.abort(new Error(`no progress for ${this.#ms} ms`)), this.#ms)
  }

  clear(): void {
    clearTimeout(this.#timer)
  }
}

export interface SinceResult {
  deltas: number
  bytes: number
  complete: boolean
}

export class SyncService {
  readonly #h: SyncHandlers
  readonly #registrar: Registrar
  readonly #connections: ConnectionManager
  readonly chunkBytes: number
  readonly requestTimeoutMs: number
  readonly #maxInbound: number
  /** This cluster's sync protocol id. */
  readonly protocol: string

  constructor(init: SyncServiceInit) {
    this.protocol = syncProtocol(init.cluster)
    this.#h = init.handlers
    this.#registrar = init.registrar
    this.#connections = init.connectionManager
    this.chunkBytes = init.chunkBytes ?? DEFAULT_SYNC_CHUNK_BYTES
    this.requestTimeoutMs = init.requestTimeoutMs ?? DEFAULT_SYNC_REQUEST_TIMEOUT_MS
    this.#maxInbound = init.maxInboundStreams ?? DEFAULT_SYNC_MAX_INBOUND_STREAMS
  }

  async start(): Promise<void> {
    await this.#registrar.handle(this.protocol, (stream, connection) => this.#serve(stream, connection), {
      maxInboundStreams: this.#maxInbound,
      maxOutboundStreams: this.#maxInbound,
    })
  }

  async stop(): Promise<void> {
    await this.#registrar.unhandle(this.protocol)
  }

  // ---- client side ----

  /** Pulls an origin's deltas from..to from the origin itself. 'unavailable': fall back to since(T). */
  async range(peer: PeerId, origin: Origin, from: number, to: number, maxBytes: number): Promise<Delta[] | 'unavailable'> {
    const out: Delta[] = []
    const res = await this.#request(peer, { kind: 'range', origin, from, to, maxBytes }, (m) => {
      if (m.kind === 'deltas') out.push(...decodeDeltas(m.batch))
    })
    return res.kind === 'unavailable' ? 'unavailable' : out
  }

  /** Streams since(hlc) over [lo, hi) from `peer`; `onChunk` applies each chunk as it lands. */
  async since(peer: PeerId, hlc: number, lo: number, hi: number, maxBytes: number, onChunk: (deltas: Delta[], bytes: number) => void): Promise<SinceResult> {
    const res = await this.#request(peer, { kind: 'since', hlc, maxBytes, rangeLo: lo, rangeHi: hi }, (m) => {
      if (m.kind === 'deltas') onChunk(decodeDeltas(m.batch), m.batch.byteLength)
    })
    if (res.kind !== 'end') throw new SyncError(peer.toString(), `since answered ${res.kind}`)
    return { deltas: res.deltas, bytes: res.bytes, complete: res.complete }
  }

  async digest(peer: PeerId, digest: ReplicaDigest): Promise<ReplicaDigest> {
    const res = await this.#request(peer, { kind: 'digest', digest }, () => {})
    if (res.kind !== 'digestReply') throw new SyncError(peer.toString(), `digest answered ${res.kind}`)
    return res.digest
  }

  async push(peer: PeerId, deltas: readonly Delta[], signal?: AbortSignal): Promise<number> {
    const res = await this.#request(peer, { kind: 'push', batch: encodeDeltas(deltas) }, () => {}, signal)
    if (res.kind !== 'pushed') throw new SyncError(peer.toString(), `push answered ${res.kind}`)
    return res.applied
  }

  /** Sends one request; hands every intermediate frame to onFrame; returns the final frame. */
  async #request(peer: PeerId, req: SyncMessage, onFrame: (m: SyncMessage) => void, signal?: AbortSignal): Promise<SyncMessage> {
    const idle = new IdleDeadline(this.requestTimeoutMs)
    const abort = signal === undefined ? idle.signal : AbortSignal.any([idle.signal, signal])
    let stream: Stream | undefined
    try {
      stream = await this.#connections.openStream(peer, this.protocol, { signal: abort })
      const lp = lpStream(stream, { maxDataLength: MAX_SYNC_FRAME_BYTES })
      await lp.write(encodeSyncMessage(req), { signal: abort })
      for (;;) {
        const m = decodeSyncMessage((await lp.read({ signal: abort })).subarray())
        idle.touch()
        if (m.kind === 'deltas') {
          onFrame(m)
          continue
        }
        if (m.kind === 'refused') throw new SyncError(peer.toString(), `refused: ${m.reason}`)
        await stream.close({ signal: abort }).catch(() => {})
        return m
      }
    } catch (err) {
      stream?.abort(err instanceof Error ? err : new Error(String(err)))
      if (err instanceof SyncError) throw err
      throw new SyncError(peer.toString(), err instanceof Error ? err.message : String(err), { cause: err })
    } finally {
      idle.clear()
    }
  }

  // ---- server side ----

  async #serve(stream: Stream, connection: Connection): Promise<void> {
    const from = connection.remotePeer.toString()
    const idle = new IdleDeadline(this.requestTimeoutMs)
    const signal = idle.signal
    const lp = lpStream(stream, { maxDataLength: MAX_SYNC_FRAME_BYTES })
    try {
      let req: SyncMessage
      try {
        req = decodeSyncMessage((await lp.read({ signal })).subarray())
      } catch (err) {
        if (err instanceof DecodeError) this.#h.malformed(from, err)
        else if (FRAMING_ERRORS.has((err as Error).name)) this.#h.malformed(from, new DecodeError('ERR_DECODE_LIMIT', (err as Error).message))
        throw err
      }
      // Each frame that leaves moves the deadline: a reader that stops reading stalls us.
      const send = async (m: SyncMessage): Promise<void> => {
        await lp.write(encodeSyncMessage(m), { signal })
        idle.touch()
      }
      switch (req.kind) {
        case 'range': {
          const deltas = this.#h.range(req.origin, req.from, req.to, req.maxBytes)
          if (deltas === 'not-mine') await send({ kind: 'refused', reason: 'ask the origin itself for its range' })
          else if (deltas === undefined) await send({ kind: 'unavailable', firstSeq: 0 })
          else {
            for (const chunk of chunkDeltas(deltas, { chunkBytes: this.chunkBytes })) await send({ kind: 'deltas', batch: encodeDeltas(chunk) })
            await send({ kind: 'end', deltas: deltas.length, bytes: 0, complete: true })
          }
          break
        }
        case 'since': {
          // Whether the budget cut the stream short: the source tells when it ran dry.
          let exhausted = false
          const source = this.#h.since(req.hlc, req.rangeLo, req.rangeHi)
          const tracked = (function* () {
            yield* source
            exhausted = true
          })()
          let deltas = 0
          let bytes = 0
          for (const chunk of chunkDeltas(tracked, { chunkBytes: this.chunkBytes, budgetBytes: req.maxBytes })) {
            const batch = encodeDeltas(chunk)
            await send({ kind: 'deltas', batch })
            deltas += chunk.length
            bytes += batch.byteLength
          }
          await send({ kind: 'end', deltas, bytes, complete: exhausted })
          break
        }
        case 'digest':
          await send({ kind: 'digestReply', digest: this.#h.digest(req.digest, from) })
          break
        case 'push': {
          let deltas: Delta[]
          try {
            deltas = decodeDeltas(req.batch)
          } catch (err) {
            if (err instanceof DecodeError) this.#h.malformed(from, err)
            throw err
          }
          await send({ kind: 'pushed', applied: this.#h.push(deltas, from) })
          break
        }
        default:
          await send({ kind: 'refused', reason: `${req.kind} is not a request` })
      }
      await stream.close({ signal }).catch(() => {})
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    } finally {
      idle.clear()
    }
  }
}
