// The core's data structures: PRNG, time heap, broadcast queue and config profiles.
// Operation sequences with validate() after each step, which recounts from scratch.
import { expect } from 'chai'
import fc from 'fast-check'
import { propertyParams } from '../support/seed.ts'
import {
  BroadcastQueue,
  Prng,
  TimeHeap,
  lan,
  local,
  wan,
  pushPullScaleMs,
  resolveConfig,
  retransmitLimit,
  type Slot,
} from '../../membership/index.ts'

describe('membership/prng', () => {
  it('Prng replays the same stream from the same seed, and differs across seeds', () => {
    const a = new Prng(42)
    const b = new Prng(42)
    const c = new Prng(43)
    const xs = Array.from({ length: 8 }, () => a.nextUint32())
    expect(Array.from({ length: 8 }, () => b.nextUint32())).to.deep.equal(xs)
    expect(Array.from({ length: 8 }, () => c.nextUint32())).to.not.deep.equal(xs)
  })

  it('Prng golden values pin the generator (a change would change every simulation)', () => {
    const r = new Prng(1)
    expect([r.nextUint32(), r.nextUint32(), r.nextUint32()]).to.deep.equal(GOLDEN)
  })

  it('Prng.int stays in range and covers it', () => {
    const r = new Prng(7)
    const seen = new Set<number>()
    for (let i = 0; i < 1000; i++) {
      const v = r.int(10)
      expect(v).to.be.within(0, 9)
      seen.add(v)
    }
    expect(seen.size).to.equal(10)
  })
})
const GOLDEN = goldenOf(1)
function goldenOf(seed: number): number[] {
  // Computed once from the reference implementation below, kept independent of lib/foundation/prng.ts.
  let s = seed >>> 0
  const next = (): number => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
  let [a, b, c, d] = [next(), next(), next(), next()]
  const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k))
  const out: number[] = []
  for (let i = 0; i < 3; i++) {
    out.push(Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0)
    const t = b << 9
    c ^= a
    d ^= b
    b ^= c
    a ^= d
    c ^= t
    d = rotl(d, 11)
  }
  return out
}

describe('membership/heap', () => {
  it('TimeHeap pops in time order, ties in insertion order, under random operations', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 50 }), fc.constant(-1)), { maxLength: 300 }), (ops) => {
        const h = new TimeHeap<number>()
        const model: [number, number][] = []
        let id = 0
        for (const op of ops) {
          if (op >= 0) {
            h.push(op, id)
            model.push([op, id++])
          } else {
            model.sort((x, y) => x[0] - y[0] || x[1] - y[1])
            const want = model.shift()
            expect(h.pop()).to.equal(want?.[1])
          }
          h.validate()
          expect(h.size).to.equal(model.length)
        }
      }),
      propertyParams(200),
    )
  })
})

