// Replication beside SWIM (lib/replication/sim/): N nodes, each a SWIM core, an engine and a
// replica, on one seeded network with loss, reordering, a crash, a partition long enough for
// SWIM to declare the other side dead, its healing, and a join. A failure prints the seed and
// the command that replays it:
//   SIM_SEED=<seed> npx mocha --no-config test/replication/replication-sim.test.ts
import { expect } from 'chai'
import { compareVersions } from '../../crdt/index.ts'
import { ReplicationSim, report, spreadWrites } from '../../lib/replication/sim/index.ts'
import { forSeeds } from '../support/seed.ts'

const REPLAY = 'npx mocha --no-config test/replication/replication-sim.test.ts'

/** Checked from the replicas themselves, not from the simulator's incremental count. */
function expectEveryWriteEverywhere(sim: ReplicationSim): void {
  const live = sim.live()
  const writers = sim.nodes.filter((n) => (n.replica?.log.lastSeq ?? 0) > 0)
  for (const node of live) {
    const r = node.replica!
    for (const [key, newest] of sim.convergence.keys) {
      const e = r.getEntry(key, sim.nowMs)
      expect(e, `${node.id} lacks ${key}`).to.not.equal(undefined)
      expect(compareVersions(e!.version, newest), `${node.id} holds an older ${key}`).to.equal(0)
    }
    // Every seq of every writer is accounted for here: each write reached this node (or a newer one of its key did).
    for (const w of writers) {
      if (w === node) continue
      const p = r.progress.progress(w.replica!.origin)
      expect(p?.contiguous ?? 0, `${node.id}'s seqs of ${w.id}`).to.equal(w.replica!.log.lastSeq)
    }
  }
}

/** Runs the simulation (simulated time, in 100 ms steps, at most `maxMs`) until `check` stops throwing. */
function runWhileFailing(sim: ReplicationSim, maxMs: number, check: () => void): void {
  const until = sim.nowMs + maxMs
  while (sim.nowMs < until) {
    try {
      return check()
    } catch {
      sim.runUntil(sim.nowMs + 100)
    }
  }
}

function runPartitionScenario(seed: number, rejoinOnContact: boolean): void {
  const sim = new ReplicationSim({ nodes: 10, seed, loss: 0.05, delayMeanMs: 5, rejoinOnContact })
  sim.run(1000)
  sim.crash(9)
  const writers = [0, 1, 2, 3, 4, 5, 6, 7, 8]
  spreadWrites(sim, { writes: 150, overMs: 1500, keys: 60, writers })
  // Halves cut off long enough for SWIM to declare the other side dead: the engines get memberDown.
  sim.partition([0, 1, 2, 3, 4])
  spreadWrites(sim, { writes: 150, overMs: 20_000, keys: 60, writers })
  expect(sim.memberEvents.dead, 'SWIM declared members dead').to.be.greaterThan(0)
  expect(sim.nodes[0].swim!.aliveMembers().length, "n0's view lost the other half").to.be.below(8)
  sim.heal()
  const joiner = sim.join()
  spreadWrites(sim, { writes: 100, overMs: 1000, keys: 60, writers })
  const ms = sim.runToConvergence(300_000)
  expect(ms, `no convergence within 300 s of simulated time (${sim.convergence.missing} keys missing)`).to.not.equal(undefined)
  expect(sim.live().length).to.equal(10)
  expect(sim.nodes[joiner].replica!.store.size, 'the joiner holds every key').to.equal(sim.convergence.keys.size)
  // The values converged; a seq whose write was superseded before it arrived is accounted for by
  // the next anti-entropy round (2 s): allow three, then every seq must be.
  runWhileFailing(sim, 6_000, () => expectEveryWriteEverywhere(sim))
  expectEveryWriteEverywhere(sim)
}

describe('replication beside SWIM (lib/replication/sim)', function () {
  this.timeout(60_000)

  for (const rejoinOnContact of [true, false]) {
    const how = rejoinOnContact ? 'a contact from the other side rejoins' : "SWIM's push-pull alone merges the views"
    it(`converges after loss, a crash, a healed partition SWIM saw, and a join (${how}): every write reaches every live node`, () => {
      forSeeds(8, REPLAY, (seed) => runPartitionScenario(seed, rejoinOnContact))
    })
  }

  it('reports traffic per write: the writer sends one copy per live member, each other node receives about one', () => {
    forSeeds(1, REPLAY, (seed) => {
      const sim = new ReplicationSim({ nodes: 10, seed })
      sim.run(1000)
      sim.resetCounters()
      // 20 writes/s per node: one write per batch.
      spreadWrites(sim, { writes: 200, overMs: 1000, keys: 100 })
      expect(sim.runToConvergence(10_000)).to.be.a('number')
      const r = report(sim)
      expect(r.writes).to.equal(200)
      expect(r.writer.framesPerWrite).to.be.within(8, 9)
      expect(r.receiver.framesPerWrite).to.be.within(0.9, 1)
      expect(r.receiver.bytesPerWrite).to.be.greaterThan(100)
      expect(r.lost).to.equal(0)
      expect(r.swim.messagesPerSecPerNode).to.be.greaterThan(0)
      // Each write applied at the 9 others, but for the few a newer write of the same key overtook (stale there).
      expect(r.applyDelay.samples).to.be.within(200 * 9 * 0.95, 200 * 9)
      expect(r.applyDelay.p99Ms).to.be.below(50)
      expect(r.perWritePerNode.bytesSent).to.equal(r.perWritePerNode.bytesReceived)
    })
  })

  it('replays a run exactly from its seed', () => {
    const run = (): unknown => {
      const sim = new ReplicationSim({ nodes: 8, seed: 42, loss: 0.1, duplicate: 0.05 })
      spreadWrites(sim, { writes: 100, overMs: 500, keys: 30 })
      sim.runToConvergence(30_000)
      return report(sim)
    }
    expect(run()).to.deep.equal(run())
  })

  it('refuses bad options with the option named', () => {
    expect(() => new ReplicationSim({ nodes: 1, seed: 1 })).to.throw(/nodes/)
    expect(() => new ReplicationSim({ nodes: 3, seed: 1, loss: 2 })).to.throw(/loss/)
    expect(() => new ReplicationSim({ nodes: 3, seed: 1, profile: 'moon' as never })).to.throw(/profile/)
  })
})
