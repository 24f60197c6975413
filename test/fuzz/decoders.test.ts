// Fuzz of every decoder of peer input (G7; issue 7 item 5), the short run of
// `npm run bench -- fuzz` (bench/_fuzz.ts has the generators, mutations and checks). The delta
// codec has its own deeper fuzz in test/crdt/codec-fuzz.test.ts and the SWIM codec its
// property fuzz in test/membership/codec.test.ts; this file adds the sync codec and the
// replication frames (lib/replication/frames.ts), runs all four through the same mutator,
// and cross-feeds each decoder the other protocols' bytes.
//
// In `npm test`: FUZZ_DECODER_INPUTS (default 20,000) inputs per decoder, seeded from
// test/support/seed.ts. A failure prints the seed and the replay command of each bad input.
// The long run: npm run bench -- fuzz -- --inputs 1000000 --seed <n>
import { expect } from 'chai'
import { DecodeError } from '../../lib/foundation/errors.ts'
import { decodeSyncMessage, encodeSyncMessage, MAX_SYNC_FRAME_BYTES } from '../../lib/networking/sync-codec.ts'
import { decodeFrame, encodeFrame, MAX_REPLICATION_FRAME_BYTES } from '../../lib/replication/frames.ts'
import { crossFeed, fuzzAll, replayCommand, type DecoderReport } from '../../bench/_fuzz.ts'
import { testSeed } from '../support/seed.ts'

const INPUTS = Number(process.env.FUZZ_DECODER_INPUTS ?? 20_000)
const MAX_HEAP_GROWTH_BYTES = 64 * 1024 * 1024

function explain(reports: DecoderReport[]): string {
  return reports
    .flatMap((r) =>
      r.failures.map((f) => {
        const replay = replayCommand(testSeed, f.decoder, f.index, r.cross)
        return `${f.decoder} #${f.index} ${f.kind}: ${f.message}\n  input ${f.hex}\n  replay: ${replay}`
      }),
    )
    .join('\n')
}

function expectClean(reports: DecoderReport[]): void {
  const why = `seed ${testSeed}\n${explain(reports)}`
  for (const r of reports) {
    expect(r.inputs, r.name).to.equal(INPUTS)
    expect(r.otherThrows, `${r.name}: throws other than DecodeError (${why})`).to.equal(0)
    expect(r.overweight, `${r.name}: decoded values heavier than their input (${why})`).to.equal(0)
    expect(r.pairMismatches, `${r.name}: decoded values that do not re-encode to themselves (${why})`).to.equal(0)
  }
}

