// The admission rule: what a write may be. One function per field, used twice with the same
// bounds: by the writer before a local write is applied or sent (Replica.set/delete/merge,
// which throw a typed WriteRefusedError), and by every receiver before a remote delta is
// applied (Replica.apply, which refuses that delta alone as 'dropped', reason 'inadmissible').
// So what a writer accepts, every peer accepts; a delta a peer refuses anyway (a hand-made
// one, or one from a build with other bounds) never takes its batch down with it.
//
// The bounds (crdt/constants.ts):
//   key        a string of well-formed UTF-16 (no lone surrogate: UTF-8 cannot carry one, so
//              peers would store U+FFFD instead), at most MAX_KEY_BYTES (64 KiB) in UTF-8;
//   value      a Uint8Array of at most MAX_WRITE_VALUE_BYTES (4 MiB − 128 KiB: one delta, key
//              and framing included, always fits the smallest transport frame, gossipsub's
//              4 MiB) — and, on the writer, within the store's largest entry;
//   ttlMs      a finite number > 0 and ≤ MAX_TTL_MS (10 years): expiry times stay exact
//              integers far below 2^53 (a larger ttl overflowed the codec and killed the node);
//   expiresAt  (remote) a safe integer ≤ nowMs + MAX_TTL_MS + maxClockDriftMs;
//   userVersion a safe integer ≥ 0;
//   tags       an array of at most MAX_TAGS_PER_ENTRY (16) tags, each a non-empty well-formed
//              string of at most MAX_TAG_BYTES (128) in UTF-8 (the writer drops duplicates).

import { AlsoCacheError } from '../lib/foundation/index.ts'
import { MAX_KEY_BYTES, MAX_TAG_BYTES, MAX_TAGS_PER_ENTRY, MAX_TTL_MS, MAX_WRITE_VALUE_BYTES } from './constants.ts'
import type { Delta } from './delta.ts'

/** Which argument of a write broke the rule (also the `argument` of WriteRefusedError). */
export type WriteArgument = 'key' | 'value' | 'ttlMs' | 'userVersion' | 'update' | 'options' | 'ack' | 'timeoutMs' | 'prefix' | 'tags'

/**
 * A write that breaks the admission rule: nothing was applied or sent. `code` is
 * 'ERR_INVALID_WRITE'; `argument` names what to fix.
 */
export class WriteRefusedError extends AlsoCacheError {
  readonly argument: WriteArgument
  /** In a batch call (the node's setMany, deleteMany): the position of the refused entry; otherwise undefined. */
  readonly index: number | undefined

  constructor(argument: WriteArgument, message: string, index?: number, options?: ErrorOptions) {
    super('ERR_INVALID_WRITE', message, options)
    this.argument = argument
    this.index = index
  }
}

/**
 * Why a key is refused, or undefined when it is admitted. A clear's prefix obeys the same
 * bounds (`what` names it in the message); '' is a key like any other.
 */
export function keyProblem(key: unknown, what: 'key' | 'prefix' = 'key'): string | undefined {
  if (typeof key !== 'string') return `${what} must be a string, got ${typeof key}`
  // Three UTF-8 bytes per UTF-16 unit at most: short keys need no byte count.
  if (key.length * 3 > MAX_KEY_BYTES && Buffer.byteLength(key) > MAX_KEY_BYTES) {
    return `${what} is ${Buffer.byteLength(key)} B in UTF-8, over the ${MAX_KEY_BYTES} B bound: use a shorter ${what}`
  }
  if (!key.isWellFormed()) {
    return `${what} holds a lone UTF-16 surrogate, which UTF-8 cannot carry (peers would read another ${what}): fix the string`
  }
  return undefined
}

/** Why a value (or yjs update) is refused by the wire bound, or undefined. */
export function valueProblem(value: unknown, what: 'value' | 'update' = 'value'): string | undefined {
  if (!(value instanceof Uint8Array)) return `${what} must be a Uint8Array`
  if (value.byteLength > MAX_WRITE_VALUE_BYTES) {
    return `${what} of ${value.byteLength} B is over the ${MAX_WRITE_VALUE_BYTES} B bound (one replicated write): split it`
  }
  return undefined
}

