// NodeStats in the Prometheus text exposition format (version 0.0.4), for `GET /metrics` of
// the CLI or any HTTP server that embeds a node:
//
//   res.setHeader('content-type', PROMETHEUS_CONTENT_TYPE)
//   res.end(renderPrometheus(node.stats(), node.members()))
//
// Conventions (https://prometheus.io/docs/practices/naming/), checked by `promtool check
// metrics` in test/cli/prometheus.test.ts and test/cli/http.test.ts: every family has # HELP
// and # TYPE; names start with `also_cache_`; units are base units and last (`_bytes`,
// `_seconds`, `_ratio`); counters end in `_total`; one family per quantity, with labels for its
// parts (a queue, a reason), never one family per part. Values the node keeps in ms are rendered in seconds.
//
// Rendering is pure: the same stats give the same text, so a scrape costs one stats() call
// plus string building (a few µs per member and origin).

import type { Member, MemberStateName } from '../../membership/index.ts'
import type { NodeStats } from './stats.ts'

/** The content type of the 0.0.4 text format, for the `content-type` response header. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

type Labels = Record<string, string | number>
type Sample = readonly [labels: Labels | undefined, value: number]
type Sampled = readonly Sample[]

/** Every member state, so a state with no members still shows as 0 (absent ≠ zero in PromQL). */
const STATES: readonly MemberStateName[] = ['alive', 'suspect', 'dead', 'left']

/**
 * Renders a node's stats. `members` (from `node.members()`) adds one incarnation sample per
 * member: NodeStats itself holds only the counts per state.
 */
