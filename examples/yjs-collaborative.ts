// A yjs value merged across nodes: two nodes edit the same shared document concurrently;
// `merge` sends only the yjs update, and every node folds the updates into one document,
// whatever the order they arrive in (yjs semantics: concurrent edits commute).
//
//   node examples/yjs-collaborative.ts

import * as Y from 'yjs'
import { createCacheNode } from '../lib/index.ts'

const a = await createCacheNode()
const b = await createCacheNode({ bootstrap: a.addresses() })
await b.warmedUp

// Each node edits its own Y.Doc and merges the update into the cached document.
const docA = new Y.Doc()
const docB = new Y.Doc()
docA.getArray<string>('todo').push(['buy milk'])
docB.getArray<string>('todo').push(['write docs'])
await Promise.all([a.merge('todo-list', Y.encodeStateAsUpdate(docA)), b.merge('todo-list', Y.encodeStateAsUpdate(docB))])

// Wait (bounded) until both nodes hold the merged document.
const read = (bytes: Uint8Array | undefined): string[] => {
  const doc = new Y.Doc()
  if (bytes !== undefined) Y.applyUpdate(doc, bytes)
  return doc.getArray<string>('todo').toArray().sort()
}
const deadline = Date.now() + 10_000
while (Date.now() < deadline && (read(a.get('todo-list')).length < 2 || read(b.get('todo-list')).length < 2)) {
  await new Promise((resolve) => setTimeout(resolve, 20))
}
console.log('node a sees:', read(a.get('todo-list')))
console.log('node b sees:', read(b.get('todo-list')))
await Promise.all([a.close(), b.close()])
