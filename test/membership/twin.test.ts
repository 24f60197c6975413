// Twins (membership/twin.ts): a SWIM core that hears of another process running with its own
// id reports it (pollTwin), and a restart — the same id, a new epoch, the old run gone — is
// not reported. Cores exchange messages by hand: the "network" routes every send addressed to
// the shared id to whichever process a peer's stream reaches, as libp2p does.
import { expect } from 'chai'
import {
  MemberState,
  MessageKind,
  PushPullFlag,
  Swim,
  TwinLog,
  UpdateKind,
  aliveShowsTwin,
  constants,
  decodeMessage,
  echoShowsTwin,
  encodeMessage,
  encodeUpdate,
  type Outgoing,
  type PushPullMember,
  type Twin,
} from '../../membership/index.ts'

const CONFIG = { profile: 'local' as const }

function core(id: string, epoch: number, nowMs: number, members?: readonly string[]): Swim {
  return new Swim({ id, epoch, seed: epoch + id.charCodeAt(0), nowMs, members, config: CONFIG })
}
function sends(s: Swim): Outgoing[] {
  const out: Outgoing[] = []
  for (let m = s.pollSend(); m !== undefined; m = s.pollSend()) out.push(m)
  return out
}
function twins(s: Swim): Twin[] {
  const out: Twin[] = []
  for (let t = s.pollTwin(); t !== undefined; t = s.pollTwin()) out.push(t)
  return out
}
/**
 * Delivers every send until none is left. `route(from, to)` is the process a message from the
 * process `from` to id `to` reaches (undefined: lost); handleMessage gets the sender's id.
 */
function pump(nodes: readonly Swim[], route: (from: Swim, to: string) => Swim | undefined, nowMs: number): void {
  for (let moved = true, rounds = 0; moved && rounds < 100; rounds++) {
    moved = false
    for (const n of nodes) {
      for (const m of sends(n)) {
        moved = true
        route(n, m.to)?.handleMessage(n.id, m.bytes, nowMs)
      }
    }
  }
}
/** An alive member's entry in a push-pull view. */
const entry = (id: string, incarnation: number, epoch: number): PushPullMember => ({
  id,
  state: MemberState.alive,
  incarnation,
  epoch,
  addrs: [],
})
const aliveAbout = (id: string, incarnation: number, epoch: number): Uint8Array =>
  encodeMessage({ kind: MessageKind.gossip }, [encodeUpdate({ kind: UpdateKind.alive, id, incarnation, epoch, addrs: [], from: '' })])

