// The node's public types: write options, entries, and its typed events.

import type { DropReason, Version } from '../../crdt/index.ts'
import type { Member } from '../../membership/index.ts'
import type { WarmupProgress, WarmupResult } from './warmup.ts'
import type { SnapshotErrorReason } from './snapshot.ts'
import type { IdentityConflict } from './identity-conflict.ts'
import type { KeyChanged, KeyChangeOp } from './key-changed.ts'

/** How a write is acknowledged: the options of `merge`, and part of every write's. */
export interface AckOptions {
  /**
   * 'all': the promise resolves once every member SWIM considers alive has applied the
   * write, and rejects with AckTimeoutError naming those that did not (G6).
   * @default 'none' (resolves at once; the write still replicates)
   */
  ack?: 'all' | 'none'
  /** Deadline of an acknowledged write. @default the node's ackTimeoutMs (5 s) */
  timeoutMs?: number
}

/** The options of `clear`. */
export interface ClearOptions extends AckOptions {
  /**
   * Clear only the keys that start with this string (a namespace: `'user:'`). A string within
   * the key bounds (MAX_KEY_BYTES, well-formed UTF-16). @default '' (every key)
   */
  prefix?: string
}

/** The options of `delete`: a tombstone has no TTL. */
export interface DeleteWriteOptions extends AckOptions {
  /** The database's own row version: compared before the hlc (G3). @default 0 */
  userVersion?: number
}

/** The options of `set`. */
export interface WriteOptions extends DeleteWriteOptions {
  /** Expire after this many ms (an absolute time travels with the entry: G5). */
  ttlMs?: number
  /**
   * Tags for `invalidateTags`: up to MAX_TAGS_PER_ENTRY (16) non-empty strings of at most
   * MAX_TAG_BYTES (128) UTF-8 bytes each; duplicates are dropped. @default none
   */
  tags?: readonly string[]
}

/** What a write did on this node (it replicates either way). */
export interface WriteResult {
  /** The write's version (for a merge, the merge's own stamp). */
  version: Version
  /**
   * True when the key already held a higher version here (a lower `userVersion` loses, G3):
   * nothing changed and the value read stays the newer one.
   */
  stale: boolean
}

export interface CacheEntry<T = Uint8Array> {
  /** The stored bytes (not a copy — do not mutate), or with a valueCodec the decoded value. */
  value: T
  version: Version
  /** Absolute expiry in ms of the wall clock; undefined: never. */
  expiresAt: number | undefined
  /** The tags it was written with (`set(key, value, { tags })`); undefined: none. */
  tags?: readonly string[]
}

/**
 * Why a received delta was refused: its hlc is too far ahead (G7), it is older than what this
 * node forgot (G4), its value is over this node's entry bound, its yjs bytes did not fold, or
 * it breaks the admission rule every writer checks (crdt/admission.ts: a peer with other
 * bounds, or a hand-made delta). Each is refused alone; the rest of its batch applies.
 */
export type DroppedReason = DropReason

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

/**
 * Code of ours threw where it must not (a bug): the node went on, nothing was charged to a
 * peer, and the write or delta concerned was left to repair. Please report it with `error`'s stack.
 */
export interface InternalError {
  /** What the node was doing. */
  where: string
  error: unknown
}

/** A peer sent too much malformed input: it was disconnected and is refused until `untilMs`. */
export interface PeerBanned {
  peer: string
  malformed: number
  untilMs: number
}

/** The snapshot file could not be used: the node started empty and replaces it on close. */
export interface SnapshotRefused {
  path: string
  reason: SnapshotErrorReason
  message: string
}

export type { IdentityConflict, KeyChanged, KeyChangeOp }

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
  'internal:error': CustomEvent<InternalError>
  'snapshot:refused': CustomEvent<SnapshotRefused>
  /** Another process runs with this node's id (see identity-conflict.ts). */
  'identity:conflict': CustomEvent<IdentityConflict>
  /** A key changed here, by a local write or an applied remote one (see key-changed.ts). Off unless listened to. */
  'key:changed': CustomEvent<KeyChanged>
}

type Listener = Parameters<EventTarget['addEventListener']>[1]

/** Announces one of the node's events: what the node hands its parts instead of itself. */
export type Dispatch = <K extends keyof CacheNodeEventMap>(type: K, detail: CacheNodeEventMap[K]['detail']) => void

/**
 * Typed events: addEventListener knows the node's event names and their details. It also keeps
 * which listeners are attached, so the node can skip building an event nobody listens to
 * (`listens`): a plain EventTarget cannot say.
 */
export class CacheNodeEvents {
  readonly #target = new EventTarget()
  /** Per type: each listener as given → as registered (a `once` listener is wrapped to be forgotten after it ran). */
  readonly #listeners = new Map<string, Map<unknown, Listener>>()

  addEventListener<K extends keyof CacheNodeEventMap>(
    type: K,
    listener: (event: CacheNodeEventMap[K]) => void,
    options?: boolean | { once?: boolean; signal?: AbortSignal },
  ): void {
    const o = typeof options === 'object' && options !== null ? options : undefined
    let byType = this.#listeners.get(type)
    if (byType === undefined) this.#listeners.set(type, (byType = new Map()))
    // EventTarget ignores a listener added twice, and one whose signal already aborted.
    if (byType.has(listener) || o?.signal?.aborted === true) return
    const map = byType
    const registered: Listener =
      o?.once === true
        ? (event) => {
            map.delete(listener)
            listener(event as CacheNodeEventMap[K])
          }
        : (listener as Listener)
    map.set(listener, registered)
    this.#target.addEventListener(type, registered, options)
    o?.signal?.addEventListener('abort', () => map.get(listener) === registered && map.delete(listener), { once: true })
  }

  removeEventListener<K extends keyof CacheNodeEventMap>(type: K, listener: (event: CacheNodeEventMap[K]) => void): void {
    const byType = this.#listeners.get(type)
    const registered = byType?.get(listener)
    byType?.delete(listener)
    this.#target.removeEventListener(type, registered ?? (listener as Listener))
  }

  /** @internal Whether a listener of `type` is attached (one Map probe: cheap enough for every write). */
  protected listens(type: keyof CacheNodeEventMap): boolean {
    const byType = this.#listeners.get(type)
    return byType !== undefined && byType.size > 0
  }

  /** @internal The node announces its events here. */
  protected dispatch<K extends keyof CacheNodeEventMap>(type: K, detail: CacheNodeEventMap[K]['detail']): void {
    this.#target.dispatchEvent(new CustomEvent(type, { detail }))
  }
}
