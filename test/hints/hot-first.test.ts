// sinceHotFirst (lib/hints/hot-first.ts): the same deltas as since(), each key once, the named hot
// keys first, key filter respected.
import { expect } from 'chai'
import { HLC_ZERO, Replica } from '../../crdt/index.ts'
import { sinceHotFirst } from '../../lib/hints/hot-first.ts'

describe('sinceHotFirst', () => {
  const replica = (): Replica => {
    const r = new Replica({ nodeId: 'n', maxBytes: 1_000_000 })
    for (let i = 0; i < 20; i++) r.set(`k${i}`, new Uint8Array([i]), {}, 1000 + i)
    r.delete('k3', {}, 2000)
    return r
  }

  it('sinceHotFirst yields the hot keys first, then the rest, the same deltas as since()', () => {
    const r = replica()
    const plain = [...r.since(HLC_ZERO)]
    const ordered = [...sinceHotFirst(r, HLC_ZERO, ['k7', 'k3', 'absent', 'k12'])]
    expect(ordered.slice(0, 3).map((d) => d.key).sort()).to.deep.equal(['k12', 'k3', 'k7'])
    expect(ordered.map((d) => `${d.op}:${d.key}`).sort()).to.deep.equal(plain.map((d) => `${d.op}:${d.key}`).sort())
    expect(new Set(ordered.map((d) => d.key)).size).to.equal(ordered.length)
  })

  it('sinceHotFirst keeps the key filter and is since() itself with no hot keys', () => {
    const r = replica()
    const odd = (k: string): boolean => Number(k.slice(1)) % 2 === 1
    const ordered = [...sinceHotFirst(r, HLC_ZERO, ['k2', 'k5'], { keys: odd })]
    expect(ordered[0].key).to.equal('k5')
    expect(ordered.every((d) => odd(d.key))).to.equal(true)
    expect([...sinceHotFirst(r, HLC_ZERO, [])].map((d) => d.key)).to.deep.equal([...r.since(HLC_ZERO)].map((d) => d.key))
  })
})
