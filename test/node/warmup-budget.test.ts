// The warm-up byte budget counts only what the receiver can hold (issue 13, finding 7): a node
// with a small store that warms up from a peer holding one entry it can never store must not
// spend its budget on that entry, and whatever a budget cut left out is left for repair (the
// origin is not baselined as complete), so anti-entropy finds it.
import { expect } from 'chai'
import { createCacheNode, type CacheNode, type CacheNodeInit } from '../../lib/index.ts'
import { waitFor } from '../support/cluster.ts'

const FAST = { swim: { profile: 'local' as const }, antiEntropyIntervalMs: 300, gapGraceMs: 20 }
const SMALL_KEYS = 60
const HUGE_BYTES = 230 * 1024

describe('warm-up budget', function () {
  const nodes: CacheNode[] = []
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.close()))
  })

  /**
   * A holds 60 small keys and, written last (the newest entry, so since() sends it first),
   * one of 230 KiB. B's store of 256 KiB (maxEntryBytes ≈ 25.6 KiB) can never hold it, and
   * sent whole it weighs 88 % of B's warm-up budget.
   */
  async function warmSmallNodeFromBigOne(bInit: CacheNodeInit): Promise<{ a: CacheNode; b: CacheNode }> {
    const a = await createCacheNode({ ...FAST, warmupPeers: 0 })
    nodes.push(a)
    for (let i = 0; i < SMALL_KEYS; i++) await a.set(`small${i}`, new Uint8Array(1000).fill(i))
    await a.set('huge', new Uint8Array(HUGE_BYTES).fill(7))
    await a.flush()
    const b = await createCacheNode({ ...FAST, maxBytes: 256 * 1024, bootstrap: a.addresses(), ...bInit })
    nodes.push(b)
    expect(b.maxEntryBytes).to.be.below(HUGE_BYTES)
    return { a, b }
  }

  async function expectEverySmallKey(b: CacheNode): Promise<void> {
    // Within a few anti-entropy periods and repair ticks, every small key is on B.
    await waitFor(() => Array.from({ length: SMALL_KEYS }, (_, i) => b.get(`small${i}`)).every((v) => v !== undefined), {
      timeoutMs: 10_000,
      what: `all ${SMALL_KEYS} small keys on the small node (it holds ${[...b.entries()].length})`,
    })
    for (let i = 0; i < SMALL_KEYS; i++) expect(b.get(`small${i}`)?.[0], `small${i}`).to.equal(i)
    expect(b.get('huge')).to.equal(undefined)
    b.validate()
  }

  it('warmUp from a peer holding an entry too large for the receiver gets it as a ghost and every small key', async () => {
    const { a, b } = await warmSmallNodeFromBigOne({})
    const done = await b.warmedUp
    expect(done.failedSlices).to.equal(0)
    expect(done.complete, 'the budget was not spent on the value B cannot hold').to.equal(true)
    expect(done.bytes).to.be.below(100 * 1024)
    expect(a.stats().syncServed.ghostsTooLarge).to.equal(1)
    // The huge key is known by its version (a shadow): an older write to it is refused (G4).
    await expectEverySmallKey(b)
  })

  it('warmUp cut short by its budget baselines no origin: repair pulls the keys the cut left out', async () => {
    // With its own sizeOf, B cannot tell peers what it can hold: the huge value comes whole,
    // spends most of the budget, and the cut leaves small keys out.
    const { b } = await warmSmallNodeFromBigOne({ store: { sizeOf: (key, value) => key.length + value.byteLength + 288 } })
    const done = await b.warmedUp
    expect(done.failedSlices).to.equal(0)
    expect(done.complete, 'the budget cut the stream').to.equal(false)
    expect([...b.entries()].length).to.be.below(SMALL_KEYS)
    await expectEverySmallKey(b)
    expect(b.stats().repair.rangeDeltas, 'repaired from the origin log').to.be.greaterThan(0)
  })
})
