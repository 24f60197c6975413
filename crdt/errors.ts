// Typed errors of the replica core (codes are stable: match on `code`). DecodeError for bad
// bytes lives in lib/foundation/errors.ts and is shared by every codec.
import { AlsoCacheError } from '../lib/foundation/index.ts'

/**
 * A remote timestamp further ahead of local physical time than `maxClockDriftMs` (G7). The
 * clock is unchanged; the replica counts it and answers the delta 'dropped'.
 */
export class ClockDriftError extends AlsoCacheError {
  readonly remoteMs: number
  readonly localMs: number
  readonly maxClockDriftMs: number

  constructor(remoteMs: number, localMs: number, maxClockDriftMs: number) {
    super(
      'ERR_CLOCK_DRIFT',
      `remote timestamp is ${remoteMs - localMs} ms ahead of local time, more than maxClockDriftMs ` +
        `(${maxClockDriftMs} ms): check NTP on both hosts, or raise maxClockDriftMs`,
    )
    this.remoteMs = remoteMs
    this.localMs = localMs
    this.maxClockDriftMs = maxClockDriftMs
  }
}

/** Bytes given to `merge` (or held by the key) that are not a yjs update/state. */
export class YjsValueError extends AlsoCacheError {
  constructor(key: string, cause: unknown) {
    super(
      'ERR_YJS_VALUE',
      `key "${key.length > 64 ? key.slice(0, 61) + '...' : key}": not a yjs update, or the key holds ` +
        'bytes that are not a yjs document state: merge only yjs updates (Y.encodeStateAsUpdate) into yjs keys',
      { cause },
    )
  }
}
