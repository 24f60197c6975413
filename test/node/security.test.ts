// Trust (G8): a cluster key keeps out every process without it (or with another key); an
// allowlist refuses every other peer id; an identity file keeps a node's peer id across
// restarts and is refused when others can read it.
import { expect } from 'chai'
import { chmod, mkdtemp, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { generateClusterKey, InvalidClusterKeyError, IdentityFileError } from '../../lib/index.ts'
import { loadOrCreateIdentity } from '../../lib/networking/identity.ts'
import { parseClusterKey } from '../../lib/networking/cluster-key.ts'
import { killAll, startCluster, startNode, waitFor, type NodeProcess } from '../support/cluster.ts'

const FAST = { swim: { profile: 'local' } }

async function aliveCount(n: NodeProcess): Promise<number> {
  return ((await n.call('members')) as { state: string }[]).filter((m) => m.state === 'alive').length
}

describe('cluster keys (private network)', function () {
  after(killAll)

  it('generateClusterKey makes a valid key; parseClusterKey refuses malformed ones with a typed error', () => {
    const key = generateClusterKey()
    expect(key).to.match(/^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/)
    expect(parseClusterKey(key).byteLength).to.be.greaterThan(64)
    expect(generateClusterKey()).to.not.equal(key)
    for (const bad of ['', 'hello', key.replace('/base16/', '/base64/'), key.slice(0, -10)]) {
      expect(() => parseClusterKey(bad)).to.throw(InvalidClusterKeyError).with.property('code', 'ERR_INVALID_CLUSTER_KEY')
    }
  })

  it('nodes with the same key replicate; a node without the key or with another cannot join, read or write', async () => {
    const key = generateClusterKey()
    const [a, b] = await startCluster(2, { ...FAST, clusterKey: key })
    await a.call('set', 'secret', 'inside')
    await waitFor(async () => (await b.get('secret')) === 'inside', { timeoutMs: 10_000, what: 'replication inside the cluster' })

    const outsiders = await Promise.all([
      startNode({ ...FAST, bootstrap: a.addresses }),
      startNode({ ...FAST, bootstrap: a.addresses, clusterKey: generateClusterKey() }),
    ])
    for (const o of outsiders) {
      await waitFor(async () => o.events.some((e) => e.event === 'join:failed'), {
        timeoutMs: 15_000,
        what: 'the outsider to fail to join',
      })
      const failed = o.events.find((e) => e.event === 'join:failed')
      expect(String(failed?.detail.hint)).to.include('clusterKey')
      await o.call('set', 'intruder', 'x')
      expect(await o.get('secret')).to.equal(null)
      expect(await aliveCount(o)).to.equal(1)
    }
    // The insiders never saw the outsiders, nor their write.
    expect(await aliveCount(a)).to.equal(2)
    expect(await a.get('intruder')).to.equal(null)
    expect(await b.get('intruder')).to.equal(null)
  })
})

describe('allowPeers and identity files', function () {
  after(killAll)

  it('an identity file keeps the peer id across restarts; a file others can read is refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'also-cache-id-'))
    const path = join(dir, 'node.key')
    const first = await startNode({ ...FAST, identityPath: path })
    expect((await stat(path)).mode & 0o777).to.equal(0o600)
    const id = first.id
    await first.call('close')
    await first.exited
    const again = await startNode({ ...FAST, identityPath: path })
    expect(again.id).to.equal(id)
    await chmod(path, 0o644)
    const err = await loadOrCreateIdentity(path).catch((e: unknown) => e)
    expect(err).to.be.instanceOf(IdentityFileError).with.property('code', 'ERR_IDENTITY_FILE')
    expect((err as Error).message).to.include('chmod 600')
  })

  it('allowPeers refuses every peer not listed, in and out', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'also-cache-allow-'))
    const paths = ['a', 'b', 'c'].map((n) => join(dir, `${n}.key`))
    const ids = await Promise.all(paths.map(async (p) => peerIdFromPrivateKey(await loadOrCreateIdentity(p)).toString()))
    const allow = [ids[0], ids[1]]
    const a = await startNode({ ...FAST, identityPath: paths[0], allowPeers: allow })
    const b = await startNode({ ...FAST, identityPath: paths[1], allowPeers: allow, bootstrap: a.addresses })
    const c = await startNode({ ...FAST, identityPath: paths[2], bootstrap: a.addresses })
    await waitFor(async () => (await aliveCount(a)) === 2 && (await aliveCount(b)) === 2, { timeoutMs: 15_000, what: 'a and b to join' })
    // c's handshake completes (it is not gated itself), then a refuses it once Noise names it.
    await waitFor(async () => ((await a.call('stats')) as { refusedConnections: number }).refusedConnections > 0, {
      timeoutMs: 15_000,
      what: 'a to refuse c',
    })
    await a.call('set', 'allowed-only', 'yes')
    await waitFor(async () => (await b.get('allowed-only')) === 'yes', { timeoutMs: 10_000, what: 'replication to b' })
    expect(await c.get('allowed-only')).to.equal(null)
    expect(await aliveCount(a)).to.equal(2)
  })

  it('allowPeers refuses outbound too: a node that dials a peer not listed never joins it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'also-cache-allow-out-'))
    const paths = ['a', 'c'].map((n) => join(dir, `${n}.key`))
    const ids = await Promise.all(paths.map(async (p) => peerIdFromPrivateKey(await loadOrCreateIdentity(p)).toString()))
    const c = await startNode({ ...FAST, identityPath: paths[1] }) // open to anyone
    // a allows only itself, and is told to bootstrap from c: its own dial must be refused.
    const a = await startNode({ ...FAST, identityPath: paths[0], allowPeers: [ids[0]], bootstrap: c.addresses })
    await waitFor(async () => ((await a.call('stats')) as { refusedConnections: number }).refusedConnections > 0, {
      timeoutMs: 15_000,
      what: 'a to refuse its own connection to c',
    })
    await c.call('set', 'from-c', 'x')
    await a.call('set', 'from-a', 'y')
    await c.call('flush')
    await a.call('flush')
    expect(await aliveCount(a)).to.equal(1)
    expect(await a.get('from-c')).to.equal(null)
    expect(await c.get('from-a')).to.equal(null)
    expect(a.events.some((e) => e.event === 'join:failed')).to.equal(true)
  })
})
