// Replica: the apply rules one by one, drift refusal, too-large values, TTL, since, options.
import { expect } from 'chai'
import { hlcFromParts, makeDelta, makeVersion, Replica, type Delta, type Hlc } from '../../crdt/index.ts'
import { T0 } from './arbitraries.ts'

const mk = (nodeId: string, init: Partial<ConstructorParameters<typeof Replica>[0]> = {}): Replica =>
  new Replica({ nodeId, maxBytes: 1 << 20, ...init })
const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b)
const remote = (op: 'set' | 'delete' | 'ghost', key: string, ms: number, value?: Uint8Array, seq = 0): Delta =>
  makeDelta(op, key, makeVersion(0, hlcFromParts(ms), 'z'), undefined, value, undefined, { nodeId: 'z', epoch: 1 }, seq)

describe('crdt/replica', () => {
  it('set and get: a node reads its own writes at once, and the delta carries origin and seq', () => {
    const a = mk('a', { epoch: 9 })
    const d = a.set('k', bytes(1), {}, T0)
    expect(a.get('k', T0)).to.deep.equal(bytes(1))
    expect(d.origin).to.deep.equal({ nodeId: 'a', epoch: 9 })
    expect(d.seq).to.equal(1)
    expect(a.delete('k', {}, T0).seq).to.equal(2)
    expect(a.log.range(1)?.map((x) => x.seq)).to.deep.equal([1, 2])
  })

  it('apply: higher replaces, lower is stale, the same version twice is stale (table)', () => {
    const r = mk('a')
    expect(r.apply(remote('set', 'k', T0, bytes(1)), T0)).to.equal('applied')
    expect(r.apply(remote('set', 'k', T0, bytes(1)), T0)).to.equal('stale')
    expect(r.apply(remote('set', 'k', T0 - 1, bytes(0)), T0)).to.equal('stale')
    expect(r.apply(remote('set', 'k', T0 + 1, bytes(2)), T0)).to.equal('applied')
    expect(r.get('k', T0)).to.deep.equal(bytes(2))
    expect(r.apply(remote('delete', 'k', T0 + 2), T0)).to.equal('applied')
    expect(r.get('k', T0)).to.equal(undefined)
    expect(r.apply(remote('set', 'k', T0 + 1, bytes(2)), T0)).to.equal('stale') // the tombstone remembers
    expect(r.apply(remote('delete', 'k', T0 + 2), T0)).to.equal('stale')
    expect(r.stats()).to.include({ applied: 3, stale: 4, dropped: 0 })
  })

  it('apply of a ghost drops an older value, never an equal or newer one, and the real write still lands', () => {
    const r = mk('a')
    r.apply(remote('set', 'k', T0, bytes(1)), T0)
    expect(r.apply(remote('ghost', 'k', T0), T0)).to.equal('stale') // equal: keep the value
    expect(r.apply(remote('ghost', 'k', T0 - 5), T0)).to.equal('stale') // older: nothing
    expect(r.apply(remote('ghost', 'k', T0 + 1), T0)).to.equal('applied') // newer: drop the value
    expect(r.get('k', T0)).to.equal(undefined)
    expect(r.apply(remote('set', 'k', T0, bytes(1)), T0)).to.equal('stale') // older than the shadow
    expect(r.apply(remote('set', 'k', T0 + 1, bytes(7)), T0)).to.equal('applied') // the write behind the shadow
    expect(r.get('k', T0)).to.deep.equal(bytes(7))
  })

  it('apply refuses an hlc more than maxClockDriftMs ahead, counts it, and keeps the clock', () => {
    const r = mk('a', { maxClockDriftMs: 5_000 })
    const clock = r.clock
    expect(r.apply(remote('set', 'k', T0 + 5_001, bytes(1)), T0)).to.equal('dropped')
    expect(r.clock).to.equal(clock)
    expect(r.stats()).to.include({ dropped: 1, droppedDrift: 1 })
    expect(r.apply(remote('set', 'k', T0 + 5_000, bytes(1)), T0)).to.equal('applied')
    expect(r.set('j', bytes(), {}, T0).version.hlc).to.be.greaterThan(hlcFromParts(T0 + 5_000)) // the clock follows what it accepts
  })

  it('apply refuses a merge whose base is later than the merge itself (a planted far-future document)', () => {
    const r = mk('a')
    const m = makeDelta(
      'merge',
      'doc',
      makeVersion(0, hlcFromParts(T0), 'z'),
      makeVersion(0, hlcFromParts(T0 + 3_600_000), 'z'),
      new Uint8Array([0, 0]),
      undefined,
      { nodeId: 'z', epoch: 1 },
      0,
    )
    expect(r.apply(m, T0)).to.equal('dropped')
    expect(r.get('doc', T0)).to.equal(undefined)
  })

  it('apply of a value the store refuses drops the older value and keeps the new version (a miss is safe)', () => {
    const r = mk('a', { maxBytes: 10_000 })
    r.apply(remote('set', 'k', T0, bytes(1)), T0)
    expect(r.apply(remote('set', 'k', T0 + 1, new Uint8Array(2000)), T0)).to.equal('dropped')
    expect(r.get('k', T0)).to.equal(undefined)
    expect(r.stats().droppedTooLarge).to.equal(1)
    expect(r.apply(remote('set', 'k', T0, bytes(1)), T0)).to.equal('stale')
    const local = r.set('k', new Uint8Array(2000), {}, T0 + 2) // still replicated: peers may hold it
    expect(local.value?.byteLength).to.equal(2000)
    expect(r.get('k', T0 + 2)).to.equal(undefined)
  })

  it('eviction is local: it makes no delta and never travels as a delete', () => {
    const [a, b] = [mk('a', { maxBytes: 4_000, store: { entryOverheadBytes: 8 } }), mk('b')]
    const sent: Delta[] = []
    for (let k = 0; k < 200; k++) sent.push(a.set(`k${k}`, new Uint8Array(50), {}, T0 + k))
    expect(a.store.stats().smallEvictions).to.be.greaterThan(0)
    expect(a.log.lastSeq).to.equal(200) // one delta per write, none per eviction
    for (const d of sent) b.apply(d, T0 + 300)
    for (const d of a.since(0 as Hlc)) expect(d.op).to.not.equal('delete')
    for (const d of a.since(0 as Hlc)) b.apply(d, T0 + 300)
    expect(b.store.size).to.equal(200) // a's evictions removed nothing from b
  })

  it('apply copies the value before it enters the store', () => {
    const r = mk('a')
    const v = bytes(1, 2)
    r.apply(remote('set', 'k', T0, v), T0)
    v[0] = 9
    expect(r.get('k', T0)).to.deep.equal(bytes(1, 2))
  })

  it('set with ttlMs carries an absolute expiresAt; nobody serves it after that time (G5)', () => {
    const [a, b] = [mk('a'), mk('b')]
    const d = a.set('k', bytes(1), { ttlMs: 1000 }, T0)
    expect(d.expiresAt).to.equal(T0 + 1000)
    expect(b.apply(d, T0 + 10)).to.equal('applied')
    expect(b.getEntry('k', T0 + 999)?.expiresAt).to.equal(T0 + 1000)
    expect(b.get('k', T0 + 1000)).to.equal(undefined)
    expect(a.get('k', T0 + 1000)).to.equal(undefined)
    const c = mk('c')
    expect(c.apply(d, T0 + 2000)).to.equal('applied') // expired on arrival: only the version is kept
    expect(c.get('k', T0 + 2000)).to.equal(undefined)
    expect(c.apply(d, T0 + 2000)).to.equal('stale')
  })

  it('since streams tombstones and ghosts first, then entries hottest first, filtered by hlc', () => {
    const r = mk('a')
    r.set('cold', bytes(1), {}, T0)
    r.set('hot', bytes(2), {}, T0 + 1)
    r.delete('gone', {}, T0 + 2)
    r.apply(remote('ghost', 'shadow', T0 + 3), T0 + 3)
    expect([...r.since(0 as Hlc)].map((d) => `${d.op}:${d.key}:${d.seq}`)).to.deep.equal([
      'ghost:shadow:0',
      'delete:gone:0',
      'set:hot:0',
      'set:cold:0',
    ])
    expect([...r.since(hlcFromParts(T0 + 1))].map((d) => d.key)).to.deep.equal(['shadow', 'gone'])
    const b = mk('b')
    for (const d of r.since(0 as Hlc)) b.apply(d, T0 + 4)
    expect([...b.entries(T0 + 4)].map((e) => e.key).sort()).to.deep.equal(['cold', 'hot'])
    expect(b.apply(remote('set', 'gone', T0 + 1, bytes(1)), T0 + 4)).to.equal('stale')
  })

  it('apply notes seqs in progress, so gaps show and the digest reports them', () => {
    const r = mk('a')
    for (const seq of [1, 2, 5, 6, 9]) r.apply(remote('set', `k${seq}`, T0, bytes(seq), seq), T0)
    const origin = { nodeId: 'z', epoch: 1 }
    expect(r.progress.gaps(origin)).to.deep.equal([{ from: 3, to: 4 }, { from: 7, to: 8 }])
    expect(r.digest().progress).to.deep.equal([{ origin, contiguous: 2, highest: 9, abandoned: 0 }])
  })

  it('the constructor refuses bad options with a TypeError naming the option', () => {
    expect(() => new Replica({ nodeId: '', maxBytes: 1000 })).to.throw(TypeError, /nodeId/)
    expect(() => new Replica({ nodeId: 'a' })).to.throw(TypeError, /maxBytes/)
    expect(() => new Replica({ nodeId: 'a', maxBytes: 1000, epoch: -1 })).to.throw(TypeError, /epoch/)
    expect(() => new Replica({ nodeId: 'a', maxBytes: 1000, maxClockDriftMs: Number.NaN })).to.throw(TypeError, /maxClockDriftMs/)
  })

})

describe('crdt/replica since', () => {
  it('since sends an entry expired at the last call as a ghost of its version', () => {
    const [a, b] = [mk('a'), mk('b')]
    const old = a.set('k', bytes(1), {}, T0)
    b.apply(old, T0)
    a.set('k', bytes(2), { ttlMs: 10 }, T0 + 1)
    a.get('other', T0 + 100) // the clock of the last call: the new value has expired
    const sent = [...a.since(0 as Hlc)]
    expect(sent.map((d) => d.op)).to.deep.equal(['ghost'])
    for (const d of sent) b.apply(d, T0 + 100)
    expect(b.get('k', T0 + 100)).to.equal(undefined) // the older value is not served
  })

  it('since keeps only the keys options.keys accepts', () => {
    const r = mk('a')
    for (const k of ['a1', 'b1', 'a2']) r.set(k, bytes(1), {}, T0)
    r.delete('b2', {}, T0)
    expect([...r.since(0 as Hlc, { keys: (k) => k.startsWith('a') })].map((d) => d.key).sort()).to.deep.equal(['a1', 'a2'])
  })
})
