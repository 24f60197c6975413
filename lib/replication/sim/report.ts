// A run's figures: convergence, per-write traffic per node (sent and received), the writers'
// fan-out, repair's share and SWIM's traffic beside it (docs/replication-sim.md).

import { summary } from '../../../membership/sim/index.ts'
import { FrameKindCode, type FrameKind } from '../index.ts'
import type { ReplicationSim } from './simulator.ts'
import { byKind, REPAIR_KINDS, type KindCount } from './traffic.ts'

export interface ReplicationSimReport {
  /** Members at the start, nodes that ever ran (joiners too), and live ones at the end. */
  nodes: number
  ran: number
  live: number
  seed: number
  loss: number
  writes: number
  keys: number
  /** Simulated time the counts cover (since the last resetCounters, or the start). */
  simulatedMs: number
  /** From the last write until every live replica held the newest version of every key; null: not reached. */
  convergenceMs: number | null
  /** From a write until a remote replica applied it (live batches and repair alike), over every (write, receiver). */
  applyDelay: { p50Ms: number | null; p99Ms: number | null; maxMs: number | null; samples: number }
  /** Every replication frame, divided by writes and by the nodes that ran. */
  perWritePerNode: { framesSent: number; bytesSent: number; framesReceived: number; bytesReceived: number }
  /** The writer's fan-out: batch frames and bytes it sent per write (one copy per live member). */
  writer: { framesPerWrite: number; bytesPerWrite: number }
  /** Each other node: batch frames and bytes it received per write. */
  receiver: { framesPerWrite: number; bytesPerWrite: number }
  /** Repair (want, range, since, state) and anti-entropy (digest) frames: bytes sent and their share of all replication bytes. */
  repair: { frames: number; bytes: number; share: number }
  sentByKind: Record<FrameKind, KindCount>
  swim: { messages: number; bytes: number; messagesPerSecPerNode: number; bytesPerSecPerNode: number }
  /** Messages the network lost (both channels). */
  lost: number
  events: number
}

export function report(sim: ReplicationSim): ReplicationSimReport {
  const nodes = sim.nodes
  const traffic = nodes.map((n) => n.traffic)
  const sent = byKind(traffic, 'sent')
  const received = byKind(traffic, 'received')
  const total = (r: Record<FrameKind, KindCount>, f: 'frames' | 'bytes'): number =>
    (Object.keys(FrameKindCode) as FrameKind[]).reduce((s, k) => s + r[k][f], 0)
  const writes = nodes.reduce((s, n) => s + n.writes, 0)
  const ran = nodes.length
  const perWrite = (x: number, by = 1): number => (writes === 0 ? 0 : x / writes / by)
  let repairFrames = 0
  let repairBytes = 0
  for (const k of REPAIR_KINDS) {
    repairFrames += sent[k].frames
    repairBytes += sent[k].bytes
  }
  const allBytes = total(sent, 'bytes')
  let swimMessages = 0
  let swimBytes = 0
  for (const t of traffic) {
    swimMessages += t.swimSent
    swimBytes += t.swimBytesSent
  }
  const seconds = (sim.nowMs - sim.countedFromMs) / 1000
  const c = sim.convergence
  const delays = summary(sim.applyDelaysMs)
  return {
    nodes: sim.options.nodes,
    ran,
    live: sim.live().length,
    seed: sim.options.seed,
    loss: sim.options.loss,
    writes,
    keys: c.keys.size,
    simulatedMs: Math.round(sim.nowMs - sim.countedFromMs),
    convergenceMs: Number.isNaN(c.convergedAtMs) ? null : round(c.convergedAtMs - c.lastWriteMs, 1),
    applyDelay: { ...delays, samples: sim.applyDelaysMs.length },
    perWritePerNode: {
      framesSent: round(perWrite(total(sent, 'frames'), ran), 3),
      bytesSent: round(perWrite(allBytes, ran), 1),
      framesReceived: round(perWrite(total(received, 'frames'), ran), 3),
      bytesReceived: round(perWrite(total(received, 'bytes'), ran), 1),
    },
    writer: { framesPerWrite: round(perWrite(sent.batch.frames), 2), bytesPerWrite: round(perWrite(sent.batch.bytes), 1) },
    receiver: {
      framesPerWrite: round(perWrite(received.batch.frames, ran - 1), 3),
      bytesPerWrite: round(perWrite(received.batch.bytes, ran - 1), 1),
    },
    repair: { frames: repairFrames, bytes: repairBytes, share: allBytes === 0 ? 0 : round(repairBytes / allBytes, 4) },
    sentByKind: sent,
    swim: {
      messages: swimMessages,
      bytes: swimBytes,
      messagesPerSecPerNode: seconds === 0 ? 0 : round(swimMessages / seconds / ran, 2),
      bytesPerSecPerNode: seconds === 0 ? 0 : round(swimBytes / seconds / ran, 1),
    },
    lost: sim.lost,
    events: sim.events,
  }
}

function round(v: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(v * f) / f
}
