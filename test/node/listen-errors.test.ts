// A listen address the node cannot bind: createCacheNode rejects with a typed ListenError
// (code ERR_LISTEN_FAILED) that names the address and says what to do, and leaves nothing
// listening or running.
import { expect } from 'chai'
import net from 'node:net'
import { createCacheNode, ListenError } from '../../lib/index.ts'
import { waitFor } from '../support/cluster.ts'

function listenOn(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve(server))
  })
}
const portOf = (s: net.Server): number => (s.address() as net.AddressInfo).port
const close = (s: net.Server): Promise<void> => new Promise((resolve) => s.close(() => resolve()))

describe('listen errors', () => {
  it('a port in use rejects with ERR_LISTEN_FAILED naming the address, and nothing is left listening', async () => {
    const servers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length
    const before = servers()
    const taken = await listenOn(0)
    // A port that is free now: the node binds it first, then fails on the taken one.
    const probe = await listenOn(0)
    const free = portOf(probe)
    await close(probe)
    const takenAddr = `/ip4/127.0.0.1/tcp/${portOf(taken)}`
    try {
      const err = await createCacheNode({ listen: [`/ip4/127.0.0.1/tcp/${free}`, takenAddr], warmupPeers: 0 }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).to.be.instanceOf(ListenError)
      const e = err as ListenError
      expect(e.code).to.equal('ERR_LISTEN_FAILED')
      expect(e.errno).to.equal('EADDRINUSE')
      expect(e.addresses).to.deep.equal([takenAddr])
      expect(e.message).to.include(takenAddr).and.include('another port').and.include('port 0')
      // The address that did bind is released (handles close on the next turns of the event
      // loop): only `taken` is left, and the free port can be bound again.
      await waitFor(() => servers() === before + 1, { timeoutMs: 2_000, what: "the node's listeners to close" })
      await close(await listenOn(free))
    } finally {
      await close(taken)
    }
  })
})
