// Pending inbound upgrades are bounded in time and in count (G7): a TCP connection that never
// completes the handshake (no cluster key: a few bytes, with or without a half-close) is closed
// by the node within INBOUND_UPGRADE_TIMEOUT_MS, and while such connections are pending an
// honest node with the key still joins. One host cannot hold every pending slot: libp2p admits
// 5 new connections per second per host, fewer than MAX_PENDING_INBOUND_UPGRADES per timeout.
import { expect } from 'chai'
import net from 'node:net'
import { createCacheNode, generateClusterKey, type CacheNode, type CacheNodeInit } from '../../lib/index.ts'
import { INBOUND_UPGRADE_TIMEOUT_MS, MAX_PENDING_INBOUND_UPGRADES } from '../../lib/networking/libp2p.ts'
import { waitFor } from '../support/cluster.ts'

const FAST = { swim: { profile: 'local' as const }, warmupPeers: 0 }

interface RawSocket {
  openedAt: number
  closedAt: number | undefined
  socket: net.Socket
}

/**
 * A raw TCP connection from `localAddress` that writes `payload` (less than the private
 * network's 24-byte nonce) and half-closes if asked. It reads what the node sends (a socket
 * that does not read never sees the node's FIN), and notes when the node closed or reset it.
 */
function rawSocket(port: number, localAddress: string, payload: Uint8Array, halfClose: boolean): Promise<RawSocket> {
  return new Promise((resolve, reject) => {
    const r: RawSocket = { openedAt: 0, closedAt: undefined, socket: net.connect({ port, host: '127.0.0.1', localAddress }) }
    r.socket.on('data', () => {})
    r.socket.on('error', () => {})
    r.socket.once('close', () => (r.closedAt = Date.now()))
    r.socket.once('connect', () => {
      r.openedAt = Date.now()
      r.socket.write(payload)
      if (halfClose) r.socket.end()
      resolve(r)
    })
    r.socket.once('error', reject)
  })
}

describe('pending inbound upgrades (private network)', function () {
  const nodes: CacheNode[] = []
  const raws: RawSocket[] = []
  const start = async (init: CacheNodeInit): Promise<CacheNode> => {
    const n = await createCacheNode(init)
    nodes.push(n)
    return n
  }
  afterEach(async () => {
    for (const r of raws.splice(0)) r.socket.destroy()
    await Promise.all(nodes.splice(0).map((n) => n.close()))
  })

  it('raw connections are closed within the bound, and an honest node joins while they are pending', async () => {
    const key = generateClusterKey()
    const a = await start({ ...FAST, clusterKey: key })
    const port = Number(a.addresses()[0].split('/')[4])

    // A peer with another key dials first (the finding's setting).
    const wrong = await start({ ...FAST, clusterKey: generateClusterKey(), bootstrap: a.addresses() })
    let wrongFailed = false
    wrong.addEventListener('join:failed', () => (wrongFailed = true))
    await waitFor(() => wrongFailed, { timeoutMs: 10_000, what: 'the wrong-key peer to fail to join' })

    // More than libp2p's default pending limit (10): one per source address, as libp2p
    // rate-limits new connections per host. A quarter half-close, the rest keep their slot.
    const count = 16
    const opened = await Promise.all(
      Array.from({ length: count }, (_, i) => rawSocket(port, `127.0.0.${i + 2}`, Uint8Array.of(1, 2, 3), i % 4 === 0)),
    )
    raws.push(...opened)
    expect(count - count / 4).to.be.below(MAX_PENDING_INBOUND_UPGRADES)

    // An honest node with the key joins while they are pending.
    const honest = await start({ ...FAST, clusterKey: key, bootstrap: a.addresses() })
    await waitFor(() => honest.members().some((m) => m.id === a.id && m.state === 'alive'), {
      timeoutMs: 10_000,
      what: 'the honest node to join while raw connections are pending',
    })

    // The node closes every raw connection within the bound.
    const slackMs = 3_000
    await waitFor(() => raws.every((r) => r.closedAt !== undefined), {
      timeoutMs: INBOUND_UPGRADE_TIMEOUT_MS + slackMs,
      what: 'the node to close every raw connection',
    })
    for (const r of raws) expect((r.closedAt ?? Infinity) - r.openedAt).to.be.at.most(INBOUND_UPGRADE_TIMEOUT_MS + slackMs)
    expect(a.members().map((m) => m.id)).to.have.members([a.id, honest.id])
  })
})
