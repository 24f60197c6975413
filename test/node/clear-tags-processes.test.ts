// clear({ prefix }) and invalidateTags across three node processes, one of them dropping a
// quarter of what it receives live (repair brings it): each process runs a seeded mix of tagged
// sets, deletes, clears and invalidations at once; afterwards every process holds the same
// entries, and exactly those the rules give for the writes as their versions ordered them
// (docs/replication.md §4a, §4b): the latest write of each key, unless a clear of its prefix or
// an invalidation of its tag stamped after it covers it.
import { expect } from 'chai'
import type { Version } from '../../lib/index.ts'
import { killAll, startNode, waitFor, type NodeProcess } from '../support/cluster.ts'

const FAST = { swim: { profile: 'local' as const }, antiEntropyIntervalMs: 300 }

interface Op {
  op: 'set' | 'delete' | 'clear' | 'invalidate'
  key: string
  tags?: string[]
  version: Version
}

describe('clear and invalidateTags across processes', function () {
  this.timeout(120_000)
  let nodes: NodeProcess[] = []
  before(async () => {
    const first = await startNode(FAST)
    const rest = await Promise.all([
      startNode({ ...FAST, bootstrap: first.addresses, dropGossipRate: 0.25, faultSeed: 3 }),
      startNode({ ...FAST, bootstrap: first.addresses }),
    ])
    nodes = [first, ...rest]
    const alive = async (n: NodeProcess): Promise<number> =>
      ((await n.call('members')) as { state: string }[]).filter((m) => m.state === 'alive').length
    await waitFor(async () => (await Promise.all(nodes.map(alive))).every((k) => k === 3), {
      timeoutMs: 20_000,
      what: 'three members alive everywhere',
    })
  })
  after(() => killAll())

  it('converge to exactly the entries the clear and tag rules give, whatever each process saw first', async () => {
    const ops = (await Promise.all(nodes.map((n, i) => n.call('mix', 100 + i, 600)))).flat() as Op[]
    const expected = rule(ops)
    const dump = async (n: NodeProcess): Promise<string> =>
      JSON.stringify(((await n.call('dump')) as [string, string, Version][]).map(([key, , v]) => [key, v.hlc, v.nodeId]))
    const want = JSON.stringify(expected)
    await waitFor(async () => (await Promise.all(nodes.map(dump))).every((d) => d === want), {
      timeoutMs: 60_000,
      what: 'every process to hold exactly the rule’s entries',
    })
    expect(ops.filter((o) => o.op === 'clear').length, 'the mix made clears').to.be.greaterThan(0)
    expect(ops.filter((o) => o.op === 'invalidate').length, 'and invalidations').to.be.greaterThan(0)
    expect(expected.length, 'and some entries survive them').to.be.greaterThan(0)
  })
})

/** Stamp order: (hlc, node id). */
const stampBefore = (a: Version, b: Version): boolean => a.hlc < b.hlc || (a.hlc === b.hlc && a.nodeId < b.nodeId)

/** The live [key, hlc, nodeId] the rules give (userVersion 0 throughout, no expiry), sorted by key. */
function rule(ops: Op[]): [string, number, string][] {
  const clears = ops.filter((o) => o.op === 'clear')
  const invalidations = ops.filter((o) => o.op === 'invalidate')
  const best = new Map<string, { version: Version; live: boolean }>()
  for (const o of ops) {
    if (o.op === 'clear' || o.op === 'invalidate') continue
    if (clears.some((c) => o.key.startsWith(c.key) && stampBefore(o.version, c.version))) continue
    const invalidated = invalidations.some((t) => (o.tags ?? []).includes(t.key) && stampBefore(o.version, t.version))
    const live = o.op === 'set' && !invalidated
    const cur = best.get(o.key)
    if (cur === undefined || stampBefore(cur.version, o.version)) best.set(o.key, { version: o.version, live })
  }
  return [...best.entries()]
    .filter(([, b]) => b.live)
    .sort(([x], [y]) => (x < y ? -1 : 1))
    .map(([key, b]) => [key, b.version.hlc, b.version.nodeId])
}
