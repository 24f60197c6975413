// A cluster of replicas in one process with a hand-driven network, for the convergence tests
// (not a test file itself). Every delta a replica makes is recorded; deliveries happen when
// the test says, in the order it says, as often as it says: the network reorders, duplicates
// and drops exactly as the seeded test draws.
import * as Y from 'yjs'
import { compareVersions, HLC_ZERO, Replica, type Delta, type ReplicaInit, type Version } from '../../crdt/index.ts'

export interface ClusterInit {
  size: number
  /** Physical clock offset of each replica in ms (skew), default 0. */
  skewMs?: (i: number) => number
  replica?: Omit<ReplicaInit, 'nodeId'>
  startMs: number
}

export class Cluster {
  readonly replicas: Replica[]
  /** Every delta made, in the order made. */
  readonly made: Delta[] = []
  readonly skews: number[]
  nowMs: number

  constructor(init: ClusterInit) {
    this.nowMs = init.startMs
    this.skews = Array.from({ length: init.size }, (_, i) => init.skewMs?.(i) ?? 0)
    this.replicas = Array.from({ length: init.size }, (_, i) => new Replica({ maxBytes: 1 << 24, ...init.replica, nodeId: `n${i}` }))
  }

  /** Replica i's physical time. */
  time(i: number): number {
    return this.nowMs + this.skews[i]
  }

  record(d: Delta): Delta {
    this.made.push(d)
    return d
  }

  deliver(i: number, d: Delta): void {
    this.replicas[i].apply(d, this.time(i))
  }

  /** Every replica's live entries, sorted by key, as comparable plain data. */
  contents(i: number): unknown[] {
    const r = this.replicas[i]
    return [...r.entries(this.time(i))]
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((e) => ({
        key: e.key,
        value: Buffer.from(e.value).toString('hex'),
        version: { ...e.version },
        lastMerge: e.lastMerge && { ...e.lastMerge },
        expiresAt: e.expiresAt,
      }))
  }

  /** Repairs replica i from every other replica's since(0) stream. */
  repairFromAll(i: number): void {
    for (let j = 0; j < this.replicas.length; j++) {
      if (j === i) continue
      for (const d of this.replicas[j].since(HLC_ZERO)) this.deliver(i, d)
    }
  }
}

/** The winning write of each key among `deltas` (merges excluded: they edit, never win alone). */
export function winners(deltas: readonly Delta[]): Map<string, Delta> {
  const w = new Map<string, Delta>()
  for (const d of deltas) {
    if (d.op === 'merge' || d.op === 'ghost') continue
    const cur = w.get(d.key)
    if (cur === undefined || compareVersions(d.version, cur.version) > 0) w.set(d.key, d)
  }
  return w
}

/** A yjs update that inserts `text` into the document held in `state` (or a new one). */
export function yjsEdit(state: Uint8Array | undefined, clientId: number, text: string, at: number): Uint8Array {
  const doc = new Y.Doc()
  doc.clientID = clientId
  if (state !== undefined) Y.applyUpdate(doc, state)
  const before = Y.encodeStateVector(doc)
  const t = doc.getText('t')
  t.insert(Math.min(at, t.length), text)
  const update = Y.encodeStateAsUpdate(doc, before)
  doc.destroy()
  return update
}

/** The text of a yjs state. */
export function yjsText(state: Uint8Array): string {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, state)
  const s = doc.getText('t').toString()
  doc.destroy()
  return s
}

export function versionString(v: Version | undefined): string {
  return v === undefined ? '-' : `${v.userVersion}/${v.hlc}/${v.nodeId}`
}
