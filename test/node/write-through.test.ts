// The write-through recipe when its writer dies between its steps (README: "a writer dies
// before its update leaves"): the acked delete has already dropped the old row everywhere, so
// every node misses (and reloads from the database) — never a stale hit — and a late copy of the
// old row, written by anyone with its old userVersion, loses to the tombstone.
import { expect } from 'chai'
import { killAll, startCluster, waitFor, type NodeProcess } from '../support/cluster.ts'

describe('write-through: the writer dies between its steps', function () {
  let nodes: NodeProcess[] = []
  before(async () => {
    nodes = await startCluster(3, { swim: { profile: 'local' }, antiEntropyIntervalMs: 500 })
  })
  after(killAll)

  it('after the acked delete and before the set: every other node misses, and the old row cannot come back', async () => {
    const [writer, b, c] = nodes
    await writer.call('set', 'row:1', 'v1', { userVersion: 1, ack: 'all' })
    expect(await c.get('row:1')).to.equal('v1')
    // Step 1 of the recipe: invalidate with the next version, acknowledged by every live member.
    await writer.call('delete', 'row:1', { userVersion: 2, ack: 'all' })
    // The writer dies before step 2 (the database write) and step 3 (the set).
    writer.kill('SIGKILL')
    await writer.exited
    expect(await b.get('row:1')).to.equal(null)
    expect(await c.get('row:1')).to.equal(null)
    // A reader that loaded the old row from a lagging replica and caches it with its version
    // cannot resurrect it: userVersion 1 loses to the tombstone at 2 (G3, G4).
    const late = (await b.call('set', 'row:1', 'v1', { userVersion: 1 })) as { stale: boolean }
    expect(late.stale).to.equal(true)
    await b.call('flush')
    // Still a miss everywhere once the late write had time to travel (a marker written after it arrives).
    await b.call('set', 'marker', 'm')
    await waitFor(async () => (await c.get('marker')) === 'm', { timeoutMs: 10_000, what: 'the marker on c' })
    expect(await b.get('row:1')).to.equal(null)
    expect(await c.get('row:1')).to.equal(null)
  })
})
