// State-machine tests of the SWIM core through its exported API: messages in, messages and
// events out, time as an argument. No network, no sleeps.
import { expect } from 'chai'
import {
  MemberState,
  MessageKind,
  PushPullFlag,
  Swim,
  UpdateKind,
  decodeMessage,
  encodeMessage,
  encodeUpdate,
  type MemberEvent,
  type Outgoing,
  type SwimConfigInit,
  type Update,
} from '../../membership/index.ts'

const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']

function node(id: string, config: SwimConfigInit = {}, members: readonly string[] = ids): Swim {
  return new Swim({ id, seed: id.charCodeAt(0), nowMs: 0, members, config })
}
function gossip(...updates: Update[]): Uint8Array {
  return encodeMessage({ kind: MessageKind.gossip }, updates.map(encodeUpdate))
}
// As decoded: every update has an epoch (0 unless an alive carries one).
const alive = (id: string, incarnation: number): Update => ({ kind: UpdateKind.alive, id, incarnation, epoch: 0, addrs: [], from: '' })
const suspect = (id: string, incarnation: number, from: string): Update => ({
  kind: UpdateKind.suspect,
  id,
  incarnation,
  epoch: 0,
  addrs: [],
  from,
})
const dead = (id: string, incarnation: number, from: string): Update => ({ ...suspect(id, incarnation, from), kind: UpdateKind.dead })
function sends(s: Swim): Outgoing[] {
  const out: Outgoing[] = []
  for (let m = s.pollSend(); m !== undefined; m = s.pollSend()) out.push(m)
  return out
}
function events(s: Swim): MemberEvent[] {
  const out: MemberEvent[] = []
  for (let e = s.pollEvent(); e !== undefined; e = s.pollEvent()) out.push(e)
  return out
}
const clocks = new WeakMap<Swim, number>()
/** Fires timers up to `untilMs`, handing every send to `onSend` (default: dropped). */
function drive(s: Swim, untilMs: number, onSend: (m: Outgoing, now: number) => void = () => {}, fromMs = 0): void {
  let now = Math.max(fromMs, clocks.get(s) ?? 0)
  for (let t = s.pollTimeout(); t !== undefined && Math.max(t, now) <= untilMs; t = s.pollTimeout()) {
    now = Math.max(t, now)
    s.handleTimeout(now)
    for (const m of sends(s)) onSend(m, now)
  }
  clocks.set(s, now)
}
/** Answers every ping at once, so the node's own probes never fail. */
function ackAll(s: Swim): (m: Outgoing, now: number) => void {
  return (m, now) => {
    const msg = decodeMessage(m.bytes)
    if (msg.kind === MessageKind.ping) s.handleMessage(m.to, encodeMessage({ kind: MessageKind.ack, seq: msg.seq }), now)
  }
}

