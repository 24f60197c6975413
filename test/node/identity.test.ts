// A node id is single-use: a lock file beside the identity file refuses a second process on
// the same host; a copied key on another host is found on the wire (identity:conflict, by
// SWIM's epochs: membership/twin.ts), and a restart with the same file is not.
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { copyFile, mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCacheNode, IdentityFileError, IdentityInUseError, type CacheNode, type IdentityConflict } from '../../lib/index.ts'
import { acquireIdentity, loadOrCreateIdentity } from '../../lib/networking/identity.ts'
import { killAll, startNode, waitFor } from '../support/cluster.ts'

const FAST = { swim: { profile: 'local' as const }, antiEntropyIntervalMs: 300 }
const utf8 = new TextEncoder()
const text = new TextDecoder()

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'also-cache-id-'))
}

/** A pid no process has: one that just exited (the kernel does not reuse it at once). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
  return Number(r.stdout.toString())
}

describe('identity files', function () {
  after(killAll)

  it('loadOrCreateIdentity and createCacheNode refuse a directory with "is a directory", not chmod advice', async () => {
    const dir = await tempDir()
    for (const attempt of [loadOrCreateIdentity(dir), createCacheNode({ identityPath: dir })]) {
      const err = await attempt.then(
        async (r) => ('close' in r ? (r as CacheNode).close() : undefined),
        (e: unknown) => e,
      )
      expect(err).to.be.instanceOf(IdentityFileError).with.property('code', 'ERR_IDENTITY_FILE')
      expect((err as Error).message).to.include('is a directory; pass the path of a key file')
      expect((err as Error).message).not.to.include('chmod')
    }
    expect(await readdir(dir)).to.deep.equal([])
  })

  it('a second process with the same identity file is refused with ERR_IDENTITY_IN_USE before it listens', async () => {
    const dir = await tempDir()
    const path = join(dir, 'node.key')
    const first = await startNode({ ...FAST, identityPath: path })
    expect(await readFile(`${path}.lock`, 'utf8')).to.equal(`${first.child.pid}\n`)
    const err = await createCacheNode({ ...FAST, identityPath: path }).then(
      async (node) => node.close(), // the unfixed node starts with the same id
      (e: unknown) => e,
    )
    expect(err).to.be.instanceOf(IdentityInUseError).with.property('code', 'ERR_IDENTITY_IN_USE')
    expect(err).to.have.property('pid', first.child.pid)
    expect((err as Error).message).to.include('Stop that process, or give this one its own identity file')
    // The refused start left the holder's lock alone; close releases it, and then the key is free.
    expect(await readFile(`${path}.lock`, 'utf8')).to.equal(`${first.child.pid}\n`)
    await first.call('close')
    await first.exited
    expect(await readdir(dir)).to.deep.equal(['node.key'])
    const again = await createCacheNode({ ...FAST, identityPath: path })
    expect(again.id).to.equal(first.id)
    await again.close()
  })

  it('a second node in the same process is refused too, and close() releases the lock', async () => {
    const dir = await tempDir()
    const path = join(dir, 'node.key')
    // Started together: either may win the lock (their file checks race), never both.
    const settled = await Promise.allSettled([
      createCacheNode({ ...FAST, identityPath: path }),
      createCacheNode({ ...FAST, identityPath: path }),
    ])
    const started = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    const refused = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []))
    expect(started).to.have.length(1)
    expect(refused).to.have.length(1)
    expect(refused[0]).to.be.instanceOf(IdentityInUseError).with.property('code', 'ERR_IDENTITY_IN_USE')
    await started[0].close()
    expect(await readdir(dir)).to.deep.equal(['node.key'])
  })

  it('acquireIdentity takes over a stale lock: a dead pid, garbage, or this pid not held here (a restarted container)', async () => {
    const dir = await tempDir()
    const path = join(dir, 'node.key')
    for (const content of [`${deadPid()}\n`, 'garbage', `${process.pid}\n`]) {
      await writeFile(`${path}.lock`, content)
      const lease = await acquireIdentity(path)
      expect(await readFile(`${path}.lock`, 'utf8')).to.equal(`${process.pid}\n`)
      await lease.release()
      expect(await readdir(dir)).to.deep.equal(['node.key'])
    }
    expect((await stat(path)).mode & 0o777).to.equal(0o600)
  })

  it('identity:conflict: a node learns that a process started later runs with its id (a copied key file)', async function () {
    this.timeout(60_000)
    const dir = await tempDir()
    const keyA = join(dir, 'a.key')
    const keyB = join(dir, 'b.key')
    await loadOrCreateIdentity(keyA)
    await copyFile(keyA, keyB) // "another host": the lock guards one path, so both start
    const nodes: CacheNode[] = []
    try {
      const a = await createCacheNode({ ...FAST, identityPath: keyA })
      nodes.push(a)
      const conflicts: IdentityConflict[] = []
      a.addEventListener('identity:conflict', (e) => conflicts.push(e.detail))
      const p = await createCacheNode({ ...FAST, bootstrap: a.addresses() })
      nodes.push(p)
      await waitFor(() => p.members().filter((m) => m.state === 'alive').length === 2, { timeoutMs: 15_000, what: 'p to join a' })
      const b = await createCacheNode({ ...FAST, identityPath: keyB, bootstrap: p.addresses() })
      nodes.push(b)
      expect(b.id).to.equal(a.id)
      // p answers b's join on its stream to the id, which reaches a: b's writes reach nobody,
      // but the answer names b's epoch (no write needed; these show it changes nothing).
      for (let i = 0; i < 10; i++) await b.set(`k${i}`, utf8.encode(`from-b-${i}`))
      await b.flush()
      await waitFor(() => conflicts.length > 0, { timeoutMs: 30_000, what: 'a to report the twin' })
      expect(conflicts[0]).to.include({ nodeId: a.id, from: p.id })
      expect(conflicts[0].otherEpoch).to.be.above(conflicts[0].epoch)
      expect(conflicts[0].hint).to.include('another process is running with this node\'s id')
      expect(a.stats().identityConflicts).to.equal(1)
    } finally {
      await Promise.all(nodes.map((n) => n.close()))
    }
  })

  it('identity:conflict: a restart with the same identity file (new epoch, old process killed) is reported by nobody', async function () {
    this.timeout(60_000)
    const dir = await tempDir()
    const key = join(dir, 'node.key')
    const old = await startNode({ ...FAST, identityPath: key })
    const nodes: CacheNode[] = []
    const conflicts: IdentityConflict[] = []
    try {
      const p = await createCacheNode({ ...FAST, bootstrap: old.addresses })
      nodes.push(p)
      p.addEventListener('identity:conflict', (e) => conflicts.push(e.detail))
      await waitFor(() => p.members().some((m) => m.id === old.id && m.state === 'alive'), { timeoutMs: 15_000, what: 'p to join old' })
      await old.call('set', 'old-life', 'v0') // the previous life's writes: deltas of its epoch
      await waitFor(() => p.get('old-life') !== undefined, { timeoutMs: 15_000, what: 'the old life\'s write to reach p' })
      old.kill('SIGKILL') // a crash: no leave, its lock left behind with a dead pid
      await old.exited
      const again = await createCacheNode({ ...FAST, identityPath: key, bootstrap: p.addresses() })
      nodes.push(again)
      again.addEventListener('identity:conflict', (e) => conflicts.push(e.detail))
      expect(again.id).to.equal(old.id)
      // Both ways through the new run, then several anti-entropy rounds (digests name the old epoch).
      await again.set('new-life', utf8.encode('v1'))
      await p.set('from-p', utf8.encode('v2'))
      await waitFor(() => p.get('new-life') !== undefined && again.get('from-p') !== undefined, {
        timeoutMs: 30_000,
        what: 'writes to cross between p and the restarted node',
      })
      const rounds = again.stats().repair.antiEntropyRounds
      await waitFor(() => again.stats().repair.antiEntropyRounds >= rounds + 3, { timeoutMs: 15_000, what: 'three anti-entropy rounds' })
      expect(text.decode(again.get('old-life') ?? new Uint8Array())).to.equal('v0') // its previous life's write came back
      expect(p.members().find((m) => m.id === again.id)?.state).to.equal('alive')
      expect(conflicts).to.deep.equal([])
      expect([p.stats().identityConflicts, again.stats().identityConflicts]).to.deep.equal([0, 0])
    } finally {
      await Promise.all(nodes.map((n) => n.close()))
    }
  })
})
