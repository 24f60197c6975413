import { expect } from 'chai'
import fc from 'fast-check'
import { DecodeError } from '../../lib/foundation/errors.ts'
import { decodeDeltas, deltaEncodedBytesMax, encodeDeltas, makeDelta, makeVersion, type Delta, type Hlc } from '../../crdt/index.ts'
import { propertyParams } from '../support/seed.ts'
import { arbDelta, plain, T0 } from './arbitraries.ts'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'))

function decodeError(bytes: Uint8Array): DecodeError {
  try {
    decodeDeltas(bytes)
  } catch (err) {
    if (err instanceof DecodeError) return err
    throw err
  }
  throw new Error('decoded without an error')
}

// Frozen format-1 batches. If one of these changes, the wire format changed: bump
// DELTA_FORMAT_VERSION and keep a decoder for the old one instead of editing the vector.
const origin = { nodeId: 'n1', epoch: 7 }
const h = (ms: number, c = 0): Hlc => (ms * 2048 + c) as Hlc
const GOLDEN: { name: string; deltas: Delta[]; hex: string }[] = [
  { name: 'empty batch', deltas: [], hex: '0100000000' },
  {
    name: 'set with userVersion and expiry, then delete',
    deltas: [
      makeDelta('set', 'k', makeVersion(42, h(T0, 1), 'n1'), undefined, new Uint8Array([1, 2, 3]), T0 + 60_000, origin, 1),
      makeDelta('delete', 'k', makeVersion(0, h(T0, 2), 'n1'), undefined, undefined, undefined, origin, 2),
    ],
    // 01 format | 01 node: 02 'n1' | 01 origin: node 0, epoch 7 | hlcBase (8 B) | 02 deltas
    // 0c set+expiry+userVersion, origin 0, seq 1, 'k', uv 42, +0, node 0, expiry (6 B), 3 B value
    // 01 delete, origin 0, seq 2, 'k', +1, node 0
    hex: '0101026e31010007818080a28090c406020c0001016b2a0000e0e48580a13403010203010002016b0100',
  },
  {
    name: 'merge with base, ghost from another node, state transfer seq 0',
    deltas: [
      makeDelta(
        'merge',
        'doc',
        makeVersion(0, h(T0 + 5), 'n2'),
        makeVersion(0, h(T0), 'n1'),
        new Uint8Array([0, 0]),
        undefined,
        { nodeId: 'n2', epoch: 0 },
        3,
      ),
      makeDelta('ghost', 'gone', makeVersion(0, h(T0 + 1), 'n1'), undefined, undefined, undefined, origin, 0),
    ],
    // 02 nodes 'n2' 'n1' | 02 origins (0, 0) (1, 7) | hlcBase | 02 deltas
    // 12 merge+base, origin 0, seq 3, 'doc', +8192 (4 ms), node 0, base (0, absolute hlc, node 1), 2 B update
    // 03 ghost, origin 1, seq 0, 'gone', +0, node 1
    hex: '0102026e32026e310200000107809080a28090c4060212000303646f6380400000808080a28090c4060102000003010004676f6e650001',
  },
]

describe('crdt/codec', () => {
  it('encodeDeltas/decodeDeltas round trip any batch (property)', () => {
    fc.assert(
      fc.property(fc.array(arbDelta, { maxLength: 30 }), (deltas) => {
        const bytes = encodeDeltas(deltas)
        const back = decodeDeltas(bytes)
        expect(back.map(plain)).to.deep.equal(deltas.map(plain))
        // Canonical: re-encoding gives the same bytes.
        expect(hex(encodeDeltas(back))).to.equal(hex(bytes))
        let bound = 64
        for (const d of deltas) bound += deltaEncodedBytesMax(d)
        expect(bytes.byteLength).to.be.at.most(bound)
      }),
      propertyParams(300),
    )
  })

  it('decodeDeltas returns values that alias the input (the replica copies them)', () => {
    const bytes = encodeDeltas([makeDelta('set', 'k', makeVersion(0, h(T0), 'n1'), undefined, new Uint8Array([9]), undefined, origin, 1)])
    const [d] = decodeDeltas(bytes)
    expect(d.value?.buffer).to.equal(bytes.buffer)
  })

  for (const g of GOLDEN) {
    it(`golden vector: ${g.name}`, () => {
      expect(hex(encodeDeltas(g.deltas))).to.equal(g.hex)
      expect(decodeDeltas(fromHex(g.hex)).map(plain)).to.deep.equal(g.deltas.map(plain))
    })
  }

  it('decodeDeltas names what is wrong with a stable code (table)', () => {
    const good = encodeDeltas([makeDelta('set', 'k', makeVersion(0, h(T0), 'n1'), undefined, new Uint8Array([9]), undefined, origin, 1)])
    const table: [string, Uint8Array, string][] = [
      ['empty input', new Uint8Array(0), 'ERR_DECODE_TRUNCATED'],
      ['unknown format', fromHex('02' + hex(good).slice(2)), 'ERR_DECODE_VERSION'],
      ['truncated', good.subarray(0, good.length - 1), 'ERR_DECODE_TRUNCATED'],
      ['trailing byte', fromHex(hex(good) + '00'), 'ERR_DECODE_MALFORMED'],
      ['node count over its bound', fromHex('01ffffff7f'), 'ERR_DECODE_LIMIT'],
      ['delta count beyond the input', fromHex('010000008080808001'), 'ERR_DECODE_LIMIT'],
      ['delta count larger than the bytes left', fromHex('0100000064'), 'ERR_DECODE_TRUNCATED'],
      ['reserved flag bits', fromHex('0101026e310100000001e000000000000000'), 'ERR_DECODE_MALFORMED'],
      ['origin index out of range', fromHex('01000000010005000000000000'), 'ERR_DECODE_MALFORMED'],
    ]
    for (const [name, bytes, code] of table) expect(decodeError(bytes).code, name).to.equal(code)
  })

  it('encodeDeltas refuses a malformed delta with a TypeError (the pair of the decoder checks)', () => {
    const bad = { ...makeDelta('set', 'k', makeVersion(0, h(T0), 'n1'), undefined, undefined, undefined, origin, 1) }
    expect(() => encodeDeltas([bad])).to.throw(TypeError, /value/)
    const merge = makeDelta('merge', 'k', makeVersion(0, h(T0), 'n1'), undefined, new Uint8Array(1), undefined, origin, 1)
    expect(() => encodeDeltas([merge])).to.throw(TypeError, /base/)
  })
})
