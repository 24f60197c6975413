// A cache node in its own process for the chaos matrix (test/chaos/matrix.test.ts), driven over
// IPC by test/support/chaos-node.ts. Like node-process.ts, plus what a history checker needs
// and node-process.ts cannot give:
//
// - `set` and `delete` answer with the exact version the write was stamped with (a delete's
//   version is not readable back through the public API), and with the ack outcome;
// - `read` answers with the value, the version and the node's own clock at the read (G5);
// - `state` dumps the live entries (value, version, expiry) and the tombstones' versions.
//
// The versions come from the node's Replica: its set/delete return the delta they made, and a
// read hands over the instance. That is a test-only wrapper around the prototype in this
// process; the library is unchanged.
// argv[2]: JSON of CacheNodeInit. Values travel as UTF-8 strings.
import { createCacheNode, type CacheNode, type Version, type WriteOptions } from '../../lib/index.ts'
import { Replica, type Delta } from '../../lib/replica.ts'
import { commonHandlers, serveCommands, type Handlers } from './ipc-commands.ts'

let replica: Replica | undefined
let lastWrite: Delta | undefined
const proto = Replica.prototype as unknown as Record<string, (...a: unknown[]) => unknown>
for (const name of ['set', 'delete'] as const) {
  const original = proto[name]
  proto[name] = function (this: Replica, ...args: unknown[]) {
    replica = this
    const d = original.apply(this, args) as Delta
    lastWrite = d
    return d
  }
}
const originalGetEntry = proto.getEntry
proto.getEntry = function (this: Replica, ...args: unknown[]) {
  replica ??= this
  return originalGetEntry.apply(this, args)
}

const init = JSON.parse(process.argv[2] ?? '{}') as { clockOffsetMs?: number }
const offset = init.clockOffsetMs ?? 0
const node: CacheNode = await createCacheNode(init)
node.getEntry('\u0000chaos-probe') // hands over the replica instance
const text = new TextDecoder()
const bytes = new TextEncoder()

/** Per member id: the death count when it was last declared dead or left (see WriteReply.ackedBy). */
const lastDeath = new Map<string, number>()
let deaths = 0
for (const type of ['member:dead', 'member:left'] as const) node.addEventListener(type, (e) => lastDeath.set(e.detail.id, ++deaths))

for (const type of ['member:alive', 'member:suspect', 'member:dead', 'member:left', 'sync:done', 'join:failed', 'delta:dropped'] as const) {
  node.addEventListener(type, (e) => process.send?.({ event: type, detail: e.detail }))
}

export interface WriteReply {
  version: Version
  /** undefined: no ack asked; true: every live member applied it; false: the ack failed. */
  acked: boolean | undefined
  ackError?: { code?: string; message?: string; missing?: unknown }
  /** Wall clock of this process (no offset) when the write was applied and answered. */
  appliedAt: number
  answeredAt: number
  /**
   * acked only: the member ids that acknowledged it — those counted at the write (alive or
   * suspect) that this node did not declare dead or left while it waited (those stop counting).
   */
  ackedBy?: string[]
}

export interface ReadReply {
  value: string | null
  version: Version | null
  expiresAt: number | null
  /** The node's own clock (with its offset) at the read. */
  nodeNow: number
  at: number
}

export interface StateReply {
  entries: { key: string; value: string; version: Version; expiresAt: number | null }[]
  tombstones: { key: string; version: Version }[]
  /** Versions held without a value: expired (or evicted) entries. */
  ghosts: { key: string; version: Version }[]
}

async function write(op: () => Promise<unknown>, opts?: { ack?: string }): Promise<WriteReply> {
  lastWrite = undefined
  const promise = op()
  const d = lastWrite as Delta | undefined
  if (d === undefined) throw new Error('chaos-process: the write made no delta (Replica.prototype patch missed)')
  const appliedAt = Date.now()
  if (opts?.ack !== 'all') {
    await promise
    return { version: d.version, acked: undefined, appliedAt, answeredAt: Date.now() }
  }
  const counted = node.members().slice(1).filter((m) => m.state === 'alive' || m.state === 'suspect').map((m) => m.id)
  const deathsBefore = deaths
  try {
    await promise
    const ackedBy = counted.filter((id) => (lastDeath.get(id) ?? 0) <= deathsBefore)
    return { version: d.version, acked: true, appliedAt, answeredAt: Date.now(), ackedBy }
  } catch (err) {
    const e = err as { code?: string; message?: string; missing?: unknown }
    return {
      version: d.version,
      acked: false,
      ackError: { code: e.code, message: e.message, missing: e.missing },
      appliedAt,
      answeredAt: Date.now(),
    }
  }
}

const handlers: Handlers = {
  info: () => ({ id: node.id, addresses: node.addresses(), pid: process.pid }),
  set: (key: string, value: string, opts?: WriteOptions) => write(() => node.set(key, bytes.encode(value), opts), opts),
  delete: (key: string, opts?: WriteOptions) => write(() => node.delete(key, opts), opts),
  read: (key: string): ReadReply => {
    const at = Date.now()
    const e = node.getEntry(key)
    return e === undefined
      ? { value: null, version: null, expiresAt: null, nodeNow: at + offset, at }
      : { value: text.decode(e.value), version: e.version, expiresAt: e.expiresAt ?? null, nodeNow: at + offset, at }
  },
  state: (): StateReply => {
    const entries: StateReply['entries'] = []
    for (const [key, e] of node.entries()) {
      if (key.startsWith('\u0000')) continue
      entries.push({ key, value: text.decode(e.value), version: e.version, expiresAt: e.expiresAt ?? null })
    }
    entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    const tombstones: StateReply['tombstones'] = []
    const ghosts: StateReply['ghosts'] = []
    if (replica !== undefined) {
      for (const d of replica.since(0 as never)) {
        if (d.op === 'delete') tombstones.push({ key: d.key, version: d.version })
        else if (d.op === 'ghost') ghosts.push({ key: d.key, version: d.version })
      }
    }
    const byKey = (a: { key: string }, b: { key: string }): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
    return { entries, tombstones: tombstones.sort(byKey), ghosts: ghosts.sort(byKey) }
  },
  ...commonHandlers(node),
}

serveCommands(handlers)
