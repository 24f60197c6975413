// One process of the cluster benchmark (bench/cluster.ts), driven over IPC like
// test/support/node-process.ts: it may host a cache node, or act as a Redis client (paced
// writer, keyspace-event subscriber, GET round trips), so that writer and observer always
// sit in different processes, for the cache and for Redis alike.
//
// Timestamps are `performance.timeOrigin + performance.now()` (ms, µs resolution): every
// process on the machine reads the same wall clock through it, so a send time taken here and
// an apply time taken in another process compare directly (cluster.ts checks the agreement).
//
// How "visible on B" is observed without polling: Replica.prototype.apply is wrapped in this
// process (bench-only; lib/ is untouched). Every remote delta — gossip, repair, warm-up —
// goes through it, and a key is readable with `get` from the moment it returns 'applied', so
// the time taken right after is the time the key became visible. Polling would burn one of
// the machine's two cores and have its period as resolution.
import { createCacheNode, type CacheNode, type CacheNodeInit } from '../lib/index.ts'
import { Replica, type Delta } from '../crdt/index.ts'
import { Resp, type Reply } from './_resp.ts'
import { readFileSync } from 'node:fs'

const clock = (): number => performance.timeOrigin + performance.now()
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
const sleep1 = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1))

let node: CacheNode | undefined
const memberEvents = { 'member:suspect': 0, 'member:dead': 0 }
let startedAt = 0

// ---- the watch: apply times of keys `${prefix}${i}` for i < n ----
interface Watch {
  prefix: string
  times: Float64Array
  count: number
  last: number
  done: () => void
}
let watch: Watch | undefined
let watchDone: Promise<void> = Promise.resolve()

const originalApply = Replica.prototype.apply
Replica.prototype.apply = function (this: Replica, d: Delta, nowMs: number) {
  const result = originalApply.call(this, d, nowMs)
  if (result === 'applied' && watch !== undefined) noteVisible(watch, d.key)
  return result
}

function noteVisible(w: Watch, key: string): void {
  if (!key.startsWith(w.prefix)) return
  const i = Number(key.slice(w.prefix.length))
  if (!(i >= 0 && i < w.times.length) || w.times[i] !== 0) return
  w.times[i] = w.last = clock()
  if (++w.count === w.times.length) w.done()
}

function value(i: number, bytes: number): Uint8Array {
  const v = new Uint8Array(bytes)
  v.fill(97 + (i % 26))
  return v
}

/** Calls `write(i)` for i < n at `rate` per second (0: as fast as it goes), bounded by time. */
async function paced(
  n: number,
  rate: number,
  maxMs: number,
  yieldEvery: number,
  write: (i: number) => void,
  afterSlice: () => void | Promise<void> = () => {},
): Promise<{ t0: number; t1: number; written: number }> {
  const t0 = clock()
  let i = 0
  while (i < n && clock() - t0 < maxMs) {
    const due = rate === 0 ? n : Math.min(n, Math.floor(((clock() - t0) * rate) / 1000) + 1)
    const stop = Math.min(due, i + yieldEvery)
    const idle = i === stop
    while (i < stop) write(i++)
    await afterSlice()
    // setImmediate lets the socket and gossipsub work between slices. When nothing was due,
    // sleep 1 ms rather than spin: a spinning writer would take one of the machine's two
    // cores from the processes under test. Writes then leave in bursts of ~rate/1000, each
    // stamped with its own send time.
    await (idle ? sleep1() : tick())
  }
  return { t0, t1: clock(), written: i }
}

function percentiles(xs: Float64Array): { p50: number; p99: number; max: number; n: number } {
  const s = Float64Array.from(xs).sort()
  const at = (q: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]
  return { p50: at(0.5), p99: at(0.99), max: s[s.length - 1], n: s.length }
}

let redisWriter: Resp | undefined
let sub: Resp | undefined

