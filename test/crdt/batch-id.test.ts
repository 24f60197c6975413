// batchId (crdt/batch-id.ts): a delta batch's gossip message id, read from its header. It must
// name the batch's first delta exactly as decodeDeltas reads it (origin node id, epoch, seq)
// plus the delta count and byte length, and on any other input give a result — an id or undefined — never a
// throw. The fuzz runs FUZZ_INPUTS random and mutated buffers (120,000 in `npm test`):
//   FUZZ_INPUTS=1000000 npx mocha --no-config --timeout 0 test/crdt/batch-id.test.ts
import { expect } from 'chai'
import fc from 'fast-check'
import {
  batchId,
  BATCH_ID_FORMAT,
  decodeDeltas,
  DELTA_FORMAT_VERSION,
  encodeDeltas,
  hlcFromParts,
  makeDelta,
  makeVersion,
  MAX_BATCH_ID_HEADER_BYTES,
  type Delta,
  type Origin,
} from '../../crdt/index.ts'
import { Encoder } from '../../lib/foundation/index.ts'
import { mutate, prng } from '../../bench/_fuzz.ts'
import { testSeed } from '../support/seed.ts'
import { arbDelta, T0 } from './arbitraries.ts'

const INPUTS = Number(process.env.FUZZ_INPUTS ?? 120_000)
const NODE = '12D3KooWEZkQf5HYcgCXtMUTqe3s3KVP79WZdSQL4hKsC41ZEd6p'
const ORIGIN: Origin = { nodeId: NODE, epoch: 1_796_314_087_123 }

const set = (key: string, seq: number, origin = ORIGIN, node = origin.nodeId): Delta =>
  makeDelta('set', key, makeVersion(0, hlcFromParts(T0 + seq), node), undefined, new Uint8Array(100).fill(7), undefined, origin, seq)

/** The id batchId must give for a batch of `bytes` whose first delta and count these are (the layout in crdt/batch-id.ts). */
function expectedId(first: Delta, count: number, bytes: number): Uint8Array {
  const nodeId = new TextEncoder().encode(first.origin.nodeId)
  const e = new Encoder()
  e.writeUint8(BATCH_ID_FORMAT)
  e.writeVarUint(nodeId.byteLength)
  e.writeRaw(nodeId)
  e.writeVarUint(first.origin.epoch)
  e.writeVarUint(first.seq)
  e.writeVarUint(count)
  e.writeVarUint(bytes)
  return e.finish()
}

const hex = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString('hex'))