describe('decoder fuzz (deltas, SWIM, sync, replication)', function () {
  this.timeout(60_000)

  it(`every decoder sees only DecodeError on ${INPUTS.toLocaleString('en')} random and mutated inputs each`, () => {
    const heapBefore = process.memoryUsage().heapUsed
    const reports = fuzzAll({ seed: testSeed, inputs: INPUTS })
    expectClean(reports)
    for (const r of reports) {
      // Every kind of refusal was reached, and some mutations still decoded (the mutator
      // reaches the bodies, not just the first byte).
      expect(Object.keys(r.decodeErrors).sort(), r.name).to.deep.equal([
        'ERR_DECODE_LIMIT',
        'ERR_DECODE_MALFORMED',
        'ERR_DECODE_TRUNCATED',
        'ERR_DECODE_VERSION',
      ])
      expect(r.decoded, r.name).to.be.greaterThan(INPUTS / 100)
    }
    expect(process.memoryUsage().heapUsed - heapBefore).to.be.below(MAX_HEAP_GROWTH_BYTES)
  })

  it('every decoder sees only DecodeError when fed the other protocols\' valid and mutated bytes', () => {
    expectClean(crossFeed({ seed: testSeed, inputs: INPUTS / 4 }).map((r) => ({ ...r, inputs: r.inputs * 4 })))
  })

  it('decodeSyncMessage refuses lengths and counts over their bounds before allocating (worst cases)', () => {
    const cases: [string, string, string][] = [
      ['frame over MAX_SYNC_FRAME_BYTES', '', 'ERR_DECODE_LIMIT'],
      ['deltas batch claiming 2^40 bytes', '0210' + '8080808080' + '20', 'ERR_DECODE_LIMIT'],
      ['push batch claiming 2^53 − 1 bytes', '0204' + 'ffffffffffffff0f', 'ERR_DECODE_LIMIT'],
      ['digest claiming 2^32 progress entries', '0203' + '026e31' + '01' + '01' + '01' + '01' + 'ffffffff0f', 'ERR_DECODE_LIMIT'],
      [
        'digest claiming 4096 progress entries in 10 bytes',
        '0203' + '026e31' + '01' + '01' + '01' + '01' + '8020' + '00'.repeat(10),
        'ERR_DECODE_LIMIT',
      ],
      ['range origin id of 2^28 bytes', '0201' + '80808080' + '01', 'ERR_DECODE_LIMIT'],
      ['refused reason of 2^21 bytes', '0215' + '808080' + '01', 'ERR_DECODE_LIMIT'],
      ['unknown kind 0', '0200', 'ERR_DECODE_MALFORMED'],
      ['unknown kind 255', '02ff', 'ERR_DECODE_MALFORMED'],
      ['end flag 2', '0211' + '00' + '00' + '02', 'ERR_DECODE_MALFORMED'],
      ['since with rangeHi over 2^32', '0202' + '00' + '00' + '00' + '8080808020', 'ERR_DECODE_LIMIT'],
      ['since with an empty key range', '0202' + '00' + '00' + '05' + '05', 'ERR_DECODE_MALFORMED'],
      ['range from 0', '0201' + '026e31' + '01' + '00' + '05' + '00', 'ERR_DECODE_MALFORMED'],
      ['version 1 (before entryBytesMax)', '0101', 'ERR_DECODE_VERSION'],
      ['version 3', '0301', 'ERR_DECODE_VERSION'],
      ['empty', '', 'ERR_DECODE_TRUNCATED'],
    ]
    expectRefusedBeforeAllocating(decodeSyncMessage, MAX_SYNC_FRAME_BYTES, cases)
  })

  it('decodeSyncMessage(encodeSyncMessage(m)) round-trips every kind (golden first bytes)', () => {
    const origin = { nodeId: 'n1', epoch: 7 }
    const digest = {
      origin,
      lastSeq: 3,
      clock: 99 as never,
      horizon: 5 as never,
      progress: [{ origin, contiguous: 2, highest: 4, abandoned: 0 }],
    }
    const batch = new Uint8Array([1, 0, 0, 0, 0])
    const messages = [
      { kind: 'range', origin, from: 1, to: 9, maxBytes: 1 << 20, entryBytesMax: 1 << 16 },
      { kind: 'since', hlc: 123, maxBytes: 456, rangeLo: 0, rangeHi: 2 ** 32, entryBytesMax: Number.MAX_SAFE_INTEGER },
      { kind: 'digest', digest },
      { kind: 'push', batch },
      { kind: 'deltas', batch },
      { kind: 'end', deltas: 3, bytes: 400, complete: true },
      { kind: 'unavailable', firstSeq: 12 },
      { kind: 'digestReply', digest },
      { kind: 'pushed', outcomes: ['applied', 'stale', 'clock-drift', 'failed'] },
      { kind: 'refused', reason: 'no' },
    ] as const
    const kinds = [1, 2, 3, 4, 16, 17, 18, 19, 20, 21]
    messages.forEach((m, i) => {
      const bytes = encodeSyncMessage(m as never)
      expect([bytes[0], bytes[1]], m.kind).to.deep.equal([2, kinds[i]])
      const back = decodeSyncMessage(bytes) as unknown as Record<string, unknown>
      if ('batch' in m) {
        expect(Array.from(back.batch as Uint8Array)).to.deep.equal(Array.from(batch))
        expect((back.batch as Uint8Array).buffer, 'batch aliases the frame').to.equal(bytes.buffer)
      } else expect(back).to.deep.equal(m)
    })
  })

  it('decodeFrame refuses lengths and counts over their bounds before allocating (worst cases)', () => {
    const cases: [string, string, string][] = [
      ['frame over MAX_REPLICATION_FRAME_BYTES', '', 'ERR_DECODE_LIMIT'],
      ['batch claiming 2^40 bytes', '0101' + '00' + '00' + '8080808080' + '20', 'ERR_DECODE_LIMIT'],
      ['batch claiming 4096 ack requests in 10 bytes', '0101' + '00' + '8020' + '00'.repeat(10), 'ERR_DECODE_LIMIT'],
      ['acked claiming 2^32 answers', '0102' + 'ffffffff0f', 'ERR_DECODE_LIMIT'],
      [
        'digest claiming 4096 progress entries in 10 bytes',
        '0107' + '00' + '026e31' + '01' + '01' + '01' + '01' + '8020' + '00'.repeat(10),
        'ERR_DECODE_LIMIT',
      ],
      ['want origin id of 2^28 bytes', '0103' + '80808080' + '01', 'ERR_DECODE_LIMIT'],
      ['unknown kind 0', '0100', 'ERR_DECODE_MALFORMED'],
      ['unknown kind 255', '01ff', 'ERR_DECODE_MALFORMED'],
      ['batch with a flag set', '0101' + '01' + '00' + '00', 'ERR_DECODE_MALFORMED'],
      ['acked with outcome 8', '0102' + '01' + '05' + '08', 'ERR_DECODE_MALFORMED'],
      ['want from 0', '0103' + '026e31' + '01' + '00' + '05' + '00', 'ERR_DECODE_MALFORMED'],
      ['range with unavailable flag 2', '0104' + '026e31' + '01' + '01' + '02' + '00', 'ERR_DECODE_MALFORMED'],
      ['version 2', '0201', 'ERR_DECODE_VERSION'],
      ['empty', '', 'ERR_DECODE_TRUNCATED'],
    ]
    expectRefusedBeforeAllocating(decodeFrame, MAX_REPLICATION_FRAME_BYTES, cases)
  })

  it('decodeFrame(encodeFrame(f)) round-trips every kind (golden first bytes)', () => {
    const origin = { nodeId: 'n1', epoch: 7 }
    const progress = [{ origin, contiguous: 2, highest: 4, abandoned: 0 }]
    const digest = { origin, lastSeq: 3, clock: 99 as never, horizon: 5 as never, progress }
    const batch = new Uint8Array([1, 0, 0, 0, 0])
    const frames = [
      { kind: 'batch', acks: [{ ackId: 9, index: 0 }], batch },
      { kind: 'acked', answers: [{ ackId: 9, outcome: 'applied' }, { ackId: 10, outcome: 'clock-drift' }] },
      { kind: 'want', origin, from: 1, to: 9, maxBytes: 1 << 20 },
      { kind: 'range', origin, from: 4, unavailable: false, batch },
      { kind: 'since', origin, hlc: 123, maxBytes: 456, lo: 0, span: 2 ** 32 },
      { kind: 'state', origin, has: 12, complete: true, lo: 2 ** 31, span: 2 ** 30, batch },
      { kind: 'digest', replyWanted: true, digest },
    ] as const
    frames.forEach((f, i) => {
      const bytes = encodeFrame(f as never)
      expect([bytes[0], bytes[1]], f.kind).to.deep.equal([1, i + 1])
      const back = decodeFrame(bytes) as unknown as Record<string, unknown>
      if ('batch' in f) {
        expect(Array.from(back.batch as Uint8Array)).to.deep.equal(Array.from(batch))
        expect((back.batch as Uint8Array).buffer, 'batch aliases the frame').to.equal(bytes.buffer)
        expect({ ...back, batch: undefined }).to.deep.equal({ ...f, batch: undefined })
      } else expect(back).to.deep.equal(f)
    })
  })
})

/**
 * Each case (name, hex input, expected code) is refused with its code, and before allocating for
 * the count or length it claims: work, not time, is measured (a loaded machine's clock bounds
 * nothing). A case named "frame over …" is an input one byte over `maxFrameBytes`: the test's
 * own allocation, so only the heap is checked for it.
 */
function expectRefusedBeforeAllocating(decode: (bytes: Uint8Array) => unknown, maxFrameBytes: number, cases: [string, string, string][]) {
  for (const [name, h, code] of cases) {
    const over = name.startsWith('frame over')
    const input = over ? new Uint8Array(maxFrameBytes + 1) : new Uint8Array(Buffer.from(h, 'hex'))
    const memoryBefore = process.memoryUsage()
    let got = 'decoded'
    try {
      decode(input)
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err
      got = err.code
    }
    expect(got, name).to.equal(code)
    const memoryAfter = process.memoryUsage()
    if (!over) expect(memoryAfter.arrayBuffers - memoryBefore.arrayBuffers, name).to.be.below(1024 * 1024)
    expect(memoryAfter.heapUsed - memoryBefore.heapUsed, name).to.be.below(16 * 1024 * 1024)
  }
}
