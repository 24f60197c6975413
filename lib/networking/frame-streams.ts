// Framed streams to peers: one long-lived outbound stream per peer carrying length-prefixed
// frames, and every inbound stream of the protocol read frame by frame. The transport of a
// protocol whose decisions live in a sans-IO core (SWIM today; replication next): the core says
// what to send to whom, this moves the bytes and reports what could not be moved.
//
// - One stream per peer, opened on the first send and kept: opening a stream per frame costs a
//   protocol negotiation each time. A stream that breaks is dropped with its queue; the next
//   send opens a fresh one.
// - Flow control is explicit. Frames wait in a per-peer queue while the stream opens or the
//   peer's muxer window is full; the queue is bounded in frames and in bytes, and a send past
//   either bound is refused (send returns false, counted), never buffered. So a slow or paused
//   peer costs at most the bound, and the caller learns it at once (a core can switch such a
//   peer to catch-up instead of sending it more).
// - Inbound frames are cut out of each chunk as it arrives, synchronously (frame-reader.ts):
//   libp2p 3 streams push what arrives and reopen the muxer window at once, so an async reader
//   that falls behind lets the stream's read buffer grow until libp2p resets the stream (4 MiB
//   by default; measured: a sender of 25 KiB frames lost its stream after 102 frames). Reading
//   synchronously keeps that buffer empty; the receiver's CPU is the only brake, as it should be.
// - A frame longer than maxFrameBytes, or a broken length prefix, from a peer is bad input:
//   onFramingError names the peer (it counts toward a ban) and the stream is closed.
// - Outbound frames go to the stream with stream.send() until it asks for 'drain'; the rest
//   wait in the bounded queue. Frame format: unsigned varint length, then the bytes (the same
//   as lpStream's, so either end may use either).

import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection, Startable, Stream, StreamMessageEvent } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import { FrameReader, FramingError, lengthPrefix, MAX_PREFIX_BYTES, prefixBytes, writePrefix } from './frame-reader.ts'

/**
 * lpStream's framing errors: a length prefix over the bound or not a varint. They are bad input
 * like a DecodeError and count toward a ban (a truncated stream is not: a peer may die).
 */
export const FRAMING_ERRORS: ReadonlySet<string> = new Set([
  'InvalidDataLengthError',
  'InvalidDataLengthLengthError',
  'InvalidMessageLengthError',
])

/**
 * Small frames are sent together, up to this many bytes per stream.send (one muxer frame, one
 * Noise message of at most 65,535 B: a larger send is split by Noise anyway).
 */
export const COALESCE_BYTES = 64 * 1024 - 64

/** Inbound and outbound streams of one protocol, per connection, that libp2p admits. */
export const DEFAULT_FRAME_STREAMS_PER_CONNECTION = 64

export interface FrameStreamsInit {
  /** The protocol id both ends negotiate. */
  protocol: string
  /** Longest frame sent or accepted. */
  maxFrameBytes: number
  /** Frames queued per peer while its stream opens or drains; past it send() refuses. */
  maxQueuedFrames: number
  /** Bytes queued per peer while its stream opens or drains; past it send() refuses. */
  maxQueuedBytes: number
  /** How long to wait for a stream to open before dropping what was queued for it. */
  openTimeoutMs: number
  /** Streams of this protocol per connection. @default 64 (DEFAULT_FRAME_STREAMS_PER_CONNECTION) */
  maxStreamsPerConnection?: number
  /** Every frame received, in order per peer. It runs before the next frame is read. */
  onFrame: (from: string, frame: Uint8Array) => void
  /** A peer's framing was bad (a length over maxFrameBytes, or a broken prefix). */
  onFramingError?: (from: string) => void
  /** Frames for `to` of `bytes` bytes in all left its queue: handed to the stream (a core's queue accounting). */
  onSent?: (to: string, bytes: number) => void
  /** Frames for `to` of `bytes` bytes in all were dropped from its queue (the stream would not open, or broke). */
  onDropped?: (to: string, bytes: number) => void
}

