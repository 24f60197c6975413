// The node's public types: write options, entries, and its typed events.

import type { Version } from '../../crdt/index.ts'
import type { Member } from '../../membership/index.ts'
import type { WarmupProgress, WarmupResult } from './warmup.ts'

export interface WriteOptions {
  /** Expire after this many ms (an absolute time travels with the entry: G5). */
  ttlMs?: number
  /** The database's own row version: compared before the hlc (G3). @default 0 */
  userVersion?: number
  /**
   * 'all': the promise resolves once every member SWIM considers alive has applied the
   * write, and rejects with AckTimeoutError naming those that did not (G6).
   * @default 'none' (resolves at once; the write still replicates)
   */
  ack?: 'all' | 'none'
  /** Deadline of an acknowledged write. @default the node's ackTimeoutMs (5 s) */
  timeoutMs?: number
}

export interface CacheEntry {
  /** The stored bytes; not a copy — do not mutate. */
  value: Uint8Array
  version: Version
  /** Absolute expiry in ms of the wall clock; undefined: never. */
  expiresAt: number | undefined
}

export type DroppedReason = 'clock-drift' | 'below-horizon' | 'too-large' | 'invalid-yjs'

export interface DeltaDropped {
  key: string
  /** The node that made the write. */
  origin: string
  /** The peer it came from. */
  from: string
  reason: DroppedReason
}

/** No bootstrap address could be joined: each failed to connect or is of another cluster. */
export interface JoinFailed {
  addrs: string[]
  /** One message per address. */
  errors: string[]
  /** What to check (unreachable address, a cluster key that differs, or the cluster name). */
  hint: string
}

/** A peer sent too much malformed input: it was disconnected and is refused until `untilMs`. */
export interface PeerBanned {
  peer: string
  malformed: number
  untilMs: number
}

export type SyncProgress = WarmupProgress
export type SyncDone = WarmupResult

export interface CacheNodeEventMap {
  'member:alive': CustomEvent<Member>
  'member:suspect': CustomEvent<Member>
  'member:dead': CustomEvent<Member>
  'member:left': CustomEvent<Member>
  'sync:progress': CustomEvent<SyncProgress>
  'sync:done': CustomEvent<SyncDone>
  'delta:dropped': CustomEvent<DeltaDropped>
  'join:failed': CustomEvent<JoinFailed>
  'peer:banned': CustomEvent<PeerBanned>
}

type Listener = Parameters<EventTarget['addEventListener']>[1]

/** Typed events: addEventListener knows the node's event names and their details. */
export class CacheNodeEvents {
  readonly #target = new EventTarget()

  addEventListener<K extends keyof CacheNodeEventMap>(
    type: K,
    listener: (event: CacheNodeEventMap[K]) => void,
    options?: boolean | { once?: boolean; signal?: AbortSignal },
  ): void {
    this.#target.addEventListener(type, listener as Listener, options)
  }

  removeEventListener<K extends keyof CacheNodeEventMap>(type: K, listener: (event: CacheNodeEventMap[K]) => void): void {
    this.#target.removeEventListener(type, listener as Listener)
  }

  /** @internal The node announces its events here. */
  protected dispatch<K extends keyof CacheNodeEventMap>(type: K, detail: CacheNodeEventMap[K]['detail']): void {
    this.#target.dispatchEvent(new CustomEvent(type, { detail }))
  }
}
