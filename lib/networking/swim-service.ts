// The SWIM adapter: runs the sans-IO core (membership/swim.ts) over the libp2p protocol
// `/also-cache/<cluster>/swim/1.0.0`. It makes no protocol decisions: it feeds frames and timer
// expiries into the core and performs whatever the core polls out, so the simulator, which
// drives the same core, sees every decision the node makes.
//
// - Frames travel on frame-streams.ts: one long-lived outbound stream of length-prefixed
//   frames per peer (opening a stream per SWIM message would cost a protocol negotiation per
//   ping); inbound frames go into handleMessage(remotePeer, bytes).
// - A send that cannot be made (peer unreachable, queue at SWIM_MAX_QUEUED_FRAMES or
//   SWIM_MAX_QUEUED_BYTES) is dropped: SWIM is built for lossy datagrams and its timeouts
//   decide, never the transport.
// - Addresses: this node announces its listen addresses; members' addresses from the core's
//   events go into the peer store so a member can be dialled by id.
// - A member confirmed dead (or left) is hung up on.
// - A peer that connects (bootstrap dial, mDNS) and is not a member yet is joined through once
//   identify has shown it serves this cluster's SWIM protocol. A peer that does not is of
//   another cluster: it never becomes a member (cluster-guard.ts hangs up on it).

import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { IdentifyResult, PeerId, PeerStore, TypedEventTarget, Libp2pEvents, Startable } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import { Swim, type Member, type MemberEvent, type SwimConfigInit, type Twin } from '../../membership/index.ts'
import { FrameStreams } from './frame-streams.ts'

/**
 * The SWIM protocol id of a cluster. The name is in the id, so nodes of different clusters
 * never negotiate a SWIM stream with each other (multistream-select refuses an id the remote
 * does not serve); it is also the protocol identify must show for a peer to be of our cluster.
 * Cluster names are 1–64 characters of A–Z a–z 0–9 . _ - (options.ts): safe in a protocol id.
 */
export const swimProtocol = (cluster: string): string => `/also-cache/${cluster}/swim/1.0.0`
/** Largest SWIM frame accepted (push-pull of a large view included). */
export const SWIM_MAX_FRAME_BYTES = 1024 * 1024
/** Frames queued per peer while its stream opens or drains; more are dropped (and counted). */
export const SWIM_MAX_QUEUED_FRAMES = 256
/**
 * Bytes queued per peer while its stream opens or drains; more are dropped (and counted). A
 * probe or gossip frame is ~100 B–1 KiB; 4 MiB holds the frame bound's worth of push-pulls
 * four times over, and caps what a dead or paused peer can cost before SWIM declares it.
 */
export const SWIM_MAX_QUEUED_BYTES = 4 * 1024 * 1024
/** How long to wait for a stream to a peer to open before dropping what was queued for it. */
export const SWIM_OPEN_TIMEOUT_MS = 2_000

export interface SwimServiceInit {
  /** The cluster name: the protocol is swimProtocol(cluster). */
  cluster: string
  config?: SwimConfigInit
  /** PRNG seed of the core. @default random per start */
  seed?: number
  /** Clock for the core (ms, never going backwards). @default Date.now */
  now?: () => number
  /** Called for every member change (after the adapter has acted on it). */
  onEvent?: (event: MemberEvent) => void
  /** Called when a peer's frame did not decode (the core counted and dropped it). */
  onMalformed?: (from: string) => void
}

/** What the node gives the core when it begins (SwimService.begin). */
export interface SwimBeginInit {
  /** This run's epoch, carried by its alive updates (membership/twin.ts). @default 0: no twin check */
  epoch?: number
  /** Another process was found running with this node's id (membership/twin.ts). */
  onTwin?: (twin: Twin) => void
}

export interface SwimServiceComponents {
  peerId: PeerId
  registrar: Registrar
  connectionManager: ConnectionManager
  peerStore: PeerStore
  events: TypedEventTarget<Libp2pEvents>
  addressManager: { getAddresses(): { toString(): string }[] }
}

export class SwimService implements Startable {
  readonly #components: SwimServiceComponents
  readonly #init: SwimServiceInit
  readonly #now: () => number
  #core: Swim | undefined
  readonly #frames: FrameStreams
  #timer: ReturnType<typeof setTimeout> | undefined
  #timerAt = Infinity
  #running = false
  #onTwin: ((twin: Twin) => void) | undefined
  readonly #onIdentify = (e: CustomEvent<IdentifyResult>): void => this.#peerIdentified(e.detail)
  /** This cluster's SWIM protocol id. */
  readonly protocol: string

