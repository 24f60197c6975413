// Hot-key hints (lib/hints/codec.ts): the codec round trip, golden bytes, bounds, a fuzz of
// the decoder (only DecodeError, never another throw), and the receiver's rule.
//
// Fuzz inputs in `npm test`: 20,000 from the fixed seed; more with
//   FUZZ_INPUTS=1000000 npx mocha --no-config --timeout 0 test/hints/codec.test.ts
import { expect } from 'chai'
import fc from 'fast-check'
import { DecodeError, Prng } from '../../lib/foundation/index.ts'
import { S3FifoStore } from '../../lib/index.ts'
import { decodeHint, encodeHint, HINT_FORMAT_VERSION, MAX_HINT_KEYS, MAX_HINT_MESSAGE_BYTES, HintReceiver } from '../../lib/hints/index.ts'
import { propertyParams, testSeed } from '../support/seed.ts'

const INPUTS = Number(process.env.FUZZ_INPUTS ?? 20_000)

describe('hint codec', () => {
  it('encodeHint/decodeHint round-trip any keys and frequency within the bounds', () => {
    const keysArb = fc.array(fc.string({ unit: 'grapheme', maxLength: 40 }), { maxLength: 200 })
    fc.assert(
      fc.property(keysArb, fc.integer({ min: 1, max: 3 }), (keys, freq) => {
        const { bytes, keys: n } = encodeHint({ keys, freq }, MAX_HINT_MESSAGE_BYTES, 1024)
        expect(n).to.equal(keys.length)
        expect(decodeHint(bytes)).to.deep.equal({ keys, freq })
      }),
      propertyParams(300),
    )
  })

  it('encodeHint golden bytes: version, freq, count, length-prefixed keys', () => {
    const { bytes } = encodeHint({ keys: ['ab', 'é'], freq: 2 })
    expect([...bytes]).to.deep.equal([HINT_FORMAT_VERSION, 2, 2, 2, 0x61, 0x62, 2, 0xc3, 0xa9])
  })

  it('encodeHint stops at maxBytes, keeps key order, and skips keys over keyBytesMax', () => {
    const keys = Array.from({ length: 100 }, (_, i) => `key-${i}`)
    const { bytes, keys: n } = encodeHint({ keys: ['x'.repeat(300), ...keys], freq: 2 }, 64, 256)
    expect(bytes.byteLength).to.be.at.most(64)
    expect(decodeHint(bytes).keys).to.deep.equal(keys.slice(0, n))
    expect(n).to.be.greaterThan(5)
  })

  it('encodeHint refuses a bad frequency or byte bound', () => {
    expect(() => encodeHint({ keys: [], freq: 0 })).to.throw(TypeError, 'freq')
    expect(() => encodeHint({ keys: [], freq: 4 })).to.throw(TypeError, 'freq')
    expect(() => encodeHint({ keys: [], freq: 2 }, MAX_HINT_MESSAGE_BYTES + 1)).to.throw(TypeError, 'maxBytes')
  })

  it('decodeHint refuses a wrong version, a bad frequency, a count over its bound, truncation and trailing bytes', () => {
    const code = (bytes: number[]): string => {
      try {
        decodeHint(Uint8Array.from(bytes))
      } catch (err) {
        expect(err).to.be.instanceOf(DecodeError)
        return (err as DecodeError).code
      }
      return 'ok'
    }
    expect(code([1, 2, 0])).to.equal('ok')
    expect(code([9, 2, 0])).to.equal('ERR_DECODE_VERSION')
    expect(code([1, 0, 0])).to.equal('ERR_DECODE_MALFORMED')
    expect(code([1, 4, 0])).to.equal('ERR_DECODE_MALFORMED')
    expect(code([1, 2, 0x81, 0x40])).to.equal('ERR_DECODE_LIMIT') // 8193 > MAX_HINT_KEYS
    expect(code([1, 2, 5, 1, 0x61])).to.equal('ERR_DECODE_TRUNCATED')
    expect(code([1, 2, 1, 1])).to.equal('ERR_DECODE_TRUNCATED')
    expect(code([1, 2, 0, 7])).to.equal('ERR_DECODE_MALFORMED')
    expect(code([1, 2, 1, 1, 0xff])).to.equal('ERR_DECODE_MALFORMED') // invalid UTF-8
    expect(code([])).to.equal('ERR_DECODE_TRUNCATED')
    expect(() => decodeHint(new Uint8Array(MAX_HINT_MESSAGE_BYTES + 1))).to.throw(DecodeError, 'exceeds')
    expect(MAX_HINT_KEYS).to.equal(4096)
  })

  it(`decodeHint fuzz: ${INPUTS} random and mutated inputs raise only DecodeError`, () => {
    const rnd = new Prng(testSeed)
    const int = (n: number): number => rnd.int(n)
    const seeds = [
      encodeHint({ keys: ['a', 'bb', 'ccc', 'é😀'], freq: 2 }).bytes,
      encodeHint({ keys: Array.from({ length: 50 }, (_, i) => `k${i}`), freq: 3 }).bytes,
      encodeHint({ keys: [], freq: 1 }).bytes,
    ]
    let decoded = 0
    for (let i = 0; i < INPUTS; i++) {
      let input: Uint8Array
      if (i % 4 === 0) input = Uint8Array.from({ length: int(64) }, () => int(256))
      else {
        input = seeds[int(seeds.length)].slice()
        const edits = 1 + int(4)
        for (let e = 0; e < edits; e++) {
          const op = int(3)
          if (op === 0 && input.length > 0) input[int(input.length)] = int(256)
          else if (op === 1) input = input.subarray(0, int(input.length + 1))
          else {
            const grown = new Uint8Array(input.length + 1 + int(4))
            grown.set(input)
            for (let j = input.length; j < grown.length; j++) grown[j] = int(256)
            input = grown
          }
        }
      }
      try {
        const h = decodeHint(input)
        expect(h.keys.length).to.be.at.most(input.length)
        decoded++
      } catch (err) {
        if (!(err instanceof DecodeError)) throw new Error(`input ${i} [${[...input]}] threw ${String(err)} (FC_SEED=${testSeed})`)
      }
    }
    expect(decoded).to.be.greaterThan(0)
  })
})

