// G2: with capacity large enough that nothing is evicted, replicas that receive every delta
// — in any order, with duplicates, some of them mid-history — hold identical contents,
// versions included. Also with yjs merges mixed in (concurrent merges commute).
import { expect } from 'chai'
import fc from 'fast-check'
import { propertyParams } from '../support/seed.ts'
import { T0 } from './arbitraries.ts'
import { Cluster, yjsEdit, yjsText } from './cluster.ts'

type Op =
  | { kind: 'set'; r: number; key: number; value: number[]; ttl: boolean; stepMs: number }
  | { kind: 'delete'; r: number; key: number; stepMs: number }
  | { kind: 'merge'; r: number; key: number; text: string; at: number; stepMs: number }
  | { kind: 'deliver'; r: number; picks: number[]; stepMs: number }

const arbOp = (yjs: boolean): fc.Arbitrary<Op> => {
  const r = fc.nat(6)
  const stepMs = fc.nat(3)
  const ops: fc.Arbitrary<Op>[] = [
    fc.record({
      kind: fc.constant('set' as const),
      r,
      key: fc.nat(5),
      value: fc.array(fc.nat(255), { maxLength: 8 }),
      ttl: fc.boolean(),
      stepMs,
    }),
    fc.record({ kind: fc.constant('delete' as const), r, key: fc.nat(5), stepMs }),
    fc.record({ kind: fc.constant('deliver' as const), r, picks: fc.array(fc.nat(), { maxLength: 6 }), stepMs }),
  ]
  if (yjs) {
    ops.push(
      fc.record({
        kind: fc.constant('merge' as const),
        r,
        key: fc.nat(5),
        text: fc.string({ minLength: 1, maxLength: 3 }),
        at: fc.nat(10),
        stepMs,
      }),
    )
  }
  return fc.oneof(...ops)
}

function run(size: number, ops: Op[], order: number[], yjs: boolean): Cluster {
  const c = new Cluster({ size, startMs: T0, skewMs: (i) => (i % 3) * 7 - 7 })
  for (const op of ops) {
    c.nowMs += op.stepMs
    const i = op.r % size
    const rep = c.replicas[i]
    const now = c.time(i)
    // Keys 0-2 hold plain bytes; with yjs, keys 3-5 hold yjs documents (sets write a state).
    const keyNo = op.kind === 'deliver' ? 0 : op.key
    const key = `k${keyNo}`
    const isDoc = yjs && keyNo >= 3
    switch (op.kind) {
      case 'set': {
        const value = isDoc
          ? yjsEdit(undefined, 1000 + c.made.length, String.fromCharCode(97 + (op.value[0] ?? 0) % 26), 0)
          : Uint8Array.from(op.value)
        c.record(rep.set(key, value, op.ttl ? { ttlMs: 3_600_000 } : {}, now))
        break
      }
      case 'delete':
        c.record(rep.delete(key, {}, now))
        break
      case 'merge': {
        if (!isDoc) break
        const cur = rep.getEntry(key, now)?.value
        c.record(rep.merge(key, yjsEdit(cur, 1000 + c.made.length, op.text, op.at), now))
        break
      }
      case 'deliver':
        for (const p of op.picks) if (c.made.length > 0) c.deliver(i, c.made[p % c.made.length])
        break
    }
  }
  // Every delta to every replica, in a random order, with duplicates (order has ~1.3× the deltas).
  for (let i = 0; i < size && c.made.length > 0; i++) {
    const seen = new Set<number>()
    for (const p of order) {
      const k = (p + i * 7919) % c.made.length
      seen.add(k)
      c.deliver(i, c.made[k])
    }
    for (let k = 0; k < c.made.length; k++) if (!seen.has(k)) c.deliver(i, c.made[k])
  }
  return c
}

function checkIdentical(c: Cluster): void {
  const first = c.contents(0)
  for (let i = 0; i < c.replicas.length; i++) {
    c.replicas[i].validate()
    expect(c.contents(i), `replica ${i} vs replica 0`).to.deep.equal(first)
  }
}

describe('crdt/convergence (G2)', () => {
  it('apply converges 3–7 replicas to identical entries under random order and duplicates', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 7 }),
        fc.array(arbOp(false), { minLength: 1, maxLength: 80 }),
        fc.array(fc.nat(), { maxLength: 120 }),
        (size, ops, order) => {
          const c = run(size, ops, order, false)
          if (c.made.length > 0) checkIdentical(c)
        },
      ),
      propertyParams(150),
    )
  })

  it('apply converges with yjs merges mixed in: identical bytes and the same text everywhere', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 7 }),
        fc.array(arbOp(true), { minLength: 1, maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 100 }),
        (size, ops, order) => {
          const c = run(size, ops, order, true)
          if (c.made.length === 0) return
          checkIdentical(c)
          for (const e of c.replicas[0].entries(c.time(0))) if (e.lastMerge !== undefined) yjsText(e.value)
        },
      ),
      propertyParams(80),
    )
  })

  it('concurrent merges on one document commute: both edits survive on every replica', () => {
    const c = new Cluster({ size: 3, startMs: T0 })
    const base = c.record(c.replicas[0].set('doc', yjsEdit(undefined, 1, 'base', 0), {}, T0))
    for (const i of [1, 2]) c.deliver(i, base)
    const m1 = c.record(c.replicas[1].merge('doc', yjsEdit(c.replicas[1].get('doc', T0), 11, 'X', 0), T0 + 1))
    const m2 = c.record(c.replicas[2].merge('doc', yjsEdit(c.replicas[2].get('doc', T0), 12, 'Y', 4), T0 + 1))
    c.deliver(0, m2)
    c.deliver(0, m1)
    c.deliver(1, m2)
    c.deliver(2, m1)
    checkIdentical(c)
    const text = yjsText(c.replicas[0].get('doc', T0 + 2) as Uint8Array)
    expect(text).to.have.length(6)
    expect(text).to.include('X').and.include('Y').and.include('base')
  })
})
