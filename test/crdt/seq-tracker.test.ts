import { expect } from 'chai'
import fc from 'fast-check'
import { SeqTracker } from '../../crdt/index.ts'
import { propertyParams } from '../support/seed.ts'

const o = (nodeId: string, epoch = 0) => ({ nodeId, epoch })

describe('crdt/seq-tracker', () => {
  it('note tracks the contiguous prefix and reports the holes as gaps', () => {
    const t = new SeqTracker()
    for (const s of [1, 2, 4, 7, 8, 3]) expect(t.note(o('a'), s)).to.equal(true)
    expect(t.note(o('a'), 2)).to.equal(false)
    expect(t.progress(o('a'))).to.deep.equal({ origin: o('a'), contiguous: 4, highest: 8, abandoned: 0 })
    expect(t.gaps(o('a'))).to.deep.equal([{ from: 5, to: 6 }])
  })

  it('the first seq of an unknown origin starts it (earlier seqs belong to warm-up)', () => {
    const t = new SeqTracker()
    t.note(o('a'), 100)
    expect(t.gaps(o('a'))).to.deep.equal([])
    t.start(o('b'), 10)
    t.note(o('b'), 12)
    expect(t.gaps(o('b'))).to.deep.equal([{ from: 11, to: 11 }])
  })

  // Found by the soak (bench/soak.ts, seed 1): a node restarted under writes missed, for good,
  // the writes made between its warm-up peer's since() and the first delta it heard from each
  // writer — the first sighting took them for granted and the warm-up baseline never lowered it.
  it('start (the warm-up baseline) re-opens the seqs a first sighting took for granted above it', () => {
    const t = new SeqTracker()
    t.note(o('a'), 100) // heard during warm-up: 1..99 assumed
    t.note(o('a'), 101)
    t.note(o('a'), 105)
    t.start(o('a'), 40) // the warm-up streamed everything up to 40 only
    expect(t.progress(o('a'))).to.deep.equal({ origin: o('a'), contiguous: 40, highest: 105, abandoned: 0 })
    expect(t.gaps(o('a'))).to.deep.equal([{ from: 41, to: 99 }, { from: 102, to: 104 }])
    t.validate()
    // Once baselined, a later start only raises it (a since(T) fallback's start).
    t.start(o('a'), 30)
    expect(t.progress(o('a'))?.contiguous).to.equal(40)
    t.start(o('a'), 99)
    expect(t.gaps(o('a'))).to.deep.equal([{ from: 102, to: 104 }])
  })

  it('after warmedUp, an unknown origin is wanted from seq 1, and a prefix left assumed too', () => {
    // Found by the soak: a node restarted during a partition wrote on its side; the other side
    // first heard of its new epoch after the heal, at seq ~1,000, and took 1..999 for granted.
    const t = new SeqTracker()
    t.note(o('c'), 50) // heard during warm-up, reported by no warm-up peer: never baselined
    t.warmedUp()
    expect(t.gaps(o('c'))).to.deep.equal([{ from: 1, to: 49 }])
    t.note(o('a'), 7)
    expect(t.gaps(o('a'))).to.deep.equal([{ from: 1, to: 6 }])
    t.note(o('b'), 1)
    expect(t.gaps(o('b'))).to.deep.equal([])
    t.validate()
  })

  it('a newer epoch of a node replaces the older one, and the older is then ignored', () => {
    const t = new SeqTracker()
    t.note(o('a', 1), 5)
    t.note(o('a', 2), 1)
    expect(t.size).to.equal(1)
    expect(t.note(o('a', 1), 6)).to.equal(false)
    expect(t.digest().map((p) => p.origin.epoch)).to.deep.equal([2])
  })

  it('more holes than maxRangesPerOrigin abandons the lowest and counts the seqs given up', () => {
    const t = new SeqTracker({ maxRangesPerOrigin: 2 })
    for (const s of [1, 3, 5, 7]) t.note(o('a'), s)
    expect(t.progress(o('a'))).to.deep.equal({ origin: o('a'), contiguous: 3, highest: 7, abandoned: 1 })
  })

  it('drops the least recently noted origin past maxOrigins', () => {
    const t = new SeqTracker({ maxOrigins: 2 })
    t.note(o('a'), 1)
    t.note(o('b'), 1)
    t.note(o('a'), 2)
    t.note(o('c'), 1)
    expect(t.digest().map((p) => p.origin.nodeId).sort()).to.deep.equal(['a', 'c'])
  })

  it('matches a set-based model under any delivery order (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 200 }), (seqs) => {
        const t = new SeqTracker({ maxRangesPerOrigin: 1000 })
        const seen = new Set<number>()
        for (const s of seqs) {
          const fresh = !seen.has(s) && !(seen.size === 0 ? false : s < Math.min(...seen) && false)
          const first = seen.size === 0
          const base = first ? s : Math.min(...seen)
          if (s < base) continue // before the origin's start: not tracked
          expect(t.note(o('a'), s)).to.equal(fresh)
          seen.add(s)
          t.validate()
        }
        if (seen.size === 0) return
        const lo = Math.min(...seen)
        const hi = Math.max(...seen)
        let contiguous = lo - 1
        while (seen.has(contiguous + 1)) contiguous++
        const missing: number[] = []
        for (let s = lo; s <= hi; s++) if (!seen.has(s)) missing.push(s)
        expect(t.progress(o('a'))).to.include({ contiguous, highest: hi })
        expect(t.gaps(o('a')).flatMap((g) => Array.from({ length: g.to - g.from + 1 }, (_, i) => g.from + i))).to.deep.equal(missing)
      }),
      propertyParams(200),
    )
  })
})
