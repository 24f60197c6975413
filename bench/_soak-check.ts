// The soak's history checker (bench/_soak.ts), streaming: the rules of the chaos matrix's
// checker (test/support/history.ts) with memory bounded by the key space, not by the run's
// length. A 10-minute soak makes millions of operations; keeping them all for
// test/support/history.ts's checkHistory would take gigabytes in the driver (and its
// ack-visibility check is quadratic in the reads of a key).
//
// Per node process (history name "h1#2"), operations are taken in the order the node received
// them — the order they were sent: one IPC channel per process, handled in order, and a write
// applies locally before it answers. An answer that arrives early waits in a small reorder
// queue until everything sent before it has answered, as checkReads sorts by seq.
//   - stale read (G4): a read returns a version older than one that process already returned
//     or wrote for that key (a miss is always safe);
//   - stale read after an ack (G6 at ack time): a read that starts after an acknowledged write
//     resolved, on a process that acknowledged it, returns an older version;
//   - lost acknowledged write (G6): kept compactly (every acked write, as a WriteOp) and
//     checked at the end by history.ts's checkAckedWrites, one key at a time;
// Divergent keys (G2) are history.ts's checkConvergence over the final states (bench/_soak.ts).
import { compareVersions, type Version } from '../crdt/version.ts'
import { checkAckedWrites, fmtVersion, type ReplicaState, type Violation, type WriteOp } from '../test/support/history.ts'

interface Pending {
  kind: 'write' | 'read'
  key: string
  start: number
  done: boolean
  /** Undefined: no answer (the process died), or a miss. */
  version?: Version
}

/** Examples of each kind of violation kept for the report (the counts are exact). */
const MAX_EXAMPLES = 20
/** Acknowledgement floors kept per (process, key): older ones only matter to reads already answered. */
const MAX_FLOORS = 8

export class SoakChecker {
  readonly #queues = new Map<string, Pending[]>()
  /** Per process, per key: the newest version it wrote or returned, and how. */
  readonly #seen = new Map<string, Map<string, { version: Version; how: string }>>()
  /** Per process, per key: (version, time acknowledged) of acked writes it applied, increasing in both. */
  readonly #floors = new Map<string, Map<string, { version: Version; at: number }[]>>()
  readonly #acked: WriteOp[] = []
  staleReads = 0
  staleAfterAck = 0
  readonly examples: string[] = []

  beginWrite(label: string, key: string): Pending {
    return this.#push(label, { kind: 'write', key, start: Date.now(), done: false })
  }

  beginRead(label: string, key: string): Pending {
    return this.#push(label, { kind: 'read', key, start: Date.now(), done: false })
  }

  /** The answer (undefined: none came). A read's version is null on a miss. */
  end(label: string, p: Pending, version: Version | null | undefined): void {
    p.done = true
    p.version = version ?? undefined
    const q = this.#queues.get(label) as Pending[]
    let n = 0
    while (n < q.length && q[n].done) this.#take(label, q[n++])
    if (n > 0) q.splice(0, n)
  }

  /**
   * An `ack: 'all'` write resolved: `ackedBy` (history names) applied it. Kept for the final
   * check, and as a floor for later reads on those processes.
   */
  acked(w: WriteOp, ackedBy: string[], at: number): void {
    this.#acked.push(w)
    for (const label of ackedBy) {
      const byKey = this.#mapOf(this.#floors, label)
      let list = byKey.get(w.key)
      if (list === undefined) byKey.set(w.key, (list = []))
      const last = list.at(-1)
      if (last !== undefined && compareVersions(last.version, w.version as Version) >= 0) continue
      list.push({ version: w.version as Version, at })
      if (list.length > MAX_FLOORS) list.shift()
    }
  }

  get ackedWrites(): number {
    return this.#acked.length
  }

  /** Acked writes that some final replica lacks (missing, older, or another value at that version). */
  lostAckedWrites(finals: ReadonlyMap<string, ReplicaState>): Violation[] {
    const byKey = new Map<string, WriteOp[]>()
    for (const w of this.#acked) {
      const list = byKey.get(w.key)
      if (list === undefined) byKey.set(w.key, [w])
      else list.push(w)
    }
    // Index each replica by key once, so each key's check sees only its own entries.
    const indexed = [...finals].map(([label, s]) => [label, indexState(s)] as const)
    const out: Violation[] = []
    for (const [key, writes] of byKey) {
      const states = new Map(indexed.map(([label, idx]) => [label, idx.get(key) ?? EMPTY]))
      out.push(...checkAckedWrites(writes, states))
    }
    return out
  }

  #push(label: string, p: Pending): Pending {
    let q = this.#queues.get(label)
    if (q === undefined) this.#queues.set(label, (q = []))
    q.push(p)
    return p
  }

  #take(label: string, p: Pending): void {
    if (p.version === undefined) return
    const seen = this.#mapOf(this.#seen, label)
    const s = seen.get(p.key)
    if (p.kind === 'read') {
      if (s !== undefined && compareVersions(p.version, s.version) < 0) {
        this.staleReads++
        this.#example(`stale read: ${label} read ${p.key} at ${fmtVersion(p.version)}, older than ${fmtVersion(s.version)} (${s.how})`)
      }
      const floors = this.#floors.get(label)?.get(p.key)
      const floor = floors?.findLast((f) => f.at < p.start)
      if (floor !== undefined && compareVersions(p.version, floor.version) < 0) {
        this.staleAfterAck++
        const after = `${p.start - floor.at} ms after it acknowledged ${fmtVersion(floor.version)}`
        this.#example(`stale read after an ack: ${label} read ${p.key} at ${fmtVersion(p.version)} ${after}`)
      }
    }
    if (s === undefined || compareVersions(p.version, s.version) > 0) seen.set(p.key, { version: p.version, how: `its own ${p.kind}` })
  }

  #mapOf<V>(m: Map<string, Map<string, V>>, label: string): Map<string, V> {
    let inner = m.get(label)
    if (inner === undefined) m.set(label, (inner = new Map()))
    return inner
  }

  #example(text: string): void {
    if (this.examples.length < MAX_EXAMPLES) this.examples.push(text)
  }
}

const EMPTY: ReplicaState = { entries: [], tombstones: [], ghosts: [] }

function indexState(s: ReplicaState): Map<string, ReplicaState> {
  const idx = new Map<string, ReplicaState>()
  const of = (key: string): ReplicaState => {
    let r = idx.get(key)
    if (r === undefined) idx.set(key, (r = { entries: [], tombstones: [], ghosts: [] }))
    return r
  }
  for (const e of s.entries) of(e.key).entries.push(e)
  for (const t of s.tombstones) of(t.key).tombstones.push(t)
  for (const g of s.ghosts ?? []) of(g.key).ghosts?.push(g)
  return idx
}
