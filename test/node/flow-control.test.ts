// Flow control on the replication streams: a member that stops reading (SIGSTOP) costs its
// writer at most the engine's per-member queue bound (DEFAULT_MAX_QUEUE_BYTES), never memory that
// grows with the writes; the writer switches it to catch-up ("behind"), the other member gets
// every write at full speed, and once the paused member resumes it catches up by repair.
import { expect } from 'chai'
import { DEFAULT_MAX_QUEUE_BYTES } from '../../lib/replication/index.ts'
import { killAll, startCluster, waitFor, type NodeProcess } from '../support/cluster.ts'

/** 24 MiB of writes: three times the queue bound. */
const WRITES = 3_000
const VALUE_BYTES = 8 * 1024

type Replication = { replication: { behind: number; maxQueuedBytes: number; queuedBytes: number; batchesSkipped: number } }

describe('flow control: a paused member', function () {
  let nodes: NodeProcess[] = []
  before(async () => {
    // SWIM's lan profile: the paused member stays alive to SWIM for the seconds the writes take.
    nodes = await startCluster(3, { swim: { profile: 'lan' }, maxBytes: 256 * 1024 * 1024, antiEntropyIntervalMs: 500 })
  })
  after(async () => {
    nodes[2]?.kill('SIGCONT')
    await killAll()
  })

  it('costs the writer at most the queue bound; the others get every write; it catches up after it resumes', async () => {
    const [writer, other, paused] = nodes
    paused.kill('SIGSTOP')
    try {
      await writer.call('load', 'fc-', WRITES, VALUE_BYTES)
      await waitFor(async () => (await other.get('fc-' + (WRITES - 1))) !== null, {
        timeoutMs: 30_000,
        what: 'the running member to get every write',
      })
      const s = ((await writer.call('stats')) as Replication).replication
      expect(s.behind, 'the paused member was switched to catch-up').to.be.at.least(1)
      expect(s.batchesSkipped, 'batches it did not get').to.be.greaterThan(0)
      expect(s.maxQueuedBytes, 'the most queued for one member').to.be.at.most(DEFAULT_MAX_QUEUE_BYTES)
    } finally {
      paused.kill('SIGCONT')
    }
    await waitFor(
      async () => {
        for (const i of [0, WRITES >> 1, WRITES - 1]) if ((await paused.get(`fc-${i}`)) === null) return false
        const stats = (await Promise.all(nodes.map((n) => n.call('stats')))) as { store: { entries: number } }[]
        return stats.every((x) => x.store.entries === WRITES)
      },
      { timeoutMs: 60_000, what: 'the resumed member to catch up by repair' },
    )
    const after = ((await writer.call('stats')) as Replication).replication
    expect(after.queuedBytes, 'nothing left queued once it caught up').to.be.at.most(DEFAULT_MAX_QUEUE_BYTES / 2)
  })
})
