// The history of a chaos run and its checker (test/chaos/matrix.test.ts; unit tests in
// test/chaos/history.test.ts).
//
// Recorded, per node process ("h1#2": host 1, its second start) and in the order the node
// received them (one IPC channel per process, handled in order, and a write applies locally
// before its answer, so send order is the node's order):
//   - every write: set (value) or delete, ack asked or not, the version the node stamped, and
//     its outcome: 'ok' (no ack asked), 'acked', 'ack-failed', or 'unknown' (no answer: the
//     process was killed with the call in flight);
//   - every read: the value, version and expiry it returned, and the node's clock at the read;
//   - wall-clock times of invocation and answer, for the trace.
//
// The checker, over that history and the replicas' final states:
//   (a) G4 no stale read: per node and key, a read never returns a version older than one that
//       node already returned or wrote itself for that key (a miss is always safe); and a read
//       returns the value written with the version it reports (no torn or invented value);
//   (a') G5: a read never returns an entry whose expiry is at or before the node's own clock;
//   (b') G6 at ack time: a node that acknowledged a write never serves an older version of
//       the key after the ack resolved;
//   (b) G6 no lost acknowledged write: each acked write is, on every final replica, either the
//       winning version (a set: that value; a delete: absent) or beaten by a higher version;
//   (c) G2 convergence: every final replica holds identical entries (key, value, version,
//       expiry) — the caller compares the states after its convergence deadline.
import { compareVersions, type Version } from '../../crdt/version.ts'

export type WriteOutcome = 'ok' | 'acked' | 'ack-failed' | 'unknown'

export interface WriteOp {
  type: 'write'
  node: string
  /** Position in the node's own order. */
  seq: number
  key: string
  op: 'set' | 'delete'
  /** set only. */
  value?: string
  ack: boolean
  /** set with a time to live. */
  ttlMs?: number
  start: number
  end?: number
  /** Undefined while in flight, and when the answer never came. */
  version?: Version
  outcome?: WriteOutcome
  /** Members that did not ack (ack-failed). */
  missing?: string[]
  /** acked: the nodes (history names) that applied it before the ack resolved. */
  ackedBy?: string[]
}

export interface ReadOp {
  type: 'read'
  node: string
  seq: number
  key: string
  start: number
  end?: number
  /** null: a miss. */
  value?: string | null
  version?: Version | null
  expiresAt?: number | null
  nodeNow?: number
  /** No answer (the process died). */
  failed?: boolean
}

export type Op = WriteOp | ReadOp

/** The final contents of one replica (ChaosNode.state()). */
export interface ReplicaState {
  entries: { key: string; value: string; version: Version; expiresAt: number | null }[]
  tombstones: { key: string; version: Version }[]
  /** Versions held without a value (expired entries). */
  ghosts?: { key: string; version: Version }[]
}

export interface Violation {
  kind: 'stale-read' | 'wrong-value' | 'expired-read' | 'ack-not-visible' | 'lost-ack-write' | 'divergence'
  key: string
  node?: string
  message: string
}

export class History {
  readonly ops: Op[] = []
  readonly notes: { at: number; text: string }[] = []
  readonly #seq = new Map<string, number>()
  readonly t0 = Date.now()

  #next(node: string): number {
    const s = (this.#seq.get(node) ?? 0) + 1
    this.#seq.set(node, s)
    return s
  }

  /** A write is sent to `node` (call before sending, so the seq is the node's order). */
  beginWrite(
    node: string,
    key: string,
    op: 'set' | 'delete',
    value: string | undefined,
    ack: boolean,
    start = Date.now(),
    ttlMs?: number,
  ): WriteOp {
    const w: WriteOp = {
      type: 'write',
      node,
      seq: this.#next(node),
      key,
      op,
      ack,
      start,
      ...(op === 'set' ? { value } : {}),
      ...(ttlMs === undefined ? {} : { ttlMs }),
    }
    this.ops.push(w)
    return w
  }

  endWrite(
    w: WriteOp,
    reply: { version: Version; acked?: boolean | undefined; ackError?: { missing?: unknown }; ackedBy?: string[] } | undefined,
    end = Date.now(),
  ): void {
    w.end = end
    if (reply === undefined) {
      w.outcome = 'unknown'
      return
    }
    w.version = reply.version
    w.outcome = !w.ack ? 'ok' : reply.acked === true ? 'acked' : 'ack-failed'
    const missing = reply.ackError?.missing
    if (Array.isArray(missing)) w.missing = missing as string[]
    if (w.outcome === 'acked' && reply.ackedBy !== undefined) w.ackedBy = reply.ackedBy
  }

