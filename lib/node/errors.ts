// Typed errors of the node that belong to no one module (codes are stable: match on `code`).
import { AlsoCacheError } from '../foundation/index.ts'

/** A call on a node after close(): create a new node. */
export class NodeClosedError extends AlsoCacheError {
  constructor() {
    super('ERR_NODE_CLOSED', 'CacheNode: this node is closed; create a new node with createCacheNode()')
  }
}
