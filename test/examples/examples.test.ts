// Every example in examples/ runs under test, as a user would run it.
import { expect } from 'chai'
import { execFile, spawn } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)
const runExample = (file: string) => run(process.execPath, [`examples/${file}`], { timeout: 60_000 })

describe('examples', () => {
  it('write-through-sqlite.ts: acked invalidation, database write, versioned set; never the old row', async () => {
    const { stdout } = await runExample('write-through-sqlite.ts')
    expect(stdout).to.include('read on b: Ada\n')
    expect(stdout).to.include('after the write on a, b reads: Ada Lovelace')
    expect(stdout).to.include('version on b: 2')
  })

  it('yjs-collaborative.ts: concurrent yjs edits on two nodes merge into one document', async () => {
    const { stdout } = await runExample('yjs-collaborative.ts')
    expect(stdout).to.include("node a sees: [ 'buy milk', 'write docs' ]")
    expect(stdout).to.include("node b sees: [ 'buy milk', 'write docs' ]")
  })

  it('private-cluster.ts: members replicate, a process without the key is refused', async () => {
    const { stdout } = await runExample('private-cluster.ts')
    expect(stdout).to.include('member b reads: only members see this')
    expect(stdout).to.include('outsider could not join')
    expect(stdout).to.include('outsider reads: (nothing)')
  })

  it('embedded-http-service.ts: serves PUT and GET from the embedded node, stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['examples/embedded-http-service.ts'], {
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = ''
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString()
          const m = /(http:\/\/127\.0\.0\.1:\d+)\//.exec(out)
          if (m) resolve(m[1])
        })
        child.once('exit', (code) => reject(new Error(`example exited (${code}) before serving`)))
      })
      expect((await fetch(`${url}/greeting`, { method: 'PUT', body: 'hello' })).status).to.equal(204)
      const res = await fetch(`${url}/greeting`)
      expect(res.status).to.equal(200)
      expect(await res.text()).to.equal('hello')
      expect((await fetch(`${url}/missing`)).status).to.equal(404)
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      expect(await exited).to.equal(0)
    } finally {
      child.kill('SIGKILL')
    }
  })
})
