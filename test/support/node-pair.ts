// Two cache nodes in this process on loopback, the second joined through the first, returned
// once each sees the other alive — both ways, since an acknowledged write waits only for the
// members its writer sees alive (not a test file itself).
import { createCacheNode, type CacheNode, type CacheNodeInit } from '../../lib/index.ts'
import { waitFor } from './cluster.ts'

/** Fast SWIM and anti-entropy, 64 MiB each: what the in-process two-node tests run with. */
export const PAIR_DEFAULTS = { maxBytes: 64 * 1024 * 1024, swim: { profile: 'local' as const }, antiEntropyIntervalMs: 300 }

export async function startPair<T = Uint8Array>(init: CacheNodeInit<T> = {}): Promise<[CacheNode<T>, CacheNode<T>]> {
  const a = await createCacheNode<T>({ ...PAIR_DEFAULTS, warmupPeers: 0, ...init })
  const b = await createCacheNode<T>({ ...PAIR_DEFAULTS, ...init, bootstrap: a.addresses() })
  await waitFor(() => [a, b].every((n) => n.members().filter((m) => m.state === 'alive').length === 2), {
    timeoutMs: 15_000,
    what: 'two nodes alive to each other',
    intervalMs: 10,
  })
  return [a, b]
}
