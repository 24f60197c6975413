// Range clears (crdt/clears.ts): clear({ prefix }) as a versioned range tombstone. A write
// stamped before a clear is gone on every replica, one after it survives, whatever the order
// of delivery, with duplicates, through since(T), and past the table's bound (the fold).
import { expect } from 'chai'
import fc from 'fast-check'
import {
  compareVersions,
  decodeDeltas,
  encodeDeltas,
  makeDelta,
  makeVersion,
  Replica,
  HLC_ZERO,
  type Delta,
  type Hlc,
  type Version,
} from '../../crdt/index.ts'
import { ClearTable, stampBefore } from '../../crdt/clears.ts'
import { DecodeError } from '../../lib/foundation/index.ts'
import { propertyParams } from '../support/seed.ts'
import { T0 } from './arbitraries.ts'
import { Cluster } from './cluster.ts'

const v = (hlc: number, nodeId = 'n', userVersion = 0): Version => makeVersion(userVersion, hlc as Hlc, nodeId)

describe('crdt/clears: the range table', () => {
  it('covers writes to keys with the prefix stamped before the clear, by (hlc, node id), userVersion aside', () => {
    const t = new ClearTable(8)
    expect(t.add('user:', v(100))).to.equal(true)
    expect(t.cover('user:1', v(99, 'z', 7))).to.deep.equal(v(100))
    expect(t.cover('user:1', v(100, 'a'))).to.deep.equal(v(100))
    expect(t.cover('user:1', v(100, 'n'))).to.equal(undefined)
    expect(t.cover('user:1', v(101))).to.equal(undefined)
    expect(t.cover('use', v(1))).to.equal(undefined)
    expect(t.cover('order:1', v(1))).to.equal(undefined)
  })

  it('keeps no redundant range: a later clear of a prefix drops the longer ones, an earlier one is not kept', () => {
    const t = new ClearTable(8)
    t.add('a:b:', v(10))
    t.add('a:c:', v(20))
    expect(t.add('a:', v(15))).to.equal(true)
    expect([...t.since(0)].map((r) => r.prefix).sort()).to.deep.equal(['a:', 'a:c:'])
    expect(t.add('a:b:', v(12)), 'covered by a: at 15').to.equal(false)
    expect(t.add('', v(30))).to.equal(true)
    expect(t.size).to.equal(1)
    expect(t.add('x', v(29))).to.equal(false)
    t.validate()
  })

  it('forgets the oldest range into the floor past its bound: every write before the floor stays covered', () => {
    const t = new ClearTable(3)
    t.add('a', v(1))
    t.add('b', v(2))
    t.add('c', v(3))
    expect(t.add('d', v(4))).to.equal(true)
    expect(t.floor).to.deep.equal(v(1))
    expect([...t.since(0)].map((r) => r.prefix).sort()).to.deep.equal(['b', 'c', 'd'])
    expect(t.cover('zzz', v(0))).to.deep.equal(v(1))
    expect(t.cover('zzz', v(2)), 'above the floor, no range').to.equal(undefined)
    expect(t.add('q', v(1)), 'below the floor: redundant').to.equal(false)
    t.validate()
  })

  it('ends with the same ranges whatever the order the clears arrive in, below the bound', () => {
    const PREFIXES = ['', 'a', 'ab', 'b', 'ba', 'c']
    fc.assert(
      fc.property(
        fc.array(fc.record({ prefix: fc.constantFrom(...PREFIXES), hlc: fc.integer({ min: 1, max: 40 }) }), {
          minLength: 1,
          maxLength: 14,
        }),
        fc.array(fc.nat(), { minLength: 14, maxLength: 14 }),
        (clears, shuffle) => {
          const stamps = clears.map((c, i) => ({ prefix: c.prefix, stamp: v(c.hlc, `n${i}`) }))
          const a = new ClearTable(PREFIXES.length)
          for (const c of stamps) a.add(c.prefix, c.stamp)
          const b = new ClearTable(PREFIXES.length)
          for (const { c } of stamps.map((c, i) => ({ c, k: shuffle[i] })).sort((x, y) => x.k - y.k)) b.add(c.prefix, c.stamp)
          a.validate()
          b.validate()
          const held = (t: ClearTable): string[] => [...t.since(0)].map((r) => `${r.prefix}@${r.stamp.hlc}/${r.stamp.nodeId}`).sort()
          expect(held(b)).to.deep.equal(held(a))
        },
      ),
      propertyParams(300),
    )
  })

  it('past the bound, in any order, every clear received still covers what it covered', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ prefix: fc.constantFrom('', 'a', 'ab', 'b', 'ba', 'c'), hlc: fc.integer({ min: 1, max: 40 }) }), {
          minLength: 1,
          maxLength: 14,
        }),
        fc.integer({ min: 2, max: 4 }),
        (clears, max) => {
          const t = new ClearTable(max)
          const stamps = clears.map((c, i) => ({ prefix: c.prefix, stamp: v(c.hlc, `n${i}`) }))
          for (const c of stamps) t.add(c.prefix, c.stamp)
          t.validate()
          expect(t.size).to.be.at.most(max)
          for (const c of stamps) {
            for (const key of [c.prefix, `${c.prefix}x`, `${c.prefix}ab`]) {
              const s = t.cover(key, v(c.stamp.hlc - 1, 'zz'))
              expect(s, `${key} under ${c.prefix}@${c.stamp.hlc}`).to.not.equal(undefined)
              expect(stampBefore(s as Version, c.stamp)).to.equal(false)
            }
          }
        },
      ),
      propertyParams(300),
    )
  })
})

