// Properties of the replication engine over the simulated network (sim-network.ts): N engines
// with their own replicas, per-message delay (reordering), loss, duplication, partitions and a
// paused member, all from one seed. A failure prints the seed and the command that replays it:
//   SIM_SEED=<seed> npx mocha --no-config test/replication/sim.test.ts
import { expect } from 'chai'
import fc from 'fast-check'
import { SimNetwork, type SimNode } from './sim-network.ts'
import type { EngineOutput } from '../../lib/replication/index.ts'
import { forSeeds, propertyParams } from '../support/seed.ts'

const REPLAY = 'npx mocha --no-config test/replication/sim.test.ts'

const enc = new TextEncoder()

/** Random writes on random nodes over `ms` of simulated time; some deletes, some acknowledged. */
function workload(sim: SimNetwork, writes: number, ms: number, keys: number, ackEvery = 0): void {
  const step = ms / writes
  for (let i = 0; i < writes; i++) {
    const n = sim.rng.int(sim.nodes.length)
    if (sim.nodes[n].paused) continue
    const key = `k${sim.rng.int(keys)}`
    const ackId = ackEvery > 0 && i % ackEvery === 0 ? i : undefined
    if (sim.rng.next() < 0.1) sim.delete(n, key, ackId)
    else sim.set(n, key, enc.encode(`v${i}-${sim.rng.nextUint32()}`), ackId)
    sim.run(sim.rng.next() * 2 * step)
  }
}

