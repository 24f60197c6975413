// The replicator's publish path and receive path against a stub gossipsub: one bad delta can
// neither stop later publishes nor take its batch down, and an exception of ours while
// applying is reported, never charged to the peer whose bytes decoded (finding 1's "rejected
// in-flight chain stops every later publish", and the replicator blaming peers for our bugs).
import { expect } from 'chai'
import { decodeDeltas, encodeDeltas, hlcFromParts, makeDelta, makeVersion, Replica, type Delta } from '../../crdt/index.ts'
import { Replicator } from '../../lib/node/replicator.ts'

const T0 = 1_700_000_000_000
const origin = { nodeId: 'w', epoch: 1 }
const delta = (key: string, seq: number, expiresAt?: number): Delta =>
  makeDelta('set', key, makeVersion(0, hlcFromParts(T0 + seq), 'w'), undefined, Uint8Array.of(seq), expiresAt, origin, seq)

/** Just what Replicator uses of gossipsub: validators, subscribe, events, publish. */
function stubPubsub(): { published: Uint8Array[]; deliver(data: Uint8Array, from: string): void; pubsub: never } {
  const target = new EventTarget()
  const published: Uint8Array[] = []
  const validators = new Map<string, (peer: { toString(): string }, msg: { data: Uint8Array }) => unknown>()
  const pubsub = {
    topicValidators: validators,
    subscribe() {},
    unsubscribe() {},
    addEventListener: target.addEventListener.bind(target),
    removeEventListener: target.removeEventListener.bind(target),
    async publish(_topic: string, data: Uint8Array) {
      published.push(data)
      return { recipients: [] }
    },
  }
  return {
    published,
    pubsub: pubsub as never,
    deliver(data, from) {
      const peer = { toString: () => from }
      // gossipsub delivers only what the topic validator accepted
      if (validators.get('t')?.(peer, { data }) !== 'accept') return
      target.dispatchEvent(new CustomEvent('gossipsub:message', { detail: { msg: { topic: 't', data }, propagationSource: peer } }))
    },
  }
}

function replicator(pubsub: never, replica: Replica, sink: { internal: string[]; malformed: string[] }): Replicator {
  const r = new Replicator({
    pubsub,
    topic: 't',
    replica,
    now: () => T0,
    batchMaxDeltas: 256,
    batchMaxBytes: 512 * 1024,
    batchIntervalMs: 1000,
    onApplied: () => {},
    onMalformed: (from) => void sink.malformed.push(from),
    onInternalError: (where) => void sink.internal.push(where),
  })
  r.start()
  return r
}

describe('node/replicator', () => {
  it('a delta that cannot be encoded is left out alone: its batch and every later one are published', async () => {
    const stub = stubPubsub()
    const sink = { internal: [] as string[], malformed: [] as string[] }
    const r = replicator(stub.pubsub, new Replica({ nodeId: 'w', maxBytes: 1 << 20 }), sink)
    r.enqueue(delta('a', 1))
    r.enqueue(delta('bad', 2, 1e20)) // an expiresAt no codec can carry (admission keeps it out; a bug would not)
    r.enqueue(delta('b', 3))
    await r.flush()
    r.enqueue(delta('c', 4))
    await r.flush()
    const keys = stub.published.map((bytes) => decodeDeltas(bytes).map((d) => d.key))
    expect(keys).to.deep.equal([['a', 'b'], ['c']])
    expect(r.stats).to.include({ encodeFailures: 1, batchesSent: 2, deltasSent: 3 })
    expect(sink.internal).to.have.length(1)
  })

  it('an exception while applying a decoded delta is ours: reported, not charged to the sender, and the rest applies', () => {
    const stub = stubPubsub()
    const sink = { internal: [] as string[], malformed: [] as string[] }
    const replica = new Replica({ nodeId: 'r', maxBytes: 1 << 20 })
    replicator(stub.pubsub, replica, sink)
    const apply = replica.apply.bind(replica)
    replica.apply = (d, now) => {
      if (d.key === 'boom') throw new Error('a bug of ours')
      return apply(d, now)
    }
    stub.deliver(encodeDeltas([delta('x', 1), delta('boom', 2), delta('y', 3)]), 'peer-1')
    expect(sink.malformed).to.deep.equal([])
    expect(sink.internal).to.have.length(1)
    expect(replica.get('x', T0)).to.deep.equal(Uint8Array.of(1))
    expect(replica.get('y', T0)).to.deep.equal(Uint8Array.of(3))
  })

  it('bytes that do not decode are blamed on the peer that sent them', () => {
    const stub = stubPubsub()
    const sink = { internal: [] as string[], malformed: [] as string[] }
    replicator(stub.pubsub, new Replica({ nodeId: 'r', maxBytes: 1 << 20 }), sink)
    stub.deliver(Uint8Array.of(1, 200, 200), 'peer-2')
    expect(sink.malformed).to.deep.equal(['peer-2'])
    expect(sink.internal).to.deep.equal([])
  })

  it(
    'a large value travels alone: the batch before it is sent first, and every batch stays within batchMaxBytes or one delta',
    async () => {
      const stub = stubPubsub()
      const sink = { internal: [] as string[], malformed: [] as string[] }
      const r = replicator(stub.pubsub, new Replica({ nodeId: 'w', maxBytes: 1 << 20 }), sink)
      r.enqueue(delta('s1', 1))
      const bigVersion = makeVersion(0, hlcFromParts(T0 + 2), 'w')
      r.enqueue(makeDelta('set', 'big', bigVersion, undefined, new Uint8Array(600 * 1024), undefined, origin, 2))
      r.enqueue(delta('s2', 3))
      await r.flush()
      expect(stub.published.map((bytes) => decodeDeltas(bytes).map((d) => d.key))).to.deep.equal([['s1'], ['big'], ['s2']])
    },
  )
})
