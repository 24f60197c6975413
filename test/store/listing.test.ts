// S3FifoStore.has and keys(prefix): what is held and not expired, no hit counted, hottest first
// (as entries), and a prefix that is not a string refused at the call. A property test checks
// keys(prefix) against the keys get would find, after random sets, deletes and clock moves.
import { expect } from 'chai'
import fc from 'fast-check'
import { S3FifoStore } from '../../lib/index.ts'
import { propertyParams } from '../support/seed.ts'

const v = (n: number): Uint8Array => new Uint8Array(n)

describe('S3FifoStore.has and keys(prefix)', () => {
  it('has: held and unexpired only, without counting a hit', () => {
    let now = 1_000
    const store = new S3FifoStore({ maxBytes: 1 << 20, now: () => now })
    store.set('a', v(1))
    store.set('b', v(1), { expiresAt: 2_000 })
    store.set('c', v(1))
    store.delete('c')
    expect([store.has('a'), store.has('b'), store.has('c'), store.has('zz')]).to.deep.equal([true, true, false, false])
    now = 2_000
    expect(store.has('b'), 'expired at expiresAt').to.equal(false)
    expect(store.stats()).to.include({ hits: 0, misses: 0 })
  })

  it('keys: hottest first like entries, filtered by prefix, expired and deleted left out', () => {
    let now = 1_000
    const store = new S3FifoStore({ maxBytes: 1 << 20, now: () => now })
    for (const k of ['user:1', 'user:2', 'order:1', 'user:3']) store.set(k, v(1))
    store.set('user:4', v(1), { expiresAt: 1_500 })
    store.delete('user:2')
    expect([...store.keys()]).to.deep.equal([...store.entries()].map((e) => e.key))
    expect([...store.keys('user:')].sort()).to.deep.equal(['user:1', 'user:3', 'user:4'])
    expect([...store.keys('')].sort()).to.deep.equal(['order:1', 'user:1', 'user:3', 'user:4'])
    expect([...store.keys('nothing')]).to.deep.equal([])
    now = 1_500
    expect([...store.keys('user:')].sort()).to.deep.equal(['user:1', 'user:3'])
    expect(store.stats()).to.include({ hits: 0, misses: 0 })
  })

  it('keys: a key deleted while the iterator runs is skipped', () => {
    const store = new S3FifoStore({ maxBytes: 1 << 20 })
    for (let i = 0; i < 5; i++) store.set(`k${i}`, v(1))
    const it = store.keys()
    const first = it.next().value as string
    const rest = [...store.keys()].filter((k) => k !== first)
    store.delete(rest[1])
    expect([...it]).to.deep.equal(rest.filter((k) => k !== rest[1]))
  })

  it('keys: a prefix that is not a string is a TypeError at the call (ERR_INVALID_ARG_TYPE)', () => {
    const store = new S3FifoStore({ maxBytes: 1 << 20 })
    for (const bad of [1, null, /x/, ['a']]) {
      expect(() => store.keys(bad as unknown as string), String(bad))
        .to.throw(TypeError, /S3FifoStore.keys: prefix must be a string/)
        .with.property('code', 'ERR_INVALID_ARG_TYPE')
    }
  })

  it('keys(prefix) is exactly the held, unexpired keys with that prefix (random sets, deletes, expiry)', () => {
    type Op = { kind: 'set'; key: string; ttl: number } | { kind: 'delete'; key: string } | { kind: 'tick' }
    const key = fc.constantFrom('a', 'ab', 'abc', 'b', 'ba', 'x:1', 'x:2', 'x:10')
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key, ttl: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant('delete' as const), key }),
      fc.constant({ kind: 'tick' as const }),
    )
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.constantFrom('', 'a', 'ab', 'x:', 'x:1', 'zz'), (ops, prefix) => {
        let now = 100
        // Small enough that some sets evict: listing must follow eviction too.
        const store = new S3FifoStore({ maxBytes: 100, now: () => now, sizeOf: (_k, value) => value.byteLength })
        for (const o of ops) {
          if (o.kind === 'set') store.set(o.key, v(8), o.ttl === 0 ? undefined : { expiresAt: now + o.ttl })
          else if (o.kind === 'delete') store.delete(o.key)
          else now++
        }
        const all = ['a', 'ab', 'abc', 'b', 'ba', 'x:1', 'x:2', 'x:10']
        const expected = all.filter((k) => k.startsWith(prefix) && store.peek(k) !== undefined).sort()
        expect([...store.keys(prefix)].sort()).to.deep.equal(expected)
        for (const k of all) expect(store.has(k)).to.equal(store.peek(k) !== undefined)
      }),
      propertyParams(300),
    )
  })
})
