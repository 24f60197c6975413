// Properties after every operation of random sequences with TTLs and a fake clock:
// bytes ≤ maxBytes, validate() holds, the ghost stays within its bound, an expired entry is
// never returned, a hit returns the last value written, and every version the store lets go
// of is either still held, in the ghost, or was handed to onForget.
import { expect } from 'chai'
import fc from 'fast-check'
import { S3FifoStore } from '../../lib/index.ts'
import { propertyParams } from '../support/seed.ts'

type Op =
  | { kind: 'get'; key: number }
  | { kind: 'set'; key: number; size: number; ttl: number }
  | { kind: 'delete'; key: number; withVersion: boolean }
  | { kind: 'tick'; ms: number }
  | { kind: 'purge' }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('get' as const), key: fc.nat(30) }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      key: fc.nat(30),
      size: fc.integer({ min: 0, max: 40 }),
      ttl: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 50 })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.nat(30), withVersion: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 20 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'purge' as const }) },
)

describe('S3FifoStore properties', () => {
  it('holds its invariants after every operation, with TTLs and a moving clock', () => {
    fc.assert(
      fc.property(fc.integer({ min: 200, max: 2000 }), fc.array(opArb, { maxLength: 400 }), (maxBytes, ops) => {
        let now = 1_000
        let nextVersion = 1
        const forgotten = new Set<number>()
        const store = new S3FifoStore<number>({
          maxBytes,
          entryOverheadBytes: 8,
          now: () => now,
          onForget: (_key, version) => {
            if (version !== undefined) forgotten.add(version)
          },
        })
        // What was last written per key: the value object, its version and its expiry.
        const written = new Map<string, { value: Uint8Array; version: number; expiresAt: number }>()
        for (const op of ops) {
          if (op.kind === 'tick') now += op.ms
          else if (op.kind === 'purge') store.purgeExpired(8)
          else if (op.kind === 'get') {
            const key = `k${op.key}`
            const got = store.get(key)
            if (got !== undefined) {
              const w = written.get(key)
              expect(w, `hit on ${key} never written`).to.not.equal(undefined)
              expect(got).to.equal(w?.value) // the same object: no copy, last write wins
              expect(w!.expiresAt === 0 || w!.expiresAt > now, `expired ${key} served`).to.equal(true)
            }
          } else if (op.kind === 'set') {
            const key = `k${op.key}`
            const value = new Uint8Array(op.size)
            const version = nextVersion++
            const expiresAt = op.ttl === 0 ? 0 : now + op.ttl
            try {
              store.set(key, value, { version, expiresAt })
              written.set(key, { value, version, expiresAt })
              // G1: a write is readable at once (unless it was born expired).
              if (op.ttl !== 0 || expiresAt === 0) expect(store.peek(key)).to.equal(value)
            } catch (err) {
              expect((err as { code?: string }).code).to.equal('ERR_ENTRY_TOO_LARGE')
              expect(store.chargeOf(key, value)).to.be.at.least(store.smallCapacityBytes)
            }
          } else {
            const key = `k${op.key}`
            store.delete(key, op.withVersion ? { version: nextVersion++ } : undefined)
            written.delete(key)
          }
          store.validate()
          const stats = store.stats()
          expect(stats.bytes).to.be.at.most(maxBytes)
          expect(stats.ghostBytes).to.be.at.most(Math.floor(maxBytes * 0.9))
          // Every version written is held, in the ghost, or forgotten: none silently lost.
          for (const [key, w] of written) {
            const held = store.getEntry(key)?.version === w.version
            const ghosted = store.ghost(key)?.version === w.version
            const expired = w.expiresAt !== 0 && w.expiresAt <= now
            expect(held || ghosted || forgotten.has(w.version) || expired, `version of ${key} lost`).to.equal(true)
          }
        }
      }),
      propertyParams(300),
    )
  })

  it('get on an expired entry misses, reclaims it and leaves an expired ghost', () => {
    let now = 0
    const store = new S3FifoStore<string>({ maxBytes: 10_000, now: () => now })
    store.set('a', new Uint8Array(3), { expiresAt: 100, version: 'v1' })
    now = 99
    expect(store.get('a')).to.have.length(3)
    now = 100
    expect(store.get('a')).to.equal(undefined)
    expect(store.size).to.equal(0)
    expect(store.ghost('a')).to.deep.equal({ key: 'a', version: 'v1', kind: 'expired' })
    expect(store.stats().expirations).to.equal(1)
  })

  it('set sweeps a few slots per write, so expired entries are reclaimed without reads', () => {
    let now = 0
    const store = new S3FifoStore({ maxBytes: 1_000_000, now: () => now, estimatedEntries: 64 })
    for (let i = 0; i < 50; i++) store.set(`t${i}`, new Uint8Array(1), { expiresAt: 10 })
    now = 20
    for (let i = 0; i < 40; i++) store.set(`p${i}`, new Uint8Array(1))
    expect(store.stats().expirations).to.equal(50)
    store.validate()
  })

  it('delete leaves a tombstone with the given version, even for an absent key', () => {
    const store = new S3FifoStore<number>({ maxBytes: 10_000 })
    store.set('a', new Uint8Array(1), { version: 1 })
    expect(store.delete('a', { version: 2 })).to.equal(true)
    expect(store.ghost('a')).to.deep.equal({ key: 'a', version: 2, kind: 'deleted' })
    expect(store.delete('b', { version: 7 })).to.equal(false)
    expect(store.ghost('b')).to.deep.equal({ key: 'b', version: 7, kind: 'deleted' })
    expect(store.delete('c')).to.equal(false)
    expect(store.ghost('c')).to.equal(undefined)
  })

  it('entries lists main before small, newest first, with versions and expiry', () => {
    const store = new S3FifoStore<number>({ maxBytes: 20, sizeOf: () => 1, promotionThreshold: 1 })
    for (let i = 0; i < 20; i++) store.set(`k${i}`, new Uint8Array(1), { version: i })
    store.get('k0')
    // Full: making room for k20 promotes k0 (hit once) to main and drops k1 into the ghost.
    store.set('k20', new Uint8Array(1), { version: 20 })
    store.set('k10', new Uint8Array(1), { version: 10, expiresAt: 5e15 })
    const inside = S3FifoStore.unsafeExposeInternals(store)
    expect(inside.mainKeys()).to.deep.equal(['k0'])
    const order = [...store.entries()].map((e) => e.key)
    expect(order).to.deep.equal(['k0', 'k10', 'k20', ...inside.smallKeys().slice(2)])
    expect(store.ghost('k1')?.kind).to.equal('evicted')
    expect([...store.entries()].find((e) => e.key === 'k10')).to.deep.include({ version: 10, expiresAt: 5e15 })
  })


  it('entries(accept) keeps only accepted keys, and sees changes made while it iterates', () => {
    const store = new S3FifoStore<number>({ maxBytes: 100, sizeOf: () => 1 })
    for (let i = 0; i < 10; i++) store.set(`k${i}`, new Uint8Array([i]), { version: i })
    expect([...store.entries((k) => Number(k.slice(1)) % 2 === 0)].map((e) => e.key)).to.deep.equal(['k8', 'k6', 'k4', 'k2', 'k0'])
    // Asked only as far as the caller reads (a byte budget may end a since() early).
    let asked = 0
    const first = store.entries(() => ++asked > 1).next()
    expect([first.value?.key, asked]).to.deep.equal(['k8', 2])
    const seen: string[] = []
    for (const e of store.entries()) {
      seen.push(`${e.key}=${e.value[0]}`)
      if (e.key === 'k9') {
        store.delete('k7') // removed: skipped
        store.delete('k6')
        store.set('new', new Uint8Array([42])) // takes a freed slot: not listed (not in the snapshot)
        store.set('k6', new Uint8Array([66])) // back in another slot: seen as it is now
        store.set('k5', new Uint8Array([55])) // updated in place: seen as it is now
      }
    }
    expect(seen).to.deep.equal(['k9=9', 'k8=8', 'k6=66', 'k5=55', 'k4=4', 'k3=3', 'k2=2', 'k1=1', 'k0=0'])
  })

  it('entries, with writes between its steps (evictions reuse slots), yields each snapshot key live at its turn, as it is then', () => {
    const writes = fc.array(fc.record({ key: fc.nat(40), del: fc.boolean(), v: fc.nat(255) }), { maxLength: 8 })
    fc.assert(
      fc.property(fc.array(writes, { minLength: 1, maxLength: 30 }), (steps) => {
        // A ghost of 2 entries: evicted keys are forgotten fast and their slots reused.
        const store = new S3FifoStore<number>({ maxBytes: 20, sizeOf: () => 1, ghostRatio: 0.1 })
        for (let i = 0; i < 24; i++) store.set(`k${i}`, new Uint8Array([i]), { version: i })
        const snapshot = [...store.entries()].map((e) => e.key)
        const it = store.entries()
        let at = 0
        for (let s = 0; ; s++) {
          const next = it.next()
          const until = next.done === true ? snapshot.length : snapshot.indexOf(next.value.key, at)
          expect(until, 'a key out of the snapshot, or out of order').to.be.at.least(at)
          for (; at < until; at++) expect(store.getEntry(snapshot[at]), `${snapshot[at]} skipped while live`).to.equal(undefined)
          if (next.done === true) return
          expect(next.value).to.deep.equal(store.getEntry(next.value.key))
          at++
          for (const w of steps[s % steps.length]) {
            if (w.del) store.delete(`k${w.key}`)
            else store.set(`k${w.key}`, new Uint8Array([w.v]), { version: 100 + w.v })
          }
        }
      }),
      propertyParams(300),
    )
  })
  it('an update keeps frequency and queue, moves to the queue head, and changes the charge', () => {
    const store = new S3FifoStore({ maxBytes: 1000, sizeOf: (_k, v) => v.byteLength })
    store.set('a', new Uint8Array(10))
    store.set('b', new Uint8Array(10))
    store.get('a')
    store.set('a', new Uint8Array(20))
    const inside = S3FifoStore.unsafeExposeInternals(store)
    expect(inside.smallKeys()).to.deep.equal(['a', 'b'])
    expect(inside.freqOf('a')).to.equal(1)
    expect(store.bytes).to.equal(30)
  })
})