  beginRead(node: string, key: string, start = Date.now()): ReadOp {
    const r: ReadOp = { type: 'read', node, seq: this.#next(node), key, start }
    this.ops.push(r)
    return r
  }

  endRead(
    r: ReadOp,
    reply: { value: string | null; version: Version | null; expiresAt: number | null; nodeNow: number } | undefined,
    end = Date.now(),
  ): void {
    r.end = end
    if (reply === undefined) {
      r.failed = true
      return
    }
    r.value = reply.value
    r.version = reply.version
    r.expiresAt = reply.expiresAt
    r.nodeNow = reply.nodeNow
  }

  note(text: string, at = Date.now()): void {
    this.notes.push({ at, text })
  }

  /** One line per event, in time order: the trace printed with a failure. `keys` filters. */
  trace(keys?: ReadonlySet<string>): string {
    const lines: { at: number; text: string }[] = this.notes.map((n) => ({ at: n.at, text: `-- ${n.text}` }))
    for (const op of this.ops) {
      if (keys !== undefined && !keys.has(op.key)) continue
      if (op.type === 'write') {
        const what = op.op === 'set' ? `set ${op.key}=${op.value}${op.ttlMs === undefined ? '' : ` ttl=${op.ttlMs}`}` : `delete ${op.key}`
        const missing = op.missing ? ` missing=${op.missing.map(shortId).join(',')}` : ''
        const by = op.ackedBy ? ` by=${op.ackedBy.join(',')}` : ''
        const ms = op.end === undefined ? '?' : op.end - op.start
        const text = `${op.node} #${op.seq} ${what}${op.ack ? ' ack:all' : ''} -> ${fmtVersion(op.version)} ${op.outcome ?? 'in flight'}`
        lines.push({ at: op.start, text: `${text}${missing}${by} (${ms} ms)` })
      } else {
        const got = op.failed ? 'no answer' : op.value === null ? 'miss' : `${op.value} ${fmtVersion(op.version ?? undefined)}`
        lines.push({ at: op.start, text: `${op.node} #${op.seq} get ${op.key} -> ${got}` })
      }
    }
    lines.sort((a, b) => a.at - b.at)
    return lines.map((l) => `${String(l.at - this.t0).padStart(6)} ms  ${l.text}`).join('\n')
  }
}

export function shortId(id: string): string {
  return id.length > 8 ? id.slice(-6) : id
}

export function fmtVersion(v: Version | undefined | null): string {
  return v == null ? 'v?' : `v(${v.userVersion},${v.hlc},${shortId(v.nodeId)})`
}

function versionKey(v: Version): string {
  return `${v.userVersion}/${v.hlc}/${v.nodeId}`
}

/** (a) and (a'): stale, wrong-valued and expired reads. */
export function checkReads(ops: readonly Op[]): Violation[] {
  const out: Violation[] = []
  // The value of every version written (a read must report the value of its version).
  const written = new Map<string, WriteOp>()
  for (const op of ops) if (op.type === 'write' && op.version !== undefined) written.set(versionKey(op.version), op)
  // Every value set per key, answered or not (a write whose process died has no version, but
  // its value may have travelled): a read of a value outside this set came from no write.
  const setValues = new Map<string, Set<string | undefined>>()
  for (const op of ops) {
    if (op.type !== 'write' || op.op !== 'set') continue
    let values = setValues.get(op.key)
    if (values === undefined) setValues.set(op.key, (values = new Set()))
    values.add(op.value)
  }
  // Per node: its ops in its own order.
  const byNode = new Map<string, Op[]>()
  for (const op of ops) {
    let list = byNode.get(op.node)
    if (list === undefined) byNode.set(op.node, (list = []))
    list.push(op)
  }
  for (const [node, list] of byNode) {
    list.sort((a, b) => a.seq - b.seq)
    const seen = new Map<string, { version: Version; how: string }>()
    const raise = (key: string, version: Version, how: string): void => {
      const s = seen.get(key)
      if (s === undefined || compareVersions(version, s.version) > 0) seen.set(key, { version, how })
    }
    for (const op of list) {
      if (op.type === 'write') {
        if (op.version !== undefined) raise(op.key, op.version, `its own ${op.op} #${op.seq}`)
        continue
      }
      if (op.failed || op.version == null) continue
      const s = seen.get(op.key)
      if (s !== undefined && compareVersions(op.version, s.version) < 0) {
        out.push({
          kind: 'stale-read',
          key: op.key,
          node,
          message: `${node} #${op.seq} read ${op.key} at ${fmtVersion(op.version)}, older than ${fmtVersion(s.version)} (${s.how})`,
        })
      }
      const w = written.get(versionKey(op.version))
      if (w === undefined && op.value !== null && setValues.get(op.key)?.has(op.value) !== true) {
        out.push({
          kind: 'wrong-value',
          key: op.key,
          node,
          message: `${node} #${op.seq} read ${op.key}=${op.value} at ${fmtVersion(op.version)}, a value no write of ${op.key} produced`,
        })
      }
      if (w !== undefined && (w.key !== op.key || w.op !== 'set' || w.value !== op.value)) {
        out.push({
          kind: 'wrong-value',
          key: op.key,
          node,
          message:
            `${node} #${op.seq} read ${op.key}=${op.value} at ${fmtVersion(op.version)}, ` +
            `but that version was ${w.node} #${w.seq} ${w.op} ${w.key}${w.op === 'set' ? `=${w.value}` : ''}`,
        })
      }
      if (op.expiresAt != null && op.nodeNow !== undefined && op.expiresAt <= op.nodeNow) {
        out.push({
          kind: 'expired-read',
          key: op.key,
          node,
          message:
            `${node} #${op.seq} read ${op.key} expiring at ${op.expiresAt}, ` +
            `at its clock ${op.nodeNow} (${op.nodeNow - op.expiresAt} ms after expiry)`,
        })
      }
      raise(op.key, op.version, `its read #${op.seq}`)
    }
  }
  return out
}

type Final = { version: Version; entry?: ReplicaState['entries'][number]; ghost?: boolean }

/**
 * (b') G6 at the time of the ack: once an acknowledged write resolved, each node that
 * acknowledged it has applied it, so a read there that starts after the ack never returns an
 * older version. (A miss proves nothing: a TTL or a later delete explains it.)
 */
export function checkAckVisibility(ops: readonly Op[]): Violation[] {
  const out: Violation[] = []
  const readsByNode = new Map<string, ReadOp[]>()
  for (const op of ops) {
    if (op.type !== 'read' || op.failed || op.version == null) continue
    let list = readsByNode.get(op.node)
    if (list === undefined) readsByNode.set(op.node, (list = []))
    list.push(op)
  }
  for (const w of ops) {
    if (w.type !== 'write' || w.outcome !== 'acked' || w.version === undefined || w.end === undefined) continue
    for (const node of w.ackedBy ?? []) {
      for (const r of readsByNode.get(node) ?? []) {
        if (r.key !== w.key || r.start <= w.end || compareVersions(r.version as Version, w.version) >= 0) continue
        out.push({
          kind: 'ack-not-visible',
          key: w.key,
          node,
          message:
            `${node} #${r.seq} read ${r.key} at ${fmtVersion(r.version)} ${r.start - w.end} ms ` +
            `after ${w.node} #${w.seq} ${w.op} at ${fmtVersion(w.version)} was acknowledged by it`,
        })
        break
      }
    }
  }
  return out
}

/** The winning version a replica knows for `key` (live entry, tombstone or expired ghost), if any. */
function finalVersion(state: ReplicaState, key: string): Final | undefined {
  let best: Final | undefined
  const offer = (f: Final): void => {
    if (best === undefined || compareVersions(f.version, best.version) > 0) best = f
  }
  for (const e of state.entries) if (e.key === key) offer({ version: e.version, entry: e })
  for (const t of state.tombstones) if (t.key === key) offer({ version: t.version })
  for (const g of state.ghosts ?? []) if (g.key === key) offer({ version: g.version, ghost: true })
  return best
}

/** (b): every acknowledged write is final, or beaten by a higher version, on every replica. */
export function checkAckedWrites(ops: readonly Op[], finals: ReadonlyMap<string, ReplicaState>): Violation[] {
  const out: Violation[] = []
  for (const op of ops) {
    if (op.type !== 'write' || op.outcome !== 'acked' || op.version === undefined) continue
    for (const [node, state] of finals) {
      const f = finalVersion(state, op.key)
      const what =
        `${op.node} #${op.seq} ${op.op} ${op.key}${op.op === 'set' ? `=${op.value}` : ''} at ${fmtVersion(op.version)} (acknowledged)`
      if (f === undefined || compareVersions(f.version, op.version) < 0) {
        const held = f === undefined ? 'no trace of the key' : `older ${fmtVersion(f.version)}`
        out.push({ kind: 'lost-ack-write', key: op.key, node, message: `${what}: ${node} ends with ${held}` })
        continue
      }
      if (compareVersions(f.version, op.version) > 0) continue
      // A set with a TTL may have expired: its version is then held as a ghost.
      const ok =
        op.op === 'set'
          ? (f.entry !== undefined && f.entry.value === op.value) || (f.ghost === true && op.ttlMs !== undefined)
          : f.entry === undefined
      if (ok) continue
      const held =
        f.entry === undefined ? (f.ghost ? 'no value (a ghost, and the write had no TTL)' : 'no value') : `value ${f.entry.value}`
      out.push({ kind: 'lost-ack-write', key: op.key, node, message: `${what}: ${node} holds that version with ${held}` })
    }
  }
  return out
}

/** (c): every replica holds the same entries. One violation per differing key. */
export function checkConvergence(finals: ReadonlyMap<string, ReplicaState>): Violation[] {
  const out: Violation[] = []
  const keys = new Set<string>()
  for (const s of finals.values()) for (const e of s.entries) keys.add(e.key)
  for (const key of [...keys].sort()) {
    const seen = new Map<string, string[]>()
    for (const [node, s] of finals) {
      const e = s.entries.find((x) => x.key === key)
      const sig = e === undefined ? 'absent' : `${e.value} ${fmtVersion(e.version)} exp=${e.expiresAt ?? '-'}`
      seen.set(sig, [...(seen.get(sig) ?? []), node])
    }
    if (seen.size > 1) {
      out.push({ kind: 'divergence', key, message: `${key}: ${[...seen].map(([sig, nodes]) => `${nodes.join(',')}: ${sig}`).join(' | ')}` })
    }
  }
  return out
}

/** The part of a replica's state on `keys`. */
export function restrictState(s: ReplicaState, keys: ReadonlySet<string>): ReplicaState {
  return {
    entries: s.entries.filter((e) => keys.has(e.key)),
    tombstones: s.tombstones.filter((t) => keys.has(t.key)),
    ghosts: (s.ghosts ?? []).filter((g) => keys.has(g.key)),
  }
}

/**
 * Are the replicas identical (the convergence wait's condition)? The same live entries (c), and
 * for every key the same newest version known, whether held as an entry, a tombstone or a ghost:
 * a delete still on its way to a healed node leaves every replica reading a miss, but the node
 * holds an older tombstone until repair brings the delete. The wait waits for it instead of
 * judging the delete lost.
 */
export function converged(finals: ReadonlyMap<string, ReplicaState>): boolean {
  return checkConvergence(finals).length === 0 && sameNewestVersions(finals)
}

function sameNewestVersions(finals: ReadonlyMap<string, ReplicaState>): boolean {
  const keys = new Set<string>()
  for (const s of finals.values()) for (const x of [...s.entries, ...s.tombstones, ...(s.ghosts ?? [])]) keys.add(x.key)
  for (const key of keys) {
    const seen = new Set<string>()
    for (const s of finals.values()) {
      const f = finalVersion(s, key)
      seen.add(f === undefined ? 'none' : fmtVersion(f.version))
    }
    if (seen.size > 1) return false
  }
  return true
}

export interface CheckResult {
  staleReads: Violation[]
  wrongValues: Violation[]
  expiredReads: Violation[]
  ackNotVisible: Violation[]
  lostAckedWrites: Violation[]
  divergences: Violation[]
  all: Violation[]
}

/** Runs (a), (a'), (b) and (c). `keys`: only these keys (a run's own, on a shared cluster). */
export function checkHistory(
  history: History | readonly Op[],
  finals: ReadonlyMap<string, ReplicaState>,
  keys?: ReadonlySet<string>,
): CheckResult {
  let ops = history instanceof History ? history.ops : history
  let states = finals
  if (keys !== undefined) {
    ops = ops.filter((o) => keys.has(o.key))
    states = new Map([...finals].map(([n, s]) => [n, restrictState(s, keys)]))
  }
  const reads = checkReads(ops)
  const staleReads = reads.filter((v) => v.kind === 'stale-read')
  const wrongValues = reads.filter((v) => v.kind === 'wrong-value')
  const expiredReads = reads.filter((v) => v.kind === 'expired-read')
  const ackNotVisible = checkAckVisibility(ops)
  const lostAckedWrites = checkAckedWrites(ops, states)
  const divergences = checkConvergence(states)
  return {
    staleReads,
    wrongValues,
    expiredReads,
    ackNotVisible,
    lostAckedWrites,
    divergences,
    all: [...reads, ...ackNotVisible, ...lostAckedWrites, ...divergences],
  }
}
