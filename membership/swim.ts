// The SWIM membership core with Lifeguard: a sans-IO state machine.
//
// Rules of this file
// - It owns every member state transition; the table of legal transitions is data in
//   transitions.ts, the Lifeguard arithmetic is in awareness.ts, suspicion.ts, nack.ts and
//   buddy.ts, and the wire format in codec.ts. No other file changes a member's state.
// - It knows nothing of sockets, clocks or libp2p. Time arrives as `nowMs` on every input
//   and must never go backwards; randomness comes from a Prng seeded by the caller.
// - Inputs: handleMessage(from, bytes, nowMs), handleTimeout(nowMs), join(), leave().
//   Outputs: pollSend(), pollEvent(), pollTimeout(). After any input, drain pollSend and
//   pollEvent, then arm one timer for pollTimeout(). A timeout that arrives early or twice
//   is harmless: handleTimeout fires only what is due.
// - Member ids are opaque strings (the transport's authenticated peer ids: `from` is
//   trusted to be the sender). Addresses are opaque strings carried with alive updates.
//
// Theory of operation (Das, Gupta, Motivala 2002; Dadgar, Phillips, Currey 2018)
// Every probe interval the node pings the next member of a randomised round-robin. With no
// ack within the probe timeout it asks `indirectChecks` members to ping on its behalf
// (ping-req); with no ack by the end of the interval it suspects the member and gossips
// the suspicion. A suspected member that hears of it refutes by gossiping "alive" with a
// higher incarnation; if no refutation arrives before the suspicion timeout, the suspecter
// declares it dead. Updates ride on every message (piggyback) and on separate gossip
// messages while any are waiting, each about retransmitMult × log10(n + 1) times per node.
// A periodic push-pull exchanges whole views with one member: joins use it to load the
// view, and after a partition it reconnects the halves (see #pushPull).
// Lifeguard adds: a health score that stretches this node's own timeouts when it misses
// acks (awareness.ts), nacks from relays so the score can tell "I am slow" from "they are
// dead" (nack.ts), suspicion timeouts that start long and shrink with independent
// confirmations (suspicion.ts), and telling a suspected member directly (buddy.ts). Ours:
// a suspecter asks the suspect itself before its suspicion expires (expiry-check.ts), and a
// node that hears of another process running with its own id reports it (twin.ts, pollTwin).

import { DecodeError } from '../lib/foundation/index.ts'
import { Prng } from '../lib/foundation/index.ts'
import { MemberDirectory, type Slot } from './directory.ts'
import { MemberTable, sameAddrs } from './members.ts'
import { BroadcastQueue } from './broadcasts.ts'
import { Awareness, probeAwarenessDelta } from './awareness.ts'
import { Suspicion, expectedConfirmations, suspicionTimeoutMs } from './suspicion.ts'
import { expectedNacks } from './nack.ts'
import { RelayTable } from './relays.ts'
import { newStats, type SwimInit, type Member, type MemberEvent, type Outgoing, type SwimStats } from './swim-types.ts'
import { shouldTellSuspect } from './buddy.ts'
import { Suspicions } from './suspicions.ts'
import { Outbox } from './outbox.ts'
import type { UpdateReader } from './update-reader.ts'
import { ViewPager, remoteEntryUpdate } from './push-pull.ts'
import { transitionFor, updateKindNames } from './transitions.ts'
import { aliveShowsTwin, echoShowsTwin, TwinLog, type Twin, type TwinSign } from './twin.ts'
import { MemberState } from './member-state.ts'
import { resolveConfig, pushPullScaleMs, retransmitLimit, type SwimConfig } from './config.ts'
import {
  MessageKind,
  PushPullFlag,
  UpdateKind,
  decodeHead,
  encodeMessage,
  encodeUpdate,
  type MessageHead,
  type PushPullMember,
  type Update,
} from './codec.ts'
import { MAX_INCARNATION, MAX_SEQ } from './constants.ts'

/** The timer table: one deadline per kind; pollTimeout is their minimum. Order = firing order. */
export const TimerKind = {
  probeTimeout: 0,
  probeDeadline: 1,
  probe: 2,
  relay: 3,
  suspicion: 4,
  gossip: 5,
  pushPull: 6,
  join: 7,
  expiryCheck: 8,
} as const
const TIMER_KINDS = 9

