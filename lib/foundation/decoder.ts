// The reader paired with `Encoder` (see encoder.ts for the round trip). Every read checks the
// remaining input first: running out is DecodeError 'ERR_DECODE_TRUNCATED', a value that is
// complete but invalid is 'ERR_DECODE_MALFORMED', and every length or count off the wire is
// checked against a caller-given bound before anything is allocated ('ERR_DECODE_LIMIT').
//
// Byte views returned by readBytes/readRaw ALIAS the input buffer: copy them before they
// outlive the message (the replica copies values before they enter the store).

import { DecodeError, DecodeErrorCode } from './errors.ts'

const textDecoder = new TextDecoder('utf-8', { fatal: true })
const MAX_ASCII_FAST_PATH_BYTES = 1024

export class Decoder {
  readonly #buf: Uint8Array
  /** Made on the first float read: most messages have none, and a DataView costs an allocation. */
  #view: DataView | undefined
  #pos = 0

  constructor(bytes: Uint8Array) {
    this.#buf = bytes
  }

  get position(): number {
    return this.#pos
  }

  get remaining(): number {
    return this.#buf.byteLength - this.#pos
  }

  #need(n: number, what: string): void {
    if (this.#buf.byteLength - this.#pos < n) {
      throw new DecodeError(DecodeErrorCode.truncated, `input ended inside ${what} at byte ${this.#pos}`)
    }
  }

  readUint8(): number {
    this.#need(1, 'a byte')
    return this.#buf[this.#pos++]
  }

  /** Unsigned LEB128 up to 2^53 − 1; longer encodings are malformed. */
  readVarUint(): number {
    let result = 0
    let mul = 1
    for (let i = 0; i < 8; i++) {
      this.#need(1, 'a varint')
      const b = this.#buf[this.#pos++]
      result += (b & 0x7f) * mul
      if (b < 0x80) {
        if (!Number.isSafeInteger(result)) break
        return result
      }
      mul *= 0x80
    }
    throw new DecodeError(DecodeErrorCode.malformed, `varint at byte ${this.#pos} exceeds 2^53 - 1`)
  }

  /** A varint that must be ≤ `max` (a named bound): checked before the caller allocates. */
  readBoundedVarUint(max: number, what: string): number {
    const v = this.readVarUint()
    if (v > max) throw new DecodeError(DecodeErrorCode.limit, `${what} ${v} exceeds its bound ${max}`)
    return v
  }

  /** A length ≤ maxBytes; the error text is built only when it is needed (hot path). */
  #readLength(maxBytes: number, what: string): number {
    const n = this.readVarUint()
    if (n > maxBytes) throw new DecodeError(DecodeErrorCode.limit, `${what} length ${n} exceeds its bound ${maxBytes}`)
    return n
  }

  readFloat64(): number {
    this.#need(8, 'a float64')
    this.#view ??= new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.byteLength)
    const v = this.#view.getFloat64(this.#pos, true)
    this.#pos += 8
    return v
  }

  /** Length-prefixed bytes, length ≤ maxBytes. The view aliases the input. */
  readBytes(maxBytes: number, what = 'byte string'): Uint8Array {
    const n = this.#readLength(maxBytes, what)
    return this.readRaw(n, what)
  }

  /**
   * Steps over exactly n bytes (checked as readRaw is) and returns where they start in
   * `bytes`: for callers that look at them in place instead of taking a view.
   */
  skip(n: number, what = 'bytes'): number {
    this.#need(n, what)
    const at = this.#pos
    this.#pos += n
    return at
  }

  /** The whole input (see skip). */
  get bytes(): Uint8Array {
    return this.#buf
  }

  /** Exactly n bytes. The view aliases the input. */
  readRaw(n: number, what = 'bytes'): Uint8Array {
    this.#need(n, what)
    const v = this.#buf.subarray(this.#pos, this.#pos + n)
    this.#pos += n
    return v
  }

  /** Length-prefixed UTF-8 of at most maxBytes bytes; invalid UTF-8 is malformed. */
  readString(maxBytes: number, what = 'string'): string {
    const n = this.#readLength(maxBytes, what)
    this.#need(n, what)
    const start = this.#pos
    const end = start + n
    this.#pos = end
    // Fast path for short ASCII (keys): no TextDecoder call. Bounded so that the spread of
    // arguments stays far below the engine's argument limit.
    let ascii = n <= MAX_ASCII_FAST_PATH_BYTES
    for (let i = start; i < end; i++) {
      if (!ascii) break
      if (this.#buf[i] > 0x7f) ascii = false
    }
    if (ascii) return n === 0 ? '' : String.fromCharCode.apply(null, this.#buf.subarray(start, end) as unknown as number[])
    try {
      return textDecoder.decode(this.#buf.subarray(start, end))
    } catch {
      throw new DecodeError(DecodeErrorCode.malformed, `${what} at byte ${start} is not valid UTF-8`)
    }
  }

  /** Asserts the whole input was consumed: trailing bytes are malformed. */
  expectEnd(what = 'message'): void {
    if (this.#pos !== this.#buf.byteLength) {
      throw new DecodeError(
        DecodeErrorCode.malformed,
        `${this.#buf.byteLength - this.#pos} trailing bytes after the ${what}`,
      )
    }
  }
}