describe('crdt/clears: replicas', () => {
  it('a clear removes the keys with its prefix written before it, here and on every replica; later writes survive', () => {
    const c = new Cluster({ size: 2, startMs: T0 })
    const [a, b] = c.replicas
    for (const k of ['user:1', 'user:2', 'order:1']) c.deliver(1, c.record(a.set(k, Uint8Array.of(1), {}, T0)))
    const clear = c.record(a.clear('user:', T0 + 1))
    expect(a.get('user:1', T0 + 1)).to.equal(undefined)
    expect(a.get('order:1', T0 + 1)).to.deep.equal(Uint8Array.of(1))
    const after = c.record(a.set('user:3', Uint8Array.of(3), {}, T0 + 2))
    c.deliver(1, after)
    c.deliver(1, clear)
    expect(b.get('user:1', T0 + 2)).to.equal(undefined)
    expect(b.get('user:3', T0 + 2), 'written after the clear').to.deep.equal(Uint8Array.of(3))
    expect(b.get('order:1', T0 + 2)).to.deep.equal(Uint8Array.of(1))
    expect(b.stats()).to.include({ clears: 1, clearedKeys: 2, clearRanges: 1 })
    a.validate()
    b.validate()
  })

  it('a write stamped before the clear that arrives after it is refused (stale), through since(T) too', () => {
    const c = new Cluster({ size: 3, startMs: T0 })
    const [a, b, fresh] = c.replicas
    const old = c.record(b.set('k:1', Uint8Array.of(1), {}, T0))
    c.deliver(0, c.record(b.set('k:2', Uint8Array.of(2), {}, T0)))
    const clear = c.record(a.clear('', T0 + 5))
    c.deliver(1, clear)
    expect(a.apply(old, T0 + 6)).to.equal('stale')
    expect(a.get('k:1', T0 + 6)).to.equal(undefined)
    expect(a.stats().staleCleared).to.equal(1)
    // A new replica warmed from a's since(0) gets the clear first, then refuses the old write.
    const stream = [...a.since(HLC_ZERO)]
    expect(stream[0].op).to.equal('clear')
    for (const d of stream) c.deliver(2, d)
    expect(fresh.apply(old, T0 + 6)).to.equal('stale')
    expect(fresh.get('k:1', T0 + 6)).to.equal(undefined)
  })

  it('a cleared key with a userVersion stays behind a tombstone: an older row version written later still loses (G3)', () => {
    // A writes uv 5 before the clear, B writes uv 3 after it: in either delivery order the key
    // ends as a tombstone (5, clear's stamp) on every replica; a uv 6 written later wins.
    for (const order of [
      [0, 1, 2],
      [2, 0, 1],
      [1, 2, 0],
      [2, 1, 0],
    ]) {
      const c = new Cluster({ size: 4, startMs: T0 })
      const [a, b, x, r] = c.replicas
      const writes: Delta[] = []
      writes.push(a.set('row', Uint8Array.of(5), { userVersion: 5 }, T0))
      writes.push(x.clear('', T0 + 10))
      c.deliver(1, writes[1])
      writes.push(b.set('row', Uint8Array.of(3), { userVersion: 3 }, T0 + 20))
      for (const i of order) c.deliver(3, writes[i])
      expect(r.get('row', T0 + 30), `order ${order}`).to.equal(undefined)
      const newer = b.set('row', Uint8Array.of(6), { userVersion: 6 }, T0 + 40)
      expect(r.apply(newer, T0 + 40)).to.equal('applied')
      expect(r.get('row', T0 + 40)).to.deep.equal(Uint8Array.of(6))
      r.validate()
    }
  })

  it('converges 3–6 replicas under shuffled, duplicated sets, deletes and clears; past the bound, never a cleared value', () => {
    type Op =
      | { kind: 'set'; r: number; key: number; uv: number; stepMs: number }
      | { kind: 'delete'; r: number; key: number; stepMs: number }
      | { kind: 'clear'; r: number; prefix: number; stepMs: number }
      | { kind: 'deliver'; r: number; picks: number[]; stepMs: number }
    const KEYS = ['a0', 'a1', 'ab0', 'b0', 'b1', 'c0']
    const PREFIXES = ['', 'a', 'ab', 'b', 'c0', 'z']
    const r = fc.nat(5)
    const stepMs = fc.nat(3)
    const arbOp: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), r, key: fc.nat(5), uv: fc.constantFrom(0, 0, 0, 1, 2), stepMs }),
      fc.record({ kind: fc.constant('delete' as const), r, key: fc.nat(5), stepMs }),
      fc.record({ kind: fc.constant('clear' as const), r, prefix: fc.nat(5), stepMs }),
      fc.record({ kind: fc.constant('deliver' as const), r, picks: fc.array(fc.nat(), { maxLength: 6 }), stepMs }),
    )
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 6 }),
        fc.array(arbOp, { minLength: 1, maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 100 }),
        fc.constantFrom(2, 3, 1024),
        (size, ops, order, maxClearRanges) => {
          const c = new Cluster({ size, startMs: T0, skewMs: (i) => (i % 3) * 5 - 5, replica: { maxClearRanges } })
          for (const op of ops) {
            c.nowMs += op.stepMs
            const i = op.r % size
            const rep = c.replicas[i]
            const now = c.time(i)
            if (op.kind === 'set') c.record(rep.set(KEYS[op.key], Uint8Array.of(c.made.length & 255), { userVersion: op.uv }, now))
            else if (op.kind === 'delete') c.record(rep.delete(KEYS[op.key], {}, now))
            else if (op.kind === 'clear') c.record(rep.clear(PREFIXES[op.prefix], now))
            else for (const p of op.picks) if (c.made.length > 0) c.deliver(i, c.made[p % c.made.length])
          }
          if (c.made.length === 0) return
          c.deliverAll(order)
          // Below the bound, every replica holds the rule's contents: the latest write of each
          // key, unless a clear stamped after it covers it (then nothing, or a tombstone with its
          // userVersion). Past it (the floor), a replica may miss more, never hold another value.
          c.expectRule(maxClearRanges === 1024)
        },
      ),
      propertyParams(200),
    )
  })

  it('since(T) sends only the clears stamped after T, and a replica repaired by it converges', () => {
    const c = new Cluster({ size: 2, startMs: T0 })
    const [a, b] = c.replicas
    a.clear('x', T0)
    const mark = a.clock
    a.clear('y', T0 + 10)
    expect([...a.since(mark)].filter((d) => d.op === 'clear').map((d) => d.key)).to.deep.equal(['y'])
    c.repairFromAll(1)
    expect(b.stats().clearRanges).to.equal(2)
  })

  it('refuses a bad prefix with a typed error naming it, and nothing is applied', () => {
    const r = new Replica({ nodeId: 'n', maxBytes: 1 << 20 })
    expect(() => r.clear(3 as unknown as string, T0)).to.throw(/prefix must be a string/).with.property('argument', 'prefix')
    expect(() => r.clear('\ud800', T0)).to.throw(/prefix holds a lone UTF-16 surrogate/)
    expect(r.log.lastSeq).to.equal(0)
  })
})

