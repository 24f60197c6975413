// setMany and deleteMany: many writes in one call, every one checked before any is applied or
// sent. Each entry passes the rule a single set or delete passes (crdt/admission.ts, and the
// store's entry bound), so the first bad one refuses the whole call with the error that write
// alone would get, its message and `index` naming the entry, and nothing changed anywhere.
// After the check nothing can refuse: the node applies and replicates them in order, as that
// many sets or deletes (one delta each, batched on the wire like any writes).
//
// The entry shape is the one keyv's `setMany` and cache-manager's `mset` take,
// `{ key, value, ttl }`, with the node's own names (`ttlMs`, as `set`) and its per-write
// `userVersion`: an adapter maps an entry field for field, and a per-entry ttl or version needs
// no parallel array. A field the entry does not take (keyv's `ttl`, in seconds elsewhere) is
// refused, never ignored.

import {
  keyProblem,
  tagsProblem,
  ttlProblem,
  userVersionProblem,
  valueProblem,
  WriteRefusedError,
  type WriteArgument,
} from '../../crdt/index.ts'
import { argumentTypeError, checkArray, checkKey, EntryTooLargeError } from '../foundation/index.ts'

/** One entry of `setMany`. */
export interface SetManyEntry<T = Uint8Array> {
  key: string
  /** Copied, as by `set` (encoded first with a valueCodec). */
  value: T
  /** As `set`'s ttlMs. @default never expires */
  ttlMs?: number
  /** As `set`'s userVersion (G3). @default 0 */
  userVersion?: number
  /** As `set`'s tags. @default none */
  tags?: readonly string[]
}

/** What the store tells about an entry's charge (the node's store). */
export interface EntryBound {
  chargeOf(key: string, value: Uint8Array): number
  readonly maxEntryBytes: number
}

const ENTRY_FIELDS: ReadonlySet<string> = new Set(['key', 'value', 'ttlMs', 'userVersion', 'tags'])

/**
 * Refused here, before it replicates, if this node's store could never hold it: the caller
 * hears of it at once instead of finding a miss. (Key and value types are the replica's rule.)
 */
export function refuseTooLarge(store: EntryBound, key: unknown, value: unknown): void {
  if (!(value instanceof Uint8Array) || typeof key !== 'string') return
  const charge = store.chargeOf(key, value)
  if (charge > store.maxEntryBytes) throw new EntryTooLargeError(key, charge, store.maxEntryBytes)
}

/** setMany's entries, every one checked; throws naming the first bad one. */
export function checkSetEntries(entries: unknown, store: EntryBound): readonly SetManyEntry[] {
  const where = 'CacheNode.setMany'
  const list = checkArray(where, 'entries', entries)
  for (let i = 0; i < list.length; i++) {
    const e = list[i]
    if (typeof e !== 'object' || e === null || Array.isArray(e)) {
      throw argumentTypeError(where, `entries[${i}]`, 'an object { key, value, ttlMs?, userVersion?, tags? }', e)
    }
    const at = `${where}: entries[${i}]`
    for (const name of Object.keys(e)) {
      if (!ENTRY_FIELDS.has(name)) {
        const problem = `unknown field ${JSON.stringify(name)}; an entry takes key, value, ttlMs, userVersion, tags`
        throw new WriteRefusedError('options', `${at}: ${problem}`, i)
      }
    }
    const entry = e as SetManyEntry
    refuseAt('key', at, keyProblem(entry.key), i)
    refuseAt('value', at, valueProblem(entry.value), i)
    refuseAt('ttlMs', at, ttlProblem(entry.ttlMs), i)
    refuseAt('userVersion', at, userVersionProblem(entry.userVersion), i)
    refuseAt('tags', at, tagsProblem(entry.tags), i)
    refuseTooLarge(store, entry.key, entry.value)
  }
  return list as readonly SetManyEntry[]
}

/** deleteMany's keys, every one checked; throws naming the first bad one. */
export function checkDeleteKeys(keys: unknown): readonly string[] {
  const where = 'CacheNode.deleteMany'
  const list = checkArray(where, 'keys', keys)
  for (let i = 0; i < list.length; i++) refuseAt('key', `${where}: keys[${i}]`, keyProblem(list[i]), i)
  return list as readonly string[]
}

/** getMany's keys: an array of strings (a read: a TypeError, as `has` with a non-string key). */
export function checkReadKeys(keys: unknown): readonly string[] {
  const list = checkArray('CacheNode.getMany', 'keys', keys)
  for (let i = 0; i < list.length; i++) checkKey('CacheNode.getMany', `keys[${i}]`, list[i])
  return list as readonly string[]
}

function refuseAt(argument: WriteArgument, at: string, problem: string | undefined, index: number): void {
  if (problem !== undefined) throw new WriteRefusedError(argument, `${at}: ${problem}`, index)
}
