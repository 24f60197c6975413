// Local snapshot files: a node can save its replica on close and load it at the next start,
// then ask its peers only for since(snapshot's clock) instead of since(0) (DESIGN §5).
//
// Format (all integers unsigned LEB128, written with lib/wire):
//   magic "ACSNAP" · format version byte (1) · clock hlc · chunk count ·
//   per chunk: byte length · an encoded delta batch (crdt/codec.ts)
// The file is written to a temporary name and renamed, so a crash mid-write leaves the old
// snapshot (or none), never a torn one; it is created readable by its owner only (0600).
// A file that does not decode is refused with SnapshotError; the node then starts empty.
// A snapshot is only used when no peer has forgotten anything newer than it (every peer's
// horizon ≤ its clock): otherwise a delete the peers no longer remember could let a value
// from the file come back (G4), so the node discards it and warms up from since(0).

import { open, readFile, rename } from 'node:fs/promises'
import { decodeDeltas, deltaEncodedBytesMax, encodeDeltas, type Delta, type Hlc, type Replica } from '../../crdt/index.ts'
import { AlsoCacheError, DecodeError } from '../errors.ts'
import { Decoder } from '../wire/decoder.ts'
import { Encoder } from '../wire/encoder.ts'

const MAGIC = new TextEncoder().encode('ACSNAP')
const SNAPSHOT_VERSION = 1
/** Encoded bytes per chunk of a snapshot file. */
const SNAPSHOT_CHUNK_BYTES = 1024 * 1024
/** Chunks in one file: 65,536 × 1 MiB = 64 GiB, far above any store. */
const MAX_SNAPSHOT_CHUNKS = 65_536

export class SnapshotError extends AlsoCacheError {
  constructor(path: string, message: string, options?: ErrorOptions) {
    super('ERR_SNAPSHOT', `snapshot ${path}: ${message}; delete it, or let the node start empty and warm up from peers`, options)
  }
}

export interface LoadedSnapshot {
  /** The saving replica's clock: every delta in the file has an hlc ≤ this. */
  clock: Hlc
  deltas: Delta[]
}

/** Saves everything the replica knows (entries, tombstones, ghosts), hottest first. */
export async function saveSnapshot(path: string, replica: Replica): Promise<{ deltas: number; bytes: number }> {
  const chunks: Uint8Array[] = []
  let batch: Delta[] = []
  let estimate = 0
  let deltas = 0
  for (const d of replica.since(0 as Hlc)) {
    batch.push(d)
    deltas++
    estimate += deltaEncodedBytesMax(d)
    if (estimate >= SNAPSHOT_CHUNK_BYTES) {
      chunks.push(encodeDeltas(batch))
      batch = []
      estimate = 0
    }
  }
  if (batch.length > 0) chunks.push(encodeDeltas(batch))
  const head = new Encoder(64)
  head.writeRaw(MAGIC)
  head.writeUint8(SNAPSHOT_VERSION)
  head.writeVarUint(replica.clock)
  head.writeVarUint(chunks.length)
  const tmp = `${path}.${process.pid}.tmp`
  const file = await open(tmp, 'w', 0o600)
  let bytes = 0
  try {
    const h = head.finish()
    await file.write(h)
    bytes += h.byteLength
    for (const c of chunks) {
      const len = new Encoder(16)
      len.writeVarUint(c.byteLength)
      const l = len.finish()
      await file.write(l)
      await file.write(c)
      bytes += l.byteLength + c.byteLength
    }
    await file.sync()
  } finally {
    await file.close()
  }
  await rename(tmp, path)
  return { deltas, bytes }
}

/** Loads a snapshot; undefined when the file does not exist. */
export async function loadSnapshot(path: string): Promise<LoadedSnapshot | undefined> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined
    throw new SnapshotError(path, (err as Error).message, { cause: err })
  }
  try {
    const d = new Decoder(bytes)
    const magic = d.readRaw(MAGIC.byteLength, 'magic')
    if (!magic.every((b, i) => b === MAGIC[i])) throw new SnapshotError(path, 'not a snapshot file (bad magic)')
    const version = d.readUint8()
    if (version !== SNAPSHOT_VERSION) throw new SnapshotError(path, `format version ${version}, this build reads ${SNAPSHOT_VERSION}`)
    const clock = d.readVarUint() as Hlc
    const n = d.readBoundedVarUint(MAX_SNAPSHOT_CHUNKS, 'chunk count')
    const deltas: Delta[] = []
    for (let i = 0; i < n; i++) {
      const chunk = d.readRaw(d.readBoundedVarUint(d.remaining, 'chunk length'), 'chunk')
      for (const delta of decodeDeltas(chunk)) deltas.push(delta)
    }
    d.expectEnd('snapshot')
    return { clock, deltas }
  } catch (err) {
    if (err instanceof SnapshotError) throw err
    if (err instanceof DecodeError) throw new SnapshotError(path, `does not decode (${err.code}: ${err.message})`, { cause: err })
    throw err
  }
}
