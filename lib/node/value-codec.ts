// Typed values: the node's `valueCodec` option turns the JS values a program sets and gets into
// the bytes the cache replicates, and back (README "Typed values").
//
//   const node = await createCacheNode<User>({ valueCodec: 'json' })
//   await node.set('user:1', { name: 'Ada' })
//   node.get('user:1')   // → { name: 'Ada' } (a new object at every get)
//
// - 'bytes' (the default): values are Uint8Array, stored as given — no conversion at all.
// - 'json': JSON.stringify / JSON.parse, as UTF-8 (readable over the HTTP API, by any client).
// - 'v8': node:v8's structured clone (Dates, Maps, Sets, typed arrays, BigInt, cycles survive;
//   functions and class identity do not). Node-only bytes; faster than JSON for most objects.
// - { encode, decode }: the program's own (protobuf, msgpack, a schema's parser...).
// A write's value is encoded before anything is applied or sent: a codec that throws refuses
// the write (WriteRefusedError, argument 'value', the codec's error as `cause`). A get whose
// bytes do not decode (another codec wrote them, or another program) throws ValueCodecError
// naming the key: the bytes are there, and hiding them as a miss would hide the mistake.
//
// keepDecoded (option): a get decodes at every call by default — every caller gets its own
// object, free to mutate. With keepDecoded, the first get of an entry's bytes keeps the decoded
// object beside them (a WeakMap keyed by the stored bytes, so it lives exactly as long as the
// entry's value) and later gets return that same object, as lru-cache returns the object it
// holds: a get costs a WeakMap lookup instead of a decode, and the objects cost their heap on
// top of the bytes charged in maxBytes. Mutating a returned object then changes what every
// later get of this node returns (never what other nodes hold). bench/typed-values.ts measures
// both against a byte get and against lru-cache holding live objects.

import { deserialize, serialize } from 'node:v8'
import { WriteRefusedError } from '../../crdt/index.ts'
import { AlsoCacheError } from '../foundation/index.ts'

/** The program's own value codec. Both functions must be pure; `encode` may throw to refuse a value. */
export interface ValueCodec<T> {
  encode(value: T): Uint8Array
  decode(bytes: Uint8Array): T
}

/** What `valueCodec` takes. */
export type ValueCodecOption<T> = 'bytes' | 'json' | 'v8' | ValueCodec<T>

/** Bytes in the store that this node's codec could not decode; `key` names the entry. */
export class ValueCodecError extends AlsoCacheError {
  readonly key: string
  constructor(key: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause)
    super(
      'ERR_VALUE_CODEC',
      `the value of "${key.length > 64 ? key.slice(0, 61) + '...' : key}" does not decode with this node's valueCodec (${why}): ` +
        'every node and writer of a key must use the same codec',
      { cause },
    )
    this.key = key
  }
}

const utf8 = new TextEncoder()
const fromUtf8 = new TextDecoder('utf-8', { fatal: true })

const JSON_CODEC: ValueCodec<unknown> = {
  encode(value) {
    const text = JSON.stringify(value)
    // JSON.stringify(undefined), of a function or a symbol, is undefined: nothing to store.
    if (text === undefined) throw new TypeError(`JSON cannot encode ${typeof value}`)
    return utf8.encode(text)
  },
  decode: (bytes) => JSON.parse(fromUtf8.decode(bytes)),
}

const V8_CODEC: ValueCodec<unknown> = {
  encode: (value) => new Uint8Array(serialize(value)),
  decode: (bytes) => deserialize(bytes),
}

/**
 * The codec for `option`, or undefined for bytes (the node then converts nothing). Throws a
 * TypeError naming the option for anything else.
 */
export function resolveValueCodec<T>(option: ValueCodecOption<T> | undefined): ValueCodec<T> | undefined {
  if (option === undefined || option === 'bytes') return undefined
  if (option === 'json') return JSON_CODEC as ValueCodec<T>
  if (option === 'v8') return V8_CODEC as ValueCodec<T>
  if (option !== null && typeof option === 'object' && typeof option.encode === 'function' && typeof option.decode === 'function') {
    return option
  }
  throw new TypeError(`createCacheNode: valueCodec must be 'bytes', 'json', 'v8' or { encode, decode }, got ${String(option)}`)
}

/** Values ↔ bytes for one node: its codec, and the decoded objects it keeps (keepDecoded). */
export class ValueConverter<T> {
  readonly #codec: ValueCodec<T>
  readonly #kept: WeakMap<Uint8Array, { value: T }> | undefined

  constructor(codec: ValueCodec<T>, keepDecoded: boolean) {
    this.#codec = codec
    this.#kept = keepDecoded ? new WeakMap() : undefined
  }

  /** The bytes of a value to write; a codec that throws (or returns no bytes) refuses the write. */
  encode(value: T, where: string): Uint8Array {
    let bytes: unknown
    try {
      bytes = this.#codec.encode(value)
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err)
      throw new WriteRefusedError('value', `${where}: the valueCodec could not encode the value (${why})`, undefined, { cause: err })
    }
    if (!(bytes instanceof Uint8Array)) {
      throw new WriteRefusedError('value', `${where}: the valueCodec's encode must return a Uint8Array, got ${typeof bytes}`)
    }
    return bytes
  }

  /** The value of stored bytes (the kept object with keepDecoded); ValueCodecError if they do not decode. */
  decode(key: string, bytes: Uint8Array): T {
    const kept = this.#kept
    if (kept !== undefined) {
      const hit = kept.get(bytes)
      if (hit !== undefined) return hit.value
    }
    let value: T
    try {
      value = this.#codec.decode(bytes)
    } catch (err) {
      throw new ValueCodecError(key, err)
    }
    kept?.set(bytes, { value })
    return value
  }
}
