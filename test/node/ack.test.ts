// Acknowledged writes (G6): ack 'all' resolves once every live member applied the write, and
// rejects with AckTimeoutError naming a member that is alive to SWIM but does not answer
// (a paused process: SIGSTOP, before SWIM declares it dead).
import { expect } from 'chai'
import { killAll, startCluster, waitFor, type NodeProcess } from '../support/cluster.ts'

const aliveIds = async (n: NodeProcess): Promise<string[]> =>
  ((await n.call('members')) as { id: string; state: string }[]).filter((m) => m.state === 'alive').map((m) => m.id)

describe("acknowledged writes (ack: 'all')", function () {
  let nodes: NodeProcess[] = []
  before(async () => {
    // A long suspicion timeout keeps the paused member "alive" to SWIM during the test.
    nodes = await startCluster(3, { swim: { profile: 'lan' } })
  })
  after(async () => {
    nodes[2]?.kill('SIGCONT')
    await killAll()
  })

  it('resolves once every live member has applied the write', async () => {
    await nodes[0].call('set', 'acked', 'v1', { ack: 'all', timeoutMs: 5_000 })
    // Applied means readable at once on every member, without waiting for gossip.
    expect(await nodes[1].get('acked')).to.equal('v1')
    expect(await nodes[2].get('acked')).to.equal('v1')
    await nodes[1].call('delete', 'acked', { ack: 'all' })
    expect(await nodes[0].get('acked')).to.equal(null)
    expect(await nodes[2].get('acked')).to.equal(null)
  })

  it('rejects naming the member that is paused (SIGSTOP) before SWIM declares it dead', async () => {
    const paused = nodes[2]
    paused.kill('SIGSTOP')
    const err = (await nodes[0].call('set', 'acked2', 'v2', { ack: 'all', timeoutMs: 1_500 }).catch((e: unknown) => e)) as {
      code?: string
      missing?: string[]
    }
    paused.kill('SIGCONT')
    expect(err.code).to.equal('ERR_ACK_TIMEOUT')
    expect(err.missing).to.deep.equal([paused.id])
    // The write is still applied locally and reached the healthy member.
    expect(await nodes[0].get('acked2')).to.equal('v2')
    expect(await nodes[1].get('acked2')).to.equal('v2')
    // Resumed, the member refutes any suspicion and catches up on what it missed.
    await waitFor(async () => (await paused.get('acked2')) === 'v2', { timeoutMs: 15_000, what: 'the resumed member to catch up' })
    await waitFor(async () => (await aliveIds(nodes[0])).includes(paused.id) && (await aliveIds(paused)).length === 3, {
      timeoutMs: 15_000,
      what: 'the resumed member alive everywhere',
    })
  })

  it('a member killed (kill -9) while an acked write waits stops counting once SWIM declares it dead: the write resolves', async () => {
    const doomed = nodes[2]
    doomed.kill('SIGKILL')
    await doomed.exited
    const started = Date.now()
    await nodes[0].call('set', 'acked3', 'v3', { ack: 'all', timeoutMs: 60_000 })
    // It waited for SWIM's verdict (not the deadline), and the verdict is in.
    expect(Date.now() - started).to.be.below(60_000)
    const dead = ((await nodes[0].call('members')) as { id: string; state: string }[]).find((m) => m.id === doomed.id)
    expect(dead?.state).to.equal('dead')
    expect(await nodes[1].get('acked3')).to.equal('v3')
  })
})
