// Gossip replication: local deltas are batched and published on the cluster's gossipsub
// topic; received batches are decoded and applied to the replica (docs/node.md, "Writes and
// gossip").
//
// - A batch flushes when it reaches batchMaxDeltas or batchMaxBytes, or batchIntervalMs after
//   its first delta: a lone write waits at most that long; a burst fills whole messages.
// - Every batch carries its deltas' origin and seq; its gossip message id is its origin, epoch
//   and first seq (lib/networking/gossip-message-id.ts), so no two batches share an id.
// - Batches are decoded in gossipsub's topic validator, before gossipsub forwards them: one
//   that does not decode is rejected (never forwarded, and gossipsub scores the sender down)
//   and counted against the peer that sent it to us — which, since every node validates, is
//   the peer that made it, never an honest node relaying it. The decoded deltas are kept for
//   the message event, so each batch is decoded once. Seq gaps are not handled here: the
//   replica notes every seq, and repair.ts pulls what is missing.

import { TopicValidatorResult, type GossipSub, type GossipsubMessage } from '@libp2p/gossipsub'
import { decodeDeltas, deltaEncodedBytesMax, encodeDeltas, type Delta, type Replica, type ApplyResult } from '../../crdt/index.ts'
import { DecodeError } from '../foundation/index.ts'

/**
 * Batches handed to gossipsub and not yet sent (G7: the publish chain is bounded). Past it a
 * batch is not published but counted: its deltas stay in this node's replication log, and
 * peers repair them as a gap when the next batch arrives (or by anti-entropy).
 */
export const MAX_PUBLISHES_IN_FLIGHT = 64

export interface ReplicatorInit {
  pubsub: GossipSub
  topic: string
  replica: Replica
  now: () => number
  batchMaxDeltas: number
  batchMaxBytes: number
  batchIntervalMs: number
  /** Called for every remote delta after it was applied. */
  onApplied: (delta: Delta, result: ApplyResult, from: string) => void
  /** Called when a peer forwards bytes that do not decode. */
  onMalformed: (from: string, err: DecodeError) => void
  /** Called when code of ours threw (a bug): reported, never charged to a peer. */
  onInternalError: (where: string, err: unknown) => void
  /** @internal Drop this incoming message? (fault injection for gap-repair tests) */
  dropIncoming?: () => boolean
}

export interface ReplicatorStats {
  batchesSent: number
  deltasSent: number
  bytesSent: number
  batchesReceived: number
  deltasReceived: number
  bytesReceived: number
  /** Incoming messages that did not decode. */
  malformed: number
  /** Publishes gossipsub refused (no peers subscribed yet, or a transport error). */
  publishFailures: number
  /** Batches not published because MAX_PUBLISHES_IN_FLIGHT were queued (peers repair them). */
  publishBacklogDrops: number
  /** Local deltas that could not be encoded (a bug: sent without them; peers repair the gap). */
  encodeFailures: number
  /** @internal Incoming messages dropped by fault injection. */
  injectedDrops: number
}

export class Replicator {
  readonly #i: ReplicatorInit
  #pending: Delta[] = []
  #pendingBytes = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  #inflight: Promise<void> = Promise.resolve()
  #inflightCount = 0
  readonly stats: ReplicatorStats = {
    batchesSent: 0,
    deltasSent: 0,
    bytesSent: 0,
    batchesReceived: 0,
    deltasReceived: 0,
    bytesReceived: 0,
    malformed: 0,
    publishFailures: 0,
    publishBacklogDrops: 0,
    encodeFailures: 0,
    injectedDrops: 0,
  }
  readonly #onMessage = (e: CustomEvent<GossipsubMessage>): void => this.#receive(e.detail)
  /** Batches the validator decoded, by message bytes, until their message event. */
  readonly #decoded = new WeakMap<Uint8Array, Delta[]>()

  constructor(init: ReplicatorInit) {
    this.#i = init
  }

