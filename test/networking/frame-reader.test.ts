// FrameReader (lib/networking/frame-reader.ts): frames cut out of chunks whatever the chunk
// boundaries, bad framing refused with FramingError and nothing else.
import { expect } from 'chai'
import fc from 'fast-check'
import { FrameReader, FramingError, lengthPrefix, prefixBytes, writePrefix } from '../../lib/networking/frame-reader.ts'

function framed(frames: Uint8Array[]): Uint8Array {
  const size = frames.reduce((n, f) => n + prefixBytes(f.byteLength) + f.byteLength, 0)
  const out = new Uint8Array(size)
  let pos = 0
  for (const f of frames) {
    pos = writePrefix(out, pos, f.byteLength)
    out.set(f, pos)
    pos += f.byteLength
  }
  return out
}

function cut(bytes: Uint8Array, at: number[]): Uint8Array[] {
  const points = [...new Set(at.map((p) => p % (bytes.byteLength + 1)))].sort((a, b) => a - b)
  const chunks: Uint8Array[] = []
  let prev = 0
  for (const p of [...points, bytes.byteLength]) {
    if (p > prev) chunks.push(bytes.slice(prev, p))
    prev = Math.max(prev, p)
  }
  return chunks
}

describe('networking: frame reader', () => {
  it('gives back every frame whole and in order, wherever the chunks are cut (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 30 }),
        fc.array(fc.nat(20_000), { maxLength: 40 }),
        (frames, at) => {
          const reader = new FrameReader(1024)
          const out: number[][] = []
          for (const chunk of cut(framed(frames), at)) reader.push(chunk, (f) => out.push([...f]))
          expect(out).to.deep.equal(frames.map((f) => [...f]))
        },
      ),
      { numRuns: 500 },
    )
  })

  it('splits a length prefix across chunks (a 300 B frame, prefix 2 bytes, one byte per chunk)', () => {
    const frame = new Uint8Array(300).fill(7)
    const bytes = framed([frame])
    const reader = new FrameReader(1024)
    const out: Uint8Array[] = []
    for (const b of bytes) reader.push(Uint8Array.of(b), (f) => out.push(f))
    expect(out).to.have.length(1)
    expect([...out[0]]).to.deep.equal([...frame])
  })

  it('refuses a length over the bound, and a prefix longer than 5 bytes, with FramingError', () => {
    expect(() => new FrameReader(100).push(lengthPrefix(101), () => {})).to.throw(FramingError, /101 B is over the bound of 100 B/)
    expect(() => new FrameReader(100).push(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x01), () => {})).to.throw(FramingError)
  })

  it('throws only FramingError on random bytes (20,000 inputs)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(300), { maxLength: 5 }), (bytes, at) => {
        const reader = new FrameReader(64)
        try {
          for (const chunk of cut(bytes, at)) reader.push(chunk, () => {})
        } catch (err) {
          expect(err).to.be.instanceOf(FramingError)
        }
      }),
      { numRuns: 20_000 },
    )
  })
})
