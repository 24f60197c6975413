// yjs values across node processes: merges reach every member by an acknowledged push, by
// gossip, by repair (a member that hears no gossip) and by warm-up (a member that joins later);
// concurrent edits converge to one document everywhere; bytes that are not a yjs update are
// refused on the writer with ERR_YJS_VALUE and never leave it.
import { expect } from 'chai'
import * as Y from 'yjs'
import { killAll, startCluster, startNode, waitFor, type NodeProcess } from '../support/cluster.ts'

const FAST = { swim: { profile: 'local' }, antiEntropyIntervalMs: 500 }

/** An update inserting `text` at the start of text 't', from its own yjs client. */
function insert(text: string): string {
  const doc = new Y.Doc()
  doc.getText('t').insert(0, text)
  return Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64')
}

const texts = (nodes: NodeProcess[], key: string): Promise<(string | null)[]> =>
  Promise.all(nodes.map((n) => n.call('yjsText', key) as Promise<string | null>))

describe('yjs values across node processes', function () {
  let nodes: NodeProcess[] = []
  before(async () => {
    nodes = await startCluster(3, FAST)
  })
  after(killAll)

  it('an acked merge is in every member when it resolves; concurrent merges converge by gossip', async () => {
    await nodes[0].call('merge', 'doc', insert('hello'), { ack: 'all' })
    expect(await texts(nodes, 'doc')).to.deep.equal(['hello', 'hello', 'hello'])
    await Promise.all([nodes[1].call('merge', 'doc', insert('A')), nodes[2].call('merge', 'doc', insert('B'))])
    await waitFor(
      async () => {
        const t = await texts(nodes, 'doc')
        return t.every((x) => x === t[0]) && t[0]!.length === 7
      },
      { timeoutMs: 15_000, what: 'one document with both edits everywhere' },
    )
    const [t] = await texts(nodes, 'doc')
    // Concurrent inserts from three yjs clients: yjs orders them by client id, so only the
    // content is fixed, not where A and B land around hello.
    expect([...t!].sort().join('')).to.equal([...'helloAB'].sort().join(''))
    expect(t!.replace('A', '').replace('B', '')).to.equal('hello')
  })

  it('a member that hears no gossip gets merges by repair, and a late joiner by warm-up', async () => {
    const deaf = await startNode({ ...FAST, bootstrap: nodes[0].addresses, dropGossipRate: 1, faultSeed: 3 })
    await deaf.call('warmed')
    await nodes[1].call('merge', 'doc2', insert('repaired'))
    await waitFor(async () => (await deaf.call('yjsText', 'doc2')) === 'repaired', {
      timeoutMs: 20_000,
      what: 'the merge on the deaf member',
    })
    const late = await startNode({ ...FAST, bootstrap: nodes[2].addresses })
    await late.call('warmed')
    await waitFor(async () => (await late.call('yjsText', 'doc2')) === 'repaired' && (await late.call('yjsText', 'doc')) !== null, {
      timeoutMs: 20_000,
      what: 'both documents on the late joiner',
    })
    expect(await late.call('yjsText', 'doc')).to.equal(await nodes[0].call('yjsText', 'doc'))
  })

  it('bytes that are not a yjs update are refused on the writer (ERR_YJS_VALUE) and reach nobody', async () => {
    const notYjs = Buffer.from('not yjs at all').toString('base64')
    const err = (await nodes[0].call('merge', 'doc3', notYjs).catch((e: unknown) => e)) as { code?: string }
    expect(err.code).to.equal('ERR_YJS_VALUE')
    await nodes[0].call('set', 'after-bad-merge', 'x')
    await waitFor(async () => (await nodes[1].get('after-bad-merge')) === 'x', {
      timeoutMs: 10_000,
      what: 'a later write on another member',
    })
    expect(await texts(nodes, 'doc3')).to.deep.equal([null, null, null])
  })
})
