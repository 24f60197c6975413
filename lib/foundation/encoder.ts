// A growable binary writer, paired one-to-one with `Decoder` in decoder.ts (every write* has
// a read*). Round trip:
//
//   const e = new Encoder(); e.writeVarUint(300); e.writeString('k')
//   const d = new Decoder(e.finish()); d.readVarUint() === 300; d.readString(MAX) === 'k'
//
// Varints are unsigned LEB128 up to 2^53 − 1 (JS safe integers); floats are little-endian.
// The buffer doubles when full (never grows in small steps).

const INITIAL_CAPACITY_BYTES = 256
const textEncoder = new TextEncoder()

export class Encoder {
  #buf: Uint8Array
  /** Made on the first float write (and again after a growth): most encodings have none. */
  #view: DataView | undefined
  #pos = 0

  constructor(initialCapacityBytes = INITIAL_CAPACITY_BYTES) {
    this.#buf = new Uint8Array(Math.max(16, initialCapacityBytes))
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#pos
  }

  #reserve(n: number): void {
    if (this.#pos + n <= this.#buf.length) return
    let cap = this.#buf.length * 2
    while (cap < this.#pos + n) cap *= 2
    const next = new Uint8Array(cap)
    next.set(this.#buf.subarray(0, this.#pos))
    this.#buf = next
    this.#view = undefined
  }

  writeUint8(v: number): void {
    this.#reserve(1)
    this.#buf[this.#pos++] = v
  }

  /** Unsigned LEB128; `v` must be a safe non-negative integer (asserted). */
  writeVarUint(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`writeVarUint: ${v} is not a safe unsigned integer`)
    this.#reserve(8)
    while (v > 0x7f) {
      this.#buf[this.#pos++] = (v % 0x80) | 0x80
      v = Math.floor(v / 0x80)
    }
    this.#buf[this.#pos++] = v
  }

  writeFloat64(v: number): void {
    this.#reserve(8)
    this.#view ??= new DataView(this.#buf.buffer)
    this.#view.setFloat64(this.#pos, v, true)
    this.#pos += 8
  }

  /** Length-prefixed bytes. */
  writeBytes(bytes: Uint8Array): void {
    this.writeVarUint(bytes.byteLength)
    this.writeRaw(bytes)
  }

  /** Bytes without a length prefix (the reader must know the length). */
  writeRaw(bytes: Uint8Array): void {
    this.#reserve(bytes.byteLength)
    this.#buf.set(bytes, this.#pos)
    this.#pos += bytes.byteLength
  }

  /** Length-prefixed UTF-8. */
  writeString(s: string): void {
    // Fast path for ASCII, the common case for cache keys: one pass, no intermediate buffer.
    const n = s.length
    let ascii = true
    for (let i = 0; i < n; i++) {
      if (s.charCodeAt(i) > 0x7f) {
        ascii = false
        break
      }
    }
    if (ascii) {
      this.writeVarUint(n)
      this.#reserve(n)
      for (let i = 0; i < n; i++) this.#buf[this.#pos++] = s.charCodeAt(i)
      return
    }
    this.writeBytes(textEncoder.encode(s))
  }

  /** The written bytes, as a view of the internal buffer (do not write to the encoder after). */
  finish(): Uint8Array {
    return this.#buf.subarray(0, this.#pos)
  }
}

/** Bytes a varuint (LEB128) of `v` takes on the wire: what writeVarUint will write. */
export function varUintBytes(v: number): number {
  let n = 1
  while (v > 0x7f) {
    v = Math.floor(v / 0x80)
    n++
  }
  return n
}
