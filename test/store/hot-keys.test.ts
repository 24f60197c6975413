// Hot-key support of S3FifoStore (docs/hints.md): the ring of promotions to main drained by
// drainHotKeys, and boost. The model part feeds the store and the
// array reference (reference-s3fifo.ts) the same random sequences, now with boost and drain
// operations, and compares every decision, queue, frequency and drained list.
import { expect } from 'chai'
import fc from 'fast-check'
import { S3FifoStore } from '../../lib/index.ts'
import { ReferenceS3Fifo } from './reference-s3fifo.ts'
import { propertyParams } from '../support/seed.ts'

type Op =
  | { kind: 'get'; key: string }
  | { kind: 'set'; key: string; size: number }
  | { kind: 'delete'; key: string }
  | { kind: 'boost'; key: string; freq: number }
  | { kind: 'drain'; max: number }

const keyArb = fc.integer({ min: 0, max: 40 }).map((i) => `k${i}`)
const opArb = (maxSize: number): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 5, arbitrary: keyArb.map((key) => ({ kind: 'get' as const, key })) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), key: keyArb, size: fc.integer({ min: 1, max: maxSize }) }) },
    { weight: 1, arbitrary: keyArb.map((key) => ({ kind: 'delete' as const, key })) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('boost' as const), key: keyArb, freq: fc.integer({ min: 0, max: 6 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('drain' as const), max: fc.integer({ min: 0, max: 12 }) }) },
  )

function runModel(maxBytes: number, threshold: number, hotKeysMax: number, ops: Op[]): void {
  const store = new S3FifoStore({ maxBytes, promotionThreshold: threshold, hotKeysMax, sizeOf: (_k, v) => v.byteLength })
  const ref = new ReferenceS3Fifo(maxBytes, threshold)
  ref.hotCap = hotKeysMax
  const inside = S3FifoStore.unsafeExposeInternals(store)
  for (const [i, op] of ops.entries()) {
    const where = `op ${i} ${JSON.stringify(op)}`
    if (op.kind === 'get') expect(store.get(op.key) !== undefined, where).to.equal(ref.get(op.key))
    else if (op.kind === 'set') {
      const expected = ref.set(op.key, op.size)
      let got = 'ok'
      try {
        store.set(op.key, new Uint8Array(op.size))
      } catch {
        got = 'tooLarge'
      }
      expect(got, where).to.equal(expected)
    } else if (op.kind === 'delete') expect(store.delete(op.key), where).to.equal(ref.delete(op.key))
    else if (op.kind === 'boost') expect(store.boost(op.key, op.freq), where).to.equal(ref.boost(op.key, op.freq))
    else expect(store.drainHotKeys(op.max), where).to.deep.equal(ref.drainHot(op.max))
    expect(inside.smallKeys(), `small after ${where}`).to.deep.equal(ref.small.map((e) => e.key))
    expect(inside.mainKeys(), `main after ${where}`).to.deep.equal(ref.main.map((e) => e.key))
    expect(inside.ghostKeys(), `ghost after ${where}`).to.deep.equal(ref.ghost.map((g) => g.key))
    expect(inside.hotKeys(), `hot ring after ${where}`).to.deep.equal(ref.hot)
    for (const e of [...ref.small, ...ref.main]) expect(inside.freqOf(e.key), `freq of ${e.key} after ${where}`).to.equal(e.freq)
    store.validate()
  }
}

describe('S3FifoStore hot keys against the reference model', () => {
  it('boost and drainHotKeys make the same decisions op by op (bounded ring, both thresholds)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20, max: 400 }),
        fc.constantFrom(1, 2, 3),
        fc.constantFrom(0, 1, 4, 16, 1024),
        fc.array(opArb(60), { minLength: 1, maxLength: 300 }),
        (maxBytes, threshold, hotKeysMax, ops) => runModel(maxBytes, threshold, hotKeysMax, ops),
      ),
      propertyParams(300),
    )
  })
})

