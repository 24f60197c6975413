// The soak for 60 seconds (issue 13, item 7; the 10-minute one is `npm run soak`, same code:
// bench/_soak.ts): 5 node processes in network namespaces, reads and writes at half the measured
// maximum (capped so the rest of the suite keeps its machine), a kill -9 and restart every
// 20 s, one partition of 10 s (2 hosts against 3). Asserted: no stale read, no lost
// acknowledged write, no divergent key after healing, no crash, every restart warmed up, and
// RSS under a generous bound. No RSS trend is asserted here: a minute is too short to tell a
// leak from warm-up and GC, and the assertion would flake; `npm run soak` reports the trend.
//
// Found by this soak (seed 1, 30 s runs on a loaded machine, 40+ divergent keys): a node that
// first heard a writer above seq 1 took the seqs below as seen, for good (crdt/seq-tracker.ts,
// "assumePrefix"; reproduced in test/crdt/seq-tracker.test.ts and test/node/first-sighting.test.ts).
//
// Replay: SOAK_SEED=2 npx mocha --no-config --timeout 0 test/chaos/soak.test.ts (the seed fixes
// the workload, the victims and the partition's sides; the interleaving with the real network is
// not replayable bit for bit). The run's figures and RSS table are printed.
import { expect } from 'chai'
import { runSoak, type SoakResult } from '../../bench/_soak.ts'
import { formatSoak } from '../../bench/_soak-report.ts'
import { netnsUnavailable } from '../support/netns.ts'

const SEED = Number(process.env.SOAK_SEED ?? 1)
/** Generous: a node starts at ~190 MB here and sits at 250–300 MB after this minute (up to ~500 MB in the 10-minute soak). */
const RSS_BOUND_MB = 1024

describe('soak, 60 s (5 nodes, kill -9 every 20 s, one partition)', function () {
  this.timeout(300_000)
  const why = netnsUnavailable()
  if (why !== undefined) {
    it.skip(`skipped: ${why}`)
    return
  }
  it(`seed ${SEED}: no stale read, no lost acked write, no divergent key, RSS bounded`, async function () {
    const r: SoakResult = await runSoak({
      durationS: 60,
      nodes: 5,
      seed: SEED,
      rateMax: 300,
      killEveryS: 20,
      partitionS: 10,
      sampleS: 5,
      probeS: 3,
    })
    console.log(`\n${formatSoak(r)}\nreplay: SOAK_SEED=${SEED} npx mocha --no-config --timeout 0 test/chaos/soak.test.ts`)
    expect(r.crashes, 'crashes').to.deep.equal([])
    expect(r.restartFailures, 'restarts that did not warm up').to.deep.equal([])
    const figures = { staleReads: r.staleReads, lostAckedWrites: r.lostAckedWrites, divergentKeys: r.divergentKeys }
    expect(figures).to.deep.equal({ staleReads: 0, lostAckedWrites: 0, divergentKeys: 0 })
    expect(r.rssMaxMb).to.be.greaterThan(0).and.lessThan(RSS_BOUND_MB)
    // Work was done: writes at a useful rate, kills and restarts, acked writes that resolved.
    expect(r.writes).to.be.at.least(3_000)
    expect(r.acked).to.be.at.least(50)
    expect(r.kills).to.be.at.least(2)
    expect(r.restarts).to.equal(r.kills)
    expect(r.partition).to.not.equal(undefined)
  })
})
