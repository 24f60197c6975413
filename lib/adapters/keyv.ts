// also-cache/keyv: a Keyv storage adapter over a cache node, so keyv 5 (and what runs on it:
// cache-manager 7, cacheable) reads and writes a replicated cache (README "Adapters").
//
//   const node = await createCacheNode({ bootstrap: [...] })
//   const keyv = new Keyv({ store: new KeyvAlsoCache(node), namespace: 'users' })
//
// What maps to what:
// - keys are Keyv's (already prefixed `namespace:` by Keyv); values are what Keyv hands the
//   store: the string its serializer made, stored as its UTF-8 bytes (readable as such over the
//   node's HTTP API), or, with Keyv's serializer turned off, any structured-cloneable value,
//   stored with node:v8 (its bytes start with 0xFF, which UTF-8 never holds, so the two never
//   mix up);
// - ttl (ms) is the entry's ttlMs: it expires on every node at the same instant (G5);
// - clear() clears the adapter's namespace on every node (`clear({ prefix: 'ns:' })`, one
//   replicated range tombstone), or every key when Keyv has no namespace;
// - reads are the node's local reads (no network); writes replicate as the node's writes do,
//   acknowledged by every live member first with `{ ack: 'all' }`.
// - keyv 5 prefixes keys with `namespace:` itself; keyv 6 hands its storage raw keys and the
//   namespace (its KeyvBridgeAdapter, which wraps this v5-style adapter, expects the store to
//   isolate namespaces). Under keyv 6 pass `{ prefixKeys: true }`: the adapter then prefixes
//   `namespace:` itself, the same layout keyv 5 writes, so nodes driven by either share keys.
// The adapter owns nothing: disconnect() does not close the node.

import { deserialize, serialize } from 'node:v8'
import type { CacheNode, AckOptions } from '../index.ts'

/** The adapter's options: how its writes are acknowledged (AckOptions of the node's writes). */
interface KeyvAlsoCacheOptions extends AckOptions {
  /**
   * Prefix every key with `namespace:` here: what keyv 6 needs (it passes raw keys); keyv 5
   * prefixes them itself. @default false (keyv 5)
   */
  prefixKeys?: boolean
}

type Listener = (...args: unknown[]) => void

const utf8 = new TextEncoder()
const fromUtf8 = new TextDecoder()
/** First byte of every node:v8 serialization (its version tag); never a byte of UTF-8. */
const V8_TAG = 0xff

export class KeyvAlsoCache {
  /** What Keyv reads of an adapter's options (`dialect`, `url`): not one of its iterable SQL/Redis dialects. */
  readonly opts: { dialect: 'also-cache'; url: string }
  /** Set by Keyv to its namespace; clear() clears only keys under it. */
  namespace: string | undefined
  readonly node: CacheNode
  readonly #write: AckOptions
  readonly #prefixKeys: boolean
  readonly #listeners = new Map<string, Set<Listener>>()

  constructor(node: CacheNode, options: KeyvAlsoCacheOptions = {}) {
    if (node === null || typeof node !== 'object' || typeof node.get !== 'function') {
      throw new TypeError('KeyvAlsoCache: pass a cache node (await createCacheNode(...))')
    }
    this.node = node
    this.opts = { dialect: 'also-cache', url: `also-cache://${node.id}` }
    const write: AckOptions = {}
    if (options.ack !== undefined) write.ack = options.ack
    if (options.timeoutMs !== undefined) write.timeoutMs = options.timeoutMs
    this.#write = write
    if (options.prefixKeys !== undefined && typeof options.prefixKeys !== 'boolean') {
      throw new TypeError(`KeyvAlsoCache: prefixKeys must be a boolean, got ${typeof options.prefixKeys}`)
    }
    this.#prefixKeys = options.prefixKeys ?? false
  }

