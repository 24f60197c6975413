// `npm start`: the cluster walkthrough runs every step on loopback and exits 0 by itself.
import { expect } from 'chai'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

describe('npm start (lib/cli/walkthrough.ts)', () => {
  it('starts 3 nodes, replicates, detects a killed node, warms up a fresh one, stops, exits 0', async () => {
    const { stdout } = await run(process.execPath, ['lib/cli/walkthrough.ts', '--keys', '300'], { timeout: 90_000 })
    expect(stdout).to.match(/all three see each other alive \(SWIM\) after \d+ ms/)
    expect(stdout).to.include('GET on node-3: "hello from node-1"')
    expect(stdout).to.match(/every node now serves: "written by node-\d"/)
    expect(stdout).to.match(/node-1 sees node-3 as dead/)
    expect(stdout).to.match(/node-4 holds all [\d,]+ entries after \d+ ms/)
    expect(stdout).to.match(/hit ratio \d+\.\d%/)
    expect(stdout).to.include('curl http://127.0.0.1:')
    expect(stdout).to.include('done.')
  })
})
