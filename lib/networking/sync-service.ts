// The sync protocol `/also-cache/<cluster>/sync/1.0.0` over libp2p: one request per stream, answered by
// one or more frames (sync-codec.ts), then the stream closes. It moves bytes only: what to
// answer comes from the handlers the node gives it (its replica), and what to ask is the
// node's decision.
//
// - range:  an origin's own deltas from its replication log (gap repair).
// - since:  everything known with hlc > T in a key-hash range, in chunks, within the
//           receiver's byte budget, hottest first (warm-up and fallback repair).
//   Both range and since send what the requester cannot store (its entryBytesMax), and what
//   no peer could decode, as ghosts of their versions, and leave out what cannot travel at all
//   (crdt/chunks.ts): one bad delta never fails a request, so it cannot stall a repair.
// - digest: anti-entropy: exchange digests.
// - push:   apply these deltas and say so (acknowledged writes, G6).
//
// Bounds (G7): one frame ≤ MAX_SYNC_FRAME_BYTES, read with a deadline; at most
// `maxInboundStreams` requests served at once per connection; each chunk ≤ chunkBytes.

import { lpStream } from '@libp2p/utils'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import {
  decodeDeltas,
  encodeChunks,
  encodeDeltas,
  newChunkTally,
  type ChunkTally,
  type Delta,
  type Origin,
  type ReplicaDigest,
} from '../../crdt/index.ts'
import { AlsoCacheError, DecodeError } from '../foundation/index.ts'
import { FRAMING_ERRORS } from './frame-streams.ts'
import { decodeSyncMessage, encodeSyncMessage, MAX_SYNC_FRAME_BYTES, type PushOutcome, type SyncMessage } from './sync-codec.ts'

export type { PushOutcome } from './sync-codec.ts'
/**
 * The sync protocol id of a cluster: with the name in the id, a node never serves repair,
 * warm-up, digests or acknowledged pushes to a node of another cluster, nor asks one for them
 * (the stream is refused at negotiation: UnsupportedProtocolError).
 */
export const syncProtocol = (cluster: string): string => `/also-cache/${cluster}/sync/1.0.0`


/** What the node answers with. Each runs synchronously against the local replica. */
export interface SyncHandlers {
  /** This node's own deltas from..to, at most maxBytes of them; undefined: no longer logged. */
  range(origin: Origin, from: number, to: number, maxBytes: number): Delta[] | undefined | 'not-mine'
  /** Everything with hlc > `hlc` whose key hash is in [lo, hi), hottest first (lazy). */
  since(hlc: number, lo: number, hi: number): Iterable<Delta>
  /** Takes the peer's digest, returns ours. */
  digest(remote: ReplicaDigest, from: string): ReplicaDigest
  /** Applies pushed deltas; returns what each did, in order (acknowledged writes, G6). */
  push(deltas: Delta[], from: string): PushOutcome[]
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

/** What this node changed or left out while serving range and since (a bug of ours, or a peer's small store). */
export interface SyncServedStats {
  /** Sets and merges sent as ghosts: the requester's store could not hold their values. */
  ghostsTooLarge: number
  /** Deltas no peer could decode (out of the wire's bounds), sent as ghosts of their versions. */
  ghostsUndecodable: number
  /** Deltas left out: not even their ghosts could travel. */
  skipped: number
}

/** No entryBytesMax: the requester takes any value (a store with its own sizeOf cannot say). */
export const UNBOUNDED_ENTRY_BYTES = Number.MAX_SAFE_INTEGER

export class SyncService {
  readonly #h: SyncHandlers
  readonly #registrar: Registrar
  readonly #connections: ConnectionManager
  readonly chunkBytes: number
  readonly requestTimeoutMs: number
  readonly #maxInbound: number
  readonly served: SyncServedStats = { ghostsTooLarge: 0, ghostsUndecodable: 0, skipped: 0 }
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

  /**
   * Pulls an origin's deltas from..to from the origin itself. 'unavailable': fall back to
   * since(T). Values over `entryBytesMax` (UTF-8 key + value bytes) come as ghosts.
   */
  async range(
    peer: PeerId,
    origin: Origin,
    from: number,
    to: number,
    maxBytes: number,
    entryBytesMax = UNBOUNDED_ENTRY_BYTES,
  ): Promise<Delta[] | 'unavailable'> {
    const out: Delta[] = []
    const res = await this.#request(peer, { kind: 'range', origin, from, to, maxBytes, entryBytesMax }, (m) => {
      if (m.kind === 'deltas') out.push(...decodeDeltas(m.batch))
    })
    return res.kind === 'unavailable' ? 'unavailable' : out
  }

  /**
   * Streams since(hlc) over [lo, hi) from `peer`; `onChunk` applies each chunk as it lands.
   * Values over `entryBytesMax` come as ghosts and do not count toward `maxBytes`.
   */
  async since(
    peer: PeerId,
    hlc: number,
    lo: number,
    hi: number,
    maxBytes: number,
    onChunk: (deltas: Delta[], bytes: number) => void,
    entryBytesMax = UNBOUNDED_ENTRY_BYTES,
  ): Promise<SinceResult> {
    const res = await this.#request(peer, { kind: 'since', hlc, maxBytes, rangeLo: lo, rangeHi: hi, entryBytesMax }, (m) => {
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

  /** Pushes deltas for the peer to apply; resolves with what each did there, in order. */
  async push(peer: PeerId, deltas: readonly Delta[], signal?: AbortSignal): Promise<PushOutcome[]> {
    const res = await this.#request(peer, { kind: 'push', batch: encodeDeltas(deltas) }, () => {}, signal)
    if (res.kind !== 'pushed') throw new SyncError(peer.toString(), `push answered ${res.kind}`)
    if (res.outcomes.length !== deltas.length) {
      throw new SyncError(peer.toString(), `push of ${deltas.length} deltas answered ${res.outcomes.length} outcomes`)
    }
    return res.outcomes
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

  #count(t: ChunkTally): void {
    this.served.ghostsTooLarge += t.tooLarge
    this.served.ghostsUndecodable += t.unsendable
    this.served.skipped += t.skipped
  }

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
        else if (FRAMING_ERRORS.has((err as Error).name)) {
          this.#h.malformed(from, new DecodeError('ERR_DECODE_LIMIT', (err as Error).message))
        }
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
            const tally = newChunkTally()
            try {
              for (const batch of encodeChunks(deltas, { chunkBytes: this.chunkBytes, entryBytesMax: req.entryBytesMax, tally })) {
                await send({ kind: 'deltas', batch })
              }
            } finally {
              this.#count(tally)
            }
            await send({ kind: 'end', deltas: tally.deltas, bytes: 0, complete: true })
          }
          break
        }
        case 'since': {
          // complete: the budget did not cut the stream (what was left out could never travel:
          // nobody should wait for it).
          const tally = newChunkTally()
          let bytes = 0
          const source = this.#h.since(req.hlc, req.rangeLo, req.rangeHi)
          try {
            for (const batch of encodeChunks(source, {
              chunkBytes: this.chunkBytes,
              budgetBytes: req.maxBytes,
              entryBytesMax: req.entryBytesMax,
              tally,
            })) {
              await send({ kind: 'deltas', batch })
              bytes += batch.byteLength
            }
          } finally {
            this.#count(tally)
          }
          await send({ kind: 'end', deltas: tally.deltas, bytes, complete: !tally.cut })
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
          await send({ kind: 'pushed', outcomes: this.#h.push(deltas, from) })
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
