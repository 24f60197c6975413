// A cluster of replicas in one process with a hand-driven network, for the convergence tests
// (not a test file itself). Every delta a replica makes is recorded; deliveries happen when
// the test says, in the order it says, as often as it says: the network reorders, duplicates
// and drops exactly as the seeded test draws.
import { expect } from 'chai'
import * as Y from 'yjs'
import { compareVersions, HLC_ZERO, makeVersion, Replica, type Delta, type ReplicaInit, type Version } from '../../crdt/index.ts'
import { stampBefore } from '../../crdt/clears.ts'

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

  /** Every delta made to every replica: first as `order` picks them (repeats included), then all in order. */
  deliverAll(order: readonly number[]): void {
    for (let i = 0; i < this.replicas.length; i++) {
      for (const p of order) this.deliver(i, this.made[(p + i * 7919) % this.made.length])
      for (const d of this.made) this.deliver(i, d)
    }
  }

  /**
   * Every replica valid and holding the clear and tag rules' contents (ruleContents) — exactly,
   * or, past a table's bound (its floor), only entries the rules keep: a miss more, never
   * another value.
   */
  expectRule(exact: boolean): void {
    const rule = ruleContents(this.made, this.time(0))
    for (let i = 0; i < this.replicas.length; i++) {
      this.replicas[i].validate()
      const held = this.contents(i)
      if (exact) expect(held, `replica ${i}`).to.deep.equal(rule)
      else for (const e of held) expect(rule, `replica ${i}`).to.deep.include(e)
    }
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

/**
 * The live contents the clear and tag rules give for `made` (docs/replication.md §4a, §4b),
 * shaped like Cluster.contents: the latest write of each key, after each write is made what a
 * clear stamped after it makes of it (nothing at userVersion 0, else a tombstone (u, stamp)),
 * or what an invalidation of one of its tags stamped after it makes of it (a tombstone at its
 * own version). No eviction, no floors, no yjs; entries expired at `nowMs` are left out.
 */
export function ruleContents(made: readonly Delta[], nowMs: number): unknown[] {
  const clears = made.filter((d) => d.op === 'clear')
  const invalidations = made.filter((d) => d.op === 'invalidate')
  const best = new Map<string, { version: Version; d: Delta | undefined }>()
  for (const d of made) {
    if (d.op === 'clear' || d.op === 'invalidate') continue
    let version = d.version
    let live: Delta | undefined = d.op === 'set' ? d : undefined
    let top: Version | undefined
    for (const cl of clears) if (d.key.startsWith(cl.key) && (top === undefined || stampBefore(top, cl.version))) top = cl.version
    if (top !== undefined && stampBefore(d.version, top)) {
      if (d.version.userVersion === 0) continue
      version = makeVersion(d.version.userVersion, top.hlc, top.nodeId)
      live = undefined
    } else if (invalidations.some((inv) => (d.tags ?? []).includes(inv.key) && stampBefore(d.version, inv.version))) {
      live = undefined
    }
    const cur = best.get(d.key)
    if (cur === undefined || compareVersions(version, cur.version) > 0) best.set(d.key, { version, d: live })
  }
  return [...best.entries()]
    .filter(([, w]) => w.d !== undefined && (w.d.expiresAt === undefined || w.d.expiresAt > nowMs))
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([key, w]) => {
      const d = w.d as Delta
      const value = Buffer.from(d.value as Uint8Array).toString('hex')
      return { key, value, version: { ...d.version }, lastMerge: undefined, expiresAt: d.expiresAt }
    })
}
