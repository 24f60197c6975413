// Tags (crdt/tags.ts): set(key, value, { tags }) and invalidate(tag). Every write tagged with
// an invalidated tag and stamped before the invalidation is a tombstone at its own version on
// every replica, whatever the order of delivery; writes after it survive; the index stays
// bounded by what the store holds.
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
  type Hlc,
  type Version,
} from '../../crdt/index.ts'
import { TagIndex, TagTable } from '../../crdt/tags.ts'
import { DecodeError } from '../../lib/foundation/index.ts'
import { propertyParams } from '../support/seed.ts'
import { T0 } from './arbitraries.ts'
import { Cluster } from './cluster.ts'

const v = (hlc: number, nodeId = 'n', userVersion = 0): Version => makeVersion(userVersion, hlc as Hlc, nodeId)
const b = (n: number): Uint8Array => Uint8Array.of(n)

describe('crdt/tags: the tables', () => {
  it('TagTable keeps the latest invalidation per tag and covers tagged writes stamped before it', () => {
    const t = new TagTable(8)
    expect(t.add('user:1', v(10))).to.equal(true)
    expect(t.add('user:1', v(5)), 'an older one of the same tag').to.equal(false)
    expect(t.cover(['a', 'user:1'], v(9, 'z', 3))).to.deep.equal(v(10))
    expect(t.cover(['user:1'], v(11))).to.equal(undefined)
    expect(t.cover(['other'], v(1))).to.equal(undefined)
    expect(t.cover(undefined, v(1)), 'untagged writes are never covered').to.equal(undefined)
  })

  it('TagTable forgets the oldest into the floor past its bound: every tagged write below it stays covered', () => {
    const t = new TagTable(2)
    t.add('a', v(1))
    t.add('b', v(2))
    t.add('c', v(3))
    expect(t.size).to.equal(2)
    expect(t.floor).to.deep.equal(v(1))
    expect(t.cover(['zzz'], v(0))).to.deep.equal(v(1))
    expect(t.cover(['a'], v(0)), 'the forgotten tag: through the floor').to.deep.equal(v(1))
    expect(t.add('a', v(1)), 'at the floor: redundant').to.equal(false)
    t.validate()
  })

  it('TagIndex lists keys per tag, interns the tag strings, and forgets a tag it hands out', () => {
    const i = new TagIndex()
    const first = i.add('k1', ['t', 'u'])
    const second = i.add('k2', [['t'].join('')])
    expect(second[0]).to.equal(first[0])
    expect(i.listings()).to.equal(3)
    i.remove('k1', ['u'])
    expect(i.tags).to.equal(1)
    expect(i.take('t').sort()).to.deep.equal(['k1', 'k2'])
    expect(i.take('t')).to.deep.equal([])
    expect(i.listings()).to.equal(0)
  })
})

