// Gossipsub message ids. Unsigned messages (StrictNoSign) get gossipsub's default id, a sha256
// of the whole message; on the delta topic that hashed every batch (~30 KB) once on the
// publisher and once per copy received. A batch already names itself — origin node id, epoch
// and first seq, with its delta count and length (crdt/batch-id.ts, a bounded read of its
// header) — so that is its id there.
// Other topics (hints), and anything on the delta topic whose header does not read, keep the
// hash: the id function never throws, and the topic validator still rejects what does not
// decode.
//
// What the id is used for: gossipsub's seen cache (a second copy with the same id is a
// duplicate: not validated, delivered or forwarded again), IHAVE/IWANT/IDONTWANT, and the
// publish-side duplicate check. Every node of a cluster must use the same id function: a node
// with another one still receives every batch, but may take a copy of a batch it already has
// (applied again: idempotent) and its IHAVE/IDONTWANT ids mean nothing to the others.
//
// A member that forges a batch with the id of a batch yet to come (same origin, epoch, first
// seq, count and length) makes the honest one a duplicate on the nodes that saw the forgery first: those
// pull the seqs back by gap repair (a hole) or anti-entropy (a tail), as for a lost message.
// The forgery itself fails the validator only if its body does not decode.

import { createHash } from 'node:crypto'
import type { Message } from '@libp2p/gossipsub'
import { batchId } from '../../crdt/index.ts'

/** The gossipsub topic of the cluster's delta batches. */
export function deltaTopic(cluster: string): string {
  return `also-cache/${cluster}/deltas/1`
}

/** The same bytes as gossipsub's default unsigned id (multiformats' sha256: the raw digest). */
function sha256(data: Uint8Array): Uint8Array {
  return createHash('sha256').update(data).digest()
}

/** gossipsub's `msgIdFn`: a batch's own id on `batchTopic`, sha256 of the data elsewhere. */
export function gossipMessageId(batchTopic: string): (msg: Message) => Uint8Array {
  return (msg) => (msg.topic === batchTopic ? batchId(msg.data) : undefined) ?? sha256(msg.data)
}