  start(): void {
    this.#i.pubsub.topicValidators.set(this.#i.topic, (peer, msg) => {
      try {
        this.#decoded.set(msg.data, decodeDeltas(msg.data))
        return TopicValidatorResult.Accept
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err
        this.stats.malformed++
        this.#i.onMalformed(peer.toString(), err)
        return TopicValidatorResult.Reject
      }
    })
    this.#i.pubsub.subscribe(this.#i.topic)
    this.#i.pubsub.addEventListener('gossipsub:message', this.#onMessage)
  }

  async stop(): Promise<void> {
    await this.flush()
    this.#i.pubsub.removeEventListener('gossipsub:message', this.#onMessage)
    this.#i.pubsub.unsubscribe(this.#i.topic)
    this.#i.pubsub.topicValidators.delete(this.#i.topic)
  }

  /**
   * Queues a local delta for the next batch. A delta that would take the batch past
   * batchMaxBytes flushes the batch first, so a batch is never larger than
   * max(batchMaxBytes, one delta): a large value travels alone, within one gossip message.
   */
  enqueue(delta: Delta): void {
    const size = deltaEncodedBytesMax(delta)
    if (this.#pending.length > 0 && this.#pendingBytes + size > this.#i.batchMaxBytes) void this.flush()
    this.#pending.push(delta)
    this.#pendingBytes += size
    if (this.#pending.length >= this.#i.batchMaxDeltas || this.#pendingBytes >= this.#i.batchMaxBytes || this.#i.batchIntervalMs === 0) {
      void this.flush()
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => void this.flush(), this.#i.batchIntervalMs)
    }
  }

  /** Publishes what is queued; resolves when every publish so far has been handed to gossipsub. */
  flush(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer)
      this.#timer = undefined
    }
    if (this.#pending.length > 0) {
      const batch = this.#pending
      this.#pending = []
      this.#pendingBytes = 0
      if (this.#inflightCount >= MAX_PUBLISHES_IN_FLIGHT) {
        this.stats.publishBacklogDrops++
        return this.#inflight
      }
      // Publishes are chained so batches leave in seq order.
      this.#inflightCount++
      this.#inflight = this.#inflight.then(() => this.#publish(batch)).finally(() => void this.#inflightCount--)
    }
    return this.#inflight
  }

  get pendingDeltas(): number {
    return this.#pending.length
  }

  /** Never rejects: the publish chain must survive any one batch (a rejected link stops every later publish). */
  async #publish(batch: Delta[]): Promise<void> {
    const encoded = this.#encode(batch)
    if (encoded === undefined) return
    try {
      await this.#i.pubsub.publish(this.#i.topic, encoded.bytes)
      this.stats.batchesSent++
      this.stats.deltasSent += encoded.deltas
      this.stats.bytesSent += encoded.bytes.byteLength
    } catch {
      // Not lost: the deltas are in this node's replication log; peers repair from it
      // (gap repair on their next receive, or anti-entropy for the tail).
      this.stats.publishFailures++
    }
  }

  /**
   * The batch's bytes and how many deltas they hold. Admitted deltas always encode; should
   * one not (a bug of ours), the others still go out: the batch is encoded again without the
   * deltas that fail alone (peers repair their seqs as a gap, from the log's own answer).
   */
  #encode(batch: Delta[]): { bytes: Uint8Array; deltas: number } | undefined {
    try {
      return { bytes: encodeDeltas(batch), deltas: batch.length }
    } catch (err) {
      this.#i.onInternalError('encode a delta batch', err)
    }
    const good = batch.filter((d) => {
      try {
        encodeDeltas([d])
        return true
      } catch {
        this.stats.encodeFailures++
        return false
      }
    })
    if (good.length === 0) return undefined
    try {
      return { bytes: encodeDeltas(good), deltas: good.length }
    } catch (err) {
      this.stats.encodeFailures += good.length
      this.#i.onInternalError('encode a delta batch', err)
      return undefined
    }
  }

  #receive(m: GossipsubMessage): void {
    if (m.msg.topic !== this.#i.topic) return
    const from = m.propagationSource.toString()
    if (this.#i.dropIncoming?.() === true) {
      this.stats.injectedDrops++
      return
    }
    let deltas = this.#decoded.get(m.msg.data)
    if (deltas === undefined) {
      // Not seen by the validator (not expected): decode here, with the same accounting.
      try {
        deltas = decodeDeltas(m.msg.data)
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err
        this.stats.malformed++
        this.#i.onMalformed(from, err)
        return
      }
    }
    this.#decoded.delete(m.msg.data)
    this.stats.batchesReceived++
    this.stats.deltasReceived += deltas.length
    this.stats.bytesReceived += m.msg.data.byteLength
    const now = this.#i.now()
    for (const d of deltas) {
      // The bytes decoded, so the peer is not to blame for anything that goes wrong now: an
      // exception here is ours (reported, never counted against the sender), and it costs
      // only this delta (repair asks again for what is missing).
      try {
        this.#i.onApplied(d, this.#i.replica.apply(d, now), from)
      } catch (err) {
        this.#i.onInternalError('apply a received delta', err)
      }
    }
  }
}
