// Write-through caching in front of a real database (node:sqlite), the recipe that answers
// "what if a node crashes before it sends its update" (G6 in the README):
//
//   1. invalidate the key everywhere, acknowledged (ack: 'all'), BEFORE the database write,
//      with userVersion = the version the row is about to get: the tombstone then outranks
//      every copy of the old row, including one a slow reader is about to put back (G3
//      compares userVersion first; a delete without it would lose to a cached row version);
//   2. write the database row with that version;
//   3. set the cache with the same userVersion: same rank as the tombstone, later hlc, so it
//      replaces the tombstone everywhere.
//
// If the writer crashes between 1 and 3, every node misses and reloads from the database:
// a miss is safe, a stale hit is not. Two nodes run in this one process for the demo.
//
//   node examples/write-through-sqlite.ts

import { DatabaseSync } from 'node:sqlite'
import { createCacheNode, type CacheNode } from '../lib/index.ts'

const db = new DatabaseSync(':memory:')
db.exec('CREATE TABLE users (id TEXT PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL)')
db.prepare('INSERT INTO users VALUES (?, ?, 1)').run('u1', 'Ada')

const encode = (s: string): Uint8Array => new TextEncoder().encode(s)
const decode = (b: Uint8Array): string => new TextDecoder().decode(b)

/** Read path: the cache, or the database through getOrLoad (one load per key per node). */
function readUser(node: CacheNode, id: string): Promise<string> {
  return node
    .getOrLoad(
      `user:${id}`,
      () => {
        const row = db.prepare('SELECT name, version FROM users WHERE id = ?').get(id) as { name: string; version: number }
        return { value: encode(row.name), userVersion: row.version }
      },
      { ttlMs: 60_000 },
    )
    .then(decode)
}

/** Write path: invalidate (acked) → database → cache, all with the row's next version. */
async function renameUser(node: CacheNode, id: string, name: string): Promise<void> {
  const { version } = db.prepare('SELECT version FROM users WHERE id = ?').get(id) as { version: number }
  const next = version + 1
  await node.delete(`user:${id}`, { userVersion: next, ack: 'all', timeoutMs: 2_000 })
  // Optimistic: the row changes only if nobody else bumped it meanwhile.
  const { changes } = db.prepare('UPDATE users SET name = ?, version = ? WHERE id = ? AND version = ?').run(name, next, id, version)
  if (changes !== 1) throw new Error(`user ${id} changed concurrently: retry`)
  await node.set(`user:${id}`, encode(name), { userVersion: next, ttlMs: 60_000 })
}

const a = await createCacheNode()
const b = await createCacheNode({ bootstrap: a.addresses() })
await b.warmedUp
console.log('read on b:', await readUser(b, 'u1'))
await renameUser(a, 'u1', 'Ada Lovelace')
// Right after the write, b holds the new row or misses (and reloads it): never the old row.
console.log('after the write on a, b reads:', await readUser(b, 'u1'))
console.log('version on b:', b.getEntry('user:u1')?.version.userVersion)
await Promise.all([a.close(), b.close()])