export interface FrameStreamsComponents {
  registrar: Registrar
  connectionManager: ConnectionManager
}

export interface FrameStreamsStats {
  framesSent: number
  bytesSent: number
  framesReceived: number
  bytesReceived: number
  /** Sends refused: the peer's queue was at its bound, or the frame was over maxFrameBytes. */
  refused: number
  /** Frames queued and then lost: the stream would not open, or broke. */
  dropped: number
}

interface Outbound {
  readonly to: string
  /** The stream, once open; undefined while it opens. */
  stream: Stream | undefined
  /** Frames not yet handed to the stream. */
  queue: Uint8Array[]
  queuedBytes: number
  opening: boolean
  /** A pump is due in a microtask (sends of one burst go out together). */
  scheduled: boolean
}

export class FrameStreams implements Startable {
  readonly #components: FrameStreamsComponents
  readonly #init: FrameStreamsInit
  readonly #outbound = new Map<string, Outbound>()
  #running = false
  readonly stats: FrameStreamsStats = { framesSent: 0, bytesSent: 0, framesReceived: 0, bytesReceived: 0, refused: 0, dropped: 0 }

  constructor(components: FrameStreamsComponents, init: FrameStreamsInit) {
    this.#components = components
    this.#init = init
  }

  get protocol(): string {
    return this.#init.protocol
  }

