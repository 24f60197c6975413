// Table tests for the Lifeguard formulas (awareness.ts, suspicion.ts, nack.ts, buddy.ts, and
// our expiry-check.ts),
// with memberlist's own test vectors where it has them (awareness_test.go,
// suspicion_test.go, util_test.go).
import { expect } from 'chai'
import {
  Awareness,
  MemberState,
  Suspicion,
  applyAwarenessDelta,
  expectedConfirmations,
  expectedNacks,
  nextCheckMs,
  Suspicions,
  probeAwarenessDelta,
  relayNackDelayMs,
  scaleTimeoutMs,
  shouldTellSuspect,
  suspicionTimeoutMs,
  suspicionTotalMs,
} from '../../membership/index.ts'

describe('membership/awareness', () => {
  it('applyAwarenessDelta clamps into [0, max − 1] (memberlist TestAwareness)', () => {
    // [score, delta, max, expected]
    const table: [number, number, number, number][] = [
      [0, 0, 8, 0],
      [0, -1, 8, 0],
      [0, -10, 8, 0],
      [0, 1, 8, 1],
      [1, -1, 8, 0],
      [0, 10, 8, 7],
      [7, 1, 8, 7],
      [7, -1, 8, 6],
      [0, 5, 1, 0],
    ]
    for (const [score, delta, max, want] of table) {
      expect(applyAwarenessDelta(score, delta, max), `${score}${delta >= 0 ? '+' : ''}${delta} max ${max}`).to.equal(want)
    }
  })

  it('scaleTimeoutMs multiplies by score + 1', () => {
    const table: [number, number, number][] = [
      [500, 0, 500],
      [500, 1, 1000],
      [500, 7, 4000],
      [1000, 3, 4000],
    ]
    for (const [t, score, want] of table) expect(scaleTimeoutMs(t, score)).to.equal(want)
  })

  it('probeAwarenessDelta follows memberlist probeNode', () => {
    // [acked, expectedNacks, nacks, delta]
    const table: [boolean, number, number, number][] = [
      [true, 0, 0, -1],
      [true, 3, 0, -1],
      [false, 0, 0, 1],
      [false, 3, 0, 3],
      [false, 3, 1, 2],
      [false, 3, 3, 0],
      [false, 1, 0, 1],
    ]
    for (const [acked, exp, got, want] of table) expect(probeAwarenessDelta(acked, exp, got), `${acked} ${exp} ${got}`).to.equal(want)
  })

  it('Awareness walks up and down like memberlist TestAwareness', () => {
    const a = new Awareness(8)
    const steps: [number, number, number][] = [
      // [delta, score after, scaled 1 s]
      [0, 0, 1000],
      [-1, 0, 1000],
      [-10, 0, 1000],
      [1, 1, 2000],
      [-1, 0, 1000],
      [10, 7, 8000],
      [-1, 6, 7000],
      [-1, 5, 6000],
      [-1, 4, 5000],
      [-1, 3, 4000],
      [-1, 2, 3000],
      [-1, 1, 2000],
      [-1, 0, 1000],
      [-1, 0, 1000],
    ]
    for (const [delta, score, scaled] of steps) {
      a.apply(delta)
      expect(a.score).to.equal(score)
      expect(a.scale(1000)).to.equal(scaled)
    }
  })

  it('Awareness with max multiplier 1 (Lifeguard off) never scales', () => {
    const a = new Awareness(1)
    a.apply(5)
    expect(a.score).to.equal(0)
    expect(a.scale(500)).to.equal(500)
  })
})