describe('replication engine over a simulated network', function () {
  this.timeout(60_000)

  it('converges after loss, duplication, reordering, a partition and a paused member end (every seed)', () => {
    forSeeds(20, REPLAY, (seed) => {
      const sim = new SimNetwork({ n: 3 + (seed % 3), seed, loss: 0.1, duplicate: 0.05, delayMs: [1, 40] })
      workload(sim, 300, 1000, 100)
      sim.partition([0], sim.nodes.slice(1).map((n) => n.index))
      workload(sim, 300, 1000, 100)
      sim.heal()
      sim.pause(1)
      workload(sim, 300, 1000, 100)
      sim.resume(1)
      sim.quiet()
      sim.run(15_000)
      expect(sim.divergent(), 'replicas that differ from node 0').to.deep.equal([])
      expect(sim.state(0).length).to.be.greaterThan(50)
    })
  })

  it('converges for any fault mix: N, loss, duplication and delay drawn by fast-check (replay: FC_SEED=<seed>)', () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer({ min: 1, max: 0x7fffffff }),
          n: fc.integer({ min: 2, max: 7 }),
          loss: fc.double({ min: 0, max: 0.4, noNaN: true }),
          duplicate: fc.double({ min: 0, max: 0.3, noNaN: true }),
          maxDelay: fc.integer({ min: 0, max: 200 }),
          pause: fc.boolean(),
        }),
        ({ seed, n, loss, duplicate, maxDelay, pause }) => {
          const sim = new SimNetwork({ n, seed, loss, duplicate, delayMs: [0, maxDelay], tuning: { maxQueueBytes: 32 * 1024 } })
          if (pause) sim.pause(n - 1)
          workload(sim, 300, 1500, 60, 25)
          if (pause) sim.resume(n - 1)
          sim.quiet()
          sim.run(20_000)
          expect(sim.divergent(), `replicas that differ from node 0 (sim seed ${seed})`).to.deep.equal([])
        },
      ),
      propertyParams(25),
    )
  })

  it('outputs every remote delta exactly once as `applied` (replica apply count = applied outputs)', () => {
    forSeeds(10, REPLAY, (seed) => {
      const sim = new SimNetwork({ n: 4, seed, loss: 0.1, duplicate: 0.1, delayMs: [1, 30] })
      workload(sim, 400, 2000, 50)
      sim.quiet()
      sim.run(10_000)
      for (const n of sim.nodes) {
        const s = n.replica.stats()
        expect(n.appliedOutputs, n.id).to.equal(s.applied + s.stale + s.dropped)
        const e = n.engine.stats()
        expect(n.appliedOutputs, n.id).to.equal(e.applied + e.stale + e.dropped)
      }
      expect(sim.converged()).to.equal(true)
    })
  })

  it('completes an ack only when every live member has applied the write (or a newer one)', () => {
    forSeeds(8, REPLAY, (seed) => {
      let acked = 0
      const onEvent = (node: SimNode, o: EngineOutput): void => {
        if (o.type !== 'ack' || o.missing.length > 0 || o.refused.length > 0) return
        acked++
        const w = written.get(`${node.index}:${o.ackId}`) as { key: string; hlc: number }
        for (const other of sim.nodes) {
          if (other === node) continue
          // Applied there: the key holds this write or a newer one (entry or tombstone), never older.
          const newest = [...other.replica.since(0 as never)].find((d) => d.key === w.key)
          expect(newest, `${other.id} holds nothing of ${w.key} when ack ${o.ackId} of ${node.id} completed`).to.not.equal(undefined)
          expect((newest as { version: { hlc: number } }).version.hlc).to.be.at.least(w.hlc)
        }
      }
      const written = new Map<string, { key: string; hlc: number }>()
      const sim = new SimNetwork({ n: 4, seed, loss: 0.2, duplicate: 0.05, delayMs: [1, 30], onEvent, tuning: { ackTimeoutMs: 60_000 } })
      for (let i = 0; i < 200; i++) {
        const n = sim.rng.int(4)
        const key = `k${sim.rng.int(40)}`
        const d = i % 3 === 0 ? sim.delete(n, key, i) : sim.set(n, key, enc.encode(`v${i}`), i)
        written.set(`${n}:${i}`, { key, hlc: d.version.hlc })
        sim.run(sim.rng.next() * 10)
      }
      sim.quiet()
      sim.run(10_000)
      const acks = sim.nodes.flatMap((n) => n.events.filter((e) => e.type === 'ack'))
      expect(acks.length, 'every acknowledged write finished').to.equal(200)
      expect(acked, 'all of them succeeded (no member refused, none missing)').to.equal(200)
    })
  })

  it('keeps a paused member\'s queue within its byte bound, and catches it up after it resumes', () => {
    forSeeds(5, REPLAY, (seed) => {
      const bound = 64 * 1024
      const behind: string[] = []
      const sim = new SimNetwork({
        n: 3,
        seed,
        delayMs: [1, 5],
        tuning: { maxQueueBytes: bound, batchMaxDeltas: 16 },
        onEvent: (node, o) => void (o.type === 'behind' && behind.push(`${node.id}→${o.peer}`)),
      })
      sim.pause(2)
      for (let i = 0; i < 4000; i++) {
        sim.set(i % 2, `k${i % 1500}`, new Uint8Array(100).fill(i & 0xff))
        if (i % 20 === 0) sim.run(1)
        for (const n of sim.nodes.slice(0, 2)) expect(n.engine.queuedBytes('n2')).to.be.at.most(bound)
      }
      sim.run(500)
      expect(behind.sort()).to.deep.equal(['n0→n2', 'n1→n2'])
      for (const n of sim.nodes.slice(0, 2)) {
        expect(n.engine.isBehind('n2')).to.equal(true)
        expect(n.engine.stats().maxQueuedBytes).to.be.at.most(bound)
      }
      sim.resume(2)
      sim.run(15_000)
      expect(sim.divergent()).to.deep.equal([])
      for (const n of sim.nodes.slice(0, 2)) expect(n.engine.isBehind('n2')).to.equal(false)
      expect(sim.nodes[2].engine.stats().repair.rangeDeltas).to.be.greaterThan(0)
    })
  })

  it('turns a malformed-frame flood into exactly one offender output per window', () => {
    forSeeds(3, REPLAY, (seed) => {
      const sim = new SimNetwork({ n: 3, seed, tuning: { malformedLimit: 10, malformedWindowMs: 60_000 } })
      const junk = (): Uint8Array => Uint8Array.from({ length: 1 + sim.rng.int(40) }, () => sim.rng.int(256))
      const flood = (): void => {
        for (let i = 0; i < 1000; i++) {
          sim.inject('mallory', 0, junk())
          if (i % 100 === 0) sim.run(100)
        }
      }
      flood()
      workload(sim, 50, 500, 20)
      const offenders = (): EngineOutput[] => sim.nodes[0].events.filter((e) => e.type === 'offender')
      expect(offenders()).to.have.length(1)
      expect(offenders()[0]).to.include({ peer: 'mallory' })
      sim.run(60_000)
      flood()
      expect(offenders()).to.have.length(2)
      sim.quiet()
      sim.run(5_000)
      expect(sim.converged(), 'the flood cost the honest members nothing').to.equal(true)
    })
  })
})