describe('membership/twin', () => {
  it('aliveShowsTwin and echoShowsTwin decide from epochs (table)', () => {
    const grace = constants.PREVIOUS_LIFE_ECHO_GRACE_MS
    const alive: [number, number, boolean][] = [
      [100, 200, true], // a later process
      [100, 50, false], // a previous life (or an earlier process: not told apart here)
      [100, 100, false], // ourselves
      [100, 0, false], // a sender without epochs
      [0, 200, false], // we have no epoch: twins are not looked for
    ]
    for (const [mine, other, want] of alive) expect(aliveShowsTwin(mine, other), `${mine} vs ${other}`).to.equal(want)
    const echo: [number, number, number, boolean][] = [
      [100, 200, 0, true], // answer to a later process's request, at once
      [100, 100, 0, false], // our own request
      [100, 0, 0, false], // a reply that echoes nothing
      [100, 50, grace - 1, false], // maybe a late answer to our previous life
      [100, 50, grace, true], // too late for that: an earlier process still running
      [0, 200, 0, false],
    ]
    for (const [mine, echoed, ran, want] of echo) {
      expect(echoShowsTwin(mine, echoed, ran), `${mine} echo ${echoed} at ${ran}`).to.equal(want)
    }
  })

  it('TwinLog notes each other epoch once, up to MAX_TWIN_EPOCHS', () => {
    const log = new TwinLog()
    expect([log.note(7), log.note(7), log.note(8)]).to.deep.equal([true, false, true])
    for (let e = 100; e < 100 + constants.MAX_TWIN_EPOCHS; e++) log.note(e)
    expect(log.size).to.equal(constants.MAX_TWIN_EPOCHS)
    expect(log.note(1)).to.equal(false)
  })

  it('pushPull reply: a copied identity joining through a peer is reported by the process the peer answers (echo)', () => {
    // A runs as x (epoch 100) with peer p; B starts later with x's key (epoch 200) and joins
    // through p. Every message p sends to x reaches A: p's stream to x was opened to A.
    const a = core('x', 100, 0, ['p'])
    const p = core('p', 50, 0, ['x'])
    const b = core('x', 200, 1000)
    const route = (from: Swim, to: string): Swim | undefined => (to === 'p' ? p : from === p ? a : undefined)
    b.join(['p'], 1000)
    pump([a, p, b], route, 1000)
    expect(twins(a)).to.deep.equal([{ id: 'x', epoch: 100, otherEpoch: 200, from: 'p', sign: 'echo' }])
    expect(twins(b)).to.deep.equal([]) // isolated: nothing reaches it
    expect(b.aliveMembers()).to.deep.equal([])
    // B's retries are answered to A again: still one report per other process.
    for (let t = 1000; t <= 20_000; t += 100) {
      b.handleTimeout(t)
      pump([a, p, b], route, t)
    }
    expect([twins(a).length, a.stats.twins]).to.deep.equal([0, 1])
    for (const n of [a, p, b]) n.validate()
  })

  it('pushPull reply: an earlier process is reported by the later one once past the grace (echo)', () => {
    // The other way round: p's stream to x reaches B (A's connection broke and p dialled x again).
    const b = core('x', 200, 0, ['p'])
    const p = core('p', 50, 0, ['x'])
    const request = encodeMessage({ kind: MessageKind.pushPull, flags: 0, members: [entry('x', 0, 100)] })
    p.handleMessage('x', request, 1000) // A's periodic push-pull, answered to B
    const reply = sends(p).find((m) => decodeMessage(m.bytes).kind === MessageKind.pushPull)
    expect(reply === undefined ? undefined : decodeMessage(reply.bytes).toEpoch).to.equal(100)
    b.handleMessage('p', reply?.bytes ?? new Uint8Array(), 1000)
    expect(twins(b)).to.deep.equal([]) // within the grace: maybe the late answer to B's previous life
    b.handleMessage('p', reply?.bytes ?? new Uint8Array(), constants.PREVIOUS_LIFE_ECHO_GRACE_MS)
    expect(twins(b)).to.deep.equal([{ id: 'x', epoch: 200, otherEpoch: 100, from: 'p', sign: 'echo' }])
  })

  it('aboutSelf: an alive about this id with a later epoch is reported, and not refuted (alive)', () => {
    const a = core('x', 100, 0, ['p', 'q'])
    a.handleMessage('q', aliveAbout('x', 3, 200), 10)
    expect(twins(a)).to.deep.equal([{ id: 'x', epoch: 100, otherEpoch: 200, from: 'q', sign: 'alive' }])
    expect([a.incarnation, a.stats.refutations]).to.deep.equal([0, 0])
    // A view that lists x with that epoch is the same news: not reported twice.
    const view = encodeMessage({
      kind: MessageKind.pushPull,
      flags: PushPullFlag.reply,
      members: [entry('p', 0, 50), entry('x', 3, 200)],
    })
    a.handleMessage('p', view, 20)
    expect([twins(a).length, a.stats.twins]).to.deep.equal([0, 1])
  })

  it('aboutSelf: a view that lists this id with a later epoch is reported (alive)', () => {
    const a = core('x', 100, 0, ['p'])
    const view = encodeMessage({
      kind: MessageKind.pushPull,
      flags: 0,
      members: [entry('p', 0, 50), entry('x', 0, 300)],
    })
    a.handleMessage('p', view, 10)
    expect(twins(a).map((t) => [t.otherEpoch, t.sign])).to.deep.equal([[300, 'alive']])
  })

  it('restart: the same id with a new epoch, after the old run stopped, is reported by nobody', () => {
    // The old run of x (epoch 100) refuted a suspicion once (its alive at incarnation 1), then stopped.
    const p = core('p', 50, 0, ['x'])
    p.handleMessage('x', aliveAbout('x', 1, 100), 10)
    expect(p.member('x')?.incarnation).to.equal(1)
    // x restarts: a new process, a new epoch; p's messages to x now reach it (the old is gone).
    const x = core('x', 300, 5000)
    const route = (_from: Swim, to: string): Swim | undefined => (to === 'p' ? p : x)
    x.join(['p'], 5000)
    pump([x, p], route, 5000)
    // It heard its previous life's alive (epoch 100, incarnation 1) and went above it.
    expect(x.incarnation).to.equal(2)
    for (let t = 5000; t <= 60_000; t += 100) {
      x.handleTimeout(t)
      p.handleTimeout(t)
      pump([x, p], route, t)
      // The previous life's last alive keeps arriving now and then (a slow member re-gossips it).
      if (t % 5000 === 0) x.handleMessage('p', aliveAbout('x', 1, 100), t)
    }
    expect([twins(x), twins(p), x.stats.twins, p.stats.twins]).to.deep.equal([[], [], 0, 0])
    // The peer took the new run: its incarnation, its epoch in the view it sends.
    expect([p.isAlive('x'), p.member('x')?.incarnation]).to.deep.equal([true, 2])
    const request = encodeMessage({ kind: MessageKind.pushPull, flags: 0, members: [entry('q', 0, 0)] })
    p.handleMessage('q', request, 61_000)
    const view = sends(p).map((m) => decodeMessage(m.bytes)).find((m) => m.kind === MessageKind.pushPull)
    expect(view?.members.find((m) => m.id === 'x')?.epoch).to.equal(300)
    for (const n of [x, p]) n.validate()
  })

  it('a core without an epoch looks for no twins and sends epoch 0', () => {
    const a = new Swim({ id: 'x', seed: 1, nowMs: 0, members: ['p'] })
    a.handleMessage('q', aliveAbout('x', 0, 999), 10)
    a.handleMessage('p', encodeMessage({ kind: MessageKind.pushPull, flags: PushPullFlag.reply, toEpoch: 999, members: [] }), 20)
    expect([twins(a), a.epoch]).to.deep.equal([[], 0])
  })
})