describe('crdt/clears: the wire', () => {
  it('round-trips a clear (op code 4, bit 5 of the flags) beside the other ops', () => {
    const r = new Replica({ nodeId: 'n', maxBytes: 1 << 20 })
    const ds = [r.set('k', Uint8Array.of(1), {}, T0), r.clear('', T0), r.clear('user:', T0)]
    const back = decodeDeltas(encodeDeltas(ds))
    expect(back.map((d) => [d.op, d.key])).to.deep.equal([
      ['set', 'k'],
      ['clear', ''],
      ['clear', 'user:'],
    ])
    expect(compareVersions(back[2].version, ds[2].version)).to.equal(0)
  })

  it('refuses a clear with a userVersion or an expiry, and unknown op codes, as DecodeError', () => {
    const d = makeDelta('clear', 'p', v(5), undefined, undefined, undefined, { nodeId: 'n', epoch: 1 }, 1)
    const bytes = encodeDeltas([d])
    // The flags byte: after format, 1 node id ("n"), 1 origin (0, 1), hlc base, count.
    const at = bytes.length - 1 - 1 - 1 - 1 - 1 - 1 - 1
    expect(bytes[at] & 0b100011).to.equal(0b100000)
    for (const flags of [0b100100, 0b101000, 0b100010, 0b100011, 0b1100000, 0b10100000]) {
      const bad = bytes.slice()
      bad[at] = flags
      expect(() => decodeDeltas(bad), `flags ${flags.toString(2)}`).to.throw(DecodeError)
    }
    expect(() => encodeDeltas([{ ...d, version: v(5, 'n', 2) }])).to.throw(TypeError, /userVersion 0/)
  })
})
