import { expect } from 'chai'
import fc from 'fast-check'
import {
  chunkDeltas,
  decodeDeltas,
  encodeChunks,
  encodeDeltas,
  makeDelta,
  makeVersion,
  newChunkTally,
  receivableEntryBytes,
  travelForm,
  type Delta,
  type Hlc,
} from '../../crdt/index.ts'
import { propertyParams } from '../support/seed.ts'
import { arbDelta } from './arbitraries.ts'

describe('crdt/chunks', () => {
  it('chunkDeltas keeps every encoded batch under chunkBytes and the total under the budget (property)', () => {
    fc.assert(
      fc.property(
        fc.array(arbDelta, { maxLength: 200 }),
        fc.integer({ min: 2048, max: 20_000 }),
        fc.option(fc.nat(60_000), { nil: undefined }),
        (deltas, chunkBytes, budgetBytes) => {
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
        },
      ),
      propertyParams(100),
    )
  })

  it('chunkDeltas refuses a chunk size outside its range with a TypeError naming it', () => {
    expect(() => [...chunkDeltas([], { chunkBytes: 10 })]).to.throw(TypeError, /chunkBytes/)
  })

  const origin = { nodeId: 'n1', epoch: 1 }
  const v = (hlc: number, u = 0) => makeVersion(u, hlc as Hlc, 'n1')

  it('travelForm sends a value over the receiver\'s entryBytesMax as a ghost of its register version, same seq', () => {
    const tally = newChunkTally()
    const set = makeDelta('set', 'ké', v(10, 3), undefined, new Uint8Array(100), 5_000, origin, 7)
    expect(travelForm(set, 103, tally)).to.equal(set) // 3 key bytes + 100 value bytes fit exactly
    const ghost = travelForm(set, 102, tally)
    expect(ghost).to.deep.include({ op: 'ghost', key: 'ké', version: set.version, value: undefined, expiresAt: undefined, origin, seq: 7 })
    const merge = makeDelta('merge', 'doc', v(20), v(15, 2), new Uint8Array(50), undefined, origin, 8)
    expect(travelForm(merge, 10, tally)?.version, 'a merge\'s ghost carries its document version').to.deep.equal(v(15, 2))
    const del = makeDelta('delete', 'gone', v(30), undefined, undefined, undefined, origin, 9)
    expect(travelForm(del, 0, tally)).to.equal(del)
    expect(tally).to.include({ tooLarge: 2, unsendable: 0, skipped: 0 })
  })

  it('travelForm ghosts what no receiver could decode and leaves out what cannot travel at all', () => {
    const tally = newChunkTally()
    const farExpiry = makeDelta('set', 'k', v(10), undefined, new Uint8Array(1), 1e20, origin, 2)
    expect(travelForm(farExpiry, Infinity, tally)).to.deep.include({ op: 'ghost', key: 'k', seq: 2 })
    const longKey = makeDelta('set', 'x'.repeat(70_000), v(10), undefined, new Uint8Array(1), undefined, origin, 3)
    expect(travelForm(longKey, Infinity, tally)).to.equal(undefined)
    const loneSurrogate = makeDelta('set', '\uD800', v(10), undefined, new Uint8Array(1), undefined, origin, 4)
    expect(travelForm(loneSurrogate, Infinity, tally)).to.equal(undefined)
    expect(tally).to.include({ tooLarge: 0, unsendable: 1, skipped: 2 })
  })

  it('encodeChunks never throws on a bad delta and spends the budget only on what the receiver can hold', () => {
    const good = Array.from({ length: 20 }, (_, i) =>
      makeDelta('set', `k${i}`, v(100 + i), undefined, new Uint8Array(500), undefined, origin, 0),
    )
    const huge = makeDelta('set', 'huge', v(99), undefined, new Uint8Array(200_000), undefined, origin, 0)
    const bad = makeDelta('set', 'bad', v(98), undefined, new Uint8Array(1), Number.MAX_VALUE, origin, 0)
    const tally = newChunkTally()
    const out: Delta[] = []
    for (const batch of encodeChunks([huge, bad, ...good], { chunkBytes: 4096, budgetBytes: 20_000, entryBytesMax: 10_000, tally })) {
      out.push(...decodeDeltas(batch))
    }
    expect(out.map((d) => d.key)).to.deep.equal(['huge', 'bad', ...good.map((d) => d.key)])
    expect(out.slice(0, 2).map((d) => d.op)).to.deep.equal(['ghost', 'ghost'])
    expect(tally).to.include({ deltas: 22, tooLarge: 1, unsendable: 1, skipped: 0, cut: false })
  })

  it('receivableEntryBytes is the store\'s largest charge less its overhead; unlimited with a custom sizeOf', () => {
    expect(receivableEntryBytes({ maxEntryBytes: 26_213, entryOverheadBytes: 288 }, false)).to.equal(25_925)
    expect(receivableEntryBytes({ maxEntryBytes: 100, entryOverheadBytes: 288 }, false)).to.equal(1)
    expect(receivableEntryBytes({ maxEntryBytes: 100, entryOverheadBytes: 288 }, true)).to.equal(Number.MAX_SAFE_INTEGER)
  })
})
