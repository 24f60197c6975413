// The SWIM wire codec: golden bytes pin the format, round trips over arbitrary messages,
// and fuzzing: no input makes decodeMessage throw anything but DecodeError.
import { expect } from 'chai'
import fc from 'fast-check'
import { propertyParams } from '../support/seed.ts'
import { DecodeError } from '../../lib/foundation/errors.ts'
import {
  MemberState,
  MessageKind,
  UpdateKind,
  decodeMessage,
  encodeMessage,
  encodeUpdate,
  type Message,
  type Update,
} from '../../membership/index.ts'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))

function codeOf(bytes: Uint8Array): string {
  try {
    decodeMessage(bytes)
    return 'ok'
  } catch (err) {
    if (err instanceof DecodeError) return err.code
    throw err
  }
}

describe('membership/codec', () => {
  it('encodeMessage golden bytes (frozen: changing them breaks the protocol)', () => {
    const alive = encodeUpdate({ kind: UpdateKind.alive, id: 'n1', incarnation: 300, addrs: ['/ip4/1.2.3.4'], from: '' })
    const suspect = encodeUpdate({ kind: UpdateKind.suspect, id: 'n2', incarnation: 0, addrs: [], from: 'n3' })
    expect(hex(alive)).to.equal('01026e31ac02010c2f6970342f312e322e332e34')
    expect(hex(suspect)).to.equal('02026e3200026e33')
    const table: [string, Uint8Array][] = [
      ['ping seq 7', encodeMessage({ kind: MessageKind.ping, seq: 7 })],
      ['ack seq 128', encodeMessage({ kind: MessageKind.ack, seq: 128 })],
      ['nack', encodeMessage({ kind: MessageKind.nack, seq: 1 })],
      ['gossip 2 updates', encodeMessage({ kind: MessageKind.gossip }, [alive, suspect])],
      ['ping-req', encodeMessage({ kind: MessageKind.pingReq, seq: 9, target: 'n4', nack: true })],
      [
        'push-pull',
        encodeMessage({
          kind: MessageKind.pushPull,
          flags: 1,
          members: [{ id: 'n5', state: MemberState.dead, incarnation: 2, addrs: [] }],
        }),
      ],
    ]
    const want = [
      '01010700',
      '0103800100',
      '01040100',
      '010502' + hex(alive) + hex(suspect),
      '010209026e340100',
      '01060101' + '03026e350200' + '00',
    ]
    table.forEach(([name, bytes], i) => expect(hex(bytes), name).to.equal(want[i]))
  })

  it('decodeMessage reads the golden bytes back', () => {
    const m = decodeMessage(unhex('010502' + '01026e31ac02010c2f6970342f312e322e332e34' + '02026e3200026e33'))
    expect(m.kind).to.equal(MessageKind.gossip)
    expect(m.updates).to.deep.equal([
      { kind: UpdateKind.alive, id: 'n1', incarnation: 300, addrs: ['/ip4/1.2.3.4'], from: '' },
      { kind: UpdateKind.suspect, id: 'n2', incarnation: 0, addrs: [], from: 'n3' },
    ])
  })

  it('decodeMessage tells truncated, malformed, limit and version apart', () => {
    const table: [string, string, string][] = [
      ['empty', '', 'ERR_DECODE_TRUNCATED'],
      ['version 2', '0201070000', 'ERR_DECODE_VERSION'],
      ['unknown kind', '01090000', 'ERR_DECODE_MALFORMED'],
      ['ping without update count', '010107', 'ERR_DECODE_TRUNCATED'],
      ['trailing byte', '0101070000', 'ERR_DECODE_MALFORMED'],
      ['update count over MAX_UPDATES', '010107ff7f', 'ERR_DECODE_LIMIT'],
      ['unknown update kind', '010501090000', 'ERR_DECODE_MALFORMED'],
      ['empty id', '01050101000000', 'ERR_DECODE_MALFORMED'],
      ['id over MAX_ID_BYTES', '010501018101', 'ERR_DECODE_LIMIT'],
      ['incarnation over 2^32 − 1', '01050102026e3180808080100100', 'ERR_DECODE_LIMIT'],
      ['nack flag 2', '010209026e340200', 'ERR_DECODE_MALFORMED'],
      ['push-pull state 0', '01060001' + '00026e350000' + '00', 'ERR_DECODE_MALFORMED'],
      ['push-pull count beyond the input', '0106008f01', 'ERR_DECODE_TRUNCATED'],
      ['seq over 2^32 − 1', '01018080808010' + '00', 'ERR_DECODE_LIMIT'],
    ]
    for (const [name, h, code] of table) expect(codeOf(unhex(h)), name).to.equal(code)
  })

  const idArb = fc.string({ minLength: 1, maxLength: 40 })
  const updateArb: fc.Arbitrary<Update> = fc.oneof(
    fc.record({
      kind: fc.constant(UpdateKind.alive),
      id: idArb,
      incarnation: fc.nat({ max: 0xffffffff }),
      addrs: fc.array(fc.string({ maxLength: 50 }), { maxLength: 4 }),
      from: fc.constant(''),
    }),
    fc.record({
      kind: fc.constantFrom(UpdateKind.suspect, UpdateKind.dead),
      id: idArb,
      incarnation: fc.nat({ max: 0xffffffff }),
      addrs: fc.constant([]),
      from: idArb,
    }),
    fc.record({
      kind: fc.constant(UpdateKind.left),
      id: idArb,
      incarnation: fc.nat({ max: 0xffffffff }),
      addrs: fc.constant([]),
      from: fc.constant(''),
    }),
  ) as fc.Arbitrary<Update>
  const seqArb = fc.nat({ max: 0xffffffff })
  const headArb = fc.oneof(
    fc.record({ kind: fc.constantFrom(MessageKind.ping, MessageKind.ack, MessageKind.nack), seq: seqArb }),
    fc.record({ kind: fc.constant(MessageKind.gossip) }),
    fc.record({ kind: fc.constant(MessageKind.pingReq), seq: seqArb, target: idArb, nack: fc.boolean() }),
    fc.record({
      kind: fc.constant(MessageKind.pushPull),
      flags: fc.integer({ min: 0, max: 3 }),
      members: fc.array(
        fc.record({
          id: idArb,
          state: fc.constantFrom(MemberState.alive, MemberState.suspect, MemberState.dead, MemberState.left),
          incarnation: fc.nat({ max: 0xffffffff }),
          addrs: fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }),
        }),
        { maxLength: 20 },
      ),
    }),
  )

  it('decodeMessage(encodeMessage(m)) round-trips any message', () => {
    fc.assert(
      fc.property(headArb, fc.array(updateArb, { maxLength: 10 }), (head, updates) => {
        const bytes = encodeMessage(head as Message, updates.map(encodeUpdate))
        const m = decodeMessage(bytes)
        expect(m.kind).to.equal(head.kind)
        expect(m.updates).to.deep.equal(updates)
        for (const [k, v] of Object.entries(head)) expect((m as unknown as Record<string, unknown>)[k], k).to.deep.equal(v)
      }),
      propertyParams(300),
    )
  })

  it('decodeMessage of any truncation is ERR_DECODE_TRUNCATED', () => {
    fc.assert(
      fc.property(headArb, fc.array(updateArb, { maxLength: 4 }), fc.nat(), (head, updates, cut) => {
        const bytes = encodeMessage(head as Message, updates.map(encodeUpdate))
        const n = cut % bytes.length
        expect(codeOf(bytes.subarray(0, n))).to.equal('ERR_DECODE_TRUNCATED')
      }),
      propertyParams(300),
    )
  })

  it('fuzz: random bytes and mutated messages throw only DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        codeOf(bytes)
        codeOf(Uint8Array.of(1, ...bytes))
      }),
      propertyParams(2000),
    )
    fc.assert(
      fc.property(
        headArb,
        fc.array(updateArb, { maxLength: 4 }),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 4 }),
        (head, updates, flips) => {
          const bytes = encodeMessage(head as Message, updates.map(encodeUpdate)).slice()
          for (const [at, v] of flips) bytes[at % bytes.length] = v
          codeOf(bytes)
        },
      ),
      propertyParams(2000),
    )
  })

  it('encodeUpdate refuses what decode would refuse (paired assertions)', () => {
    expect(() => encodeUpdate({ kind: UpdateKind.suspect, id: 'a', incarnation: 0, addrs: [], from: '' })).to.throw(RangeError)
    expect(() => encodeUpdate({ kind: UpdateKind.alive, id: '', incarnation: 0, addrs: [], from: '' })).to.throw(RangeError)
    expect(() => encodeUpdate({ kind: UpdateKind.alive, id: 'a', incarnation: 2 ** 32, addrs: [], from: '' })).to.throw(RangeError)
  })
})
