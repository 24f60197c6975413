// A private cluster: every node is given the same cluster key (a libp2p pre-shared key, made
// once with `generateClusterKey()` or `also-cache keygen` and kept secret). A process without
// the key cannot connect, read or write; Noise still authenticates every peer inside.
//
//   node examples/private-cluster.ts

import { createCacheNode, generateClusterKey } from '../lib/index.ts'

const clusterKey = generateClusterKey() // in production: read it from a secret store or file
const a = await createCacheNode({ clusterKey })
const b = await createCacheNode({ clusterKey, bootstrap: a.addresses() })
await b.warmedUp
await a.set('secret', new TextEncoder().encode('only members see this'))
const deadline = Date.now() + 10_000
while (Date.now() < deadline && b.get('secret') === undefined) await new Promise((resolve) => setTimeout(resolve, 20))
console.log('member b reads:', new TextDecoder().decode(b.get('secret')))

// A node without the key is refused: its join fails and it sees nothing.
const outsider = await createCacheNode({ bootstrap: a.addresses() })
const failed = await new Promise<string>((resolve) =>
  outsider.addEventListener('join:failed', (e) => resolve(e.detail.hint), { once: true }),
)
console.log('outsider could not join:', failed)
console.log('outsider reads:', outsider.get('secret') ?? '(nothing)')
await Promise.all([a.close(), b.close(), outsider.close()])
