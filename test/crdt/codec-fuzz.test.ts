// Fuzz of decodeDeltas (G7): random and mutated batches must raise only
// DecodeError — never another throw, never a hang — and a decode must never allocate beyond
// what its input bounds: values alias the input (no copies), and a batch of n bytes yields
// at most n / MIN_ENCODED_DELTA_BYTES deltas.
//
// In `npm test`: 120,000 inputs from the fixed seed. The long run:
//   FUZZ_INPUTS=1000000 npx mocha --no-config --timeout 0 test/crdt/codec-fuzz.test.ts
// (FC_SEED=<n> picks another seed, FC_SEED=random a fresh one; a failure prints the seed.)
import { expect } from 'chai'
import fc from 'fast-check'
import { DecodeError } from '../../lib/foundation/errors.ts'
import {
  decodeDeltas,
  DELTA_FORMAT_VERSION,
  encodeDeltas,
  hlcFromParts,
  makeDelta,
  makeVersion,
  MAX_KEY_BYTES,
  MAX_NODE_ID_BYTES,
} from '../../crdt/index.ts'
import { mutate, prng } from '../../bench/_fuzz.ts'
import { testSeed } from '../support/seed.ts'
import { arbDelta, T0 } from './arbitraries.ts'

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
    expect([...codes.keys()].sort()).to.deep.equal([
      'ERR_DECODE_LIMIT',
      'ERR_DECODE_MALFORMED',
      'ERR_DECODE_TRUNCATED',
      'ERR_DECODE_VERSION',
    ])
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
      // The bound refuses it (ERR_DECODE_LIMIT), not the end of the input coming first.
      expect(decodeCode(input), h).to.equal('ERR_DECODE_LIMIT')
      // Nothing allocated for the claimed count or length (work, not time).
      const after = process.memoryUsage()
      expect(after.arrayBuffers - before.arrayBuffers, h).to.be.below(1024 * 1024)
      expect(after.heapUsed - before.heapUsed, h).to.be.below(16 * 1024 * 1024)
    }
  })

  it('decodeDeltas refuses a key or node id one byte over its bound even when the input holds every byte', () => {
    // Both fit a batch many times over: only the named bound (MAX_KEY_BYTES, MAX_NODE_ID_BYTES)
    // stops them, so a peer cannot plant a key no writer could make, or an outsized member id.
    const key = 'k'.repeat(MAX_KEY_BYTES)
    const nodeId = 'n'.repeat(MAX_NODE_ID_BYTES)
    const atBound = encodeDeltas([
      makeDelta('set', key, makeVersion(0, hlcFromParts(T0), nodeId), undefined, new Uint8Array([1]), undefined, { nodeId, epoch: 1 }, 1),
    ])
    expect(decodeDeltas(atBound)[0].key, 'the bounds themselves decode').to.equal(key)
    const keyOver = oneByteLonger(atBound, MAX_KEY_BYTES, 'k')
    const nodeOver = oneByteLonger(atBound, MAX_NODE_ID_BYTES, 'n')
    expect(decodeCode(keyOver), 'key of MAX_KEY_BYTES + 1').to.equal('ERR_DECODE_LIMIT')
    expect(decodeCode(nodeOver), 'node id of MAX_NODE_ID_BYTES + 1').to.equal('ERR_DECODE_LIMIT')
  })
})

/** The DecodeError code decodeDeltas throws on `input` (fails the test if it decodes). */
function decodeCode(input: Uint8Array): string {
  try {
    decodeDeltas(input)
  } catch (err) {
    if (err instanceof DecodeError) return err.code
    throw err
  }
  return 'decoded'
}

/**
 * The batch with one string `length` B long made one byte longer: its length varint (same
 * size: both lengths take 1–3 varint bytes alike here) + 1, and one more `fill` byte after it.
 */
function oneByteLonger(batch: Uint8Array, length: number, fill: string): Uint8Array {
  const varint = (n: number): number[] => {
    const out: number[] = []
    for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n % 0x80) | 0x80)
    return [...out, n]
  }
  const prefix = Buffer.from([...varint(length), fill.charCodeAt(0)])
  const at = Buffer.from(batch).indexOf(prefix)
  expect(at, `a ${length} B string of '${fill}' in the batch`).to.be.at.least(0)
  const longer = varint(length + 1)
  expect(longer.length).to.equal(prefix.length - 1)
  return new Uint8Array(Buffer.concat([batch.subarray(0, at), Buffer.from(longer), Buffer.from(fill), batch.subarray(at + longer.length)]))
}
