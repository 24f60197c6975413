// gossipMessageId (lib/networking/gossip-message-id.ts): gossipsub's msgIdFn. On the delta
// topic a batch is named by its header (crdt/batch-id.ts); elsewhere, and for anything on the
// delta topic whose header does not read, the id is gossipsub's own default (sha256 of the
// data), so hints keep the ids every version of the node gives them.
import { expect } from 'chai'
import { sha256 } from 'multiformats/hashes/sha2'
import type { Message } from '@libp2p/gossipsub'
import { batchId, encodeDeltas, hlcFromParts, makeDelta, makeVersion } from '../../crdt/index.ts'
import { deltaTopic, gossipMessageId } from '../../lib/networking/index.ts'
import { prng } from '../../bench/_fuzz.ts'
import { testSeed } from '../support/seed.ts'

const T0 = 1_796_000_000_000
const origin = { nodeId: 'n1', epoch: 7 }
const batch = encodeDeltas(
  [1, 2, 3].map((seq) =>
    makeDelta('set', `k${seq}`, makeVersion(0, hlcFromParts(T0), 'n1'), undefined, Uint8Array.of(seq), undefined, origin, seq),
  ),
)
const topic = deltaTopic('c1')
const msgId = gossipMessageId(topic)
const message = (t: string, data: Uint8Array): Message => ({ type: 'unsigned', topic: t, data })
const hex = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString('hex'))

describe('networking/gossip-message-id', () => {
  it('names a delta batch by its header on the delta topic', () => {
    expect(topic).to.equal('also-cache/c1/deltas/1')
    expect(hex(msgId(message(topic, batch)))).to.equal(hex(batchId(batch)))
  })

  it("keeps gossipsub's default id (sha256 of the data) on other topics and for what is not a batch", async () => {
    const hints = Uint8Array.of(1, 2, 3)
    expect(hex(msgId(message('also-cache/c1/hints/1', hints)))).to.equal(hex(await sha256.encode(hints)))
    expect(hex(msgId(message('also-cache/c2/deltas/1', batch))), "another cluster's topic").to.equal(hex(await sha256.encode(batch)))
    const garbage = Uint8Array.of(0xff, 0, 1)
    expect(hex(msgId(message(topic, garbage)))).to.equal(hex(await sha256.encode(garbage)))
  })

  it('returns an id, never a throw, for random data on the delta topic', () => {
    const rnd = prng(testSeed)
    for (let i = 0; i < 20_000; i++) {
      const data = Uint8Array.from({ length: Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256))
      if (data.length > 0 && rnd() < 0.5) data[0] = batch[0]
      const id = msgId(message(topic, data))
      expect(id.byteLength).to.be.greaterThan(0)
    }
  })
})