  constructor(components: SwimServiceComponents, init: SwimServiceInit) {
    this.#components = components
    this.#init = init
    this.#now = init.now ?? Date.now
    this.protocol = swimProtocol(init.cluster)
    this.#frames = new FrameStreams(components, {
      protocol: this.protocol,
      maxFrameBytes: SWIM_MAX_FRAME_BYTES,
      maxQueuedFrames: SWIM_MAX_QUEUED_FRAMES,
      maxQueuedBytes: SWIM_MAX_QUEUED_BYTES,
      openTimeoutMs: SWIM_OPEN_TIMEOUT_MS,
      onFrame: (from, frame) => this.#receive(from, frame),
      onFramingError: (from) => this.#init.onMalformed?.(from),
    })
  }

  /** Frames dropped because a peer's queue was full or its stream would not open or broke. */
  get droppedFrames(): number {
    return this.#frames.stats.refused + this.#frames.stats.dropped
  }

  get core(): Swim {
    if (this.#core === undefined) throw new Error('SwimService: not started')
    return this.#core
  }

  async start(): Promise<void> {
    await this.#frames.start()
  }

  /**
   * Starts the core. The node calls it once libp2p has started and its listen addresses are
   * known (libp2p's address manager is still empty in the services' start hooks), so the
   * core announces where this node can be dialled. Frames that arrive before are dropped.
   */
  begin(init: SwimBeginInit = {}): void {
    if (this.#core !== undefined) return
    this.#onTwin = init.onTwin
    this.#core = new Swim({
      id: this.#components.peerId.toString(),
      addrs: this.#components.addressManager.getAddresses().map(String),
      epoch: init.epoch ?? 0,
      seed: this.#init.seed ?? Math.floor(Math.random() * 2 ** 31),
      nowMs: this.#now(),
      config: this.#init.config,
    })
    this.#running = true
    this.#components.events.addEventListener('peer:identify', this.#onIdentify)
    this.#drive()
  }

  async stop(): Promise<void> {
    this.#running = false
    this.#components.events.removeEventListener('peer:identify', this.#onIdentify)
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    await this.#frames.stop()
  }

  /** Joins through peers already connected (or dialled by the caller). */
  join(peerIds: readonly string[]): void {
    if (!this.#running || peerIds.length === 0) return
    this.core.join(peerIds, this.#now())
    this.#drive()
  }

  /**
   * Graceful leave: gossips "left", then keeps the core running until its broadcasts are
   * out or `maxWaitMs` passed.
   */
  async leave(maxWaitMs: number): Promise<void> {
    if (!this.#running) return
    this.core.leave(this.#now())
    this.#drive()
    const deadline = this.#now() + maxWaitMs
    while (this.core.pendingBroadcasts > 0 && this.#now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  members(): Member[] {
    return this.#core?.members() ?? []
  }

  aliveMembers(): string[] {
    return this.#core?.aliveMembers() ?? []
  }

  isAlive(id: string): boolean {
    return this.#core?.isAlive(id) ?? false
  }

  /** Identify ran on a new connection: join through the peer if it is of this cluster. */
  #peerIdentified(result: IdentifyResult): void {
    if (!this.#running || !result.protocols.includes(this.protocol)) return
    const id = result.peerId.toString()
    const m = this.#core?.member(id)
    if (m === undefined || m.state === 'dead' || m.state === 'left') this.join([id])
  }

  #receive(from: string, frame: Uint8Array): void {
    if (!this.#running) return // not started yet, or stopping: SWIM tolerates the loss
    const core = this.core
    const before = core.stats.decodeErrors
    core.handleMessage(from, frame, this.#now())
    if (core.stats.decodeErrors !== before) this.#init.onMalformed?.(from)
    this.#drive()
  }

  /** After every input: perform sends, publish events, re-arm the one timer. */
  #drive(): void {
    const core = this.#core
    if (core === undefined || !this.#running) return
    for (let out = core.pollSend(); out !== undefined; out = core.pollSend()) this.#frames.send(out.to, out.bytes)
    for (let ev = core.pollEvent(); ev !== undefined; ev = core.pollEvent()) this.#onMemberEvent(ev)
    for (let twin = core.pollTwin(); twin !== undefined; twin = core.pollTwin()) this.#onTwin?.(twin)
    const at = core.pollTimeout()
    if (at === undefined || at === this.#timerAt) return
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timerAt = at
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#timerAt = Infinity
      if (!this.#running) return
      core.handleTimeout(this.#now())
      this.#drive()
    }, Math.max(0, at - this.#now()))
  }

  #onMemberEvent(ev: MemberEvent): void {
    // Member ids come off the wire: one that is not a peer id is still a member to SWIM (its
    // probes simply fail), but nothing here may throw on it.
    let peer: PeerId
    try {
      peer = peerIdFromString(ev.id)
    } catch {
      this.#init.onEvent?.(ev)
      return
    }
    if (ev.addrs.length > 0 && ev.state === 'alive') {
      const addrs = ev.addrs.flatMap((a) => {
        try {
          return [multiaddr(a)]
        } catch {
          return []
        }
      })
      void this.#components.peerStore.merge(peer, { multiaddrs: addrs }).catch(() => {})
    }
    if (ev.state === 'dead' || ev.state === 'left') {
      this.#frames.close(ev.id, `member ${ev.state}`)
      void this.#components.connectionManager.closeConnections(peer).catch(() => {})
    }
    this.#init.onEvent?.(ev)
  }
}

/** The libp2p service factory: `services: { swim: swimService({...}) }`. */
export function swimService(init: SwimServiceInit): (components: SwimServiceComponents) => SwimService {
  return (components) => new SwimService(components, init)
}