describe('membership/suspicion', () => {
  it('suspicionTimeoutMs matches memberlist TestSuspicionTimeout', () => {
    // memberlist checks suspicionTimeout(3, n, 1 s) / 3.
    const table: [number, number][] = [
      [5, 1000],
      [10, 1000],
      [50, 1698],
      [100, 2000],
      [500, 2698],
      [1000, 3000],
    ]
    for (const [n, want] of table) expect(Math.floor(suspicionTimeoutMs(3, n, 1000) / 3), `n=${n}`).to.equal(want)
  })

  it('suspicionTimeoutMs at the LAN defaults: 4 × max(1, log10 n) s', () => {
    const table: [number, number][] = [
      [1, 4000],
      [10, 4000],
      [100, 8000],
      [1000, 12000],
      [10000, 16000],
    ]
    for (const [n, want] of table) expect(suspicionTimeoutMs(4, n, 1000), `n=${n}`).to.equal(want)
  })

  it('suspicionTotalMs shrinks from max to min (memberlist TestSuspicion_remainingSuspicionTime)', () => {
    // [confirmations, k, min, max, total]; memberlist's remaining = total − elapsed.
    const table: [number, number, number, number, number][] = [
      [0, 3, 2000, 30000, 30000],
      [1, 3, 2000, 30000, 16000],
      [2, 3, 2000, 30000, 7810],
      [3, 3, 2000, 30000, 2000],
      [4, 3, 2000, 30000, 2000],
      [5, 3, 2000, 30000, 2000],
      [0, 0, 2000, 30000, 2000],
    ]
    for (const [n, k, min, max, want] of table) expect(suspicionTotalMs(n, k, min, max), `n=${n} k=${k}`).to.equal(want)
  })

  it('expectedConfirmations is mult − 2, or 0 in clusters too small to supply them', () => {
    const table: [number, number, number][] = [
      [4, 1, 0],
      [4, 3, 0],
      [4, 4, 2],
      [4, 1000, 2],
      [3, 100, 1],
      [2, 100, 0],
    ]
    for (const [mult, n, want] of table) expect(expectedConfirmations(mult, n), `mult=${mult} n=${n}`).to.equal(want)
  })

  it('Suspicion.confirm counts independent accusers only, up to k (memberlist TestSuspicion)', () => {
    const s = new Suspicion('a', 5, 3, 2000, 30000, 1000)
    expect(s.deadlineMs).to.equal(31000)
    expect(s.confirm('a'), 'the first accuser is not a confirmation').to.equal(false)
    expect(s.confirm('b')).to.equal(true)
    expect(s.deadlineMs).to.equal(17000)
    expect(s.confirm('b'), 'a repeat').to.equal(false)
    expect(s.confirm('c')).to.equal(true)
    expect(s.deadlineMs).to.equal(1000 + 7810)
    expect(s.confirm('d')).to.equal(true)
    expect(s.deadlineMs).to.equal(3000)
    expect(s.confirm('e'), 'past k').to.equal(false)
    expect(s.confirmations).to.equal(3)
  })

  it('Suspicion with k = 0 is a fixed timeout of min', () => {
    const s = new Suspicion('a', 0, 0, 4000, 24000, 0)
    expect(s.deadlineMs).to.equal(4000)
    expect(s.confirm('b')).to.equal(false)
  })
})

describe('membership/nack', () => {
  it('relayNackDelayMs is 80 % of the probe timeout', () => {
    const table: [number, number][] = [
      [500, 400],
      [200, 160],
      [3000, 2400],
      [1, 0],
    ]
    for (const [t, want] of table) expect(relayNackDelayMs(t)).to.equal(want)
  })

  it('expectedNacks is one per relay with Lifeguard, none without', () => {
    const table: [number, boolean, number][] = [
      [3, true, 3],
      [0, true, 0],
      [3, false, 0],
    ]
    for (const [relays, lg, want] of table) expect(expectedNacks(relays, lg)).to.equal(want)
  })
})

describe('membership/buddy', () => {
  it('shouldTellSuspect only for a suspect target with Lifeguard on', () => {
    const table: [MemberState, boolean, boolean][] = [
      [MemberState.suspect, true, true],
      [MemberState.suspect, false, false],
      [MemberState.alive, true, false],
      [MemberState.dead, true, false],
      [MemberState.left, true, false],
    ]
    for (const [state, lg, want] of table) expect(shouldTellSuspect(state, lg), `${state} ${lg}`).to.equal(want)
  })
})

describe('membership/expiry-check', () => {
  it('nextCheckMs spaces the checks before the deadline, the last one a spacing ahead of it', () => {
    // [deadline, sent, checks, spacing, expected]
    const table: [number, number, number, number, number][] = [
      [12_000, 0, 2, 500, 11_000],
      [12_000, 1, 2, 500, 11_500],
      [12_000, 2, 2, 500, Infinity],
      [12_000, 0, 1, 500, 11_500],
      [12_000, 0, 0, 500, Infinity],
      [3_000, 0, 2, 200, 2_600],
      // A deadline closer than the checks: due at once (swim.ts sends it no earlier than now).
      [300, 0, 2, 200, -100],
    ]
    for (const [deadline, sent, checks, spacing, want] of table) {
      expect(nextCheckMs(deadline, sent, checks, spacing), `${deadline} ${sent}/${checks}`).to.equal(want)
    }
  })

  it('Suspicions hands out each check once, at its time, and none after the suspicion closes', () => {
    const due = (ss: InstanceType<typeof Suspicions>, at: number): number[] => {
      const out: number[] = []
      ss.dueChecks(at, (slot) => out.push(slot))
      return out
    }
    const ss = new Suspicions(4)
    const s = new Suspicion('x', 0, 0, 12_000, 12_000, 0)
    const slot = 7 as Parameters<typeof ss.get>[0]
    // A node with health score 1 checks twice as early: spacing 1,000 instead of 500.
    ss.open(slot, s, 0, 1_000)
    expect(ss.nextCheckMs()).to.equal(8_000)
    expect(due(ss, 7_999)).to.deep.equal([])
    expect(due(ss, 8_000)).to.deep.equal([7])
    expect(due(ss, 10_999)).to.deep.equal([7, 7])
    expect(s.checksSent).to.equal(3)
    ss.close(slot)
    expect(due(ss, 20_000)).to.deep.equal([])
    let expired = 0
    ss.expire(20_000, () => expired++)
    expect(expired).to.equal(0)
  })
})