const handlers: Record<string, (...args: never[]) => unknown> = {
  clock: () => clock(),
  /** Bytes this process wrote and read through syscalls (sockets included), from /proc. */
  io: () => {
    const text = readFileSync('/proc/self/io', 'utf8')
    const field = (name: string): number => Number(/^NAME: (\d+)$/m.exec(text.replace(name, 'NAME'))?.[1] ?? 0)
    return { wchar: field('wchar'), rchar: field('rchar') }
  },
  /** CPU time of this process so far (ms, user + system): shows which process was the bottleneck. */
  cpuMs: () => {
    const u = process.cpuUsage()
    return (u.user + u.system) / 1000
  },
  start: async (init: CacheNodeInit) => {
    startedAt = clock()
    node = await createCacheNode(init)
    // A member SWIM suspects or declares dead under load is hung up on: gossip to it is lost
    // and repaired later, which shows in the figures; the counts say when that happened.
    for (const type of ['member:suspect', 'member:dead'] as const) node.addEventListener(type, () => memberEvents[type]++)
    return { id: node.id, addresses: node.addresses(), pid: process.pid }
  },
  addresses: () => node!.addresses(),
  aliveCount: () => node!.members().filter((m) => m.state === 'alive').length,
  /** Resolves with the warm-up result and the wall time from createCacheNode to sync:done. */
  warmedUp: async () => {
    const r = await node!.warmedUp
    return { ...r, sinceCreateMs: clock() - startedAt, entriesHeld: node!.stats().store.entries }
  },
  stats: () => node!.stats(),
  memberEvents: () => ({ ...memberEvents }),
  /** Starts recording when keys `${prefix}0..n-1` become visible here. */
  watch: (prefix: string, n: number) => {
    watchDone = new Promise((resolve) => {
      watch = { prefix, times: new Float64Array(n), count: 0, last: 0, done: resolve }
    })
  },
  /** Waits until every watched key is visible, or the deadline; returns count and last time. */
  waitWatch: async (timeoutMs: number) => {
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([watchDone, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))])
    clearTimeout(timer)
    return { count: watch!.count, n: watch!.times.length, last: watch!.last }
  },
  /** Apply times of the watched keys (0: never seen), then forgets the watch. */
  takeTimes: () => {
    const t = Array.from(watch!.times)
    watch = undefined
    return t
  },
  /** Writes `${prefix}0..n-1` on this node at `rate`/s (0: flat out); returns send times. */
  write: async (prefix: string, n: number, rate: number, maxMs: number, valueBytes: number, yieldEvery: number, backpressure = false) => {
    const sent = new Float64Array(n)
    const v = value(0, valueBytes)
    const drops0 = node!.stats().replication.batchesSkipped
    // With backpressure the writer awaits flush() after each slice, as a bulk loader should:
    // flush() waits until the replication streams took what was queued; a flat-out writer
    // instead pushes its members past the engine's queue bound, and they catch up by repair
    // (backlogDrops counts the batches they skipped).
    const r = await paced(
      n,
      rate,
      maxMs,
      yieldEvery,
      (i) => {
        sent[i] = clock()
        void node!.set(`${prefix}${i}`, v)
      },
      backpressure ? () => node!.flush() : undefined,
    )
    await node!.flush()
    const backlogDrops = node!.stats().replication.batchesSkipped - drops0
    return { ...r, flushed: clock(), backlogDrops, sent: rate === 0 ? [] : Array.from(sent.subarray(0, r.written)) }
  },
  /** In-process `get` latency: each call timed alone with hrtime; keys picked at random. */
  getLatency: (prefix: string, keys: number, samples: number) => {
    const out = new Float64Array(samples)
    const names = Array.from({ length: 4096 }, () => `${prefix}${Math.floor(Math.random() * keys)}`)
    let misses = 0
    for (let i = 0; i < samples; i++) {
      const key = names[i & 4095]
      const t = process.hrtime.bigint()
      const v = node!.get(key)
      out[i] = Number(process.hrtime.bigint() - t) / 1e3
      if (v === undefined) misses++
    }
    // The floor: two clock reads with nothing between them.
    const empty = new Float64Array(samples)
    for (let i = 0; i < samples; i++) {
      const t = process.hrtime.bigint()
      empty[i] = Number(process.hrtime.bigint() - t) / 1e3
    }
    return { us: percentiles(out), timerUs: percentiles(empty), misses }
  },

  // ---- Redis roles ----
  /** Fills a Redis with `${prefix}0..n-1` × valueBytes, pipelined in slices. */
  redisFill: async (port: number, prefix: string, n: number, valueBytes: number) => {
    const r = await Resp.open(port)
    const v = value(0, valueBytes)
    const t0 = clock()
    for (let i = 0; i < n; i += 10_000) {
      const cmds: Buffer[] = []
      for (let j = i; j < Math.min(n, i + 10_000); j++) cmds.push(Resp.encode(['SET', `${prefix}${j}`, v]))
      await r.send(Buffer.concat(cmds), cmds.length)
    }
    r.close()
    return { ms: clock() - t0 }
  },
  /** Writes SETs to a Redis at `rate`/s, pipelined per loop turn; returns send times. */
  redisWrite: async (port: number, prefix: string, n: number, rate: number, maxMs: number, valueBytes: number) => {
    redisWriter = await Resp.open(port)
    const sent = new Float64Array(n)
    const v = value(0, valueBytes)
    const replies: Promise<Reply[]>[] = []
    let slice: Buffer[] = []
    const flushSlice = (): void => {
      if (slice.length > 0) replies.push(redisWriter!.send(Buffer.concat(slice), slice.length))
      slice = []
    }
    // One socket write per loop turn (what is due now), like the cache's batch per turn.
    const r = await paced(n, rate, maxMs, 4096, (i) => {
      sent[i] = clock()
      slice.push(Resp.encode(['SET', `${prefix}${i}`, v]))
    }, flushSlice)
    await Promise.all(replies)
    redisWriter.close()
    return { ...r, sent: Array.from(sent.subarray(0, r.written)) }
  },
  /**
   * Watches a Redis replica's keyspace events (`SET` on keys `${prefix}i`): the event is sent
   * once the replica applied the write, so its arrival time here is "visible on the replica"
   * plus one loopback pubsub hop (tens of µs; the cache's observer has no such hop).
   */
  redisSubscribe: async (port: number, prefix: string, n: number) => {
    sub = await Resp.open(port)
    await sub.call('CONFIG', 'SET', 'notify-keyspace-events', 'E$')
    handlers.watch(prefix as never, n as never)
    const w = watch!
    await sub.call('SUBSCRIBE', '__keyevent@0__:set')
    sub.onPush = (m) => {
      if (Array.isArray(m) && m[0] === 'message') noteVisible(w, String(m[2]))
    }
  },
  redisUnsubscribe: () => {
    sub?.close()
    sub = undefined
  },
  /** GET round trips, one outstanding at a time, each timed with hrtime. */
  redisGetLatency: async (port: number, prefix: string, keys: number, samples: number) => {
    const r = await Resp.open(port)
    const out = new Float64Array(samples)
    let misses = 0
    for (let i = 0; i < samples; i++) {
      const cmd = Resp.encode(['GET', `${prefix}${Math.floor(Math.random() * keys)}`])
      const t = process.hrtime.bigint()
      const [v] = await r.send(cmd, 1)
      out[i] = Number(process.hrtime.bigint() - t) / 1e3
      if (v === null) misses++
    }
    r.close()
    return { us: percentiles(out), misses }
  },
  close: async () => {
    await node?.close()
    setImmediate(() => process.exit(0))
  },
}

type Cmd = { id: number; cmd: string; args: unknown[] }
process.on('message', async (m: Cmd) => {
  try {
    const h = handlers[m.cmd]
    if (h === undefined) throw new Error(`unknown command ${m.cmd}`)
    const result = await (h as (...a: unknown[]) => unknown)(...m.args)
    process.send?.({ id: m.id, ok: true, result: result ?? null })
  } catch (err) {
    const e = err as { message?: string; stack?: string }
    process.send?.({ id: m.id, ok: false, error: { message: e.message, stack: e.stack } })
  }
})
// The parent's death must not leave this process running (bounded runs, no orphans).
process.on('disconnect', () => process.exit(0))
process.send?.({ ready: true })
