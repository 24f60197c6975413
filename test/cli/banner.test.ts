// The start-up banner's promise about --identity: the peer id survives a restart, the
// bootstrap address only with a fixed --listen port. With port 0 the banner says so and
// prints the command that keeps the address (the port it got, fixed).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { CliProcess, runCli, stopAll } from './cli-process.ts'

describe('cli banner', function () {
  this.timeout(30_000)
  let dir: string
  before(() => (dir = mkdtempSync(join(tmpdir(), 'also-cache-banner-'))))
  after(async () => {
    await stopAll()
    rmSync(dir, { recursive: true, force: true })
  })

  it('--identity with a free port (tcp/0): says the address will change and prints a fixed-port command', async () => {
    const identity = join(dir, 'node.key')
    const p = await new CliProcess(['--http', '127.0.0.1:0', '--identity', identity, '--cluster', 'banner']).started()
    const port = /\/tcp\/(\d+)\//.exec(p.addresses[0])![1]
    expect(p.stdout).to.match(/port 0|free port/)
    expect(p.stdout).to.include('changes at every start')
    const fixed = p.stdout.split('\n').find((l) => l.includes(`--listen /ip4/127.0.0.1/tcp/${port}`))
    expect(fixed, p.stdout).to.not.equal(undefined)
    expect(fixed).to.include(`--identity ${identity}`)
    expect(fixed).to.include('--cluster banner')
    expect(fixed).to.not.include('/tcp/0')
  })

  it('--identity with a fixed --listen port: no such note', async () => {
    const identity = join(dir, 'node2.key')
    const probe = await new CliProcess(['--http', '127.0.0.1:0']).started()
    const port = /\/tcp\/(\d+)\//.exec(probe.addresses[0])![1]
    probe.child.kill('SIGKILL')
    await probe.exit(10_000)
    const p = await new CliProcess(['--http', '127.0.0.1:0', '--identity', identity, '--listen', `/ip4/127.0.0.1/tcp/${port}`]).started()
    expect(p.stdout).to.not.include('changes at every start')
  })

  it('--help: --identity keeps the bootstrap address only with a fixed --listen port', async () => {
    const r = await runCli(['--help'])
    expect(r.code).to.equal(0)
    const help = r.stdout.replace(/\s+/g, ' ')
    expect(help).to.match(/--identity FILE .*only with a fixed --listen port/)
  })
})
