// A cache node in its own process, driven over IPC by test/support/cluster.ts.
// argv[2]: JSON of CacheNodeInit. Messages in: { id, cmd, args }; out: { id, ok, result | error }
// and { event, detail } for node events. Values travel as UTF-8 strings.
import { createCacheNode, type CacheNode, type WriteResult } from '../../lib/index.ts'
import { Prng } from '../../lib/foundation/index.ts'
import { commonHandlers, serveCommands, type Handlers } from './ipc-commands.ts'
import * as Y from 'yjs'

const init = JSON.parse(process.argv[2] ?? '{}')
const node: CacheNode = await createCacheNode(init)
const text = new TextDecoder()
const bytes = new TextEncoder()

const FORWARDED_EVENTS = [
  'member:alive',
  'member:suspect',
  'member:dead',
  'member:left',
  'sync:done',
  'join:failed',
  'delta:dropped',
  'peer:banned',
] as const
for (const type of FORWARDED_EVENTS) {
  node.addEventListener(type, (e) => process.send?.({ event: type, detail: e.detail }))
}

const handlers: Handlers = {
  info: () => ({ id: node.id, addresses: node.addresses(), pid: process.pid }),
  set: (key: string, value: string, opts?: object) => node.set(key, bytes.encode(value), opts),
  delete: (key: string, opts?: object) => node.delete(key, opts),
  /** merge of a yjs update given as base64. */
  merge: (key: string, updateBase64: string, opts?: object) => node.merge(key, new Uint8Array(Buffer.from(updateBase64, 'base64')), opts),
  /** The text 't' of the yjs document held under key, or null. */
  yjsText: (key: string) => {
    const e = node.getEntry(key)
    if (e === undefined) return null
    const doc = new Y.Doc()
    Y.applyUpdate(doc, e.value)
    return doc.getText('t').toString()
  },
  get: (key: string) => {
    const v = node.get(key)
    return v === undefined ? null : text.decode(v)
  },
  /** get, bracketed by this node's wall clock (Date.now() + clockOffsetMs) before and after it. */
  timedGet: (key: string) => {
    const offset = typeof init.clockOffsetMs === 'number' ? init.clockOffsetMs : 0
    const before = Date.now() + offset
    const e = node.getEntry(key)
    const v = node.get(key)
    return { value: v === undefined ? null : text.decode(v), expiresAt: e?.expiresAt ?? null, before, after: Date.now() + offset }
  },
  getEntry: (key: string) => {
    const e = node.getEntry(key)
    return e === undefined ? null : { value: text.decode(e.value), version: e.version, expiresAt: e.expiresAt ?? null }
  },
  /** Every key with its value and version, sorted: for comparing replicas. */
  dump: () => {
    const out: [string, string, unknown][] = []
    for (const [key, e] of node.entries()) out.push([key, text.decode(e.value), e.version])
    return out.sort((a, b) => (a[0] < b[0] ? -1 : 1))
  },
  clear: (opts?: object) => node.clear(opts),
  invalidateTags: (tags: string[], opts?: object) => node.invalidateTags(tags, opts),
  /**
   * A seeded mix of n writes: tagged sets (85 %), deletes (10 %), clears of a prefix m0:..m2:
   * (2 %) and tag invalidations t0..t4 (3 %), yielding every 20 so replication interleaves.
   * Returns each with its version, for checking the clear and tag rules across processes.
   */
  mix: async (seed: number, n: number) => {
    const prng = new Prng(seed)
    const pick = (k: number): number => Math.floor(prng.next() * k)
    const out: { op: string; key: string; tags?: string[]; version: WriteResult['version'] }[] = []
    for (let i = 0; i < n; i++) {
      const r = prng.next()
      const key = `m${pick(3)}:${pick(20)}`
      if (r < 0.85) {
        const tags = [`t${pick(5)}`]
        out.push({ op: 'set', key, tags, version: (await node.set(key, bytes.encode(`${seed}:${i}`), { tags })).version })
      } else if (r < 0.95) out.push({ op: 'delete', key, version: (await node.delete(key)).version })
      else if (r < 0.97) {
        const prefix = `m${pick(3)}:`
        out.push({ op: 'clear', key: prefix, version: (await node.clear({ prefix })).version })
      } else {
        const tag = `t${pick(5)}`
        out.push({ op: 'invalidate', key: tag, version: (await node.invalidateTags([tag])).version })
      }
      if (i % 20 === 19) await new Promise((r) => setImmediate(r))
    }
    await node.flush()
    return out
  },
  /** Writes n keys prefix0..prefix(n-1) as fast as the node takes them. */
  load: async (prefix: string, n: number, valueBytes = 100) => {
    const pad = 'x'.repeat(valueBytes)
    for (let i = 0; i < n; i++) {
      void node.set(`${prefix}${i}`, bytes.encode(`${i}:${pad}`.slice(0, valueBytes)))
      if (i % 500 === 499) await new Promise((r) => setImmediate(r))
    }
    await node.flush()
    return n
  },
  ...commonHandlers(node),
}

serveCommands(handlers)
