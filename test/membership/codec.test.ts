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
    const epoch = 1_700_000_000_000
    const alive = encodeUpdate({ kind: UpdateKind.alive, id: 'n1', incarnation: 300, epoch, addrs: ['/ip4/1.2.3.4'], from: '' })
    const suspect = encodeUpdate({ kind: UpdateKind.suspect, id: 'n2', incarnation: 0, addrs: [], from: 'n3' })
    // Version 2: the alive update's epoch follows its incarnation (80d095ffbc31 = 1.7e12).
    expect(hex(alive)).to.equal('01026e31ac0280d095ffbc31010c2f6970342f312e322e332e34')
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
      [
        'push-pull reply echoing epoch 300',
        encodeMessage({
          kind: MessageKind.pushPull,
          flags: 2,
          toEpoch: 300,
          members: [{ id: 'n6', state: MemberState.alive, incarnation: 1, epoch: 5, addrs: [] }],
        }),
      ],
    ]
    const want = [
      '02010700',
      '0203800100',
      '02040100',
      '020502' + hex(alive) + hex(suspect),
      '020209026e340100',
      '0206010001' + '03026e35020000' + '00',
      '020602ac0201' + '01026e36010500' + '00',
    ]
    table.forEach(([name, bytes], i) => expect(hex(bytes), name).to.equal(want[i]))
  })

  it('decodeMessage reads the golden bytes back', () => {
    const m = decodeMessage(unhex('020502' + '01026e31ac0280d095ffbc31010c2f6970342f312e322e332e34' + '02026e3200026e33'))
    expect(m.kind).to.equal(MessageKind.gossip)
    expect(m.updates).to.deep.equal([
      { kind: UpdateKind.alive, id: 'n1', incarnation: 300, epoch: 1_700_000_000_000, addrs: ['/ip4/1.2.3.4'], from: '' },
      { kind: UpdateKind.suspect, id: 'n2', incarnation: 0, epoch: 0, addrs: [], from: 'n3' },
    ])
    const p = decodeMessage(unhex('020602ac0201' + '01026e36010500' + '00'))
    const n6 = { id: 'n6', state: MemberState.alive, incarnation: 1, epoch: 5, addrs: [] }
    expect([p.flags, p.toEpoch, p.members]).to.deep.equal([2, 300, [n6]])
  })

  it('decodeMessage refuses version 1 (no epochs) with ERR_DECODE_VERSION', () => {
    // Version 1's gossip of one alive update, as a version 1 node sent it.
    expect(codeOf(unhex('010501' + '01026e31ac02010c2f6970342f312e322e332e34'))).to.equal('ERR_DECODE_VERSION')
    expect(codeOf(unhex('01010700'))).to.equal('ERR_DECODE_VERSION')
  })

  it('decodeMessage tells truncated, malformed, limit and version apart', () => {
    const table: [string, string, string][] = [
      ['empty', '', 'ERR_DECODE_TRUNCATED'],
      ['version 3', '0301070000', 'ERR_DECODE_VERSION'],
      ['unknown kind', '02090000', 'ERR_DECODE_MALFORMED'],
      ['ping without update count', '020107', 'ERR_DECODE_TRUNCATED'],
      ['trailing byte', '0201070000', 'ERR_DECODE_MALFORMED'],
      ['update count over MAX_UPDATES', '020107ff7f', 'ERR_DECODE_LIMIT'],
      ['unknown update kind', '020501090000', 'ERR_DECODE_MALFORMED'],
      ['empty id', '02050101000000', 'ERR_DECODE_MALFORMED'],
      ['id over MAX_ID_BYTES', '020501018101', 'ERR_DECODE_LIMIT'],
      ['incarnation over 2^32 − 1', '02050102026e3180808080100100', 'ERR_DECODE_LIMIT'],
      ['alive without its epoch', '02050101026e3100', 'ERR_DECODE_TRUNCATED'],
      ['alive epoch over 2^53 − 1', '02050101026e3100ffffffffffffffff7f00', 'ERR_DECODE_MALFORMED'],
      ['nack flag 2', '020209026e340200', 'ERR_DECODE_MALFORMED'],
      ['push-pull state 0', '0206000001' + '00026e35000000' + '00', 'ERR_DECODE_MALFORMED'],
      ['push-pull without its echoed epoch', '020600', 'ERR_DECODE_TRUNCATED'],
      ['push-pull echoed epoch over 2^53 − 1', '020600ffffffffffffffff7f0000', 'ERR_DECODE_MALFORMED'],
      ['push-pull member without its epoch', '0206000001' + '01026e3500', 'ERR_DECODE_TRUNCATED'],
      ['push-pull count beyond the input', '020600008f01', 'ERR_DECODE_TRUNCATED'],
      ['seq over 2^32 − 1', '02018080808010' + '00', 'ERR_DECODE_LIMIT'],
    ]
    for (const [name, h, code] of table) expect(codeOf(unhex(h)), name).to.equal(code)
  })

  const idArb = fc.string({ minLength: 1, maxLength: 40 })
  const epochArb = fc.oneof(fc.constant(0), fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER))
  const updateArb: fc.Arbitrary<Update> = fc.oneof(
    fc.record({
      kind: fc.constant(UpdateKind.alive),
      id: idArb,
      incarnation: fc.nat({ max: 0xffffffff }),
      epoch: epochArb,
      addrs: fc.array(fc.string({ maxLength: 50 }), { maxLength: 4 }),
      from: fc.constant(''),
    }),
    fc.record({
      kind: fc.constantFrom(UpdateKind.suspect, UpdateKind.dead),
      id: idArb,
      incarnation: fc.nat({ max: 0xffffffff }),
      epoch: fc.constant(0),
      addrs: fc.constant([]),
      from: idArb,
    }),
    fc.record({
      kind: fc.constant(UpdateKind.left),
      id: idArb,
      incarnation: fc.nat({ max: 0xffffffff }),
      epoch: fc.constant(0),
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
      toEpoch: epochArb,
      members: fc.array(
        fc.record({
          id: idArb,
          state: fc.constantFrom(MemberState.alive, MemberState.suspect, MemberState.dead, MemberState.left),
          incarnation: fc.nat({ max: 0xffffffff }),
          epoch: epochArb,
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
        codeOf(Uint8Array.of(2, ...bytes))
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
