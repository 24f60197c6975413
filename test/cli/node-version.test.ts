// The bin on a Node older than 22: it must say which Node it needs and exit 1, before any
// import can fail with something cryptic (Node 20 reported `Promise.withResolvers is not a
// function` as a bad flag). Runs the entry with an old system Node when this machine has
// one; the entry is type-stripped by this (new) Node, as the build would emit it.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { MAIN } from './cli-process.ts'

/** A `node` binary older than 22 on this machine (/usr/bin/node, then the PATH), if any. */
function findOldNode(): { path: string; version: string } | undefined {
  const which = spawnSync('which', ['-a', 'node'], { encoding: 'utf8' })
  const candidates = ['/usr/bin/node', ...(which.stdout ?? '').split('\n').filter((l) => l !== '')]
  for (const path of new Set(candidates)) {
    const r = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 })
    const version = (r.stdout ?? '').trim()
    const major = Number(/^v(\d+)\./.exec(version)?.[1])
    if (r.status === 0 && major < 22) return { path, version }
  }
  return undefined
}

/** The entry as the build emits it, types removed (in a child: stripTypeScriptTypes warns that it is experimental). */
function stripTypes(source: string): string {
  const script = "process.stdout.write(require('node:module').stripTypeScriptTypes(require('node:fs').readFileSync(0, 'utf8')))"
  const r = spawnSync(process.execPath, ['--no-warnings', '--input-type=commonjs', '-e', script], { input: source, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`could not strip types from the entry: ${r.stderr}`)
  return r.stdout
}

describe('cli node version', function () {
  this.timeout(30_000)
  const old = findOldNode()

  it(
    old === undefined
      ? 'the bin on Node < 22 says "Node ≥ 22 is required", exits 1 — SKIPPED: no Node < 22 here (/usr/bin/node, which -a node)'
      : `the bin on Node < 22 (${old.version}) says "Node ≥ 22 is required" and exits 1`,
    function () {
      if (old === undefined) {
        process.stderr.write('\n  no Node < 22 found (/usr/bin/node, `which -a node`): skipping the old-Node check of the bin\n')
        this.skip()
      }
      const dir = mkdtempSync(join(tmpdir(), 'also-cache-old-node-'))
      try {
        const entry = join(dir, 'main.mjs')
        writeFileSync(entry, stripTypes(readFileSync(MAIN, 'utf8')))
        const r = spawnSync(old.path, [entry, '--help'], { encoding: 'utf8', timeout: 20_000 })
        expect(r.status, r.stderr).to.equal(1)
        expect(r.stderr).to.include(`Node ≥ 22 is required (this is ${old.version})`)
        expect(r.stderr).to.not.match(/withResolvers|ERR_CLI_BAD_FLAG|SyntaxError/)
        expect(r.stdout).to.equal('')
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  )
})
