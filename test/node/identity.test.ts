// A node id is single-use: a lock file beside the identity file refuses a second process on
// the same host. (A copied key on another host: docs/node.md, "Identity", for what the wire
// check sees since replication moved to direct streams; the detector itself is tested in
// test/node/identity-conflict.test.ts.)
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCacheNode, IdentityFileError, IdentityInUseError, type CacheNode } from '../../lib/index.ts'
import { acquireIdentity, loadOrCreateIdentity } from '../../lib/networking/identity.ts'
import { killAll, startNode } from '../support/cluster.ts'

const FAST = { swim: { profile: 'local' as const }, antiEntropyIntervalMs: 300 }

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
})
