// Typed values benchmark: what a typed `get` costs against a byte `get`, and against lru-cache
// holding live objects, side by side in one process and one run (README "Typed values").
//
//   npm run bench -- typed-values            7 rounds + 1 warm-up
//   npm run bench -- typed-values --quick    3 rounds
//
// Workload: 10,000 keys `user:<i>`, each a small user object (id, name, email, 3 roles, a
// timestamp, a flag: ~130 B as JSON) set once; then 1,000,000 gets of keys drawn from a fixed
// sequence (uniform), every one a hit. Each mode reads through its own copy of the loop
// (cloneFunction: one implementation's type feedback never slows another's). Modes:
// - bytes:             a node without a codec, the value stored as its JSON bytes; the get
//                      returns them (what a program that decodes itself starts from);
// - json / v8:         a node with valueCodec 'json' / 'v8': a decode at every get;
// - json + keepDecoded: the decoded object kept beside the bytes (a WeakMap lookup per get);
// - lru-cache:         lru-cache 11 holding the objects themselves (no bytes, no decode).
// Every node is alone (warmupPeers 0): a get is local whatever the cluster, so the figure is the
// read path itself. Reported: the median of the rounds in ns per get, and the ratio to bytes and
// to lru-cache; then the heap per entry of each (bytes only, json with every entry's object kept
// after one get of each, lru-cache's objects), after a forced GC.

import { LRUCache } from 'lru-cache'
import { createCacheNode, type CacheNode } from '../lib/index.ts'
import { cloneFunction, formatTable, median, ratio } from './_report.ts'
import { cpus } from 'node:os'

const quick = process.argv.includes('--quick')
const ROUNDS = quick ? 3 : 7
const KEYS = 10_000
const GETS = 1_000_000
const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => {})

interface User {
  id: number
  name: string
  email: string
  roles: string[]
  updatedAt: number
  active: boolean
}

const keys = Array.from({ length: KEYS }, (_, i) => `user:${i}`)
const users: User[] = keys.map((_, i) => ({
  id: i,
  name: `User Number ${i}`,
  email: `user${i}@example.com`,
  roles: ['reader', i % 2 === 0 ? 'writer' : 'guest', 'member'],
  updatedAt: 1_764_000_000_000 + i,
  active: i % 3 !== 0,
}))
// A fixed uniform draw of key indexes (an LCG: the same sequence every run).
const order = new Uint32Array(GETS)
for (let i = 0, x = 12345; i < GETS; i++) order[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) % KEYS

type Getter = { get(key: string): unknown }
/** Reads every key of `order` through `c`; returns a checksum so the loop cannot be dropped. */
const readAll = (c: Getter, ks: string[], ord: Uint32Array): number => {
  let n = 0
  for (let i = 0; i < ord.length; i++) if (c.get(ks[ord[i]]) !== undefined) n++
  return n
}

const utf8 = new TextEncoder()
const common = { maxBytes: 256 * 1024 * 1024, warmupPeers: 0 }
const bytesNode = await createCacheNode(common)
const jsonNode = await createCacheNode<User>({ ...common, valueCodec: 'json' })
const v8Node = await createCacheNode<User>({ ...common, valueCodec: 'v8' })
const keptNode = await createCacheNode<User>({ ...common, valueCodec: 'json', keepDecoded: true })
const lru = new LRUCache<string, User>({ max: KEYS * 2 })
for (let i = 0; i < KEYS; i++) {
  await bytesNode.set(keys[i], utf8.encode(JSON.stringify(users[i])))
  await jsonNode.set(keys[i], users[i])
  await v8Node.set(keys[i], users[i])
  await keptNode.set(keys[i], users[i])
  lru.set(keys[i], users[i])
}
const modes: [string, Getter][] = [
  ['bytes (no codec)', bytesNode],
  ["valueCodec 'json'", jsonNode],
  ["valueCodec 'v8'", v8Node],
  ["'json' + keepDecoded", keptNode],
  ['lru-cache 11 (live objects)', lru],
]
const loops = modes.map(() => cloneFunction(readAll))
const ns: number[][] = modes.map(() => [])
for (let round = 0; round <= ROUNDS; round++) {
  for (let k = 0; k < modes.length; k++) {
    const m = (k + round) % modes.length
    gc()
    const t = process.hrtime.bigint()
    const hits = loops[m](modes[m][1], keys, order)
    const elapsed = Number(process.hrtime.bigint() - t)
    if (hits !== GETS) throw new Error(`${modes[m][0]}: ${hits} hits of ${GETS}`)
    if (round > 0) ns[m].push(elapsed / GETS) // round 0 warms up
  }
}

/** Heap the entries add to a structure, per key, after a forced GC (the structure made first). */
async function heapPerKey<S>(make: () => Promise<S> | S, fill: (s: S) => Promise<void>): Promise<[number, S]> {
  const structure = await make()
  gc()
  const before = process.memoryUsage().heapUsed
  await fill(structure)
  gc()
  return [(process.memoryUsage().heapUsed - before) / KEYS, structure]
}
const small = { ...common, maxBytes: 64 * 1024 * 1024 }
const [bytesHeap, n1] = await heapPerKey(
  () => createCacheNode(small),
  async (n) => {
    for (let i = 0; i < KEYS; i++) await n.set(keys[i], utf8.encode(JSON.stringify(users[i])))
  },
)
const [keptHeap, n2] = await heapPerKey(
  () => createCacheNode<User>({ ...small, valueCodec: 'json', keepDecoded: true }),
  async (n) => {
    for (let i = 0; i < KEYS; i++) await n.set(keys[i], users[i])
    for (const k of keys) n.get(k)
  },
)
const [lruHeap] = await heapPerKey(
  () => new LRUCache<string, User>({ max: KEYS * 2 }),
  async (c) => {
    for (let i = 0; i < KEYS; i++) c.set(keys[i], structuredClone(users[i]))
  },
)
const heap: [string, number][] = [
  ['bytes (no codec): the JSON bytes', bytesHeap],
  ["'json' + keepDecoded, every entry read once: bytes and object", keptHeap],
  ['lru-cache 11: the object', lruHeap],
]

const med = ns.map(median)
const bytesMed = med[0]
const lruMed = med[modes.length - 1]
const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.versions.node}`
const jsonBytes = utf8.encode(JSON.stringify(users[0])).length
console.log(`\nTyped values — ${machine}; median of ${ROUNDS} rounds`)
console.log(`${GETS.toLocaleString('en-US')} gets (all hits) over ${KEYS.toLocaleString('en-US')} user objects (~${jsonBytes} B as JSON)\n`)
console.log(
  formatTable(
    ['get through', 'ns per get (median)', 'min – max', 'vs bytes', 'vs lru-cache'],
    modes.map(([name], m) => [
      name,
      med[m].toFixed(1),
      `${Math.min(...ns[m]).toFixed(1)} – ${Math.max(...ns[m]).toFixed(1)}`,
      ratio(med[m], bytesMed),
      ratio(med[m], lruMed),
    ]),
  ),
)
const heapRows = heap.map(([name, b]) => [name, Math.round(b).toLocaleString('en-US')])
console.log('\n' + formatTable(['heap per entry (after GC)', 'bytes'], heapRows))
await Promise.all([bytesNode, jsonNode, v8Node, keptNode, n1, n2].map((n) => (n as CacheNode<unknown>).close()))