describe('crdt/tags: replicas', () => {
  it('invalidate(tag) removes the entries written with it before, here and on every replica; others and later ones stay', () => {
    const c = new Cluster({ size: 2, startMs: T0 })
    const [a, r] = c.replicas
    c.deliver(1, c.record(a.set('p:1', b(1), { tags: ['product:1', 'catalog'] }, T0)))
    c.deliver(1, c.record(a.set('p:2', b(2), { tags: ['product:2', 'catalog'] }, T0)))
    c.deliver(1, c.record(a.set('plain', b(3), {}, T0)))
    const inv = c.record(a.invalidate('product:1', T0 + 1))
    const later = c.record(a.set('p:1b', b(4), { tags: ['product:1'] }, T0 + 2))
    c.deliver(1, later)
    c.deliver(1, inv)
    for (const rep of [a, r]) {
      expect(rep.get('p:1', T0 + 3)).to.equal(undefined)
      expect(rep.get('p:2', T0 + 3)).to.deep.equal(b(2))
      expect(rep.get('plain', T0 + 3)).to.deep.equal(b(3))
      expect(rep.get('p:1b', T0 + 3), 'tagged after the invalidation').to.deep.equal(b(4))
      expect(rep.getEntry('p:2', T0 + 3)?.tags).to.deep.equal(['product:2', 'catalog'])
      rep.validate()
    }
    expect(r.stats()).to.include({ invalidations: 1, invalidatedKeys: 1, tagInvalidations: 1 })
  })

  it('a tagged write that arrives after its invalidation is a tombstone at its own version: newer untagged writes win, older lose', () => {
    const c = new Cluster({ size: 3, startMs: T0 })
    const [a, x, r] = c.replicas
    const older = x.set('k', b(1), {}, T0)
    const tagged = a.set('k', b(2), { tags: ['t'] }, T0 + 10)
    const newer = x.set('k', b(3), {}, T0 + 20)
    const inv = a.invalidate('t', T0 + 30)
    for (const order of [
      [inv, tagged, older],
      [older, inv, tagged],
      [tagged, inv, older],
    ]) {
      const fresh = new Replica({ nodeId: `r${order.length}`, maxBytes: 1 << 20 })
      for (const d of order) fresh.apply(d, T0 + 40)
      expect(fresh.get('k', T0 + 40), 'the older untagged write stays below the tombstone').to.equal(undefined)
      expect(fresh.apply(newer, T0 + 40)).to.equal('applied')
      expect(fresh.get('k', T0 + 40)).to.deep.equal(b(3))
      fresh.validate()
    }
    void r
  })

  it('since(T) carries invalidations first and entries with their tags; a repaired replica refuses the covered write', () => {
    const c = new Cluster({ size: 2, startMs: T0 })
    const [a, fresh] = c.replicas
    const covered = a.set('x', b(1), { tags: ['t'] }, T0)
    a.set('y', b(2), { tags: ['u', 't2'] }, T0)
    a.invalidate('t', T0 + 5)
    const stream = [...a.since(HLC_ZERO)]
    expect(stream[0].op).to.equal('invalidate')
    expect(stream.find((d) => d.key === 'y')?.tags).to.deep.equal(['u', 't2'])
    for (const d of stream) c.deliver(1, d)
    // Its tombstone came with the stream; the write itself is no news.
    expect(fresh.apply(covered, T0 + 6)).to.equal('stale')
    expect(fresh.get('x', T0 + 6)).to.equal(undefined)
    expect(fresh.getEntry('y', T0 + 6)?.tags).to.deep.equal(['u', 't2'])
    fresh.validate()
  })

  it('a yjs document keeps its tags through merges, on replicas that only saw the merges too', () => {
    const c = new Cluster({ size: 2, startMs: T0 })
    const [a, r] = c.replicas
    a.set('doc', new Uint8Array([0, 0]), { tags: ['docs'] }, T0)
    const m = a.merge('doc', new Uint8Array([0, 0]), T0 + 1)
    expect(m.tags).to.deep.equal(['docs'])
    c.deliver(1, m)
    expect(r.getEntry('doc', T0 + 1)?.tags).to.deep.equal(['docs'])
    c.deliver(1, a.invalidate('docs', T0 + 2))
    expect(r.get('doc', T0 + 2)).to.equal(undefined)
    expect(a.get('doc', T0 + 2)).to.equal(undefined)
  })

  it('the index forgets what the store forgets: overwrites, evictions and invalidations leave no listing behind', () => {
    const r = new Replica({ nodeId: 'n', maxBytes: 64 * 1024, store: { ghostRatio: 0.1 } })
    for (let i = 0; i < 5_000; i++) {
      r.set(`k${i % 700}`, new Uint8Array(40), { tags: [`t${i % 13}`, `u${i % 7}`, 'all'] }, T0 + i)
      if (i % 500 === 0) r.invalidate(`t${i % 13}`, T0 + i)
    }
    r.validate()
    const s = r.store.stats()
    expect(s.entries + s.ghostEntries, 'the store evicted').to.be.below(700)
    // At most the three tags of each entry or ghost still held.
    expect(r.stats().tagListings).to.be.at.most(3 * (s.entries + s.ghostEntries))
    r.invalidate('all', T0 + 6_000)
    expect([...r.entries(T0 + 6_000)].map((e) => e.key), 'every entry carried "all"').to.deep.equal([])
    r.validate()
  })

  it('converges 3–6 replicas under shuffled, duplicated sets (tagged, some with userVersion), deletes, invalidations and clears', () => {
    type Op =
      | { kind: 'set'; r: number; key: number; tags: number[]; uv: number; stepMs: number }
      | { kind: 'delete'; r: number; key: number; stepMs: number }
      | { kind: 'invalidate'; r: number; tag: number; stepMs: number }
      | { kind: 'clear'; r: number; prefix: number; stepMs: number }
      | { kind: 'deliver'; r: number; picks: number[]; stepMs: number }
    const KEYS = ['a0', 'a1', 'b0', 'b1']
    const TAGS = ['t0', 't1', 't2']
    const PREFIXES = ['a', 'b1', '']
    const r = fc.nat(5)
    const stepMs = fc.nat(3)
    const arbOp: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant('set' as const),
          r,
          key: fc.nat(3),
          tags: fc.uniqueArray(fc.nat(2), { maxLength: 2 }),
          uv: fc.constantFrom(0, 0, 0, 1, 2),
          stepMs,
        }),
      },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), r, key: fc.nat(3), stepMs }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('invalidate' as const), r, tag: fc.nat(2), stepMs }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const), r, prefix: fc.nat(2), stepMs }) },
      {
        weight: 2,
        arbitrary: fc.record({ kind: fc.constant('deliver' as const), r, picks: fc.array(fc.nat(), { maxLength: 6 }), stepMs }),
      },
    )
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 6 }),
        fc.array(arbOp, { minLength: 1, maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 100 }),
        fc.constantFrom(1, 2, 1 << 20),
        (size, ops, order, maxTagInvalidations) => {
          const c = new Cluster({ size, startMs: T0, skewMs: (i) => (i % 3) * 5 - 5, replica: { maxTagInvalidations } })
          for (const op of ops) {
            c.nowMs += op.stepMs
            const i = op.r % size
            const rep = c.replicas[i]
            const now = c.time(i)
            if (op.kind === 'set') {
              const tags = op.tags.map((t) => TAGS[t])
              c.record(rep.set(KEYS[op.key], b(c.made.length & 255), { userVersion: op.uv, tags }, now))
            } else if (op.kind === 'delete') c.record(rep.delete(KEYS[op.key], {}, now))
            else if (op.kind === 'invalidate') c.record(rep.invalidate(TAGS[op.tag], now))
            else if (op.kind === 'clear') c.record(rep.clear(PREFIXES[op.prefix], now))
            else for (const p of op.picks) if (c.made.length > 0) c.deliver(i, c.made[p % c.made.length])
          }
          if (c.made.length === 0) return
          c.deliverAll(order)
          c.expectRule(maxTagInvalidations === 1 << 20)
        },
      ),
      propertyParams(250),
    )
  })

  it('refuses bad tags with a typed error naming them, before the clock ticks', () => {
    const r = new Replica({ nodeId: 'n', maxBytes: 1 << 20 })
    for (const tags of ['t', [1], [''], ['x'.repeat(200)], Array.from({ length: 17 }, (_, i) => `t${i}`), ['\ud800']]) {
      expect(() => r.set('k', b(1), { tags: tags as string[] }, T0), JSON.stringify(tags).slice(0, 30))
        .to.throw()
        .with.property('argument', 'tags')
    }
    expect(() => r.invalidate('', T0)).to.throw().with.property('argument', 'tags')
    expect(r.log.lastSeq).to.equal(0)
    r.set('k', b(1), { tags: ['a', 'a', 'b'] }, T0)
    expect(r.getEntry('k', T0)?.tags, 'duplicates dropped').to.deep.equal(['a', 'b'])
  })
})