describe('S3FifoStore.boost', () => {
  it('boost raises a held entry to min(freq, 3), never lowers it, and counts each outcome', () => {
    const store = new S3FifoStore({ maxBytes: 1000, sizeOf: () => 1 })
    store.set('a', new Uint8Array(1))
    const inside = S3FifoStore.unsafeExposeInternals(store)
    expect(store.boost('a', 2)).to.equal(true)
    expect(inside.freqOf('a')).to.equal(2)
    expect(store.boost('a', 9)).to.equal(true)
    expect(inside.freqOf('a')).to.equal(3)
    expect(store.boost('a', 1)).to.equal(false)
    expect(inside.freqOf('a')).to.equal(3)
    for (let i = 0; i < 5; i++) store.get('a')
    expect(store.boost('a', 3)).to.equal(false)
    expect(inside.freqOf('a')).to.equal(8)
    expect(store.stats()).to.include({ boosts: 2, boostsNoop: 2, boostsAbsent: 0, hits: 5 })
  })

  it('boost never inserts: absent keys and ghosts stay as they are', () => {
    const store = new S3FifoStore<number>({ maxBytes: 20, sizeOf: () => 1 })
    for (let i = 0; i < 21; i++) store.set(`k${i}`, new Uint8Array(1), { version: i })
    expect(store.ghost('k0')?.kind).to.equal('evicted')
    expect(store.boost('k0', 3)).to.equal(false)
    expect(store.boost('nope', 3)).to.equal(false)
    expect(store.has('k0')).to.equal(false)
    expect(store.has('nope')).to.equal(false)
    expect(store.ghost('k0')?.kind).to.equal('evicted')
    expect(store.stats()).to.include({ boostsAbsent: 2, entries: 20 })
    store.validate()
  })

  it('a boosted entry in small is promoted to main instead of dropped to the ghost', () => {
    const store = new S3FifoStore({ maxBytes: 20, sizeOf: () => 1, hotKeysMax: 16 })
    for (let i = 0; i < 20; i++) store.set(`k${i}`, new Uint8Array(1))
    store.boost('k0', 2)
    store.set('k20', new Uint8Array(1))
    const inside = S3FifoStore.unsafeExposeInternals(store)
    expect(inside.mainKeys()).to.deep.equal(['k0'])
    expect(store.ghost('k1')?.kind).to.equal('evicted')
    expect(store.drainHotKeys(10)).to.deep.equal(['k0'])
  })

  it('boost refuses a frequency that is not a number ≥ 0', () => {
    const store = new S3FifoStore({ maxBytes: 100_000 })
    store.set('a', new Uint8Array(1))
    expect(() => store.boost('a', Number.NaN)).to.throw(TypeError, 'freq')
    expect(() => store.boost('a', -1)).to.throw(TypeError, 'freq')
  })
})

describe('S3FifoStore.drainHotKeys', () => {
  it('drainHotKeys lists distinct held keys newest first, at most max, and empties the ring', () => {
    const store = new S3FifoStore({ maxBytes: 20, sizeOf: () => 1, promotionThreshold: 1, hotKeysMax: 16 })
    for (let i = 0; i < 20; i++) store.set(`k${i}`, new Uint8Array(1))
    for (const k of ['k0', 'k1', 'k2']) store.get(k)
    // Making room for k20 promotes k0, k1, k2 (hit once) and drops k3 into the ghost.
    store.set('k20', new Uint8Array(1))
    const inside = S3FifoStore.unsafeExposeInternals(store)
    expect(inside.hotKeys()).to.deep.equal(['k0', 'k1', 'k2'])
    store.delete('k1')
    expect(store.drainHotKeys(1)).to.deep.equal(['k2'])
    expect(store.drainHotKeys(10)).to.deep.equal([])
    expect(store.stats()).to.include({ hotKeysRecorded: 3, hotKeysOverwritten: 0 })
  })

  it('a full ring overwrites its oldest keys and counts them; hotKeysMax 0 records nothing', () => {
    const small = new S3FifoStore({ maxBytes: 20, sizeOf: () => 1, promotionThreshold: 1, hotKeysMax: 2 })
    const off = new S3FifoStore({ maxBytes: 20, sizeOf: () => 1, promotionThreshold: 1, hotKeysMax: 0 })
    for (const store of [small, off]) {
      for (let i = 0; i < 20; i++) store.set(`k${i}`, new Uint8Array(1))
      for (const k of ['k0', 'k1', 'k2']) store.get(k)
      store.set('k20', new Uint8Array(1))
      store.validate()
    }
    expect(small.drainHotKeys(10)).to.deep.equal(['k2', 'k1'])
    expect(small.stats()).to.include({ hotKeysRecorded: 3, hotKeysOverwritten: 1 })
    expect(off.drainHotKeys(10)).to.deep.equal([])
    expect(off.stats()).to.include({ hotKeysRecorded: 0, promotions: 3 })
  })

  it('constructor refuses a bad hotKeysMax and drainHotKeys a bad max', () => {
    expect(() => new S3FifoStore({ maxBytes: 100, hotKeysMax: -1 })).to.throw(TypeError, 'hotKeysMax')
    expect(() => new S3FifoStore({ maxBytes: 100, hotKeysMax: 1.5 })).to.throw(TypeError, 'hotKeysMax')
    expect(() => new S3FifoStore({ maxBytes: 100, hotKeysMax: 2 ** 21 })).to.throw(TypeError, 'hotKeysMax')
    expect(() => new S3FifoStore({ maxBytes: 100 }).drainHotKeys(-1)).to.throw(TypeError, 'max')
    expect(new S3FifoStore({ maxBytes: 100 }).hotKeysMax).to.equal(0)
  })

  it('get records nothing and allocates nothing new: the ring is written on the eviction path only', () => {
    const store = new S3FifoStore({ maxBytes: 1000, sizeOf: () => 1, hotKeysMax: 16 })
    store.set('a', new Uint8Array(1))
    for (let i = 0; i < 100; i++) store.get('a')
    expect(store.stats().hotKeysRecorded).to.equal(0)
  })
})