describe('membership/broadcasts', () => {
  const bytes = (n: number, tag: number): Uint8Array => new Uint8Array(n).fill(tag)

  it('take sends least-transmitted first and drops an update after `limit` sends', () => {
    const q = new BroadcastQueue(100)
    q.queue(1 as Slot, bytes(10, 1))
    const out: Uint8Array[] = []
    q.take(1000, 2, out)
    q.queue(2 as Slot, bytes(10, 2))
    out.length = 0
    q.take(15, 2, out)
    expect(out.map((b) => b[0]), 'the fresh update first').to.deep.equal([2])
    out.length = 0
    q.take(1000, 2, out)
    expect(out.map((b) => b[0]).sort()).to.deep.equal([1, 2])
    expect(q.size, 'both reached their limit of 2').to.equal(0)
    q.validate()
  })

  it('queue replaces an older update about the same member', () => {
    const q = new BroadcastQueue(100)
    q.queue(1 as Slot, bytes(5, 1))
    q.queue(1 as Slot, bytes(5, 9))
    const out: Uint8Array[] = []
    q.take(1000, 5, out)
    expect(out.map((b) => b[0])).to.deep.equal([9])
    q.validate()
  })

  it('queue stays within its bound, dropping the most-sent first', () => {
    const q = new BroadcastQueue(3)
    for (let s = 0; s < 3; s++) q.queue(s as Slot, bytes(4, s))
    q.take(8, 10, []) // two of them now have 1 transmit
    q.queue(10 as Slot, bytes(4, 10))
    expect(q.size).to.equal(3)
    q.validate()
  })

  it('BroadcastQueue validates under random operations', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat({ max: 20 }), fc.integer({ min: 1, max: 60 })), { maxLength: 200 }), (ops) => {
        const q = new BroadcastQueue(8)
        for (const [isQueue, slot, n] of ops) {
          if (isQueue) q.queue(slot as Slot, bytes(n, slot))
          else {
            const out: Uint8Array[] = []
            const used = q.take(n * 4, 3, out)
            expect(used).to.equal(out.reduce((a, b) => a + b.byteLength, 0))
            expect(used).to.be.at.most(n * 4)
          }
          q.validate()
        }
      }),
      propertyParams(200),
    )
  })
})

describe('membership/config', () => {
  it('profiles derive from lan by overriding a few fields', () => {
    const diff = (p: object): string[] =>
      Object.keys(p)
        .filter((k) => (p as Record<string, unknown>)[k] !== (lan as unknown as Record<string, unknown>)[k])
        .sort()
    expect(diff(wan)).to.deep.equal([
      'gossipIntervalMs',
      'gossipNodes',
      'probeIntervalMs',
      'probeTimeoutMs',
      'pushPullIntervalMs',
      'suspicionMult',
    ])
    expect(diff(local)).to.deep.equal([
      'gossipIntervalMs',
      'indirectChecks',
      'probeTimeoutMs',
      'pushPullIntervalMs',
      'retransmitMult',
      'suspicionMult',
    ])
    expect(lan.probeIntervalMs).to.equal(1000)
    expect(lan.probeTimeoutMs).to.equal(500)
  })

  it('resolveConfig with lifeguard false turns every Lifeguard mechanism off', () => {
    const c = resolveConfig({ lifeguard: false })
    expect([c.awarenessMaxMultiplier, c.suspicionMaxTimeoutMult, c.nacks, c.buddy]).to.deep.equal([1, 1, false, false])
  })

  it('resolveConfig refuses bad options with a TypeError naming them', () => {
    const table: [object, RegExp][] = [
      [{ probeIntervalMs: 0 }, /probeIntervalMs/],
      [{ probeTimeoutMs: 2000 }, /probeTimeoutMs/],
      [{ gossipNodes: 1.5 }, /gossipNodes/],
      [{ awarenessMaxMultiplier: 0 }, /awarenessMaxMultiplier/],
      [{ profile: 'moon' }, /profile/],
      [{ pushPullMembersMax: -1 }, /pushPullMembersMax/],
    ]
    for (const [init, re] of table) expect(() => resolveConfig(init as never)).to.throw(TypeError, re)
  })

  it('pushPullScaleMs matches memberlist TestPushPullScale', () => {
    const table: [number, number][] = [
      [0, 1000],
      [32, 1000],
      [33, 2000],
      [64, 2000],
      [65, 3000],
      [128, 3000],
      [1000, 6000],
      [10000, 10000],
    ]
    for (const [n, want] of table) expect(pushPullScaleMs(1000, n), `n=${n}`).to.equal(want)
  })

  it('retransmitLimit matches memberlist TestRetransmitLimit', () => {
    const table: [number, number, number][] = [
      [3, 0, 0],
      [3, 1, 3],
      [3, 99, 6],
      [4, 1000, 16],
      [4, 10000, 20],
    ]
    for (const [mult, n, want] of table) expect(retransmitLimit(mult, n), `mult=${mult} n=${n}`).to.equal(want)
  })
})
