// The `npm start` program runs to completion and prints both caches' hit ratios.
import { expect } from 'chai'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

describe('examples/trace-replay.ts (npm start)', () => {
  it('replays a synthetic trace through S3FifoStore and lru-cache and exits 0', async () => {
    const { stdout } = await run(process.execPath, ['examples/trace-replay.ts', '--synthetic', '50000'], { timeout: 60_000 })
    expect(stdout).to.match(/\| S3FifoStore \(S3-FIFO\) \|\s+\d+\.\d+% \|/)
    expect(stdout).to.match(/\| lru-cache \(LRU\)\s+\|\s+\d+\.\d+% \|/)
    expect(stdout).to.include('less often than LRU')
  })

  it('refuses a bad --percent with exit code 2', async () => {
    const err = await run(process.execPath, ['examples/trace-replay.ts', '--percent', '0']).catch((e: unknown) => e)
    expect(err).to.have.property('code', 2)
  })
})
