// Model test: S3FifoStore and the array-based reference in reference-s3fifo.ts, fed the same
// random operation sequences, make the same decisions op by op: same hits, same refusals,
// same keys in the same order in small, main and ghost, same frequencies.
import { expect } from 'chai'
import fc from 'fast-check'
import { S3FifoStore, EntryTooLargeError } from '../../lib/index.ts'
import { ReferenceS3Fifo } from './reference-s3fifo.ts'
import { propertyParams } from '../support/seed.ts'

type Op = { kind: 'get'; key: string } | { kind: 'set'; key: string; size: number } | { kind: 'delete'; key: string }

const keyArb = fc.integer({ min: 0, max: 40 }).map((i) => `k${i}`)
const opArb = (maxSize: number): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 5, arbitrary: keyArb.map((key) => ({ kind: 'get' as const, key })) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), key: keyArb, size: fc.integer({ min: 1, max: maxSize }) }) },
    { weight: 1, arbitrary: keyArb.map((key) => ({ kind: 'delete' as const, key })) },
  )

function runModel(maxBytes: number, threshold: number, maxEntries: number | undefined, ops: Op[]): void {
  const store = new S3FifoStore({ maxBytes, promotionThreshold: threshold, maxEntries, sizeOf: (_k, v) => v.byteLength })
  const ref = new ReferenceS3Fifo(maxBytes, threshold, maxEntries)
  const inside = S3FifoStore.unsafeExposeInternals(store)
  for (const [i, op] of ops.entries()) {
    const where = `op ${i} ${JSON.stringify(op)}`
    if (op.kind === 'get') {
      expect(store.get(op.key) !== undefined, where).to.equal(ref.get(op.key))
    } else if (op.kind === 'set') {
      const expected = ref.set(op.key, op.size)
      let got: 'ok' | 'tooLarge' = 'ok'
      try {
        store.set(op.key, new Uint8Array(op.size))
      } catch (err) {
        expect(err, where).to.be.instanceOf(EntryTooLargeError)
        expect((err as EntryTooLargeError).code).to.equal('ERR_ENTRY_TOO_LARGE')
        got = 'tooLarge'
      }
      expect(got, where).to.equal(expected)
    } else {
      expect(store.delete(op.key), where).to.equal(ref.delete(op.key))
    }
    expect(inside.smallKeys(), `small after ${where}`).to.deep.equal(ref.small.map((e) => e.key))
    expect(inside.mainKeys(), `main after ${where}`).to.deep.equal(ref.main.map((e) => e.key))
    expect(inside.ghostKeys(), `ghost after ${where}`).to.deep.equal(ref.ghost.map((g) => g.key))
    for (const e of [...ref.small, ...ref.main]) expect(inside.freqOf(e.key), `freq of ${e.key} after ${where}`).to.equal(e.freq)
    store.validate()
  }
}

describe('S3FifoStore against the reference model', () => {
  it('makes the same decisions op by op (byte charges, both thresholds)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20, max: 400 }),
        fc.constantFrom(1, 2, 3),
        fc.array(opArb(60), { minLength: 1, maxLength: 300 }),
        (maxBytes, threshold, ops) => runModel(maxBytes, threshold, undefined, ops),
      ),
      propertyParams(300),
    )
  })

  it('makes the same decisions with an entry-count bound', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 50, max: 400 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(opArb(20), { minLength: 1, maxLength: 300 }),
        (maxBytes, maxEntries, ops) => runModel(maxBytes, 2, maxEntries, ops),
      ),
      propertyParams(200),
    )
  })

  it('makes the same decisions in object mode (every entry charged 1)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20, max: 120 }),
        fc.array(opArb(1), { minLength: 1, maxLength: 400 }),
        (maxBytes, ops) => runModel(maxBytes, 2, undefined, ops),
      ),
      propertyParams(200),
    )
  })
})
