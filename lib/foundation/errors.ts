// Typed errors. Every error the library throws on purpose is an AlsoCacheError with a stable
// `code` (part of the public API: match on `code`, never on the message). Messages say what
// to do. Programmer errors in options stay TypeError/RangeError, as Node's own APIs do.

export class AlsoCacheError extends Error {
  /** Stable machine-readable code, e.g. 'ERR_ENTRY_TOO_LARGE'. */
  readonly code: string

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** An entry whose charge the store can never hold (see `S3FifoStore.maxEntryBytes`). */
export class EntryTooLargeError extends AlsoCacheError {
  readonly chargeBytes: number
  readonly maxEntryBytes: number

  constructor(key: string, chargeBytes: number, maxEntryBytes: number) {
    super(
      'ERR_ENTRY_TOO_LARGE',
      `entry "${truncateKey(key)}" is charged ${chargeBytes} B but the store admits at most ` +
        `${maxEntryBytes} B per entry (below its small queue, smallRatio × maxBytes): ` +
        'store a smaller value or raise maxBytes',
    )
    this.chargeBytes = chargeBytes
    this.maxEntryBytes = maxEntryBytes
  }
}

export const DecodeErrorCode = {
  /** The input ended before the message did (a truncated frame). */
  truncated: 'ERR_DECODE_TRUNCATED',
  /** The input is complete but not a valid message (bad enum, bad UTF-8, trailing bytes...). */
  malformed: 'ERR_DECODE_MALFORMED',
  /** A length or count off the wire is over its named bound; nothing was allocated for it. */
  limit: 'ERR_DECODE_LIMIT',
  /** The format version byte is one this build does not speak. */
  version: 'ERR_DECODE_VERSION',
} as const
export type DecodeErrorCode = (typeof DecodeErrorCode)[keyof typeof DecodeErrorCode]

/**
 * Bytes from a peer that do not decode. Codecs throw only this; the receiving side counts it
 * and drops the message (and, past a threshold, the peer). It never reaches the store.
 */
export class DecodeError extends AlsoCacheError {
  declare readonly code: DecodeErrorCode

  constructor(code: DecodeErrorCode, message: string) {
    super(code, message)
  }
}

function truncateKey(key: string): string {
  return key.length <= 64 ? key : `${key.slice(0, 61)}...`
}
