import { expect } from 'chai'
import { BoundedMap } from '../../lib/foundation/index.ts'

describe('BoundedMap', () => {
  it('set past max drops the oldest and returns its key', () => {
    const m = new BoundedMap<string, number>(2)
    expect(m.set('a', 1)).to.equal(undefined)
    expect(m.set('b', 2)).to.equal(undefined)
    expect(m.set('c', 3)).to.equal('a')
    expect([...m]).to.deep.equal([['b', 2], ['c', 3]])
    expect(m.size).to.equal(2)
    expect(m.has('a')).to.equal(false)
    expect(m.get('c')).to.equal(3)
  })

  it('set of a held key makes it the newest and drops nothing', () => {
    const m = new BoundedMap<string, number>(2)
    m.set('a', 1)
    m.set('b', 2)
    expect(m.set('a', 10)).to.equal(undefined)
    expect([...m.keys()]).to.deep.equal(['b', 'a'])
    expect(m.set('c', 3)).to.equal('b')
    expect([...m.entries()]).to.deep.equal([['a', 10], ['c', 3]])
  })

  it('max 0 holds nothing: every set is dropped at once', () => {
    const m = new BoundedMap<string, true>(0)
    expect(m.set('a', true)).to.equal('a')
    expect(m.size).to.equal(0)
    expect(m.newestFirst()).to.deep.equal([])
  })

  it('newestFirst lists up to limit keys, newest first', () => {
    const m = new BoundedMap<number, true>(5)
    for (let i = 0; i < 8; i++) m.set(i, true)
    expect(m.newestFirst()).to.deep.equal([7, 6, 5, 4, 3])
    expect(m.newestFirst(2)).to.deep.equal([7, 6])
    expect(m.newestFirst(0)).to.deep.equal([])
    expect(m.newestFirst(100)).to.deep.equal([7, 6, 5, 4, 3])
  })

  it('delete and clear; deleting while iterating is safe', () => {
    const m = new BoundedMap<number, number>(10)
    for (let i = 0; i < 6; i++) m.set(i, i * i)
    expect(m.delete(0)).to.equal(true)
    expect(m.delete(0)).to.equal(false)
    for (const [k] of m) if (k % 2 === 1) m.delete(k)
    expect([...m.values()]).to.deep.equal([4, 16])
    m.clear()
    expect(m.size).to.equal(0)
  })

  it('counts drops over a flood of new keys, never above max', () => {
    const m = new BoundedMap<number, true>(64)
    let dropped = 0
    for (let i = 0; i < 10_000; i++) {
      if (m.set(i, true) !== undefined) dropped++
      expect(m.size).to.be.at.most(64)
    }
    expect(dropped).to.equal(10_000 - 64)
    expect(m.newestFirst(1)).to.deep.equal([9999])
  })

  it('the constructor refuses a bad max with a TypeError naming it', () => {
    expect(() => new BoundedMap(-1)).to.throw(TypeError, 'BoundedMap: max must be an integer ≥ 0, got -1')
    expect(() => new BoundedMap(1.5)).to.throw(TypeError, /max/)
  })
})