describe('S3FifoStore options and errors', () => {
  const bad: [string, object][] = [
    ['maxBytes', {}],
    ['maxBytes', { maxBytes: -1 }],
    ['maxBytes', { maxBytes: 1.5 }],
    ['maxEntries', { maxBytes: 100, maxEntries: 0 }],
    ['smallRatio', { maxBytes: 100, smallRatio: 1 }],
    ['ghostRatio', { maxBytes: 100, ghostRatio: -0.1 }],
    ['promotionThreshold', { maxBytes: 100, promotionThreshold: 0 }],
    ['promotionThreshold', { maxBytes: 100, promotionThreshold: 256 }],
    ['entryOverheadBytes', { maxBytes: 100, entryOverheadBytes: -1 }],
    ['sizeOf', { maxBytes: 100, sizeOf: 3 }],
    ['now', { maxBytes: 100, now: 'yesterday' }],
    ['estimatedEntries', { maxBytes: 100, estimatedEntries: 0 }],
    ['maxBytes × smallRatio', { maxBytes: 10 }],
  ]
  for (const [name, init] of bad) {
    it(`constructor refuses a bad ${name} with a TypeError naming it (${JSON.stringify(init)})`, () => {
      expect(() => new S3FifoStore(init as never)).to.throw(TypeError, name)
    })
  }

  it('set refuses an entry at or above the small queue with EntryTooLargeError, store unchanged', () => {
    const store = new S3FifoStore({ maxBytes: 1000, sizeOf: (_k, v) => v.byteLength })
    store.set('a', new Uint8Array(50))
    expect(store.maxEntryBytes).to.equal(99)
    expect(() => store.set('big', new Uint8Array(101))).to.throw().with.property('code', 'ERR_ENTRY_TOO_LARGE')
    expect(() => store.set('a', new Uint8Array(100))).to.throw().with.property('code', 'ERR_ENTRY_TOO_LARGE')
    expect(store.peek('a')).to.have.length(50)
    store.set('ok', new Uint8Array(99))
    expect(store.stats()).to.include({ rejections: 2, entries: 2 })
  })

  it('set refuses a value that is not a Uint8Array and a sizeOf that returns garbage', () => {
    const store = new S3FifoStore({ maxBytes: 1000 })
    expect(() => store.set('a', 'text' as never)).to.throw(TypeError, 'Uint8Array')
    const weird = new S3FifoStore({ maxBytes: 1000, sizeOf: () => Number.NaN })
    expect(() => weird.set('a', new Uint8Array(1))).to.throw(TypeError, 'sizeOf')
  })

  it('charges UTF-8 key bytes + value bytes + overhead by default', () => {
    const store = new S3FifoStore({ maxBytes: 10_000, entryOverheadBytes: 10 })
    expect(store.chargeOf('aé😀', new Uint8Array(5))).to.equal(1 + 2 + 4 + 5 + 10)
  })
})