describe('HintReceiver', () => {
  const fill = (): S3FifoStore => {
    const store = new S3FifoStore({ maxBytes: 100, sizeOf: () => 1 })
    for (let i = 0; i < 10; i++) store.set(`k${i}`, new Uint8Array(1))
    return store
  }

  it('handle boosts held keys to the hinted frequency, capped by boostFreqMax', () => {
    const store = fill()
    const r = new HintReceiver(store, { boostFreqMax: 2 })
    expect(r.handle({ keys: ['k1', 'k2'], freq: 3 })).to.equal(2)
    const inside = S3FifoStore.unsafeExposeInternals(store)
    expect(inside.freqOf('k1')).to.equal(2)
    expect(r.handle({ keys: ['k1'], freq: 3 })).to.equal(0)
    expect(r.stats()).to.deep.equal({ hints: 2, keys: 3, applied: 2, alreadyHot: 1, absent: 0 })
  })

  it('handle never inserts: absent hot keys are remembered, newest first, bounded', () => {
    const store = fill()
    const r = new HintReceiver(store, { absentKeysMax: 2 })
    r.handle({ keys: ['x1', 'x2', 'k3', 'x3'], freq: 2 })
    expect(store.has('x1')).to.equal(false)
    expect(store.size).to.equal(10)
    expect(r.absentKeys()).to.deep.equal(['x3', 'x2'])
    r.handle({ keys: ['x2'], freq: 2 })
    expect(r.absentKeys()).to.deep.equal(['x2', 'x3'])
    expect(r.absentKeys(1)).to.deep.equal(['x2'])
    expect(r.stats().absent).to.equal(4)
  })

  it('noteHeld boosts a remembered absent key once it arrives, and forgets it', () => {
    const store = fill()
    const r = new HintReceiver(store)
    r.handle({ keys: ['new'], freq: 2 })
    store.set('new', new Uint8Array(1))
    expect(r.noteHeld('new', 2)).to.equal(true)
    expect(S3FifoStore.unsafeExposeInternals(store).freqOf('new')).to.equal(2)
    expect(r.noteHeld('new', 2)).to.equal(false)
    expect(r.absentCount).to.equal(0)
  })

  it('absentKeysMax 0 remembers nothing; bad options are TypeErrors naming them', () => {
    const r = new HintReceiver(fill(), { absentKeysMax: 0 })
    r.handle({ keys: ['x'], freq: 2 })
    expect(r.absentKeys()).to.deep.equal([])
    expect(() => new HintReceiver(fill(), { absentKeysMax: -1 })).to.throw(TypeError, 'absentKeysMax')
    expect(() => new HintReceiver(fill(), { boostFreqMax: 4 })).to.throw(TypeError, 'boostFreqMax')
  })
})
