// Hit ratio on real traces: S3FifoStore must reproduce libCacheSim's S3-FIFO miss counts
// exactly (REFERENCE.md in tracesDir, docs/store.md), for both promotion thresholds, byte and object
// modes, every listed size. The two large traces run in `npm run bench -- store`.
import { expect } from 'chai'
import { S3FifoStore } from '../../lib/index.ts'
import { loadReference, loadTrace, replay, traceFile, tracesDir, type Trace } from '../../examples/traces.ts'

const TESTED_TRACES = ['adaptsize_cdn', 'cache2k_web12', 'cloudphysics_sample']

describe('S3FifoStore on real traces', function () {
  if (traceFile('cache2k_web12') === undefined) {
    it.skip(`needs the traces in ${tracesDir} (set ALSO_CACHE_TRACES to their folder)`)
    return
  }
  const rows = loadReference().filter((r) => TESTED_TRACES.includes(r.trace))
  const traces = new Map<string, Trace>()
  const trace = (name: string): Trace => {
    let t = traces.get(name)
    if (t === undefined) traces.set(name, (t = loadTrace(name)))
    return t
  }

  it('reference table lists every tested trace', () => {
    expect(new Set(rows.map((r) => r.trace))).to.deep.equal(new Set(TESTED_TRACES))
  })

  for (const row of rows) {
    for (const threshold of [1, 2] as const) {
      const expected = threshold === 1 ? row.s3fifo1 : row.s3fifo2
      it(`replay ${row.trace} ${row.mode} C=${row.capacity} threshold ${threshold}: ${expected} misses`, () => {
        const store = new S3FifoStore({
          maxBytes: row.capacity,
          promotionThreshold: threshold,
          sizeOf: row.mode === 'byte' ? (_k, v) => v.byteLength : () => 1,
        })
        expect(replay(store, trace(row.trace))).to.equal(expected)
        store.validate()
      })
    }
  }
})
