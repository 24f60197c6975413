// The admission rule (crdt/admission.ts): one rule for what a write may be, checked by the
// writer before anything is applied or sent, and by every receiver on each delta alone.
// Findings of the "one rule" issue: a huge ttl (1), values over the frame bound (2, 4), keys
// over 64 KiB (3), lone surrogates (8).
import { expect } from 'chai'
import {
  decodeDeltas,
  encodeDeltas,
  hlcFromParts,
  makeDelta,
  makeVersion,
  MAX_KEY_BYTES,
  MAX_TTL_MS,
  MAX_WRITE_VALUE_BYTES,
  MAX_FRAME_BYTES,
  Replica,
  WriteRefusedError,
  type Delta,
} from '../../crdt/index.ts'
import { T0 } from './arbitraries.ts'

const mk = (nodeId: string): Replica => new Replica({ nodeId, maxBytes: 256 * 1024 * 1024 })
const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b)
const origin = { nodeId: 'z', epoch: 1 }

/** A write the rule must refuse, with the argument it names. */
const refusedWrites: { name: string; argument: string; write: (r: Replica) => unknown }[] = [
  { name: 'ttlMs 1e20', argument: 'ttlMs', write: (r) => r.set('k', bytes(1), { ttlMs: 1e20 }, T0) },
  { name: 'ttlMs 2^53 − 1', argument: 'ttlMs', write: (r) => r.set('k', bytes(1), { ttlMs: Number.MAX_SAFE_INTEGER }, T0) },
  { name: 'ttlMs just over the bound', argument: 'ttlMs', write: (r) => r.set('k', bytes(1), { ttlMs: MAX_TTL_MS + 1 }, T0) },
  { name: 'ttlMs NaN', argument: 'ttlMs', write: (r) => r.set('k', bytes(1), { ttlMs: Number.NaN }, T0) },
  { name: 'ttlMs Infinity', argument: 'ttlMs', write: (r) => r.set('k', bytes(1), { ttlMs: Infinity }, T0) },
  { name: 'ttlMs 0', argument: 'ttlMs', write: (r) => r.set('k', bytes(1), { ttlMs: 0 }, T0) },
  { name: 'ttlMs as a string', argument: 'ttlMs', write: (r) => r.set('k', bytes(1), { ttlMs: '5' as never }, T0) },
  { name: 'userVersion -1', argument: 'userVersion', write: (r) => r.set('k', bytes(1), { userVersion: -1 }, T0) },
  { name: 'userVersion 1.5', argument: 'userVersion', write: (r) => r.delete('k', { userVersion: 1.5 }, T0) },
  { name: 'userVersion 2^53', argument: 'userVersion', write: (r) => r.set('k', bytes(1), { userVersion: 2 ** 53 }, T0) },
  { name: 'a key over 64 KiB', argument: 'key', write: (r) => r.set('k'.repeat(MAX_KEY_BYTES + 1), bytes(1), {}, T0) },
  { name: 'a key over 64 KiB in UTF-8 only', argument: 'key', write: (r) => r.delete('é'.repeat(MAX_KEY_BYTES / 2 + 1), {}, T0) },
  { name: 'a lone high surrogate', argument: 'key', write: (r) => r.set('\uD800', bytes(1), {}, T0) },
  { name: 'a lone low surrogate inside a key', argument: 'key', write: (r) => r.delete('a\uDC00b', {}, T0) },
  { name: 'a key that is not a string', argument: 'key', write: (r) => r.set(42 as never, bytes(1), {}, T0) },
  { name: 'a value over the frame bound', argument: 'value', write: (r) => r.set('k', new Uint8Array(MAX_WRITE_VALUE_BYTES + 1), {}, T0) },
  { name: 'a 17 MiB value', argument: 'value', write: (r) => r.set('k', new Uint8Array(17 * 1024 * 1024), {}, T0) },
  { name: 'a value that is not bytes', argument: 'value', write: (r) => r.set('k', 'v' as never, {}, T0) },
  { name: 'a merge update over the bound', argument: 'update', write: (r) => r.merge('k', new Uint8Array(MAX_WRITE_VALUE_BYTES + 1), T0) },
  { name: 'a merge on a bad key', argument: 'key', write: (r) => r.merge('\uDBFF', bytes(0, 0), T0) },
]