export function renderPrometheus(stats: NodeStats, members?: readonly Member[]): string {
  const out: string[] = []
  const counter = (name: string, help: string, samples: number | Sampled): void => family(out, name, 'counter', help, samples)
  const gauge = (name: string, help: string, samples: number | Sampled): void => family(out, name, 'gauge', help, samples)
  const { store, replica, replication, repair, swim, lag } = stats

  gauge('also_cache_node_info', 'Always 1; the label carries this node\'s peer id.', [[{ id: stats.id }, 1]])

  // ---- reads and the store ----
  counter('also_cache_hits_total', 'Reads (get) that found a live entry.', stats.hits)
  counter('also_cache_misses_total', 'Reads (get) that found no live entry.', stats.misses)
  gauge('also_cache_hit_ratio', 'hits / (hits + misses) since start; 0 before any read.', stats.hitRatio)
  counter('also_cache_store_operations_total', 'Entries written into the store, by kind (insert: new key, update: existing key, delete).', [
    [{ kind: 'insert' }, store.inserts],
    [{ kind: 'update' }, store.updates],
    [{ kind: 'delete' }, store.deletes],
  ])
  counter(
    'also_cache_evictions_total',
    'Entries evicted for space, by S3-FIFO queue (small: to the ghost queue; main: dropped at frequency 0).',
    [
      [{ queue: 'small' }, store.smallEvictions],
      [{ queue: 'main' }, store.mainDrops],
    ],
  )
  counter(
    'also_cache_store_events_total',
    'Other S3-FIFO movements, by kind: promotion (small to main), main_reinsert (second chance in main), expiration (TTL), ' +
      'rejection (entry larger than the small queue).',
    [
      [{ kind: 'promotion' }, store.promotions],
      [{ kind: 'main_reinsert' }, store.mainReinserts],
      [{ kind: 'expiration' }, store.expirations],
      [{ kind: 'rejection' }, store.rejections],
    ],
  )
  gauge('also_cache_entries', 'Live entries in the store.', store.entries)
  gauge('also_cache_store_bytes', 'Bytes charged for live entries (key + value + per-entry overhead), all queues.', store.bytes)
  gauge('also_cache_store_queue_bytes', 'Bytes charged per S3-FIFO queue.', [
    [{ queue: 'small' }, store.smallBytes],
    [{ queue: 'main' }, store.mainBytes],
  ])
  gauge(
    'also_cache_ghost_entries',
    'Keys remembered in the ghost queue (evicted recently; a re-insert goes straight to main).',
    store.ghostEntries,
  )
  gauge('also_cache_ghost_bytes', 'Bytes charged for the ghost queue.', store.ghostBytes)

  // ---- getOrLoad ----
  const loader = stats.loader
  counter(
    'also_cache_loader_loads_total',
    'Loader calls made by getOrLoad (one per miss, however many callers waited on it).',
    loader.loads,
  )
  counter('also_cache_loader_failures_total', 'Loader calls that threw or rejected.', loader.loadFailures)
  counter(
    'also_cache_loader_coalesced_total',
    'getOrLoad callers that joined a load already running for their key (single flight).',
    loader.coalesced,
  )
  counter(
    'also_cache_loader_stale_served_total',
    'Expired values served inside their stale window while a refresh ran or after it failed.',
    loader.staleServed,
  )
  counter('also_cache_loader_refreshes_total', 'Background refreshes of stale values started.', loader.refreshes)
  counter(
    'also_cache_loader_stale_on_error_total',
    'getOrLoad callers answered with the old value because their load failed (staleIfErrorMs).',
    loader.staleOnError,
  )

  // ---- replication: the replica's view ----
  counter('also_cache_local_writes_total', 'Writes made on this node (set, delete, merge); each is one delta.', replica.writes)
  counter(
    'also_cache_deltas_applied_total',
    'Deltas from peers (stream, gossip, repair, warm-up) that changed this replica.',
    replica.applied,
  )
  counter(
    'also_cache_deltas_stale_total',
    'Deltas from peers older than what this replica holds (ignored, last writer wins).',
    replica.stale,
  )
  counter('also_cache_deltas_dropped_total', 'Deltas from peers refused, by reason.', [
    [{ reason: 'clock_drift' }, replica.droppedDrift],
    [{ reason: 'below_horizon' }, replica.droppedBelowHorizon],
    [{ reason: 'too_large' }, replica.droppedTooLarge],
    [{ reason: 'invalid_yjs' }, replica.droppedYjs],
  ])
  counter('also_cache_clears_total', 'Clears (clear, clear({ prefix })) applied here, local and remote.', replica.clears)
  counter('also_cache_cleared_keys_total', 'Keys a clear removed or tombstoned here.', replica.clearedKeys)
  gauge('also_cache_clear_ranges', 'Range clears held (bounded by maxClearRanges).', replica.clearRanges)
  counter('also_cache_tag_invalidations_total', 'Tag invalidations applied here, local and remote (one per tag).', replica.invalidations)
  counter('also_cache_invalidated_keys_total', 'Entries an invalidation turned into tombstones here.', replica.invalidatedKeys)
  gauge(
    'also_cache_tag_invalidations_held',
    'Tags whose latest invalidation is held (bounded by maxTagInvalidations).',
    replica.tagInvalidations,
  )
  gauge('also_cache_tag_listings', '(tag, key) pairs in the tag index.', replica.tagListings)

  // ---- replication (the engine over its streams; gossipsub in large clusters) ----
  counter('also_cache_deltas_sent_total', 'Local deltas written for replication.', replication.writes)
  counter(
    'also_cache_deltas_received_total',
    'Deltas from peers, every path (stream, gossip, repair, warm-up), before apply.',
    replication.applied + replication.stale + replication.dropped,
  )
  counter(
    'also_cache_replication_batches_total',
    'Delta batches encoded (each sent to every member, or published once).',
    replication.batches,
  )
  counter(
    'also_cache_replication_gossip_published_total',
    'Of those, published to the gossip mesh (large clusters).',
    replication.gossipPublished,
  )
  counter('also_cache_replication_frames_sent_total', 'Replication frames output to members.', replication.framesSent)
  counter('also_cache_replication_frames_received_total', 'Replication frames received from members.', replication.framesReceived)
  counter('also_cache_replication_sent_bytes_total', 'Bytes of replication frames and gossiped batches sent.', replication.bytesSent)
  counter(
    'also_cache_replication_received_bytes_total',
    'Bytes of replication frames and gossiped batches received.',
    replication.bytesReceived,
  )
  counter(
    'also_cache_replication_malformed_total',
    'Replication frames or gossiped batches that did not decode (dropped).',
    replication.malformed,
  )
  counter(
    'also_cache_replication_behind_total',
    'Times a member fell a queue behind and was switched to catch-up by repair.',
    replication.behind,
  )
  counter(
    'also_cache_replication_batches_skipped_total',
    'Batches a member did not get while behind (it repairs them).',
    replication.batchesSkipped,
  )
  gauge('also_cache_replication_queued_bytes', 'Bytes output to members and not yet handed to their streams.', replication.queuedBytes)
  counter('also_cache_acked_writes_total', 'Acknowledged writes finished, by result.', [
    [{ result: 'succeeded' }, replication.acks.succeeded],
    [{ result: 'failed' }, replication.acks.failed],
  ])
  counter(
    'also_cache_refused_connections_total',
    'Connections refused: peer not on allowPeers, or banned for malformed input.',
    stats.refusedConnections,
  )
  counter(
    'also_cache_malformed_messages_total',
    'Messages from a peer (gossip, sync, SWIM, hints) that did not decode, by peer id.',
    Object.entries(stats.malformedByPeer).map(([peer, n]) => [{ peer }, n] as const),
  )

  // ---- repair and anti-entropy ----
  counter(
    'also_cache_repair_range_requests_total',
    'Requests for a missing range of an origin\'s deltas (gap repair).',
    repair.rangeRequests,
  )
  counter('also_cache_repair_range_deltas_total', 'Deltas received by gap repair.', repair.rangeDeltas)
  counter(
    'also_cache_repair_since_requests_total',
    'Repairs asked of another member since(T): the origin was down, or its log no longer held the range.',
    repair.sinceRequests,
  )
  counter('also_cache_repair_since_deltas_total', 'Deltas received by since(T) repairs.', repair.sinceDeltas)
  counter('also_cache_repair_served_total', 'Repair requests (range or since) served to peers.', repair.served)
  counter('also_cache_anti_entropy_rounds_total', 'Digests sent to a random live member.', repair.antiEntropyRounds)
  gauge('also_cache_repair_pending_origins', 'Origins with a seq gap still open.', repair.pendingOrigins)

  // ---- lag and per-origin progress ----
  out.push(
    '# HELP also_cache_replication_lag_seconds Write-to-visible lag of deltas received by gossip, ' +
      'over the last 1024 (count: all since start).',
    '# TYPE also_cache_replication_lag_seconds summary',
    `also_cache_replication_lag_seconds{quantile="0.5"} ${num(lag.p50Ms / 1000)}`,
    `also_cache_replication_lag_seconds{quantile="0.99"} ${num(lag.p99Ms / 1000)}`,
    `also_cache_replication_lag_seconds{quantile="1"} ${num(lag.maxMs / 1000)}`,
    `also_cache_replication_lag_seconds_sum ${num(lag.sumMs / 1000)}`,
    `also_cache_replication_lag_seconds_count ${num(lag.samples)}`,
  )
  // An origin is one run of a node: a restarted node is a new (id, epoch), so both are labels.
  const origins = stats.origins
  gauge(
    'also_cache_origin_contiguous_seq',
    'Per origin (node run): every delta up to this seq was received.',
    origins.map((o) => [{ origin: o.nodeId, epoch: o.epoch }, o.contiguous] as const),
  )
  gauge(
    'also_cache_origin_highest_seq',
    'Per origin (node run): highest delta seq seen; above contiguous means a gap.',
    origins.map((o) => [{ origin: o.nodeId, epoch: o.epoch }, o.highest] as const),
  )
  gauge(
    'also_cache_origin_abandoned_seqs',
    'Per origin (node run): seqs given up on (covered by a since(T) fallback instead).',
    origins.map((o) => [{ origin: o.nodeId, epoch: o.epoch }, o.abandoned] as const),
  )

  // ---- warm-up ----
  const warm = stats.warmup
  gauge('also_cache_warmup_done', '1 once the start-up warm-up from peers (and snapshot) is over.', warm.done ? 1 : 0)
  gauge('also_cache_ready', '1 while the node is ready for traffic: warm-up over, close() not begun.', stats.ready ? 1 : 0)
  if (warm.done) {
    gauge('also_cache_warmup_entries', 'Deltas applied by the warm-up.', warm.entries)
    gauge('also_cache_warmup_bytes', 'Encoded bytes received by the warm-up.', warm.bytes)
    gauge('also_cache_warmup_duration_seconds', 'How long the warm-up took.', warm.ms / 1000)
  }

  // ---- membership (SWIM) ----
  gauge(
    'also_cache_members',
    'Members this node knows of (itself included), by SWIM state.',
    STATES.map((state) => [{ state }, stats.members[state] ?? 0] as const),
  )
  if (members !== undefined) {
    gauge(
      'also_cache_member_incarnation',
      'Each member\'s SWIM incarnation (it refutes suspicion by raising it), labelled with its id and state.',
      members.map((m) => [{ id: m.id, state: m.state }, m.incarnation] as const),
    )
  }
  counter('also_cache_swim_messages_sent_total', 'SWIM messages sent.', swim.messagesSent)
  counter('also_cache_swim_messages_received_total', 'SWIM messages received.', swim.messagesReceived)
  counter('also_cache_swim_sent_bytes_total', 'Bytes of SWIM messages sent.', swim.bytesSent)
  counter('also_cache_swim_decode_errors_total', 'SWIM messages that did not decode (dropped).', swim.decodeErrors)
  counter('also_cache_swim_refutations_total', 'Times this node refuted a suspicion of itself.', swim.refutations)
  counter('also_cache_swim_suspicions_total', 'Suspicions this node started.', swim.suspicionsStarted)
  counter('also_cache_swim_deaths_total', 'Members this node declared dead.', swim.deathsDeclared)
  counter('also_cache_swim_members_refused_total', 'New members refused because the member table was full.', swim.membersRefused)
  counter('also_cache_swim_relays_dropped_total', 'Indirect probes this node did not relay.', swim.relaysDropped)

  return `${out.join('\n')}\n`
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/

function family(out: string[], name: string, type: 'counter' | 'gauge', help: string, samples: number | Sampled): void {
  // Programmer errors: names are constants of this file.
  if (!NAME.test(name)) throw new TypeError(`renderPrometheus: bad metric name ${name}`)
  if (type === 'counter' && !name.endsWith('_total')) throw new TypeError(`renderPrometheus: counter ${name} must end in _total`)
  out.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`)
  if (typeof samples === 'number') {
    out.push(`${name} ${num(samples)}`)
    return
  }
  for (const [labels, value] of samples) out.push(`${name}${renderLabels(labels)} ${num(value)}`)
}

function renderLabels(labels: Labels | undefined): string {
  if (labels === undefined) return ''
  const parts: string[] = []
  for (const [k, v] of Object.entries(labels)) {
    if (!LABEL.test(k) || k.startsWith('__')) throw new TypeError(`renderPrometheus: bad label name ${k}`)
    parts.push(`${k}="${escapeLabelValue(String(v))}"`)
  }
  return `{${parts.join(',')}}`
}

/** Label values escape backslash, double quote and line feed (exposition format 0.0.4). */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : '\\n'))
}

/** HELP text escapes backslash and line feed only. */
function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\\' ? '\\\\' : '\\n'))
}

/** Go's ParseFloat spellings for the non-finite values; integers print without exponent. */
function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Infinity) return '+Inf'
  if (v === -Infinity) return '-Inf'
  return String(v)
}