describe('membership/swim', () => {
  it('handleMessage answers a ping with an ack of the same seq', () => {
    const a = node('a')
    a.handleMessage('b', encodeMessage({ kind: MessageKind.ping, seq: 42 }), 10)
    const out = sends(a)
    expect(out).to.have.length(1)
    expect(out[0].to).to.equal('b')
    const m = decodeMessage(out[0].bytes)
    expect([m.kind, m.seq]).to.deep.equal([MessageKind.ack, 42])
  })

  it('aboutSelf refutes an accusation with a higher incarnation, on the very ack', () => {
    const a = node('a')
    const ping = encodeMessage({ kind: MessageKind.ping, seq: 1 }, [encodeUpdate(suspect('a', 0, 'b'))])
    a.handleMessage('b', ping, 10)
    expect(a.incarnation).to.equal(1)
    expect(a.stats.refutations).to.equal(1)
    const ack = decodeMessage(sends(a)[0].bytes)
    expect(ack.updates).to.deep.include(alive('a', 1))
  })

  it('aboutSelf ignores an accusation older than the current incarnation', () => {
    const a = node('a')
    a.handleMessage('b', gossip(suspect('a', 0, 'b')), 10)
    a.handleMessage('c', gossip(dead('a', 0, 'c')), 20)
    expect(a.incarnation).to.equal(1)
  })

  it('apply: a suspicion stands against alive at the same incarnation; only a newer alive refutes', () => {
    const a = node('a')
    a.handleMessage('c', gossip(suspect('b', 0, 'c')), 10)
    expect(a.member('b')?.state).to.equal('suspect')
    a.handleMessage('d', gossip(alive('b', 0)), 20)
    expect(a.member('b')?.state).to.equal('suspect')
    a.handleMessage('b', gossip(alive('b', 1)), 30)
    expect(a.member('b')).to.deep.equal({ id: 'b', state: 'alive', incarnation: 1, addrs: [] })
    expect(events(a).map((e) => `${e.id} ${e.state} ${e.incarnation}`)).to.deep.equal(['b suspect 0', 'b alive 1'])
    a.validate()
  })

  it('apply: an accusation at an older incarnation is ignored', () => {
    const a = node('a')
    a.handleMessage('b', gossip(alive('b', 5)), 10)
    a.handleMessage('c', gossip(suspect('b', 4, 'c'), dead('b', 3, 'c')), 20)
    expect(a.member('b')?.state).to.equal('alive')
  })

  it('suspicion becomes dead after the fixed timeout without Lifeguard', () => {
    const a = node('a', { lifeguard: false, profile: 'local' })
    a.handleMessage('c', gossip(suspect('b', 0, 'c')), 1000)
    events(a)
    // local: suspicionMult 3 × max(1, log10(10)) × 1 s = 3 s.
    drive(a, 3999, ackAll(a), 1000)
    expect(a.member('b')?.state).to.equal('suspect')
    drive(a, 4000, ackAll(a))
    expect(a.member('b')?.state).to.equal('dead')
    expect(events(a)).to.deep.equal([{ id: 'b', state: 'dead', incarnation: 0, addrs: [], by: 'a' }])
    a.validate()
  })

  it('suspicion timeout shrinks with independent confirmations (Lifeguard)', () => {
    // lan, n = 10: min 4 s, max 24 s, k = 2.
    const deadAt = (confirmers: string[]): number => {
      const a = node('a')
      a.handleMessage('c', gossip(suspect('b', 0, 'c')), 0)
      for (const from of confirmers) a.handleMessage(from, gossip(suspect('b', 0, from)), 0)
      const ack = ackAll(a)
      for (let t = a.pollTimeout(); t !== undefined && t <= 100_000; t = a.pollTimeout()) {
        a.handleTimeout(t)
        for (const m of sends(a)) ack(m, t)
        if (events(a).some((e) => e.id === 'b' && e.state === 'dead')) return t
      }
      return NaN
    }
    expect(deadAt([])).to.equal(24000)
    expect(deadAt(['d'])).to.equal(11381)
    expect(deadAt(['d', 'c'])).to.equal(11381) // c accused first: not a confirmation
    expect(deadAt(['d', 'e'])).to.equal(4000)
  })

  it('apply: a dead member comes back only with a higher incarnation', () => {
    const a = node('a')
    a.handleMessage('c', gossip(dead('b', 2, 'c')), 10)
    a.handleMessage('b', gossip(alive('b', 2)), 20)
    expect(a.member('b')?.state).to.equal('dead')
    a.handleMessage('b', gossip(alive('b', 3)), 30)
    expect(a.member('b')?.state).to.equal('alive')
    expect(a.isAlive('b')).to.equal(true)
  })

  it('join: a restarted member learns it was declared dead and refutes above it', () => {
    const a = node('a')
    a.handleMessage('c', gossip(dead('b', 4, 'c')), 10)
    const b = new Swim({ id: 'b', seed: 1, nowMs: 100 })
    b.join(['a'], 100)
    const [push] = sends(b)
    expect(push.to).to.equal('a')
    a.handleMessage('b', push.bytes, 101)
    const [reply] = sends(a)
    expect(a.member('b')?.state, 'b at incarnation 0 does not revive').to.equal('dead')
    b.handleMessage('a', reply.bytes, 102)
    expect(b.incarnation).to.equal(5)
    expect(b.aliveMembers().sort()).to.deep.equal(ids.filter((x) => x !== 'b').sort())
    // b's refutation rides on its next message to a, here the ack to a's ping.
    b.handleMessage('a', encodeMessage({ kind: MessageKind.ping, seq: 1 }), 103)
    for (const m of sends(b)) if (m.to === 'a') a.handleMessage('b', m.bytes, 104)
    expect(a.member('b')).to.deep.equal({ id: 'b', state: 'alive', incarnation: 5, addrs: [] })
    a.validate()
    b.validate()
  })

  it('probe: no ack, then ping-req, then suspect at the deadline; missing nacks raise awareness', () => {
    const a = node('a', {}, ['a', 'b', 'c', 'd'])
    const kinds: string[] = []
    drive(a, 5000, (m) => kinds.push(`${decodeMessage(m.bytes).kind}`))
    expect(kinds.slice(0, 3)).to.deep.equal([`${MessageKind.ping}`, `${MessageKind.pingReq}`, `${MessageKind.pingReq}`])
    expect(a.stats.suspicionsStarted).to.be.at.least(1)
    expect(a.awarenessScore, 'two relays asked, no nacks: +2 per failed probe').to.be.at.least(2)
    a.validate()
  })

  it('probe: without Lifeguard the awareness score stays 0', () => {
    const a = node('a', { lifeguard: false }, ['a', 'b', 'c', 'd'])
    drive(a, 5000)
    expect(a.stats.suspicionsStarted).to.be.at.least(1)
    expect(a.awarenessScore).to.equal(0)
  })

  it('probe: an ack ends the probe and lowers awareness', () => {
    const a = node('a', {}, ['a', 'b'])
    a.handleMessage('c', gossip(suspect('a', 0, 'c')), 0) // refute: awareness 1
    sends(a)
    expect(a.awarenessScore).to.equal(1)
    drive(a, 3000, (m, t) => {
      const msg = decodeMessage(m.bytes)
      if (msg.kind === MessageKind.ping) a.handleMessage(m.to, encodeMessage({ kind: MessageKind.ack, seq: msg.seq }), t + 1)
    })
    expect(a.awarenessScore).to.equal(0)
    expect(a.stats.suspicionsStarted).to.equal(0)
  })

  it('buddy: a ping to a suspected member carries the suspicion first', () => {
    const a = node('a', {}, ['a', 'b'])
    a.handleMessage('c', gossip(suspect('b', 0, 'c')), 0)
    let first: Update | undefined
    drive(a, 1500, (m) => {
      const msg = decodeMessage(m.bytes)
      if (msg.kind === MessageKind.ping && m.to === 'b' && first === undefined) first = msg.updates[0]
    })
    expect(first).to.deep.equal(suspect('b', 0, 'a'))
  })

  /** 'b' at incarnation 1 after refuting a suspicion, its own refutation already gossiped away. */
  function refutedB(config: SwimConfigInit): Swim {
    const b = node('b', { profile: 'local', ...config }, ['a', 'b', 'c'])
    b.handleMessage('c', gossip(suspect('b', 0, 'c')), 0)
    expect(b.incarnation).to.equal(1)
    drive(b, 600) // gossip ticks send it to both others until the retransmit limit (2) retires it
    expect(b.pendingBroadcasts).to.equal(0)
    return b
  }

  it('expiry checks: before a suspicion expires the suspecter pings the suspect, whose ack refutes it', () => {
    // 'a' heard 'b' suspected at incarnation 0 but missed b's refutation (b is at 1 already).
    const b = refutedB({})
    // Two checks and no health score (its own unanswered probes would stretch the spacing).
    const a = node('a', { profile: 'local', expiryChecks: 2, awarenessMaxMultiplier: 1 }, ['a', 'b', 'c'])
    a.handleMessage('c', gossip(suspect('b', 0, 'c')), 0)
    events(a)
    // local profile, 3 members: the suspicion lasts 3 s; checks at 3000 − 2 × 200 and 3000 − 200.
    const checks: { at: number; msg: ReturnType<typeof decodeMessage> }[] = []
    drive(a, 2999, (m, now) => {
      const msg = decodeMessage(m.bytes)
      if (m.to === 'b' && msg.kind === MessageKind.ping && (now === 2600 || now === 2800)) checks.push({ at: now, msg })
    })
    expect(checks.map((c) => c.at)).to.deep.equal([2600, 2800])
    expect(checks[0].msg.updates[0]).to.deep.equal(suspect('b', 0, 'a'))
    // b answers the check with its current alive in front of the ack, though the accusation is stale.
    b.handleMessage('a', encodeMessage({ kind: MessageKind.ping, seq: checks[1].msg.seq }, [encodeUpdate(suspect('b', 0, 'a'))]), 2801)
    expect(b.incarnation).to.equal(1)
    const ack = sends(b).find((m) => m.to === 'a') as Outgoing
    expect(decodeMessage(ack.bytes).updates[0]).to.deep.equal(alive('b', 1))
    events(a)
    a.handleMessage('b', ack.bytes, 2802)
    expect(a.member('b')?.state).to.equal('alive')
    expect(events(a).map((e) => [e.id, e.state])).to.deep.equal([['b', 'alive']])
  })

  it('expiry checks never delay a death: an unanswered check leaves the deadline as it was', () => {
    const a = node('a', { profile: 'local', expiryChecks: 2, awarenessMaxMultiplier: 1 }, ['a', 'b', 'c'])
    a.handleMessage('c', gossip(suspect('b', 0, 'c')), 0)
    let checks = 0
    const cAnswers = ackAll(a)
    const onSend = (m: Outgoing, now: number): void => {
      if (m.to === 'c') cAnswers(m, now)
      else if (decodeMessage(m.bytes).kind === MessageKind.ping && (now === 2600 || now === 2800)) checks++
    }
    drive(a, 2999, onSend)
    expect(a.member('b')?.state).to.equal('suspect')
    drive(a, 3000, onSend)
    expect(a.member('b')?.state).to.equal('dead')
    expect([checks, a.stats.expiryChecks]).to.deep.equal([2, 2])
  })

  it('expiry checks are off without Lifeguard, and a stale accusation gets a plain ack', () => {
    const a = node('a', { lifeguard: false, profile: 'local' }, ['a', 'b', 'c'])
    a.handleMessage('c', gossip(suspect('b', 0, 'c')), 0)
    drive(a, 10_000)
    expect(a.stats.expiryChecks).to.equal(0)
    const b = refutedB({ lifeguard: false })
    b.handleMessage('a', encodeMessage({ kind: MessageKind.ping, seq: 5 }, [encodeUpdate(suspect('b', 0, 'a'))]), 700)
    const ack = sends(b).find((m) => m.to === 'a') as Outgoing
    expect(decodeMessage(ack.bytes).updates).to.deep.equal([])
  })

  it('push-pull: a remote suspicion counts as one confirmation by us, not one per sender (memberlist mergeState)', () => {
    // 10 members: minimum 4 s, maximum 24 s, k = 2; one confirmation → 11.38 s, two → 4 s.
    const a = node('a')
    a.handleMessage('c', gossip(suspect('b', 0, 'c')), 0)
    const view = (): Uint8Array =>
      encodeMessage({
        kind: MessageKind.pushPull,
        flags: PushPullFlag.reply,
        members: [{ id: 'b', state: MemberState.suspect, incarnation: 0, addrs: [] }],
      })
    a.handleMessage('d', view(), 10)
    a.handleMessage('e', view(), 20)
    const answerOthers = ackAll(a)
    const onSend = (m: Outgoing, now: number): void => {
      if (m.to !== 'b') answerOthers(m, now)
    }
    drive(a, 11_000, onSend)
    expect(a.member('b')?.state).to.equal('suspect')
    drive(a, 11_400, onSend)
    expect(a.member('b')?.state).to.equal('dead')
  })

  it('expiry checks: a late confirmation that would end a suspicion at once leaves the checks their time', () => {
    // 10 members: a suspicion of b by c at 0 lasts 24 s; a confirmation at 20 s would shrink it to 11.38 s.
    const a = node('a', { expiryChecks: 2, awarenessMaxMultiplier: 1 })
    a.handleMessage('c', gossip(suspect('b', 0, 'c')), 0)
    // Every ping is acked, b's too: an ack does not refute, and a's own probes add no confirmation.
    const onSend = ackAll(a)
    drive(a, 20_000, onSend)
    a.handleMessage('d', gossip(suspect('b', 0, 'd')), 20_000)
    expect(a.member('b')?.state).to.equal('suspect')
    // Two checks, 500 ms apart, then the deadline: no sooner than 21 s.
    drive(a, 20_999, onSend)
    expect(a.member('b')?.state).to.equal('suspect')
    expect(a.stats.expiryChecks).to.equal(2)
    drive(a, 21_000, onSend)
    expect(a.member('b')?.state).to.equal('dead')
  })

  it('relay: a ping-req pings the target, relays its ack, or nacks at 80 % of the probe timeout', () => {
    const r = node('r')
    r.handleMessage('a', encodeMessage({ kind: MessageKind.pingReq, seq: 7, target: 'b', nack: true }), 0)
    const [ping] = sends(r)
    expect(ping.to).to.equal('b')
    drive(r, 399)
    expect(sends(r)).to.have.length(0)
    let nack: Outgoing | undefined
    drive(r, 400, (m) => (nack = m))
    expect(nack?.to).to.equal('a')
    expect(decodeMessage((nack as Outgoing).bytes)).to.include({ kind: MessageKind.nack, seq: 7 })
    r.handleMessage('b', encodeMessage({ kind: MessageKind.ack, seq: decodeMessage(ping.bytes).seq }), 450)
    expect(decodeMessage(sends(r)[0].bytes)).to.include({ kind: MessageKind.ack, seq: 7 })
  })

  it('leave gossips "left", stops probing and no longer refutes', () => {
    const a = node('a', {}, ['a', 'b'])
    const b = node('b', {}, ['a', 'b'])
    a.leave(100)
    expect(a.leaving).to.equal(true)
    let pings = 0
    drive(a, 1000, (m, t) => {
      const msg = decodeMessage(m.bytes)
      if (msg.kind === MessageKind.ping) pings++
      if (m.to === 'b') b.handleMessage('a', m.bytes, t)
    })
    expect(pings).to.equal(0)
    expect(b.member('a')?.state).to.equal('left')
    a.handleMessage('c', gossip(dead('a', 0, 'c')), 1001)
    expect(a.incarnation).to.equal(0)
  })

  it('handleMessage counts and drops bytes that do not decode', () => {
    const a = node('a')
    a.handleMessage('b', new Uint8Array([1, 99]), 0)
    a.handleMessage('b', new Uint8Array([]), 0)
    expect(a.stats.decodeErrors).to.equal(2)
    expect(sends(a)).to.have.length(0)
  })

  it('handleTimeout refuses time that goes backwards (a programmer error)', () => {
    const a = node('a')
    a.handleTimeout(50)
    expect(() => a.handleTimeout(49)).to.throw(RangeError)
  })

  it('members, aliveMembers and isAlive answer the adapter', () => {
    const a = node('a', {}, ['a', 'b', 'c'])
    a.handleMessage('b', gossip(dead('c', 0, 'b')), 0)
    expect(a.members().map((m) => `${m.id}:${m.state}`).sort()).to.deep.equal(['b:alive', 'c:dead'])
    expect(a.aliveMembers()).to.deep.equal(['b'])
    expect([a.isAlive('b'), a.isAlive('c'), a.isAlive('zz'), a.isAlive('a')]).to.deep.equal([true, false, false, false])
    expect(MemberState.alive).to.equal(1)
  })

  it('apply: an alive update for a stranger adds it with its addresses', () => {
    const a = node('a', {}, ['a'])
    a.handleMessage('x', gossip({ kind: UpdateKind.alive, id: 'x', incarnation: 0, addrs: ['/ip4/10.0.0.1/tcp/1'], from: '' }), 0)
    expect(a.member('x')).to.deep.equal({ id: 'x', state: 'alive', incarnation: 0, addrs: ['/ip4/10.0.0.1/tcp/1'] })
    expect(events(a)).to.deep.equal([{ id: 'x', state: 'alive', incarnation: 0, addrs: ['/ip4/10.0.0.1/tcp/1'], by: '' }])
    a.handleMessage('y', gossip(suspect('zz', 0, 'y')), 1)
    expect(a.member('zz'), 'accusations about strangers are dropped').to.equal(undefined)
  })

  it('push-pull sends at most pushPullMembersMax members, self first, rotating through the view', () => {
    const a = node('a', { pushPullMembersMax: 4 })
    const seen = new Set<string>()
    for (let i = 0; i < 3; i++) {
      a.handleMessage('b', encodeMessage({ kind: MessageKind.pushPull, flags: 0, members: [] }), i)
      const reply = decodeMessage(sends(a)[0].bytes)
      expect(reply.members).to.have.length(4)
      expect(reply.members[0]).to.include({ id: 'a', state: MemberState.alive })
      for (const m of reply.members.slice(1)) seen.add(m.id)
    }
    expect(seen.size, 'three windows of three cover the nine others').to.equal(9)
  })

  it('apply refuses new members past membersMax and counts them (G7)', () => {
    const a = node('a', { membersMax: 2 }, ['a'])
    a.handleMessage('x', gossip(alive('x', 0), alive('y', 0), alive('z', 0)), 0)
    expect(a.members().map((m) => m.id)).to.deep.equal(['x', 'y'])
    expect(a.stats.membersRefused).to.equal(1)
  })
})
