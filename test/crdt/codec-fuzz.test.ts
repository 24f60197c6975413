// Fuzz of decodeDeltas (DESIGN G7, §8): random and mutated batches must raise only
// DecodeError — never another throw, never a hang — and a decode must never allocate beyond
// what its input bounds: values alias the input (no copies), and a batch of n bytes yields
// at most n / MIN_ENCODED_DELTA_BYTES deltas.
//
// In `npm test`: 120,000 inputs from the fixed seed. The long run:
//   FUZZ_INPUTS=1000000 npx mocha --no-config --timeout 0 test/crdt/codec-fuzz.test.ts
// (FC_SEED=<n> picks another seed, FC_SEED=random a fresh one; a failure prints the seed.)
import { expect } from 'chai'
import fc from 'fast-check'
import { DecodeError } from '../../lib/errors.ts'
import { decodeDeltas, DELTA_FORMAT_VERSION, encodeDeltas } from '../../crdt/index.ts'
import { mutate, prng } from '../../bench/_fuzz.ts'
import { testSeed } from '../support/seed.ts'
import { arbDelta } from './arbitraries.ts'

const INPUTS = Number(process.env.FUZZ_INPUTS ?? 120_000)
const MIN_ENCODED_DELTA_BYTES = 6

// The PRNG and the mutations (bit flips, truncation, insertion, run deletion, huge varints,
// length inflation, restored format byte) are the fuzz bench's (bench/_fuzz.ts): one mutator.
const DELTA_TARGET = { version: DELTA_FORMAT_VERSION, kinds: [] as readonly number[] }

describe('crdt/codec fuzz', function () {
  this.timeout(Math.max(60_000, INPUTS / 5))

  it(`decodeDeltas sees only DecodeError on ${INPUTS.toLocaleString('en')} random and mutated buffers, and allocates within bounds`, () => {
    const rnd = prng(testSeed)
    // Valid corpora to mutate, from the same seed.
    const corpus = fc.sample(fc.array(arbDelta, { minLength: 1, maxLength: 12 }), { seed: testSeed, numRuns: 200 }).map(encodeDeltas)
    const codes = new Map<string, number>()
    let decoded = 0
    const heapBefore = process.memoryUsage().heapUsed
    for (let i = 0; i < INPUTS; i++) {
      let input: Uint8Array
      if (i % 4 === 0) {
        input = Uint8Array.from({ length: Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256))
        if (input.length > 0 && rnd() < 0.5) input[0] = DELTA_FORMAT_VERSION
      } else {
        input = mutate(corpus[i % corpus.length], rnd, DELTA_TARGET)
      }
      try {
        const deltas = decodeDeltas(input)
        decoded++
        expect(deltas.length * MIN_ENCODED_DELTA_BYTES).to.be.at.most(input.byteLength)
        for (const d of deltas) if (d.value !== undefined) expect(d.value.buffer, 'values alias the input').to.equal(input.buffer)
      } catch (err) {
        if (!(err instanceof DecodeError)) {
          throw new Error(`input ${i} (seed ${testSeed}) threw ${String(err)}: ${Buffer.from(input).toString('hex')}`)
        }
        codes.set(err.code, (codes.get(err.code) ?? 0) + 1)
      }
    }
    const heapGrowthBytes = process.memoryUsage().heapUsed - heapBefore
    // Every kind of refusal was exercised, and some mutations still decoded.
    expect([...codes.keys()].sort()).to.deep.equal(['ERR_DECODE_LIMIT', 'ERR_DECODE_MALFORMED', 'ERR_DECODE_TRUNCATED', 'ERR_DECODE_VERSION'])
    expect(decoded).to.be.greaterThan(0)
    // Nothing was retained or pre-sized from a count off the wire (generous: GC timing varies).
    expect(heapGrowthBytes).to.be.below(256 * 1024 * 1024)
  })

  it('decodeDeltas refuses counts and lengths over their bounds before allocating (worst cases)', () => {
    const cases = [
      '01ffffffffffffff0f', // 2^53 − 1 node ids
      '0100ffffff7f', // 2^28 origins
      '010000008080808080808001', // hlcBase then a 2^49 delta count
      '01000000ffffffff0f', // 2^32 deltas
      '0101026e310100000001000000ffffffff0f', // key of 4 GiB
    ]
    for (const h of cases) {
      const input = new Uint8Array(Buffer.from(h, 'hex'))
      const before = process.memoryUsage()
      expect(() => decodeDeltas(input)).to.throw(DecodeError)
      // Nothing allocated for the claimed count or length (work, not time).
      const after = process.memoryUsage()
      expect(after.arrayBuffers - before.arrayBuffers, h).to.be.below(1024 * 1024)
      expect(after.heapUsed - before.heapUsed, h).to.be.below(16 * 1024 * 1024)
    }
  })
})
