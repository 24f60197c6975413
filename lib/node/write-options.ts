// The node's half of the admission rule: the options of set, delete, merge, touch and the batch
// calls. The key, value, ttl and userVersion are checked by the replica (crdt/admission.ts),
// with the same code every receiver runs (a batch's entries all first: write-batch.ts); what
// only the writer has (ack, deadline, the store's entry bound) is checked here. Everything is
// checked before the write is applied or sent: a refused write changes nothing anywhere.

import { keyProblem, refuse, tagsProblem, ttlProblem, userVersionProblem, WriteRefusedError } from '../../crdt/index.ts'
import type { ClearOptions, WriteOptions } from './events.ts'

/**
 * Longest deadline of an acknowledged write: setTimeout's limit (2^31 − 1 ms ≈ 24.8 days).
 * Node fires a longer timer at once, with a TimeoutOverflowWarning.
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1

type WriteOp = 'set' | 'delete' | 'merge' | 'clear' | 'invalidateTags' | 'touch' | 'setMany' | 'deleteMany'

/** The options each operation takes; anything else is refused (a typo must not pass silently). */
const ALLOWED: Record<WriteOp, ReadonlySet<string>> = {
  set: new Set(['ttlMs', 'userVersion', 'tags', 'ack', 'timeoutMs']),
  delete: new Set(['userVersion', 'ack', 'timeoutMs']),
  merge: new Set(['ack', 'timeoutMs']),
  clear: new Set(['prefix', 'ack', 'timeoutMs']),
  invalidateTags: new Set(['ack', 'timeoutMs']),
  touch: new Set(['ack', 'timeoutMs']),
  // Each entry of setMany carries its own ttlMs and userVersion (write-batch.ts).
  setMany: new Set(['ack', 'timeoutMs']),
  deleteMany: new Set(['userVersion', 'ack', 'timeoutMs']),
}

/** Checked write options: undefined fields left out. */
export interface CheckedWriteOptions {
  ttlMs?: number
  userVersion?: number
  ack: 'all' | 'none'
  timeoutMs?: number
  /** clear only: the prefix cleared ('' for every key). */
  prefix?: string
  /** set only: the entry's tags. */
  tags?: readonly string[]
}

/** Validates the options of a write; throws WriteRefusedError naming the bad one. */
export function checkWriteOptions(options: unknown, op: WriteOp): CheckedWriteOptions {
  const where = `CacheNode.${op}`
  if (options === undefined || options === null) return { ack: 'none' }
  if (typeof options !== 'object') throw new WriteRefusedError('options', `${where}: options must be an object, got ${typeof options}`)
  const o = options as WriteOptions & ClearOptions
  for (const name of Object.keys(o)) {
    if (!ALLOWED[op].has(name)) {
      throw new WriteRefusedError('options', `${where}: unknown option ${JSON.stringify(name)}; ${op} takes ${[...ALLOWED[op]].join(', ')}`)
    }
  }
  if (o.prefix !== undefined) refuse('prefix', where, keyProblem(o.prefix, 'prefix'))
  refuse('ttlMs', where, ttlProblem(o.ttlMs))
  refuse('tags', where, tagsProblem(o.tags))
  refuse('userVersion', where, userVersionProblem(o.userVersion))
  const ack = o.ack ?? 'none'
  if (ack !== 'all' && ack !== 'none') {
    throw new WriteRefusedError('ack', `${where}: ack must be 'all' or 'none', got ${JSON.stringify(ack)}`)
  }
  const timeoutMs = o.timeoutMs
  if (timeoutMs !== undefined) {
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMEOUT_MS) {
      const got = String(timeoutMs)
      throw new WriteRefusedError('timeoutMs', `${where}: timeoutMs must be an integer in [1, ${MAX_TIMEOUT_MS}] ms, got ${got}`)
    }
    if (ack !== 'all') throw new WriteRefusedError('timeoutMs', `${where}: timeoutMs applies only with ack: 'all'`)
  }
  const out: CheckedWriteOptions = { ack }
  if (o.ttlMs !== undefined) out.ttlMs = o.ttlMs
  if (o.userVersion !== undefined) out.userVersion = o.userVersion
  if (timeoutMs !== undefined) out.timeoutMs = timeoutMs
  if (o.prefix !== undefined) out.prefix = o.prefix
  if (o.tags !== undefined) out.tags = o.tags
  return out
}