describe('crdt/tags: the wire', () => {
  it('round-trips tags on sets and merges and invalidations (op code 5)', () => {
    const o = { nodeId: 'n', epoch: 1 }
    const ds = [
      makeDelta('set', 'k', v(1), undefined, b(1), undefined, o, 1, ['a', 'ü']),
      makeDelta('invalidate', 'a', v(2), undefined, undefined, undefined, o, 2),
      makeDelta('set', 'k2', v(3), undefined, b(1), undefined, o, 3),
    ]
    const back = decodeDeltas(encodeDeltas(ds))
    expect(back.map((d) => [d.op, d.key, d.tags])).to.deep.equal([
      ['set', 'k', ['a', 'ü']],
      ['invalidate', 'a', undefined],
      ['set', 'k2', undefined],
    ])
    expect(compareVersions(back[1].version, ds[1].version)).to.equal(0)
  })

  it('refuses tags on an op that takes none, an empty tag list, and an oversized tag as DecodeError', () => {
    const o = { nodeId: 'n', epoch: 1 }
    const del = encodeDeltas([makeDelta('delete', 'k', v(1), undefined, undefined, undefined, o, 1)])
    const flagsAt = del.length - 1 - 1 - 1 - 1 - 1 - 1 - 1
    const tagged = del.slice()
    tagged[flagsAt] |= 1 << 6
    expect(() => decodeDeltas(Uint8Array.from([...tagged, 1, 1, 97]))).to.throw(DecodeError)
    const set = encodeDeltas([makeDelta('set', 'k', v(1), undefined, b(1), undefined, o, 1, ['t'])])
    const empty = set.slice(0, set.length - 2)
    empty[empty.length - 1] = 0
    expect(() => decodeDeltas(empty)).to.throw(DecodeError, /empty list/)
    expect(() => encodeDeltas([makeDelta('delete', 'k', v(1), undefined, undefined, undefined, o, 1, ['t'])])).to.throw(TypeError)
  })
})
