// An acknowledgement means applied (G6): a member that refuses an `ack: 'all'` write makes the
// call reject with ERR_ACK_REFUSED naming the member and its reason, instead of resolving while
// the member keeps serving the old value (the write-through recipe's "clock far ahead" case).
import { expect } from 'chai'
import { waitFor } from '../support/cluster.ts'
import { createCacheNode, type AckRefusedError, type CacheNode } from '../../lib/index.ts'

const MiB = 1024 * 1024
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b))

/** Polls a synchronous condition (these nodes live in this process) with a deadline. */
const waitUntil = (cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> =>
  waitFor(cond, { timeoutMs, what, intervalMs: 10 })

describe('CacheNode ack: refusals reject the acknowledged write', function () {
  let writer: CacheNode
  let ahead: CacheNode
  let small: CacheNode
  before(async () => {
    const common = { swim: { profile: 'local' as const }, warmupPeers: 0 }
    writer = await createCacheNode(common)
    ahead = await createCacheNode({ ...common, clockOffsetMs: 120_000, bootstrap: writer.addresses() })
    small = await createCacheNode({ ...common, maxBytes: 1 * MiB, bootstrap: writer.addresses() })
    const all = [writer, ahead, small]
    await waitUntil(() => all.every((n) => n.members().filter((m) => m.state === 'alive').length === 3), 'three alive members everywhere')
  })
  after(() => Promise.all([writer?.close(), ahead?.close(), small?.close()]))

  it('a writer whose clock runs 120 s ahead: the acked delete rejects naming both peers (clock-drift), and they keep the row', async () => {
    await writer.set('row', bytes('v1'), { userVersion: 1, ack: 'all' })
    expect(text(ahead.get('row'))).to.equal('v1')
    const err = (await ahead.delete('row', { userVersion: 2, ack: 'all' }).catch((e: unknown) => e)) as AckRefusedError
    expect(err).to.have.property('code', 'ERR_ACK_REFUSED')
    expect(err.refused).to.deep.equal(
      [writer.id, small.id].sort().map((member) => ({ member, reason: 'clock-drift' })),
    )
    expect(err.missing).to.deep.equal([])
    expect(err.message).to.match(/clock-drift/)
    // What the refusal reports is true: the others still serve the row.
    expect(text(writer.get('row'))).to.equal('v1')
    expect(text(small.get('row'))).to.equal('v1')
  })

  it('a value too large for one member: the acked set rejects naming that member (too-large); the others hold it', async () => {
    const value = new Uint8Array(200 * 1024).fill(1)
    expect(small.maxValueBytes).to.be.below(value.byteLength)
    const err = (await writer.set('big', value, { ack: 'all' }).catch((e: unknown) => e)) as AckRefusedError
    expect(err).to.have.property('code', 'ERR_ACK_REFUSED')
    expect(err.refused).to.deep.equal([{ member: small.id, reason: 'too-large' }])
    expect(small.get('big')).to.equal(undefined)
    expect(ahead.get('big')?.byteLength).to.equal(value.byteLength)
  })

  it('a write already superseded on a member counts as acknowledged (stale is not a refusal)', async () => {
    await writer.set('sup', bytes('new'), { userVersion: 5, ack: 'all' })
    const r = await small.set('sup', bytes('old'), { userVersion: 4, ack: 'all' })
    expect(r.stale).to.equal(true)
    expect(text(writer.get('sup'))).to.equal('new')
  })
})
