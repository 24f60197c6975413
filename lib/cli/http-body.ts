// Request bodies of the HTTP API, read within two bounds: one body's size (--max-body, 413)
// and the bytes buffered over all requests at once (503 ERR_BUSY). The second bound is what
// keeps slow clients from growing memory without a cap: each holds at most its own body, and
// all of them together at most the budget; a client too slow to finish is cut off by the
// server's requestTimeout, which hands its bytes back.

import type { IncomingMessage, ServerResponse } from 'node:http'
import { HttpError } from './http-errors.ts'

/** Bytes that may be held at once; taken before they are buffered, given back when the response closes. */
export class ByteBudget {
  readonly maxBytes: number
  #usedBytes = 0

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes
  }

  get usedBytes(): number {
    return this.#usedBytes
  }

  /** Takes `bytes` if they fit; false (and nothing taken) otherwise. */
  tryTake(bytes: number): boolean {
    if (this.#usedBytes + bytes > this.maxBytes) return false
    this.#usedBytes += bytes
    return true
  }

  give(bytes: number): void {
    this.#usedBytes -= bytes
  }
}

export interface ReadBodyInit {
  /** Largest body read; past it 413 ERR_BODY_TOO_LARGE. */
  maxBytes: number
  budget: ByteBudget
  /** The client sent `Expect: 100-continue`: say 100 Continue once the body is admitted, not before. */
  expectsContinue: boolean
}

/**
 * The whole body, or a typed HttpError as soon as it is known not to fit (nothing more is
 * buffered). A declared Content-Length is checked before a byte is read, so a client waiting
 * for 100 Continue hears 413 or 503 instead; a chunked body is counted as it arrives. The
 * budget is held until the response closes (the value is in use until the write is applied).
 */
export function readBody(req: IncomingMessage, res: ServerResponse, init: ReadBodyInit): Promise<Uint8Array> {
  const { maxBytes, budget } = init
  const tooLarge = (): HttpError =>
    new HttpError(
      413,
      'ERR_BODY_TOO_LARGE',
      `the value is over ${maxBytes} bytes, the most this server reads; store a smaller value or restart with a larger --max-body`,
      { maxBodyBytes: maxBytes },
    )
  const busy = (): HttpError =>
    new HttpError(
      503,
      'ERR_BUSY',
      `request bodies in flight already hold ${budget.usedBytes} of ${budget.maxBytes} bytes; retry in a moment`,
      { bodyBytesInFlightMax: budget.maxBytes },
    )
  let held = 0
  const take = (bytes: number): boolean => {
    if (!budget.tryTake(bytes)) return false
    held += bytes
    return true
  }
  res.once('close', () => budget.give(held))

  const header = req.headers['content-length']
  const declared = header === undefined ? undefined : Number(header)
  if (declared !== undefined && declared > maxBytes) return Promise.reject(tooLarge())
  if (declared !== undefined && !take(declared)) return Promise.reject(busy())
  if (init.expectsContinue) {
    res.removeHeader('connection')
    res.writeContinue()
  }

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let total = 0
    const stop = (err: HttpError): void => {
      req.off('data', onData)
      reject(err)
    }
    const onData = (chunk: Buffer): void => {
      total += chunk.byteLength
      if (total > maxBytes) return stop(tooLarge())
      // A declared length was taken whole; a chunked body is taken as it comes.
      if (declared === undefined && !take(chunk.byteLength)) return stop(busy())
      chunks.push(chunk)
    }
    req.on('data', onData)
    req.once('end', () => {
      const body = Buffer.concat(chunks, total)
      resolve(new Uint8Array(body.buffer, body.byteOffset, body.byteLength))
    })
    req.once('error', reject)
    // The client went away mid-body (or was cut off for being slow): nothing to answer.
    req.once('close', () => {
      if (!req.complete) reject(new HttpError(400, 'ERR_BODY_INCOMPLETE', 'the connection closed before the whole body arrived'))
    })
  })
}
