// fast-check arbitraries shared by the crdt tests (not a test file itself).
import fc from 'fast-check'
import { makeDelta, makeVersion, type Delta, type DeltaOp, type Hlc, type Origin, type Version } from '../../crdt/index.ts'

export const T0 = Date.UTC(2026, 10, 25)

const nodeIds = ['n0', 'n1', 'n2', 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N', 'ü-ñødé']

export const arbVersion: fc.Arbitrary<Version> = fc
  .tuple(
    fc.oneof(fc.constant(0), fc.nat(1000), fc.maxSafeNat()),
    fc.oneof(fc.integer({ min: T0 * 2048, max: T0 * 2048 + 2 ** 30 }), fc.maxSafeNat()),
    fc.constantFrom(...nodeIds),
  )
  .map(([u, h, n]) => makeVersion(u, h as Hlc, n))

export const arbOrigin: fc.Arbitrary<Origin> = fc
  .tuple(fc.constantFrom(...nodeIds), fc.oneof(fc.nat(5), fc.maxSafeNat()))
  .map(([nodeId, epoch]) => ({ nodeId, epoch }))

export const arbDelta: fc.Arbitrary<Delta> = fc
  .tuple(
    fc.constantFrom<DeltaOp>('set', 'delete', 'merge', 'ghost', 'clear', 'invalidate'),
    fc.string({ maxLength: 40, unit: 'grapheme' }),
    arbVersion,
    arbVersion,
    fc.uint8Array({ maxLength: 300 }),
    fc.option(fc.maxSafeNat(), { nil: undefined }),
    arbOrigin,
    fc.oneof(fc.constant(0), fc.nat(100), fc.maxSafeNat()),
    fc.option(fc.array(fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }), { minLength: 1, maxLength: 4 }), { nil: undefined }),
  )
  .map(([op, key, version, base, value, expiresAt, origin, seq, tags]) => {
    const hasValue = op === 'set' || op === 'merge'
    // A clear or an invalidate is a key and a stamp: userVersion 0, no expiry, no tags (codec.ts).
    const stampOnly = op === 'clear' || op === 'invalidate'
    return makeDelta(
      op,
      key,
      stampOnly ? makeVersion(0, version.hlc, version.nodeId) : version,
      op === 'merge' ? base : undefined,
      hasValue ? value : undefined,
      stampOnly ? undefined : expiresAt,
      origin,
      seq,
      hasValue ? tags : undefined,
    )
  })

/** A plain-object view of a delta for deep equality (Uint8Array views compare by content). */
export function plain(d: Delta): unknown {
  return { ...d, value: d.value === undefined ? undefined : Array.from(d.value), origin: { ...d.origin } }
}
