import { expect } from 'chai'
import fc from 'fast-check'
import { chunkDeltas, decodeDeltas, encodeDeltas, type Delta } from '../../crdt/index.ts'
import { propertyParams } from '../support/seed.ts'
import { arbDelta } from './arbitraries.ts'

describe('crdt/chunks', () => {
  it('chunkDeltas keeps every encoded batch under chunkBytes and the total under the budget (property)', () => {
    fc.assert(
      fc.property(fc.array(arbDelta, { maxLength: 200 }), fc.integer({ min: 2048, max: 20_000 }), fc.option(fc.nat(60_000), { nil: undefined }), (deltas, chunkBytes, budgetBytes) => {
        const out: Delta[] = []
        let total = 0
        for (const chunk of chunkDeltas(deltas, { chunkBytes, budgetBytes })) {
          const bytes = encodeDeltas(chunk)
          if (chunk.length > 1) expect(bytes.byteLength).to.be.at.most(chunkBytes)
          total += bytes.byteLength
          out.push(...decodeDeltas(bytes))
        }
        if (budgetBytes !== undefined) expect(total).to.be.at.most(budgetBytes + 1024)
        expect(out.length).to.be.at.most(deltas.length)
        if (budgetBytes === undefined) expect(out.length).to.equal(deltas.length)
        out.forEach((d, i) => expect(d.key).to.equal(deltas[i].key)) // a prefix, in order
      }),
      propertyParams(100),
    )
  })

  it('chunkDeltas refuses a chunk size outside its range with a TypeError naming it', () => {
    expect(() => [...chunkDeltas([], { chunkBytes: 10 })]).to.throw(TypeError, /chunkBytes/)
  })
})