/** Why a ttl is refused, or undefined (undefined ttl: never expires, admitted). */
export function ttlProblem(ttlMs: unknown): string | undefined {
  if (ttlMs === undefined) return undefined
  if (typeof ttlMs !== 'number' || !(ttlMs > 0) || !(ttlMs <= MAX_TTL_MS)) {
    return `ttlMs must be a number > 0 and ≤ ${MAX_TTL_MS} (10 years), got ${String(ttlMs)}: omit it for no expiry`
  }
  return undefined
}

/** Why one tag is refused, or undefined. */
export function tagProblem(tag: unknown): string | undefined {
  if (typeof tag !== 'string') return `a tag must be a string, got ${typeof tag}`
  if (tag.length === 0) return 'a tag must not be empty'
  if (tag.length * 3 > MAX_TAG_BYTES && Buffer.byteLength(tag) > MAX_TAG_BYTES) {
    const bytes = Buffer.byteLength(tag)
    return `tag ${JSON.stringify(tag.slice(0, 32))}… is ${bytes} B in UTF-8, over the ${MAX_TAG_BYTES} B bound: use a shorter tag`
  }
  if (!tag.isWellFormed()) return 'a tag holds a lone UTF-16 surrogate, which UTF-8 cannot carry: fix the string'
  return undefined
}

/** Why a set's tags are refused, or undefined (undefined or []: no tags). */
export function tagsProblem(tags: unknown): string | undefined {
  if (tags === undefined) return undefined
  if (!Array.isArray(tags)) return `tags must be an array of strings, got ${typeof tags}`
  if (tags.length > MAX_TAGS_PER_ENTRY) return `${tags.length} tags is over the ${MAX_TAGS_PER_ENTRY} an entry may carry`
  for (const t of tags) {
    const problem = tagProblem(t)
    if (problem !== undefined) return problem
  }
  return undefined
}

/** Why a userVersion is refused, or undefined (undefined: 0, admitted). */
export function userVersionProblem(userVersion: unknown): string | undefined {
  if (userVersion === undefined) return undefined
  if (typeof userVersion !== 'number' || !Number.isSafeInteger(userVersion) || userVersion < 0) {
    return `userVersion must be a safe integer ≥ 0, got ${String(userVersion)}`
  }
  return undefined
}

/** Throws WriteRefusedError when `problem` is set (the writer's side of the rule). */
export function refuse(argument: WriteArgument, where: string, problem: string | undefined): void {
  if (problem !== undefined) throw new WriteRefusedError(argument, `${where}: ${problem}`)
}

/**
 * The receiver's side: does a remote delta pass the same rule? Decoded deltas already meet
 * the key bounds (the codec reads well-formed UTF-8 within MAX_KEY_BYTES); values, expiry
 * and hand-made deltas are checked here. Cheap enough for every apply.
 */
export function admitsDelta(d: Delta, nowMs: number, maxClockDriftMs: number): boolean {
  if (keyProblem(d.key) !== undefined) return false
  const v = d.value
  if (v !== undefined && v.byteLength > MAX_WRITE_VALUE_BYTES) return false
  const e = d.expiresAt
  if (e !== undefined && !(Number.isSafeInteger(e) && e >= 0 && e <= nowMs + MAX_TTL_MS + maxClockDriftMs)) return false
  const u = d.version.userVersion
  // A clear and an invalidate are a key (prefix, tag) and a stamp only (codec.ts).
  if (d.op === 'clear' || d.op === 'invalidate') {
    if (d.op === 'invalidate' && tagProblem(d.key) !== undefined) return false
    return u === 0 && v === undefined && e === undefined && d.base === undefined && d.tags === undefined
  }
  const tags = d.tags
  if (tags !== undefined && (v === undefined || tags.length === 0 || tagsProblem(tags) !== undefined)) return false
  return Number.isSafeInteger(u) && u >= 0
}
