// The snapshot's since-bound (lib/node/snapshot.ts, snapshotClock): the clock saved is the
// wall-clock time close() began less maxClockDriftMs, never the replica's clock at save time. Found
// by the rolling restart (test/cli/rolling-restart.test.ts, which shows the end to end effect):
// with the clock at save time, writes one peer made while the node was leaving (and no longer
// sent it) sat below a clock that another peer's later writes had moved, since() left them
// out, the warm-up's baselines covered their seqs, and the restarted node never got them.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { DEFAULT_MAX_CLOCK_DRIFT_MS, hlcFromParts } from '../../crdt/index.ts'
import { createCacheNode } from '../../lib/index.ts'
import { loadSnapshot } from '../../lib/node/snapshot.ts'

const FAST = { swim: { profile: 'local' as const } }

describe('snapshot since-bound', function () {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'also-cache-snap-restart-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('close() saves the snapshot with its clock at close less maxClockDriftMs', async () => {
    const snapshotPath = join(dir, 'a.snap')
    const a = await createCacheNode({ ...FAST, snapshotPath })
    await a.set('k', new Uint8Array([1]))
    await a.close()
    const saved = await loadSnapshot(snapshotPath, 'default')
    expect(saved?.deltas.length).to.equal(1)
    expect(saved!.clock).to.be.at.most(hlcFromParts(Date.now() - DEFAULT_MAX_CLOCK_DRIFT_MS))
    expect(saved!.clock).to.be.greaterThan(hlcFromParts(Date.now() - DEFAULT_MAX_CLOCK_DRIFT_MS - 60_000))
  })
})
