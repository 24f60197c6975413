// Length-prefixed frames out of a byte stream, synchronously: each chunk that arrives is cut
// into frames at once (unsigned varint length, then that many bytes: lpStream's format), so
// nothing waits in the stream's read buffer for an async reader to catch up. A frame is handed
// out as a view of the chunk it arrived in, or of a fresh buffer when it spanned chunks: either
// way its bytes are never reused, so a receiver may keep it.

/** Bad framing: a length prefix over the bound, or not a varint a bound can hold. */
export class FramingError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InvalidDataLengthError'
  }
}

/** Longest length prefix read: 5 varint bytes hold any length up to 2^35 − 1. */
export const MAX_PREFIX_BYTES = 5

export class FrameReader {
  readonly #maxFrameBytes: number
  /** The frame being assembled across chunks (its length known), or undefined. */
  #partial: Uint8Array | undefined
  #partialFilled = 0
  /** Bytes of a length prefix split across chunks. */
  #prefix: number[] = []

  constructor(maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes
  }

  /** Cuts `chunk` into frames, calling onFrame for each whole one; throws FramingError on bad framing. */
  push(chunk: Uint8Array, onFrame: (frame: Uint8Array) => void): void {
    let pos = 0
    const end = chunk.byteLength
    while (pos < end) {
      if (this.#partial !== undefined) {
        const take = Math.min(this.#partial.byteLength - this.#partialFilled, end - pos)
        this.#partial.set(chunk.subarray(pos, pos + take), this.#partialFilled)
        this.#partialFilled += take
        pos += take
        if (this.#partialFilled < this.#partial.byteLength) return
        const frame = this.#partial
        this.#partial = undefined
        onFrame(frame)
        continue
      }
      // A length prefix, possibly continued from the last chunk.
      let length = -1
      while (pos < end) {
        const b = chunk[pos++]
        this.#prefix.push(b)
        if ((b & 0x80) === 0) {
          length = this.#prefixValue()
          break
        }
        if (this.#prefix.length >= MAX_PREFIX_BYTES) throw new FramingError('frame length prefix is not a varint of at most 5 bytes')
      }
      if (length < 0) return // the prefix continues in the next chunk
      this.#prefix.length = 0
      if (length > this.#maxFrameBytes) throw new FramingError(`frame of ${length} B is over the bound of ${this.#maxFrameBytes} B`)
      if (end - pos >= length) {
        onFrame(chunk.subarray(pos, pos + length))
        pos += length
      } else {
        this.#partial = new Uint8Array(length)
        this.#partialFilled = 0
      }
    }
  }

  #prefixValue(): number {
    let v = 0
    for (let i = this.#prefix.length - 1; i >= 0; i--) v = v * 128 + (this.#prefix[i] & 0x7f)
    return v
  }
}

/** The varint length prefix of a frame of `length` bytes. */
export function lengthPrefix(length: number): Uint8Array {
  const out = new Uint8Array(prefixBytes(length))
  writePrefix(out, 0, length)
  return out
}

/** Bytes of the length prefix of a frame of `length` bytes. */
export function prefixBytes(length: number): number {
  let n = 1
  for (let v = length; v > 0x7f; v = Math.floor(v / 128)) n++
  return n
}

/** Writes the length prefix of a frame of `length` bytes at `pos`; returns the position after it. */
export function writePrefix(out: Uint8Array, pos: number, length: number): number {
  let v = length
  while (v > 0x7f) {
    out[pos++] = (v % 128) | 0x80
    v = Math.floor(v / 128)
  }
  out[pos++] = v
  return pos
}