describe('crdt/batch-id', () => {
  it("names a batch by its first delta's origin, epoch and seq, its delta count and its length", () => {
    const batch = Array.from({ length: 256 }, (_, i) => set(`k${i}`, 1001 + i))
    const bytes = encodeDeltas(batch)
    const id = batchId(bytes)
    expect(hex(id)).to.equal(hex(expectedId(batch[0], 256, bytes.byteLength)))
    expect(id!.byteLength, 'a few dozen bytes, not the batch').to.be.below(80)
  })

  it('gives different ids to batches that differ in first seq, epoch, origin, count or length, and equal ids to equal headers', () => {
    const base = [set('a', 5), set('b', 6)]
    const ids = [
      base,
      [set('a', 7), set('b', 8)],
      [set('a', 5, { ...ORIGIN, epoch: ORIGIN.epoch + 1 }), set('b', 6, { ...ORIGIN, epoch: ORIGIN.epoch + 1 })],
      [set('a', 5, { nodeId: 'other', epoch: ORIGIN.epoch }), set('b', 6, { nodeId: 'other', epoch: ORIGIN.epoch })],
      [set('a', 5)],
    ].map((b) => hex(batchId(encodeDeltas(b))))
    // A batch cut short or padded: the same header, other bytes (each must reach the validator).
    const bytes = encodeDeltas(base)
    ids.push(hex(batchId(bytes.subarray(0, bytes.byteLength - 5))), hex(batchId(Uint8Array.of(...bytes, 0))))
    expect(new Set(ids).size).to.equal(ids.length)
    // Same origin, epoch, first seq, count and length, other keys: the same batch to gossip.
    expect(hex(batchId(encodeDeltas([set('x', 5), set('y', 6)])))).to.equal(ids[0])
  })

  it("reads the origin the first delta points at when a batch interns several nodes and origins", () => {
    const other: Origin = { nodeId: 'n-other', epoch: 3 }
    // A version from another node is interned first, and the first delta's origin second.
    const batch = [set('a', 40, ORIGIN, 'n-writer'), set('b', 9, other)]
    const bytes = encodeDeltas(batch)
    expect(hex(batchId(bytes))).to.equal(hex(expectedId(batch[0], 2, bytes.byteLength)))
  })

  it('gives undefined (the caller hashes) for what is not a gossiped batch header', () => {
    const good = encodeDeltas([set('a', 1)])
    const stateTransfer = encodeDeltas([set('a', 0)]) // seq 0: since(T) / warm-up, never gossip
    const otherFormat = Uint8Array.from(good, (b, i) => (i === 0 ? DELTA_FORMAT_VERSION + 1 : b))
    const longHeader = encodeDeltas([set('a', 1, { nodeId: 'n'.repeat(200), epoch: 1 }, 'a'.repeat(200)),
      ...Array.from({ length: 8 }, (_, i) => set(`b${i}`, 2 + i, { nodeId: `${'m'.repeat(200)}${i}`, epoch: 1 }))])
    // Its node table (ten ids of 200 B) comes before the first delta: past the bound.
    expect(longHeader.byteLength).to.be.above(MAX_BATCH_ID_HEADER_BYTES + 800)
    for (const input of [new Uint8Array(0), Uint8Array.of(DELTA_FORMAT_VERSION), good.subarray(0, 10), encodeDeltas([]),
      stateTransfer, otherFormat, longHeader]) {
      expect(batchId(input), hex(input)?.slice(0, 40)).to.equal(undefined)
    }
  })

  const fuzzed = `${INPUTS.toLocaleString('en')} random and mutated buffers`
  it(`never throws on ${fuzzed}, and agrees with decodeDeltas whenever both read one`, function () {
    this.timeout(Math.max(60_000, INPUTS / 5))
    const rnd = prng(testSeed)
    const corpus = fc.sample(fc.array(arbDelta, { minLength: 1, maxLength: 12 }), { seed: testSeed, numRuns: 200 }).map(encodeDeltas)
    const target = { version: DELTA_FORMAT_VERSION, kinds: [] as readonly number[] }
    let ids = 0
    let agreed = 0
    for (let i = 0; i < INPUTS; i++) {
      let input: Uint8Array
      if (i % 4 === 0) {
        input = Uint8Array.from({ length: Math.floor(rnd() * 96) }, () => Math.floor(rnd() * 256))
        if (input.length > 0 && rnd() < 0.75) input[0] = DELTA_FORMAT_VERSION
      } else {
        input = mutate(corpus[i % corpus.length], rnd, target)
      }
      let id: Uint8Array | undefined
      try {
        id = batchId(input)
      } catch (err) {
        throw new Error(`input ${i} (seed ${testSeed}) threw ${String(err)}: ${hex(input)}`)
      }
      if (id === undefined) continue
      ids++
      let deltas: Delta[] | undefined
      try {
        deltas = decodeDeltas(input)
      } catch {
        continue // an id for a broken body: the validator rejects the message
      }
      expect(hex(id), `input ${i}: ${hex(input)}`).to.equal(hex(expectedId(deltas[0], deltas.length, input.byteLength)))
      agreed++
    }
    expect(ids, 'some inputs read as batch headers').to.be.greaterThan(0)
    expect(agreed, 'some of them also decoded').to.be.greaterThan(0)
  })
})