  async start(): Promise<void> {
    const streams = this.#init.maxStreamsPerConnection ?? DEFAULT_FRAME_STREAMS_PER_CONNECTION
    await this.#components.registrar.handle(this.#init.protocol, (stream, connection) => this.#read(stream, connection), {
      maxInboundStreams: streams,
      maxOutboundStreams: streams,
    })
    this.#running = true
  }

  async stop(): Promise<void> {
    this.#running = false
    await this.#components.registrar.unhandle(this.#init.protocol)
    for (const to of [...this.#outbound.keys()]) this.close(to, 'stopping')
  }

  /**
   * Queues `frame` for `to` and returns true, or refuses it (false) when the peer's queue is at
   * its bound, the frame is longer than maxFrameBytes, or the service is stopped. The same
   * Uint8Array may be sent to many peers: it is never modified.
   */
  send(to: string, frame: Uint8Array): boolean {
    if (!this.#running || frame.byteLength > this.#init.maxFrameBytes) {
      this.stats.refused++
      return false
    }
    let o = this.#outbound.get(to)
    if (o === undefined) {
      o = { to, stream: undefined, queue: [], queuedBytes: 0, opening: false, scheduled: false }
      this.#outbound.set(to, o)
    }
    if (o.queue.length >= this.#init.maxQueuedFrames || o.queuedBytes + frame.byteLength > this.#init.maxQueuedBytes) {
      this.stats.refused++
      return false
    }
    o.queue.push(frame)
    o.queuedBytes += frame.byteLength
    if (o.stream !== undefined) this.#schedule(o)
    else if (!o.opening) void this.#open(to, o)
    return true
  }

  /** Bytes queued for `to` and not yet handed to its stream. */
  queuedBytes(to: string): number {
    return this.#outbound.get(to)?.queuedBytes ?? 0
  }

  /** Closes the stream to `to` and drops its queue (the peer is dead, left, or being reset). */
  close(to: string, reason: string): void {
    const o = this.#outbound.get(to)
    if (o === undefined) return
    this.#outbound.delete(to)
    this.stats.dropped += o.queue.length
    const bytes = o.queuedBytes
    o.queue.length = 0
    o.queuedBytes = 0
    if (bytes > 0) this.#init.onDropped?.(to, bytes)
    o.stream?.abort(new Error(`frame stream closed: ${reason}`))
  }

  async #open(to: string, o: Outbound): Promise<void> {
    o.opening = true
    let stream: Stream
    try {
      stream = await this.#components.connectionManager.openStream(peerIdFromString(to), this.#init.protocol, {
        signal: AbortSignal.timeout(this.#init.openTimeoutMs),
      })
    } catch {
      // Unreachable: what was queued is lost (the core's own timeouts and repair decide what
      // to do about it); the next send tries again.
      o.opening = false
      if (this.#outbound.get(to) === o) this.close(to, 'open failed')
      return
    }
    o.opening = false
    if (this.#outbound.get(to) !== o) {
      stream.abort(new Error('frame stream closed while opening'))
      return
    }
    o.stream = stream
    stream.addEventListener('drain', () => this.#pump(o))
    stream.addEventListener('close', () => {
      // Broken, reset or aborted: drop what is queued; the next send opens a fresh stream.
      if (this.#outbound.get(to) === o) this.close(to, 'stream closed')
    })
    this.#pump(o)
  }

  /** Pumps once the current burst of sends is over, so that its frames share sends. */
  #schedule(o: Outbound): void {
    if (o.scheduled) return
    o.scheduled = true
    queueMicrotask(() => {
      o.scheduled = false
      this.#pump(o)
    })
  }

  /**
   * Hands queued frames to the stream until its send buffer asks us to wait ('drain' calls
   * this again). Small frames are coalesced, with their length prefixes, into one buffer of up
   * to COALESCE_BYTES per send: each send costs a muxer frame and an encryption, so a send per
   * frame ran 5× slower on 100 B frames (measured). The stream holds at most one such buffer
   * past its own threshold; the rest waits in the bounded queue, where send() can refuse more.
   */
  #pump(o: Outbound): void {
    const stream = o.stream
    if (stream === undefined) return
    const queuedBefore = o.queuedBytes
    try {
      while (o.queue.length > 0 && !stream.writableNeedsDrain && stream.status === 'open') {
        const first = o.queue[0]
        if (first.byteLength + MAX_PREFIX_BYTES >= COALESCE_BYTES) {
          // A large frame goes as it is, after its prefix: no copy.
          o.queue.shift()
          this.#sent(o, first)
          stream.send(lengthPrefix(first.byteLength))
          stream.send(first)
          continue
        }
        let n = 0
        let size = 0
        while (n < o.queue.length) {
          const f = o.queue[n]
          const framed = prefixBytes(f.byteLength) + f.byteLength
          if (size + framed > COALESCE_BYTES) break
          size += framed
          n++
        }
        const chunk = new Uint8Array(size)
        let pos = 0
        for (const f of o.queue.splice(0, n)) {
          pos = writePrefix(chunk, pos, f.byteLength)
          chunk.set(f, pos)
          pos += f.byteLength
          this.#sent(o, f)
        }
        stream.send(chunk)
      }
    } catch {
      // The stream closed under us ('close' drops the queue).
      stream.abort(new Error('frame stream send failed'))
    }
    // Once per pump, not per frame: a burst of small frames is one report.
    const sent = queuedBefore - o.queuedBytes
    if (sent > 0) this.#init.onSent?.(o.to, sent)
  }

  #sent(o: Outbound, frame: Uint8Array): void {
    o.queuedBytes -= frame.byteLength
    this.stats.framesSent++
    this.stats.bytesSent += frame.byteLength
  }

  #read(stream: Stream, connection: Connection): void {
    const from = connection.remotePeer.toString()
    const reader = new FrameReader(this.#init.maxFrameBytes)
    const onFrame = (frame: Uint8Array): void => {
      this.stats.framesReceived++
      this.stats.bytesReceived += frame.byteLength
      this.#init.onFrame(from, frame)
    }
    // Inbound streams are only read: when the sender closes its end, close ours.
    stream.addEventListener('remoteCloseWrite', () => stream.abort(new Error('frame stream ended by the sender')))
    stream.addEventListener('message', (e: StreamMessageEvent) => {
      try {
        reader.push(e.data instanceof Uint8Array ? e.data : e.data.subarray(), onFrame)
      } catch (err) {
        // Bad framing is bad input: it counts toward a ban. Anything else threw in onFrame: ours.
        if (err instanceof FramingError) this.#init.onFramingError?.(from)
        stream.abort(err instanceof Error ? err : new Error(String(err)))
      }
    })
  }
}