const isAlive = (s: MemberState): boolean => s === MemberState.alive
const isAliveOrSuspect = (s: MemberState): boolean => s === MemberState.alive || s === MemberState.suspect
const isDead = (s: MemberState): boolean => s === MemberState.dead

export class Swim {
  readonly id: string
  readonly addrs: readonly string[]
  /** This run's epoch (SwimInit.epoch); 0: twins are not looked for. */
  readonly epoch: number
  readonly config: SwimConfig
  readonly stats: SwimStats = newStats()
  readonly #rng: Prng
  readonly #table: MemberTable
  readonly #awareness: Awareness
  readonly #broadcasts: BroadcastQueue
  readonly #timers = new Float64Array(TIMER_KINDS).fill(Infinity)
  readonly #sends = new Outbox<Outgoing>()
  readonly #events = new Outbox<MemberEvent>()
  readonly #twins = new Outbox<Twin>()
  readonly #twinLog = new TwinLog()
  readonly #startMs: number
  /** The sender of the message being handled ('' outside handleMessage): whom a twin report names. */
  #sender = ''
  #nowMs: number
  #incarnation = 0
  #leaving = false
  #seq = 0
  // The probe in flight (at most one: its deadline is the next probe tick).
  #probeSlot: Slot | -1 = -1
  #probeSeq = 0
  #expectedNacks = 0
  #nacks = 0
  readonly #suspicions: Suspicions
  /** Set while handling a message that accused us at an incarnation we have already refuted. */
  #staleAccusation = false
  readonly #relays: RelayTable
  #joinSeeds: string[] = []
  #joinAttempts = 0
  readonly #pager = new ViewPager()
  readonly #parts: Uint8Array[] = []
  readonly #picked: Slot[] = []

  constructor(init: SwimInit) {
    this.config = resolveConfig(init.config)
    this.id = init.id
    this.addrs = init.addrs ?? []
    this.epoch = init.epoch ?? 0
    if (!Number.isSafeInteger(this.epoch) || this.epoch < 0) {
      throw new RangeError(`Swim: epoch ${this.epoch} is not a safe unsigned integer`)
    }
    this.#rng = new Prng(init.seed)
    this.#table = new MemberTable(init.directory ?? new MemberDirectory(), init.id)
    this.#awareness = new Awareness(this.config.awarenessMaxMultiplier)
    this.#broadcasts = new BroadcastQueue(this.config.broadcastQueueMax)
    this.#relays = new RelayTable(this.config.relaysMax)
    this.#suspicions = new Suspicions(this.config.expiryChecks)
    this.#nowMs = init.nowMs
    this.#startMs = init.nowMs
    this.#table.setAddrs(this.#table.self, this.addrs)
    this.#table.setEpoch(this.#table.self, this.epoch)
    if (init.members !== undefined) {
      this.#table.loadAlive(this.#table.directory.slotsOf(init.members))
    } else {
      this.#queueSelf(UpdateKind.alive)
    }
    // Stagger the periodic timers so that nodes started together do not probe in lockstep.
    const c = this.config
    const now = init.nowMs
    this.#timers[TimerKind.probe] = now + this.#rng.int(c.probeIntervalMs)
    if (c.pushPullIntervalMs > 0) {
      this.#timers[TimerKind.pushPull] = now + this.#rng.int(pushPullScaleMs(c.pushPullIntervalMs, this.#table.liveCount))
    }
  }

  // ---- inputs ----

