import { expect } from 'chai'
import fc from 'fast-check'
import {
  ClockDriftError,
  HybridLogicalClock,
  hlcFromParts,
  hlcLogical,
  hlcPhysicalMs,
  HLC_MAX_PHYSICAL_MS,
  type Hlc,
} from '../../crdt/index.ts'
import { propertyParams } from '../support/seed.ts'

const T0 = Date.UTC(2026, 10, 25)

describe('crdt/hlc', () => {
  it('hlcFromParts packs ms × 2^11 + logical, exactly, up to 2^53 − 1', () => {
    expect(hlcFromParts(0, 0)).to.equal(0)
    expect(hlcFromParts(1, 0)).to.equal(2048)
    expect(hlcFromParts(T0, 5)).to.equal(T0 * 2048 + 5)
    expect(hlcPhysicalMs(hlcFromParts(T0, 2047))).to.equal(T0)
    expect(hlcLogical(hlcFromParts(T0, 2047))).to.equal(2047)
    expect(hlcFromParts(HLC_MAX_PHYSICAL_MS, 2047)).to.equal(Number.MAX_SAFE_INTEGER)
    expect(() => hlcFromParts(HLC_MAX_PHYSICAL_MS + 1)).to.throw(RangeError)
    expect(() => hlcFromParts(1, 2048)).to.throw(RangeError)
  })

  it('now follows physical time and counts within one millisecond', () => {
    const c = new HybridLogicalClock()
    expect(c.now(T0)).to.equal(hlcFromParts(T0, 0))
    expect(c.now(T0)).to.equal(hlcFromParts(T0, 1))
    expect(c.now(T0 + 0.7)).to.equal(hlcFromParts(T0, 2))
    expect(c.now(T0 + 1)).to.equal(hlcFromParts(T0 + 1, 0))
  })

  it('now stays monotonic when physical time jumps backwards', () => {
    const c = new HybridLogicalClock()
    const a = c.now(T0 + 10_000)
    const b = c.now(T0)
    expect(b).to.be.greaterThan(a)
    expect(hlcPhysicalMs(b)).to.equal(T0 + 10_000)
  })

  it('now carries the counter into the millisecond after 2,048 events (runs ahead, then catches up)', () => {
    const c = new HybridLogicalClock()
    let last = 0
    for (let i = 0; i < 2049; i++) last = c.now(T0)
    expect(hlcPhysicalMs(last as Hlc)).to.equal(T0 + 1)
    expect(c.now(T0 + 5)).to.equal(hlcFromParts(T0 + 5, 0))
  })

  it('now is strictly increasing under arbitrary physical-time sequences (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 41 }), { minLength: 1, maxLength: 300 }), (times) => {
        const c = new HybridLogicalClock()
        let prev = -1
        for (const t of times) {
          const h = c.now(t)
          if (!(h > prev)) return false
          if (hlcPhysicalMs(h) < t) return false
          prev = h
        }
        return true
      }),
      propertyParams(200),
    )
  })

  it('receive/now interleavings: every local event is after everything received (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: -5_000, max: 5_000 }), fc.integer({ min: -70_000, max: 70_000 })), {
          maxLength: 200,
        }),
        (ops) => {
          const c = new HybridLogicalClock({ maxClockDriftMs: 60_000 })
          let phys = T0
          let maxSeen = 0
          for (const [isReceive, step, lead] of ops) {
            phys += step // physical time may go backwards
            if (isReceive) {
              const remote = hlcFromParts(Math.max(0, phys + lead), 0)
              const before = c.last
              try {
                c.receive(remote, phys)
                maxSeen = Math.max(maxSeen, remote)
                if (lead > 60_000) return false
              } catch (err) {
                if (!(err instanceof ClockDriftError) || lead <= 60_000) return false
                if (c.last !== before) return false
              }
            } else {
              const h = c.now(phys)
              if (!(h > maxSeen)) return false
              maxSeen = h
            }
          }
          return true
        },
      ),
      propertyParams(200),
    )
  })

  it('receive refuses a remote more than maxClockDriftMs ahead, counts it, and keeps the clock', () => {
    const c = new HybridLogicalClock({ maxClockDriftMs: 1000 })
    c.now(T0)
    const before = c.last
    expect(() => c.receive(hlcFromParts(T0 + 1001), T0)).to.throw(ClockDriftError).with.property('code', 'ERR_CLOCK_DRIFT')
    expect(c.last).to.equal(before)
    expect(c.driftRefusals).to.equal(1)
    expect(c.receive(hlcFromParts(T0 + 1000, 7), T0)).to.equal(hlcFromParts(T0 + 1000, 7))
    expect(c.now(T0)).to.equal(hlcFromParts(T0 + 1000, 8))
  })

  it('the constructor refuses a bad maxClockDriftMs with a TypeError naming it', () => {
    expect(() => new HybridLogicalClock({ maxClockDriftMs: -1 })).to.throw(TypeError, /maxClockDriftMs/)
    expect(() => new HybridLogicalClock({ maxClockDriftMs: Number.POSITIVE_INFINITY })).to.throw(TypeError, /maxClockDriftMs/)
  })
})
