// Local snapshots: saved on close, loaded at the next start, then only since(snapshot clock)
// is pulled from peers; a corrupt or foreign file is refused with SnapshotError.
import { expect } from 'chai'
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Replica } from '../../crdt/index.ts'
import { loadSnapshot, saveSnapshot, SnapshotError } from '../../lib/node/snapshot.ts'
import { killAll, startCluster, startNode, waitFor } from '../support/cluster.ts'

const FAST = { swim: { profile: 'local' }, antiEntropyIntervalMs: 500 }

describe('snapshot files', function () {
  after(killAll)

  it('saveSnapshot then loadSnapshot gives back every entry and tombstone, in a 0600 file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'also-cache-snap-'))
    const path = join(dir, 'node.snap')
    const r = new Replica({ nodeId: 'n1', maxBytes: 1 << 20 })
    for (let i = 0; i < 300; i++) r.set(`k${i}`, new TextEncoder().encode(`v${i}`), {}, 1_000 + i)
    r.delete('k7', {}, 2_000)
    const saved = await saveSnapshot(path, r)
    expect((await stat(path)).mode & 0o777).to.equal(0o600)
    const loaded = await loadSnapshot(path)
    expect(loaded?.deltas.length).to.equal(saved.deltas)
    expect(loaded?.clock).to.equal(r.clock)
    const copy = new Replica({ nodeId: 'n2', maxBytes: 1 << 20 })
    for (const d of loaded!.deltas) copy.apply(d, 3_000)
    expect([...copy.entries(3_000)].map((e) => e.key).sort()).to.deep.equal([...r.entries(3_000)].map((e) => e.key).sort())
    expect(copy.get('k7', 3_000)).to.equal(undefined)
    expect(await loadSnapshot(join(dir, 'missing.snap'))).to.equal(undefined)
  })

  it('loadSnapshot refuses a corrupt file with SnapshotError (code ERR_SNAPSHOT)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'also-cache-snap-'))
    const path = join(dir, 'bad.snap')
    await writeFile(path, new TextEncoder().encode('not a snapshot at all'))
    const err = await loadSnapshot(path).catch((e: unknown) => e)
    expect(err).to.be.instanceOf(SnapshotError).with.property('code', 'ERR_SNAPSHOT')
    const r = new Replica({ nodeId: 'n1', maxBytes: 1 << 20 })
    r.set('a', new Uint8Array(10), {}, 1)
    await saveSnapshot(path, r)
    const bytes = await readFile(path)
    await writeFile(path, bytes.subarray(0, bytes.byteLength - 3))
    expect(await loadSnapshot(path).catch((e: unknown) => e)).to.be.instanceOf(SnapshotError)
  })

  it('a restarted node loads its snapshot and pulls only what is newer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'also-cache-snap-'))
    const snapshotPath = join(dir, 'c.snap')
    const [a, b] = await startCluster(2, FAST)
    await a.call('load', 'old', 2000)
    const c1 = await startNode({ ...FAST, bootstrap: a.addresses, snapshotPath })
    await c1.call('warmed')
    await waitFor(async () => ((await c1.call('dump')) as unknown[]).length === 2000, { timeoutMs: 10_000, what: 'c to hold the old keys' })
    await c1.call('close')
    await c1.exited
    await a.call('load', 'new', 100)
    const c2 = await startNode({ ...FAST, bootstrap: [...a.addresses, ...b.addresses], snapshotPath })
    const done = (await c2.call('warmed')) as { snapshot: string; entries: number }
    expect(done.snapshot).to.equal('used')
    await waitFor(async () => JSON.stringify(await c2.call('dump')) === JSON.stringify(await a.call('dump')), {
      timeoutMs: 10_000,
      what: 'the restarted node identical to its peers',
    })
    // From peers it pulled only the 100 new keys (plus its own left member's nothing): far fewer than 2100.
    const stats = (await c2.call('stats')) as { warmup: { entries: number } }
    expect(stats.warmup.entries - 2000).to.be.below(400)
  })
})