describe('crdt/admission: the writer', () => {
  for (const c of refusedWrites) {
    it(`refuses ${c.name} with WriteRefusedError naming ${c.argument}, and nothing is applied or logged`, () => {
      const r = mk('a')
      r.set('k', bytes(7), {}, T0)
      let err: unknown
      try {
        c.write(r)
      } catch (e) {
        err = e
      }
      expect(err).to.be.instanceOf(WriteRefusedError)
      expect(err).to.include({ code: 'ERR_INVALID_WRITE', argument: c.argument })
      expect(r.get('k', T0)).to.deep.equal(bytes(7))
      expect(r.log.lastSeq).to.equal(1)
      expect(r.stats().writes).to.equal(1)
      r.validate()
    })
  }

  it('admits the bounds themselves, and every admitted write encodes alone within the frame bound', () => {
    const r = mk('a')
    const key = 'k'.repeat(MAX_KEY_BYTES)
    const deltas = [
      r.set(key, new Uint8Array(MAX_WRITE_VALUE_BYTES), { ttlMs: MAX_TTL_MS, userVersion: Number.MAX_SAFE_INTEGER }, T0),
      r.set('é'.repeat(MAX_KEY_BYTES / 2), bytes(1), {}, T0),
      r.set('\uD83D\uDE00 a pair is fine', bytes(1), {}, T0),
      r.delete(key, { userVersion: Number.MAX_SAFE_INTEGER }, T0),
    ]
    for (const d of deltas) {
      const encoded = encodeDeltas([d])
      expect(encoded.byteLength).to.be.below(MAX_FRAME_BYTES - 1024)
      expect(decodeDeltas(encoded)[0].key).to.equal(d.key)
    }
  })
})

describe('crdt/admission: the receiver', () => {
  const remote = (key: string, value: Uint8Array | undefined, expiresAt: number | undefined, seq: number): Delta =>
    makeDelta(value === undefined ? 'delete' : 'set', key, makeVersion(0, hlcFromParts(T0), 'z'), undefined, value, expiresAt, origin, seq)

  it('refuses a delta that breaks the rule alone: counted as inadmissible, its seq noted, the rest of the batch applies', () => {
    const r = mk('b')
    const batch = [
      remote('ok1', bytes(1), undefined, 1),
      remote('big', new Uint8Array(MAX_WRITE_VALUE_BYTES + 1), undefined, 2),
      remote('far', bytes(2), T0 + MAX_TTL_MS + 120_000, 3),
      remote('\uD800', bytes(3), undefined, 4),
      remote('ok2', bytes(4), T0 + 1000, 5),
    ]
    expect(batch.map((d) => [r.apply(d, T0), r.lastDropReason])).to.deep.equal([
      ['applied', undefined],
      ['dropped', 'inadmissible'],
      ['dropped', 'inadmissible'],
      ['dropped', 'inadmissible'],
      ['applied', 'inadmissible'],
    ])
    expect(r.stats()).to.include({ droppedInadmissible: 3, dropped: 3, applied: 2 })
    expect(r.get('ok1', T0)).to.deep.equal(bytes(1))
    expect(r.get('ok2', T0)).to.deep.equal(bytes(4))
    expect(r.get('big', T0)).to.equal(undefined)
    // Every seq is noted: no gap is left to repair forever.
    expect(r.progress.gaps(origin)).to.deep.equal([])
    r.validate()
  })

  it('a value between the wire bound and the decoder bound decodes, then is refused alone', () => {
    const r = mk('b')
    const bytesOnWire = encodeDeltas([
      remote('big', new Uint8Array(MAX_WRITE_VALUE_BYTES + 10), undefined, 1),
      remote('small', bytes(5), undefined, 2),
    ])
    const decoded = decodeDeltas(bytesOnWire)
    expect(decoded.map((d) => r.apply(d, T0))).to.deep.equal(['dropped', 'applied'])
    expect(r.get('small', T0)).to.deep.equal(bytes(5))
  })

  it('accepts an expiry within the writer bound plus the accepted clock drift', () => {
    const r = mk('b')
    expect(r.apply(remote('k', bytes(1), T0 + MAX_TTL_MS + r.maxClockDriftMs, 1), T0)).to.equal('applied')
  })
})