  /** A message from `from` (an authenticated member id). Bad bytes are counted and dropped. */
  handleMessage(from: string, bytes: Uint8Array, nowMs: number): void {
    this.#advance(nowMs)
    this.#staleAccusation = false
    this.#sender = from
    let msg
    try {
      const head = decodeHead(bytes)
      msg = head.msg
      // Updates first: a buddy suspicion about us must be refuted on the very ack we send.
      for (const r = head.updates; r.next(); ) this.#receive(r, nowMs)
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err
      this.stats.decodeErrors++
      this.#sender = ''
      return
    }
    this.stats.messagesReceived++
    switch (msg.kind) {
      case MessageKind.ping:
        // A sender still holding an accusation we refuted gets our current alive on the ack
        // (the buddy's answer; expiry-check.ts): our refutation's gossip missed it.
        this.#send(from, { kind: MessageKind.ack, seq: msg.seq }, this.#staleAccusation ? this.#selfUpdate(UpdateKind.alive) : undefined)
        break
      case MessageKind.pingReq:
        this.#relay(from, msg.seq, msg.target, msg.nack, nowMs)
        break
      case MessageKind.ack:
        this.#onAck(msg.seq)
        break
      case MessageKind.nack:
        if (this.#probeSlot !== -1 && msg.seq === this.#probeSeq) this.#nacks++
        break
      case MessageKind.gossip:
        break
      case MessageKind.pushPull:
        if ((msg.flags & PushPullFlag.reply) !== 0 && echoShowsTwin(this.epoch, msg.toEpoch, nowMs - this.#startMs)) {
          this.#twin(msg.toEpoch, 'echo')
        }
        this.#merge(from, msg.members, nowMs)
        if ((msg.flags & PushPullFlag.reply) === 0) {
          this.#sendState(from, PushPullFlag.reply, ownEntryEpoch(msg.members, from))
        } else {
          this.#joinSeeds = []
          this.#timers[TimerKind.join] = Infinity
        }
        break
    }
    this.#sender = ''
  }

  /** Fires every timer due at `nowMs`. */
  handleTimeout(nowMs: number): void {
    this.#advance(nowMs)
    const t = this.#timers
    for (let k = 0; k < TIMER_KINDS; k++) {
      if (t[k] > nowMs) continue
      t[k] = Infinity
      switch (k) {
        case TimerKind.probeTimeout:
          this.#indirectProbe()
          break
        case TimerKind.probeDeadline:
          this.#probeFailed()
          break
        case TimerKind.probe:
          this.#probe(nowMs)
          break
        case TimerKind.relay:
          this.#relayTimeouts(nowMs)
          break
        case TimerKind.suspicion:
          this.#suspicionTimeouts(nowMs)
          break
        case TimerKind.gossip:
          this.#gossip(nowMs)
          break
        case TimerKind.pushPull:
          this.#pushPull(nowMs)
          break
        case TimerKind.join:
          this.#sendJoin(nowMs)
          break
        case TimerKind.expiryCheck:
          this.#expiryChecks(nowMs)
          break
      }
    }
  }

  /**
   * Joins a cluster through `seeds` (member ids): a push-pull with each, retried every
   * joinRetryMs until one answers, up to joinAttemptsMax times. Also how a discovered peer
   * is added: join([peerId]).
   */
  join(seeds: readonly string[], nowMs: number): void {
    this.#advance(nowMs)
    this.#joinSeeds = seeds.filter((s) => s !== this.id)
    this.#joinAttempts = 0
    this.#sendJoin(nowMs)
  }

  /**
   * Leaves gracefully: gossips "left" and stops probing. Keep feeding messages and timers
   * until `pendingBroadcasts` is 0 (or a few gossip intervals), then drop the node.
   */
  leave(nowMs: number): void {
    this.#advance(nowMs)
    if (this.#leaving) return
    this.#leaving = true
    this.#table.set(this.#table.self, MemberState.left, this.#incarnation)
    this.#queueSelf(UpdateKind.left)
    this.#probeSlot = -1
    this.#timers[TimerKind.probe] = this.#timers[TimerKind.probeTimeout] = this.#timers[TimerKind.probeDeadline] = Infinity
  }

  // ---- outputs ----

  pollSend(): Outgoing | undefined {
    return this.#sends.poll()
  }

  pollEvent(): MemberEvent | undefined {
    return this.#events.poll()
  }

  /** Another process found running with this node's id (twin.ts): each other epoch once. */
  pollTwin(): Twin | undefined {
    return this.#twins.poll()
  }

  /** The earliest timer deadline, or undefined when none is armed. */
  pollTimeout(): number | undefined {
    let min = Infinity
    for (let k = 0; k < TIMER_KINDS; k++) if (this.#timers[k] < min) min = this.#timers[k]
    return min === Infinity ? undefined : min
  }

  // ---- queries ----

  get incarnation(): number {
    return this.#incarnation
  }

  get awarenessScore(): number {
    return this.#awareness.score
  }

  get leaving(): boolean {
    return this.#leaving
  }

  /** Updates still waiting to be gossiped. */
  get pendingBroadcasts(): number {
    return this.#broadcasts.size
  }

  /** Alive or suspect members, self included: the n of the formulas. */
  get liveCount(): number {
    return this.#table.liveCount
  }

  /** Every member this node knows, self excluded. O(members). */
  members(): Member[] {
    return this.#table.describeAll()
  }

  member(id: string): Member | undefined {
    return this.#table.find(id)
  }

  /** Ids of members currently alive (self excluded): whom an `ack: 'all'` write waits for. */
  aliveMembers(): string[] {
    return this.#table.idsIn(MemberState.alive)
  }

  isAlive(id: string): boolean {
    return this.#table.isIn(id, MemberState.alive)
  }

  /** Recounts every incremental structure; tests and the simulator call it. */
  validate(): void {
    this.#table.validate()
    this.#broadcasts.validate()
    this.#suspicions.validate(this.#table)
    if ((this.#probeSlot !== -1) !== (this.#timers[TimerKind.probeDeadline] !== Infinity)) {
      throw new Error(`Swim ${this.id}: probe in flight and probe deadline disagree`)
    }
    if (this.#relays.size > this.config.relaysMax) throw new Error(`Swim ${this.id}: relays over bound`)
  }

  // ---- protocol ----

  #advance(nowMs: number): void {
    if (!(nowMs >= this.#nowMs)) throw new RangeError(`Swim: time went backwards (${nowMs} < ${this.#nowMs})`)
    this.#nowMs = nowMs
  }

  #nextSeq(): number {
    this.#seq = this.#seq >= MAX_SEQ ? 1 : this.#seq + 1
    return this.#seq
  }

  /** Sends `head` with as many waiting updates as fit. With `onlyIfUpdates`, sends nothing when none wait. */
  #send(to: string, head: MessageHead, prefix?: Uint8Array, onlyIfUpdates = false): void {
    const parts = this.#parts
    parts.length = 0
    let budget = this.config.piggybackBytesMax
    if (prefix !== undefined) {
      parts.push(prefix)
      budget -= prefix.byteLength
    }
    this.#broadcasts.take(budget, retransmitLimit(this.config.retransmitMult, this.#table.liveCount), parts)
    if (onlyIfUpdates && parts.length === 0) return
    this.#emit(to, encodeMessage(head, parts))
  }

  #emit(to: string, bytes: Uint8Array): void {
    this.#sends.push({ to, bytes })
    this.stats.messagesSent++
    this.stats.bytesSent += bytes.byteLength
  }

  #probe(nowMs: number): void {
    if (this.#leaving) return
    const interval = this.#awareness.scale(this.config.probeIntervalMs)
    this.#timers[TimerKind.probe] = nowMs + interval
    if (this.#probeSlot !== -1) return
    const slot = this.#table.nextProbe(this.#rng)
    if (slot === -1) return
    const t = this.#table
    const id = t.directory.idOf(slot)
    this.#probeSlot = slot
    this.#probeSeq = this.#nextSeq()
    this.#expectedNacks = this.#nacks = 0
    const prefix = shouldTellSuspect(t.state(slot), this.config.buddy)
      ? encodeUpdate({ kind: UpdateKind.suspect, id, incarnation: t.incarnation(slot), addrs: [], from: this.id })
      : undefined
    this.#send(id, { kind: MessageKind.ping, seq: this.#probeSeq }, prefix)
    this.#timers[TimerKind.probeTimeout] = nowMs + this.#awareness.scale(this.config.probeTimeoutMs)
    this.#timers[TimerKind.probeDeadline] = nowMs + interval
  }

  #onAck(seq: number): void {
    if (this.#probeSlot !== -1 && seq === this.#probeSeq) {
      this.#awareness.apply(probeAwarenessDelta(true, 0, 0))
      this.#probeSlot = -1
      this.#timers[TimerKind.probeTimeout] = this.#timers[TimerKind.probeDeadline] = Infinity
      return
    }
    const r = this.#relays.close(seq)
    if (r === undefined) return
    this.#send(r.requester, { kind: MessageKind.ack, seq: r.reqSeq })
  }

  #indirectProbe(): void {
    if (this.#probeSlot === -1) return
    const picked = this.#picked
    picked.length = 0
    this.#table.randomMembers(this.config.indirectChecks, this.#rng, isAlive, this.#probeSlot, picked)
    const target = this.#table.directory.idOf(this.#probeSlot)
    for (const s of picked) {
      this.#send(this.#table.directory.idOf(s), { kind: MessageKind.pingReq, seq: this.#probeSeq, target, nack: this.config.nacks })
    }
    this.#expectedNacks = expectedNacks(picked.length, this.config.nacks)
  }

  #probeFailed(): void {
    if (this.#probeSlot === -1) return
    const slot = this.#probeSlot
    this.#probeSlot = -1
    this.#timers[TimerKind.probeTimeout] = Infinity
    this.#awareness.apply(probeAwarenessDelta(false, this.#expectedNacks, this.#nacks))
    const t = this.#table
    if (!isAliveOrSuspect(t.state(slot))) return
    const u: Update = { kind: UpdateKind.suspect, id: t.directory.idOf(slot), incarnation: t.incarnation(slot), addrs: [], from: this.id }
    this.#apply(u, this.#nowMs, false)
  }

  #relay(requester: string, reqSeq: number, target: string, nack: boolean, nowMs: number): void {
    if (target === this.id) {
      this.#send(requester, { kind: MessageKind.ack, seq: reqSeq })
      return
    }
    const seq = this.#nextSeq()
    this.#relays.open(seq, requester, reqSeq, nack, nowMs, this.config.probeTimeoutMs)
    this.stats.relaysDropped = this.#relays.dropped
    this.#send(target, { kind: MessageKind.ping, seq })
    this.#timers[TimerKind.relay] = this.#relays.nextDeadlineMs()
  }

  #relayTimeouts(nowMs: number): void {
    this.#relays.expire(nowMs, (r) => this.#send(r.requester, { kind: MessageKind.nack, seq: r.reqSeq }))
    this.#timers[TimerKind.relay] = this.#relays.nextDeadlineMs()
  }

  /** Queues an update for piggybacking and, if gossip was idle, wakes it up. */
  #queue(slot: Slot, bytes: Uint8Array): void {
    this.#broadcasts.queue(slot, bytes)
    if (this.config.gossipIntervalMs > 0 && this.#timers[TimerKind.gossip] === Infinity) {
      this.#timers[TimerKind.gossip] = this.#nowMs + this.config.gossipIntervalMs
    }
  }

  /** Gossip ticks only while updates wait: an idle node arms no gossip timer at all. */
  #gossip(nowMs: number): void {
    if (this.#broadcasts.size === 0) return
    this.#timers[TimerKind.gossip] = nowMs + this.config.gossipIntervalMs
    const picked = this.#picked
    picked.length = 0
    this.#table.randomMembers(this.config.gossipNodes, this.#rng, isAliveOrSuspect, -1, picked)
    for (const s of picked) {
      if (this.#broadcasts.size === 0) break
      this.#send(this.#table.directory.idOf(s), { kind: MessageKind.gossip }, undefined, true)
    }
  }

  /**
   * Periodic push-pull with one member. Usually a random alive one; with probability
   * dead / (alive + dead) a random dead one instead (serf's reconnect rule). Worked scenario
   * for why: 1. a partition splits {A} from {B}; 2. each side declares the other dead;
   * 3. the partition heals, but gossip and probes only go to alive members, so neither side
   * would ever talk to the other again. 4. A's push-pull to a "dead" B carries A's view;
   * B suspects the members A thinks dead, they refute with higher incarnations, and the
   * refutations cross over in the next exchanges.
   */
  #pushPull(nowMs: number): void {
    const c = this.config
    const t = this.#table
    this.#timers[TimerKind.pushPull] = nowMs + pushPullScaleMs(c.pushPullIntervalMs, t.liveCount)
    const alive = t.count(MemberState.alive)
    const dead = t.count(MemberState.dead)
    if (alive + dead === 0) return
    const picked = this.#picked
    picked.length = 0
    t.randomMembers(1, this.#rng, this.#rng.next() * (alive + dead) < dead ? isDead : isAlive, -1, picked)
    if (picked.length === 1) this.#sendState(t.directory.idOf(picked[0]), 0)
  }

  #sendJoin(nowMs: number): void {
    if (this.#joinSeeds.length === 0 || this.#joinAttempts >= this.config.joinAttemptsMax) return
    this.#joinAttempts++
    for (const seed of this.#joinSeeds) this.#sendState(seed, PushPullFlag.join)
    this.#timers[TimerKind.join] = nowMs + this.config.joinRetryMs
  }

  /** `toEpoch`: in a reply, the epoch the request's sender gave for itself (twin.ts, sign 2). */
  #sendState(to: string, flags: number, toEpoch = 0): void {
    const self: PushPullMember = {
      id: this.id,
      state: this.#leaving ? MemberState.left : MemberState.alive,
      incarnation: this.#incarnation,
      epoch: this.epoch,
      addrs: this.addrs,
    }
    const members = this.#pager.page(this.#table, self, this.config.pushPullMembersMax)
    this.#emit(to, encodeMessage({ kind: MessageKind.pushPull, flags, toEpoch, members }))
  }

  #merge(from: string, members: readonly PushPullMember[], nowMs: number): void {
    for (const m of members) {
      const u = remoteEntryUpdate(this.#table, m, from)
      if (u !== undefined) this.#apply(u, nowMs, true)
    }
  }

  /**
   * One piggybacked update. Most are ones we hold already: those are dropped on kind, id and
   * incarnation alone, before anything is built (update-reader.ts).
   */
  #receive(r: UpdateReader, nowMs: number): void {
    if (r.id !== this.id) {
      const t = this.#table
      const slot = t.directory.slotOf(r.id)
      const held = slot === undefined ? MemberState.unknown : t.state(slot)
      const tr = transitionFor(held, slot === undefined ? 0 : t.incarnation(slot), r.kind, r.incarnation)
      if (tr === undefined) return
      // Another copy of a suspicion we hold with all its confirmations: nothing to count.
      if (tr.confirm === true && this.#suspicions.get(slot as Slot)?.full !== false) return
    }
    this.#apply(r.update(), nowMs, false, r)
  }

  /**
   * Applies one update (`received`: the reader it came from, whose bytes we queue as they
   * are). `viaPushPull`: a member new to us is not re-gossiped, because the
   * view we just loaded is news only to us (a joiner would otherwise gossip its whole view);
   * changes to members we knew are re-gossiped as usual, which is how a healed partition spreads.
   */
  #apply(u: Update, nowMs: number, viaPushPull: boolean, received?: UpdateReader): void {
    if (u.id === this.id) {
      this.#aboutSelf(u)
      return
    }
    const t = this.#table
    const dir = t.directory
    let slot = dir.slotOf(u.id)
    const held = slot === undefined ? MemberState.unknown : t.state(slot)
    const heldInc = slot === undefined ? 0 : t.incarnation(slot)
    const tr = transitionFor(held, heldInc, u.kind, u.incarnation)
    if (tr === undefined) return
    if (tr.confirm === true) {
      const s = this.#suspicions.get(slot as Slot)
      // A view is no independent evidence: it confirms as us, once (push-pull.ts).
      if (s !== undefined && s.confirm(viaPushPull ? this.id : u.from)) {
        this.#suspicions.rearm(slot as Slot, s, nowMs, this.#awareness.scale(this.config.probeTimeoutMs))
        this.#armTimers()
        this.#queue(slot as Slot, received?.raw() ?? encodeUpdate(u))
      }
      return
    }
    if (held === MemberState.unknown) {
      if (t.knownCount >= this.config.membersMax) {
        this.stats.membersRefused++
        return
      }
      slot = dir.intern(u.id)
    }
    const s = slot as Slot
    if (held === MemberState.suspect) this.#suspicions.close(s)
    const addrsChanged = tr.to === MemberState.alive && !sameAddrs(t.addrs(s), u.addrs)
    t.set(s, tr.to, u.incarnation)
    if (tr.to === MemberState.alive) {
      t.setAddrs(s, u.addrs)
      t.setEpoch(s, u.epoch ?? 0)
    } else if (tr.to !== MemberState.suspect) {
      t.setAddrs(s, [])
      t.setEpoch(s, 0)
    }
    if (tr.to === MemberState.suspect) this.#suspect(s, u, nowMs)
    if (!(viaPushPull && held === MemberState.unknown)) this.#queue(s, received?.raw() ?? encodeUpdate(u))
    if (held !== tr.to || addrsChanged) {
      this.#events.push({ id: u.id, state: updateKindNames[u.kind], incarnation: u.incarnation, addrs: t.addrs(s), by: u.from })
    }
  }

  #suspect(slot: Slot, u: Update, nowMs: number): void {
    const c = this.config
    const n = this.#table.liveCount
    const k = c.suspicionMaxTimeoutMult > 1 ? expectedConfirmations(c.suspicionMult, n) : 0
    const minMs = suspicionTimeoutMs(c.suspicionMult, n, c.probeIntervalMs)
    const s = new Suspicion(u.from, u.incarnation, k, minMs, minMs * c.suspicionMaxTimeoutMult, nowMs)
    this.#suspicions.open(slot, s, nowMs, this.#awareness.scale(this.config.probeTimeoutMs))
    this.#armTimers()
    this.stats.suspicionsStarted++
  }

