// Local snapshots: saved on close, loaded at the next start, then only since(snapshot clock)
// is pulled from peers. A path holding anything but a snapshot is refused before the node
// listens and never written; a snapshot that cannot be used is reported, never swallowed.
import { expect } from 'chai'
import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_MAX_CLOCK_DRIFT_MS, Replica } from '../../crdt/index.ts'
import { createCacheNode, type SnapshotRefused } from '../../lib/index.ts'
import { decodeSnapshot, loadSnapshot, saveSnapshot, SnapshotError } from '../../lib/node/snapshot.ts'
import { crc32 } from 'node:zlib'
import { mutate, prng } from '../../bench/_fuzz.ts'
import { testSeed } from '../support/seed.ts'
import { killAll, startCluster, startNode, waitFor } from '../support/cluster.ts'

const FAST = { swim: { profile: 'local' }, antiEntropyIntervalMs: 500 }
const FUZZ_INPUTS = Number(process.env.FUZZ_INPUTS ?? 20_000)
/** "ACSNAP" and the format version byte. */
const HEADER_BYTES = 7

describe('snapshot files', function () {
  after(killAll)

  it('saveSnapshot then loadSnapshot gives back every entry and tombstone, in a 0600 file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'also-cache-snap-'))
    const path = join(dir, 'node.snap')
    const r = new Replica({ nodeId: 'n1', maxBytes: 1 << 20 })
    for (let i = 0; i < 300; i++) r.set(`k${i}`, new TextEncoder().encode(`v${i}`), {}, 1_000 + i)
    r.delete('k7', {}, 2_000)
    const saved = await saveSnapshot(path, r, 'default')
    expect((await stat(path)).mode & 0o777).to.equal(0o600)
    const loaded = await loadSnapshot(path, 'default')
    expect(loaded?.deltas.length).to.equal(saved.deltas)
    expect(loaded?.clock).to.equal(r.clock)
    const copy = new Replica({ nodeId: 'n2', maxBytes: 1 << 20 })
    for (const d of loaded!.deltas) copy.apply(d, 3_000)
    expect([...copy.entries(3_000)].map((e) => e.key).sort()).to.deep.equal([...r.entries(3_000)].map((e) => e.key).sort())
    expect(copy.get('k7', 3_000)).to.equal(undefined)
    expect(await loadSnapshot(join(dir, 'missing.snap'), 'default')).to.equal(undefined)
  })

  it('loadSnapshot refuses a corrupt file with SnapshotError (code ERR_SNAPSHOT)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'also-cache-snap-'))
    const path = join(dir, 'bad.snap')
    await writeFile(path, new TextEncoder().encode('not a snapshot at all'))
    const err = await loadSnapshot(path, 'default').catch((e: unknown) => e)
    expect(err).to.be.instanceOf(SnapshotError).with.property('code', 'ERR_SNAPSHOT')
    expect(err).to.have.property('reason', 'not-a-snapshot')
    const truncated = join(dir, 'truncated.snap')
    const r = new Replica({ nodeId: 'n1', maxBytes: 1 << 20 })
    r.set('a', new Uint8Array(10), {}, 1)
    await saveSnapshot(truncated, r, 'default')
    const bytes = await readFile(truncated)
    await writeFile(truncated, bytes.subarray(0, bytes.byteLength - 3))
    expect(await loadSnapshot(truncated, 'default').catch((e: unknown) => e))
      .to.be.instanceOf(SnapshotError)
      .with.property('reason', 'corrupt')
  })

  it('loadSnapshot refuses a file with one flipped value byte (checksum) and one of another cluster', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'also-cache-snap-'))
    const path = join(dir, 'node.snap')
    const r = new Replica({ nodeId: 'n1', maxBytes: 1 << 20 })
    r.set('k', new TextEncoder().encode('value-AAAAAAAAAAAAAAAA'), {}, 1_000)
    await saveSnapshot(path, r, 'one')
    expect((await loadSnapshot(path, 'one'))?.deltas.length).to.equal(1)
    expect(await loadSnapshot(path, 'two').catch((e: unknown) => e))
      .to.be.instanceOf(SnapshotError)
      .with.property('reason', 'other-cluster')
    const bytes = await readFile(path)
    const at = bytes.indexOf(Buffer.from('AAAA'))
    bytes[at] = 'B'.charCodeAt(0) // still decodes: only the checksum can tell
    await writeFile(path, bytes)
    const err = await loadSnapshot(path, 'one').catch((e: unknown) => e)
    expect(err).to.be.instanceOf(SnapshotError).with.property('reason', 'corrupt')
    expect((err as Error).message).to.include('checksum')
  })

  it(
    `decodeSnapshot throws only SnapshotError on ${FUZZ_INPUTS.toLocaleString('en')} mutated files (half past a fixed-up checksum)`,
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'also-cache-snap-'))
      const corpus: Uint8Array[] = []
      for (let n = 1; n <= 4; n++) {
        const r = new Replica({ nodeId: `n${n}`, maxBytes: 1 << 20 })
        for (let i = 0; i < n * 3; i++) {
          r.set(`k${i}`, new TextEncoder().encode(`v${i}`), { ttlMs: i % 2 === 0 ? 10_000 : undefined }, 1_000 + i)
        }
        r.delete('k1', {}, 2_000)
        await saveSnapshot(join(dir, `${n}.snap`), r, 'default')
        corpus.push(await readFile(join(dir, `${n}.snap`)))
      }
      const rnd = prng(testSeed)
      const reasons = new Map<string, number>()
      let decoded = 0
      for (let i = 0; i < FUZZ_INPUTS; i++) {
        const file = corpus[i % corpus.length]
        let input: Uint8Array
        if (i % 2 === 0) {
          input = mutate(file, rnd, { version: file[0], kinds: [] })
        } else {
          // Past the magic, the version and the checksum, so the decoder itself meets the damage.
          const body = mutate(file.subarray(HEADER_BYTES, file.byteLength - 4), rnd, { version: file[HEADER_BYTES], kinds: [] })
          input = new Uint8Array(HEADER_BYTES + body.byteLength + 4)
          input.set(file.subarray(0, HEADER_BYTES))
          input.set(body, HEADER_BYTES)
          new DataView(input.buffer).setUint32(input.byteLength - 4, crc32(input.subarray(0, input.byteLength - 4)) >>> 0)
        }
        try {
          decodeSnapshot(input, 'fuzz', 'default')
          decoded++
        } catch (err) {
          if (!(err instanceof SnapshotError)) {
            throw new Error(`input ${i} (seed ${testSeed}) threw ${String(err)}: ${Buffer.from(input).toString('hex')}`)
          }
          reasons.set(err.reason, (reasons.get(err.reason) ?? 0) + 1)
        }
      }
      expect([...reasons.keys()]).to.include.members(['corrupt', 'not-a-snapshot', 'other-cluster'])
      expect(decoded).to.be.greaterThan(0)
    },
  )

  it('createCacheNode refuses a snapshotPath holding a non-snapshot file and leaves it intact', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'also-cache-snap-'))
    const path = join(dir, 'cluster.key')
    const secret = 'also-cache cluster key: do not lose me\n'
    await writeFile(path, secret, { mode: 0o600 })
    const err = await createCacheNode({ snapshotPath: path, warmupPeers: 0 }).then(
      async (node) => {
        await node.close() // the unfixed node starts, then overwrites the file here
        return undefined
      },
      (e: unknown) => e,
    )
    expect(err).to.be.instanceOf(SnapshotError).with.property('code', 'ERR_SNAPSHOT')
    expect(err).to.have.property('reason', 'not-a-snapshot')
    expect((err as Error).message).to.include('will not overwrite it')
    expect(await readFile(path, 'utf8')).to.equal(secret)
    // Saving there directly is refused too, and leaves nothing beside it.
    const r = new Replica({ nodeId: 'n1', maxBytes: 1 << 20 })
    expect(await saveSnapshot(path, r, 'default').catch((e: unknown) => e))
      .to.be.instanceOf(SnapshotError)
      .with.property('reason', 'not-a-snapshot')
    expect(await readFile(path, 'utf8')).to.equal(secret)
    expect(await readdir(dir)).to.deep.equal(['cluster.key'])
  })

  it('createCacheNode refuses a directory as snapshotPath with SnapshotError and leaves no temporary file', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'also-cache-snap-'))
    const path = join(parent, 'snaps')
    await mkdir(path)
    const err = await createCacheNode({ snapshotPath: path, warmupPeers: 0 }).then(
      async (node) => node.close().then(() => undefined, (e: unknown) => e),
      (e: unknown) => e,
    )
    expect(err).to.be.instanceOf(SnapshotError).with.property('reason', 'directory')
    expect((err as Error).message).to.include('is a directory; pass the path of a file')
    const r = new Replica({ nodeId: 'n1', maxBytes: 1 << 20 })
    expect(await saveSnapshot(path, r, 'default').catch((e: unknown) => e))
      .to.be.instanceOf(SnapshotError)
      .with.property('reason', 'directory')
    expect(await readdir(parent)).to.deep.equal(['snaps'])
    expect(await readdir(path)).to.deep.equal([])
  })

  it('a node whose snapshot is corrupt reports snapshot:refused and stats().snapshot, starts empty, and replaces it on close', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'also-cache-snap-'))
    const path = join(dir, 'node.snap')
    const r = new Replica({ nodeId: 'n1', maxBytes: 1 << 20 })
    for (let i = 0; i < 10; i++) r.set(`k${i}`, new TextEncoder().encode(`value-${i}`), {}, 1_000 + i)
    await saveSnapshot(path, r, 'default')
    const bytes = await readFile(path)
    await writeFile(path, bytes.subarray(0, bytes.byteLength - 5))
    const node = await createCacheNode({ snapshotPath: path, warmupPeers: 0 })
    try {
      const refused = await new Promise<SnapshotRefused>((resolve) => node.addEventListener('snapshot:refused', (e) => resolve(e.detail)))
      expect(refused).to.include({ path, reason: 'corrupt' })
      expect(node.stats().snapshot).to.deep.include({ state: 'refused', reason: 'corrupt' })
      await node.warmedUp
      expect(node.get('k1')).to.equal(undefined)
      await node.set('fresh', new TextEncoder().encode('x'))
    } finally {
      await node.close()
    }
    const again = await loadSnapshot(path, 'default')
    expect(again?.deltas.map((d) => d.key)).to.deep.equal(['fresh'])
  })

  it('a node with a good snapshot loads it (stats().snapshot: loaded); an empty file counts as none', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'also-cache-snap-'))
    const path = join(dir, 'node.snap')
    const r = new Replica({ nodeId: 'n1', maxBytes: 1 << 20 })
    for (let i = 0; i < 10; i++) r.set(`k${i}`, new TextEncoder().encode(`value-${i}`), {}, Date.now() - 1_000 + i)
    await saveSnapshot(path, r, 'default')
    let refused = 0
    const node = await createCacheNode({ snapshotPath: path, warmupPeers: 0 })
    node.addEventListener('snapshot:refused', () => refused++)
    try {
      expect((await node.warmedUp).snapshot).to.equal('used')
      expect(node.stats().snapshot).to.deep.equal({ state: 'loaded', deltas: 10 })
      expect(new TextDecoder().decode(node.get('k3'))).to.equal('value-3')
      expect(refused).to.equal(0)
    } finally {
      await node.close()
    }
    const empty = join(dir, 'empty.snap')
    await writeFile(empty, '')
    const fresh = await createCacheNode({ snapshotPath: empty, warmupPeers: 0 })
    try {
      expect(fresh.stats().snapshot).to.deep.equal({ state: 'none' })
    } finally {
      await fresh.close()
    }
    expect((await loadSnapshot(empty, 'default'))?.deltas.length).to.equal(0)
  })

  it('a restarted node loads its snapshot and pulls only what is newer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'also-cache-snap-'))
    const snapshotPath = join(dir, 'c.snap')
    const [a, b] = await startCluster(2, FAST)
    await a.call('load', 'old', 2000)
    // The file's since-bound is the time c began to close less maxClockDriftMs (snapshotClock):
    // with c's clock one drift ahead, that bound is the others' time then, so the old keys are
    // below it and the new ones above without the test waiting a minute. (c writes nothing, so
    // no one refuses its clock.)
    const ahead = { clockOffsetMs: DEFAULT_MAX_CLOCK_DRIFT_MS }
    const c1 = await startNode({ ...FAST, ...ahead, bootstrap: a.addresses, snapshotPath })
    await c1.call('warmed')
    await waitFor(async () => ((await c1.call('dump')) as unknown[]).length === 2000, { timeoutMs: 10_000, what: 'c to hold the old keys' })
    await c1.call('close')
    await c1.exited
    await a.call('load', 'new', 100)
    const c2 = await startNode({ ...FAST, ...ahead, bootstrap: [...a.addresses, ...b.addresses], snapshotPath })
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
