// FrameStreams (lib/networking/frame-streams.ts) between two libp2p nodes on loopback: frames
// arrive whole and in order; a peer that stops reading costs the sender at most its queue
// bound (sends past it are refused at once); bad framing from a peer is reported; close and
// stop drop what is queued.
import { expect } from 'chai'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { lpStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import { FrameStreams, type FrameStreamsComponents, type FrameStreamsInit } from '../../lib/networking/frame-streams.ts'
import { waitFor } from '../support/cluster.ts'

const PROTOCOL = '/also-cache/test/frames/1.0.0'

interface Peer {
  p2p: Libp2p<{ frames: FrameStreams }>
  frames: FrameStreams
  received: { from: string; frame: Uint8Array }[]
  framingErrors: string[]
}

const started: Libp2p[] = []

async function peer(init: Partial<FrameStreamsInit> = {}): Promise<Peer> {
  const received: Peer['received'] = []
  const framingErrors: string[] = []
  const p2p = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionMonitor: { enabled: false },
    services: {
      frames: (components: FrameStreamsComponents) =>
        new FrameStreams(components, {
          protocol: PROTOCOL,
          maxFrameBytes: 64 * 1024,
          maxQueuedFrames: 1_000_000,
          maxQueuedBytes: 1024 * 1024,
          openTimeoutMs: 2_000,
          onFrame: (from, frame) => received.push({ from, frame: frame.slice() }),
          onFramingError: (from) => framingErrors.push(from),
          ...init,
        }),
    },
  })
  started.push(p2p)
  return { p2p, frames: p2p.services.frames, received, framingErrors }
}

/** A dials B; returns once both ends see the connection (B opens its streams to A on it). */
async function connect(a: Peer, b: Peer): Promise<void> {
  await a.p2p.dial(b.p2p.getMultiaddrs()[0])
  await waitFor(() => b.p2p.getConnections(a.p2p.peerId).length > 0, { timeoutMs: 5_000, what: 'the connection on both ends' })
}

const frameOf = (i: number, bytes = 16): Uint8Array => {
  const f = new Uint8Array(bytes)
  new DataView(f.buffer).setUint32(0, i)
  return f
}
const indexOf = (f: Uint8Array): number => new DataView(f.buffer, f.byteOffset, f.byteLength).getUint32(0)

describe('networking: frame streams', function () {
  this.timeout(30_000)

  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => Promise.resolve(p.stop()).catch(() => {})))
  })

  it('carries 20,000 frames each way, whole and in order, on one stream per peer', async () => {
    const a = await peer({ maxQueuedBytes: 16 * 1024 * 1024 })
    const b = await peer({ maxQueuedBytes: 16 * 1024 * 1024 })
    await connect(a, b)
    const n = 20_000
    for (let i = 0; i < n; i++) {
      expect(a.frames.send(b.p2p.peerId.toString(), frameOf(i, 16 + (i % 200)))).to.equal(true)
      expect(b.frames.send(a.p2p.peerId.toString(), frameOf(i))).to.equal(true)
    }
    await waitFor(() => a.received.length === n && b.received.length === n, { timeoutMs: 20_000, what: 'every frame' })
    expect(b.received.map((r) => indexOf(r.frame))).to.deep.equal([...Array(n).keys()])
    expect(b.received.every((r, i) => r.from === a.p2p.peerId.toString() && r.frame.byteLength === 16 + (i % 200))).to.equal(true)
    expect(a.received.map((r) => indexOf(r.frame))).to.deep.equal([...Array(n).keys()])
    const streams = a.p2p.getConnections(b.p2p.peerId).flatMap((c) => c.streams).filter((s) => s.protocol === PROTOCOL)
    expect(streams.filter((s) => s.direction === 'outbound')).to.have.length(1)
    expect(a.frames.stats.refused + a.frames.stats.dropped).to.equal(0)
  })

  it('a peer that stops reading costs the sender at most its queue bound; sends past it are refused', async () => {
    const a = await peer({ maxQueuedBytes: 256 * 1024 })
    const b = await peer()
    // B takes the protocol over with a handler that accepts streams and pauses them: a libp2p 3
    // stream pushes what arrives to its listeners and reopens the muxer window at once unless
    // it is paused; a paused one holds the window shut, as a stopped process's full socket does.
    const held: Stream[] = []
    await b.p2p.unhandle(PROTOCOL)
    await b.p2p.handle(PROTOCOL, (stream) => {
      stream.pause()
      held.push(stream)
    })
    await connect(a, b)
    const to = b.p2p.peerId.toString()
    const frame = new Uint8Array(8 * 1024)
    let accepted = 0
    let refused = 0
    // 64 MiB offered; yamux's window and the queue bound together hold a few hundred KiB.
    for (let round = 0; round < 256 && refused < 1000; round++) {
      for (let i = 0; i < 32; i++) {
        if (a.frames.send(to, frame)) accepted++
        else refused++
      }
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(refused, 'sends were refused once the queue was full').to.be.greaterThan(0)
    expect(a.frames.queuedBytes(to)).to.be.at.most(256 * 1024)
    expect(accepted * frame.byteLength, 'what was accepted: the queue plus the muxer window').to.be.below(8 * 1024 * 1024)
    expect(a.frames.stats.refused).to.equal(refused)
    // Closing the stream drops the queue; the next send opens a fresh stream.
    a.frames.close(to, 'test')
    expect(a.frames.queuedBytes(to)).to.equal(0)
    expect(a.frames.stats.dropped).to.be.greaterThan(0)
    for (const s of held) s.abort(new Error('test over'))
  })

  it('refuses a frame over maxFrameBytes on send, and reports a peer that sends one', async () => {
    const a = await peer()
    const b = await peer()
    await connect(a, b)
    expect(a.frames.send(b.p2p.peerId.toString(), new Uint8Array(64 * 1024 + 1))).to.equal(false)
    // A raw stream writes a length prefix over B's bound.
    const stream = await a.p2p.dialProtocol(b.p2p.peerId, PROTOCOL)
    const lp = lpStream(stream, { maxDataLength: 1024 * 1024 })
    await Promise.resolve(lp.write(new Uint8Array(100 * 1024))).catch(() => {})
    await waitFor(() => b.framingErrors.length === 1, { timeoutMs: 10_000, what: 'the framing error' })
    expect(b.framingErrors).to.deep.equal([a.p2p.peerId.toString()])
    expect(b.received).to.have.length(0)
  })

  it('refuses sends after stop, and stop drops what was queued', async () => {
    const a = await peer()
    const b = await peer()
    await connect(a, b)
    await a.frames.stop()
    expect(a.frames.send(b.p2p.peerId.toString(), frameOf(1))).to.equal(false)
    expect(a.frames.stats.refused).to.equal(1)
  })
})
