// A cache node embedded in an HTTP service: reads are local and synchronous, so the handler
// answers from memory and never waits on the network; writes replicate to every peer.
//
//   node examples/embedded-http-service.ts                 # serves on 127.0.0.1:8080
//   curl -X PUT --data 'hello' 127.0.0.1:8080/greeting; curl 127.0.0.1:8080/greeting
//   PORT=0 BOOTSTRAP=<multiaddr> node examples/embedded-http-service.ts   # a second replica

import { createServer } from 'node:http'
import { createCacheNode } from '../lib/index.ts'

const cache = await createCacheNode({ bootstrap: process.env.BOOTSTRAP ? [process.env.BOOTSTRAP] : [] })

const server = createServer(async (req, res) => {
  const key = decodeURIComponent((req.url ?? '/').slice(1))
  if (key === '') return void res.writeHead(400).end('a key is needed: /<key>\n')
  if (req.method === 'GET') {
    const value = cache.get(key) // local, synchronous: no network on the read path (G1)
    return void (value === undefined ? res.writeHead(404).end() : res.writeHead(200).end(value))
  }
  if (req.method === 'PUT') {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    await cache.set(key, Buffer.concat(chunks), { ttlMs: 5 * 60_000 })
    return void res.writeHead(204).end()
  }
  res.writeHead(405).end()
})

server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => {
  const { port } = server.address() as { port: number }
  console.log(`http://127.0.0.1:${port}/<key>  (cache node ${cache.id}, peers join with BOOTSTRAP=${cache.addresses()[0]})`)
})
// Ctrl-C: leave the cluster gracefully, then stop serving.
process.once('SIGINT', () => void cache.close().then(() => server.close()))
process.once('SIGTERM', () => void cache.close().then(() => server.close()))