  #armTimers(): void {
    this.#timers[TimerKind.suspicion] = this.#suspicions.nextDeadlineMs()
    this.#timers[TimerKind.expiryCheck] = this.#suspicions.nextCheckMs()
  }

  /** Pings each suspect whose check is due, with its suspicion in front (expiry-check.ts). */
  #expiryChecks(nowMs: number): void {
    const t = this.#table
    this.#suspicions.dueChecks(nowMs, (slot) => {
      const id = t.directory.idOf(slot)
      const prefix = encodeUpdate({ kind: UpdateKind.suspect, id, incarnation: t.incarnation(slot), addrs: [], from: this.id })
      this.#send(id, { kind: MessageKind.ping, seq: this.#nextSeq() }, prefix)
      this.stats.expiryChecks++
    })
    this.#armTimers()
  }

  #suspicionTimeouts(nowMs: number): void {
    const t = this.#table
    this.#suspicions.expire(nowMs, (slot) => {
      const u: Update = { kind: UpdateKind.dead, id: t.directory.idOf(slot), incarnation: t.incarnation(slot), addrs: [], from: this.id }
      t.set(slot, MemberState.dead, u.incarnation)
      t.setAddrs(slot, [])
      t.setEpoch(slot, 0)
      this.#queue(slot, encodeUpdate(u))
      this.#events.push({ id: u.id, state: 'dead', incarnation: u.incarnation, addrs: [], by: this.id })
      this.stats.deathsDeclared++
    })
    this.#armTimers()
  }

  /** Someone says something about us: refute anything but the truth (unless we are leaving). */
  #aboutSelf(u: Update): void {
    if (this.#leaving) return
    const accusation = u.kind !== UpdateKind.alive
    // A later process with our id (twin.ts, sign 1): report it, and do not go above it — two
    // live processes refuting each other would raise the incarnation for ever.
    if (!accusation && aliveShowsTwin(this.epoch, u.epoch ?? 0)) {
      this.#twin(u.epoch ?? 0, 'alive')
      return
    }
    // An accusation at our incarnation or later needs a refutation. An alive at a higher
    // incarnation than ours is a previous life of ours (we restarted): go above it too.
    if (accusation && u.incarnation < this.#incarnation) this.#staleAccusation = this.config.buddy
    if ((accusation && u.incarnation >= this.#incarnation) || (!accusation && u.incarnation > this.#incarnation)) {
      this.#incarnation = Math.min(MAX_INCARNATION, Math.max(this.#incarnation, u.incarnation) + 1)
      this.#table.set(this.#table.self, MemberState.alive, this.#incarnation)
      if (accusation) this.#awareness.apply(1)
      this.stats.refutations++
      this.#queueSelf(UpdateKind.alive)
    }
  }

  #twin(otherEpoch: number, sign: TwinSign): void {
    if (!this.#twinLog.note(otherEpoch)) return
    this.stats.twins++
    this.#twins.push({ id: this.id, epoch: this.epoch, otherEpoch, from: this.#sender, sign })
  }

  #queueSelf(kind: UpdateKind): void {
    this.#queue(this.#table.self, this.#selfUpdate(kind))
  }

  #selfUpdate(kind: UpdateKind): Uint8Array {
    const alive = kind === UpdateKind.alive
    const epoch = alive ? this.epoch : 0
    return encodeUpdate({ kind, id: this.id, incarnation: this.#incarnation, epoch, addrs: alive ? this.addrs : [], from: '' })
  }
}

/** The epoch a push-pull's sender gave for itself (its own entry, first in the view); 0 when it gave none. */
function ownEntryEpoch(members: readonly PushPullMember[], sender: string): number {
  for (const m of members) if (m.id === sender) return m.epoch ?? 0
  return 0
}