  async get<Value>(key: string): Promise<Value | undefined> {
    return decode(this.node.get(this.#key(key))) as Value | undefined
  }

  async getMany<Value>(keys: string[]): Promise<Array<Value | undefined>> {
    return this.node.getMany(keys.map((k) => this.#key(k))).map((bytes) => decode(bytes) as Value | undefined)
  }

  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    await this.node.set(this.#key(key), encode(value), this.#options(ttl))
    return true
  }

  /** One setMany of the node: every entry checked before any is written. */
  async setMany(entries: Array<{ key: string; value: unknown; ttl?: number }>): Promise<void> {
    const batch = entries.map((e) => {
      const entry: { key: string; value: Uint8Array; ttlMs?: number } = { key: this.#key(e.key), value: encode(e.value) }
      if (e.ttl !== undefined && e.ttl !== 0) entry.ttlMs = e.ttl
      return entry
    })
    await this.node.setMany(batch, this.#write)
  }

  async delete(key: string): Promise<boolean> {
    const held = this.node.has(this.#key(key))
    await this.node.delete(this.#key(key), this.#write)
    return held
  }

  /** True when every key was held (and is now deleted everywhere), as Keyv's own fallback answers. */
  async deleteMany(keys: string[]): Promise<boolean> {
    const stored = keys.map((k) => this.#key(k))
    const held = stored.map((k) => this.node.has(k))
    await this.node.deleteMany(stored, this.#write)
    return held.every(Boolean)
  }

  async has(key: string): Promise<boolean> {
    return this.node.has(this.#key(key))
  }

  async hasMany(keys: string[]): Promise<boolean[]> {
    return keys.map((k) => this.node.has(this.#key(k)))
  }

  /** Clears this namespace (or everything without one) on every node: one replicated range clear. */
  async clear(): Promise<void> {
    const prefix = this.namespace === undefined || this.namespace === '' ? '' : `${this.namespace}:`
    await this.node.clear({ ...this.#write, prefix })
  }

  /** Live entries under `namespace` (all without one), as [key, value]: local, no network. */
  async *iterator<Value>(namespace?: string): AsyncGenerator<[string, Value | undefined], void> {
    const prefix = namespace === undefined || namespace === '' ? '' : `${namespace}:`
    for (const [key, e] of this.node.entries(prefix)) yield [key, decode(e.value) as Value | undefined]
  }

  /** The node belongs to its creator: nothing to close here. */
  async disconnect(): Promise<void> {}

  on(event: string, listener: Listener): this {
    let set = this.#listeners.get(event)
    if (set === undefined) this.#listeners.set(event, (set = new Set()))
    set.add(listener)
    return this
  }

  off(event: string, listener: Listener): this {
    this.#listeners.get(event)?.delete(listener)
    return this
  }

  once(event: string, listener: Listener): this {
    const wrapped: Listener = (...args) => {
      this.off(event, wrapped)
      listener(...args)
    }
    return this.on(event, wrapped)
  }

  emit(event: string, ...args: unknown[]): boolean {
    const set = this.#listeners.get(event)
    if (set === undefined || set.size === 0) return false
    for (const l of [...set]) l(...args)
    return true
  }

  /** The node's key for a key Keyv hands over (prefixed here with prefixKeys). */
  #key(key: string): string {
    const ns = this.namespace
    return this.#prefixKeys && ns !== undefined && ns !== '' ? `${ns}:${key}` : key
  }

  #options(ttl: number | undefined): AckOptions & { ttlMs?: number } {
    // Keyv passes ttl in ms, or undefined (or 0, which it means as "never") for no expiry.
    return ttl === undefined || ttl === 0 ? this.#write : { ...this.#write, ttlMs: ttl }
  }
}

function encode(value: unknown): Uint8Array {
  if (typeof value === 'string') return utf8.encode(value)
  return new Uint8Array(serialize(value))
}

function decode(bytes: Uint8Array | undefined): unknown {
  if (bytes === undefined) return undefined
  if (bytes.byteLength > 0 && bytes[0] === V8_TAG) return deserialize(bytes)
  return fromUtf8.decode(bytes)
}

export type { KeyvAlsoCacheOptions }
