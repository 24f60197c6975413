import { expect } from 'chai'
import fc from 'fast-check'
import { makeDelta, makeVersion, OriginLog, type Hlc } from '../../crdt/index.ts'
import { propertyParams } from '../support/seed.ts'

const origin = { nodeId: 'a', epoch: 0 }
const delta = (seq: number, valueBytes = 4) =>
  makeDelta('set', `k${seq}`, makeVersion(0, seq as Hlc, 'a'), undefined, new Uint8Array(valueBytes), undefined, origin, seq)

describe('crdt/origin-log', () => {
  it('range serves contiguous seqs, clipped to what was appended', () => {
    const log = new OriginLog()
    for (let s = 1; s <= 5; s++) log.append(delta(s))
    expect(log.range(2, 4)?.map((d) => d.seq)).to.deep.equal([2, 3, 4])
    expect(log.range(4)?.map((d) => d.seq)).to.deep.equal([4, 5])
    expect(log.range(6)).to.deep.equal([])
  })

  it('range answers undefined once the start fell out of the log (fall back to since)', () => {
    const log = new OriginLog({ maxDeltas: 3 })
    for (let s = 1; s <= 5; s++) log.append(delta(s))
    expect(log.firstSeq).to.equal(3)
    expect(log.range(2)).to.equal(undefined)
    expect(log.range(3)?.map((d) => d.seq)).to.deep.equal([3, 4, 5])
  })

  it('range stops at its byte budget but always returns at least one delta', () => {
    const log = new OriginLog()
    for (let s = 1; s <= 5; s++) log.append(delta(s, 100))
    expect(log.range(1, 5, 1)?.length).to.equal(1)
    expect(log.range(1, 5, 2 * (2 + 100 + 96))?.length).to.equal(2)
  })

  it('append asserts contiguous seqs', () => {
    const log = new OriginLog()
    log.append(delta(1))
    expect(() => log.append(delta(3))).to.throw(/contiguous/)
  })

  it('stays within maxDeltas and maxBytes under any append sequence (property)', () => {
    fc.assert(
      fc.property(
        fc.nat(50),
        fc.integer({ min: 0, max: 5000 }),
        fc.array(fc.nat(800), { maxLength: 300 }),
        (maxDeltas, maxBytes, sizes) => {
          const log = new OriginLog({ maxDeltas, maxBytes })
          sizes.forEach((n, i) => {
            log.append(delta(i + 1, n))
            log.validate()
          })
          expect(log.lastSeq).to.equal(sizes.length)
        },
      ),
      propertyParams(100),
    )
  })

  it('the constructor refuses a bad bound with a TypeError naming it', () => {
    expect(() => new OriginLog({ maxDeltas: -1 })).to.throw(TypeError, /maxDeltas/)
    expect(() => new OriginLog({ maxBytes: 1.5 })).to.throw(TypeError, /maxBytes/)
  })
})
