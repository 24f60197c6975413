// Local snapshot files: a node can save its replica on close and load it at the next start,
// then ask its peers only for since(snapshot's clock) instead of since(0) (docs/node.md,
// "Warm-up").
//
// The clock written is not the replica's clock at save time but a lower bound under which this
// replica had everything (snapshotClock): the wall-clock time close() began, less the clock
// drift the cluster tolerates. Worked scenario (found by test/cli/rolling-restart.test.ts):
//   1. node A begins to close; B hears A's "left" first and stops sending to it, so B's next
//      writes are acknowledged by B and C only (A no longer counts);
//   2. C has not heard it yet: its writes still reach A, and A's clock moves past B's writes;
//   3. A saves its snapshot with that clock. Restarted, it asks since(clock): B's writes are
//      below it and are not sent, and the warm-up's baselines cover their seqs, so no repair
//      ever asks for them: acknowledged writes missing on A for good;
//   4. with the time noted before A could miss anything (close() begun), since() brings them.
//      Less maxClockDriftMs: a writer whose clock is behind A's, or a delta still in flight
//      when A began to close, can carry an hlc below that time too.
// A gap A already had long before it closed (a seq repair was still after) is not covered: as
// before, repair of it ends with this run.
//
// Format, version 2 (integers unsigned LEB128 with lib/foundation unless said otherwise):
//   magic "ACSNAP" · format version byte (2) · cluster name (length-prefixed UTF-8) ·
//   clock hlc · chunk count · per chunk: byte length · an encoded delta batch (crdt/codec.ts) ·
//   CRC-32 of every byte before it (4 bytes, big-endian)
// The magic is how a file is known to be a snapshot: a path that holds anything else (a key
// file named by a typo, a directory) is refused before the node listens and never written
// (checkSnapshotPath). The checksum catches a flipped byte that would still decode; the
// cluster name keeps another cluster's data out. Version 1 (no cluster, no checksum) is
// refused like any other unknown version: a snapshot only saves warm-up time.
// The file is written to a temporary name beside it and renamed, so a crash mid-write leaves
// the old snapshot (or none), never a torn one; a failed save removes the temporary file. It is
// created readable by its owner only (0600).
// A snapshot that is ours but cannot be used (corrupt, other version, other cluster) is refused
// with SnapshotError; the node reports it (`snapshot:refused`, stats().snapshot), starts empty,
// and replaces it at the next close.
// A snapshot is only used when no peer has forgotten anything newer than it (every peer's
// horizon ≤ its clock): otherwise a delete the peers no longer remember could let a value
// from the file come back (G4), so the node discards it and warms up from since(0).

import { constants } from 'node:fs'
import { access, open, readFile, rename, stat, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { crc32 } from 'node:zlib'
import {
  decodeDeltas,
  deltaEncodedBytesMax,
  encodeDeltas,
  hlcFromParts,
  type Delta,
  type Hlc,
  type Replica,
} from '../../crdt/index.ts'
import { AlsoCacheError, DecodeError } from '../foundation/index.ts'
import { Decoder } from '../foundation/index.ts'
import { Encoder } from '../foundation/index.ts'

const MAGIC = new TextEncoder().encode('ACSNAP')
/** Part of the file format: bump it whenever the layout above changes. */
const SNAPSHOT_VERSION = 2
const CHECKSUM_BYTES = 4
/** Encoded bytes per chunk of a snapshot file. */
const SNAPSHOT_CHUNK_BYTES = 1024 * 1024
/** Chunks in one file: 65,536 × 1 MiB = 64 GiB, far above any store. */
const MAX_SNAPSHOT_CHUNKS = 65_536
/** Cluster names are at most 64 ASCII characters (options.ts); room to spare. */
const MAX_CLUSTER_NAME_BYTES = 256

/**
 * Why a snapshot path or file was refused. The first group is refused at start (the node does
 * not start: fix the option); the second is reported and the node starts empty.
 */
export type SnapshotErrorReason =
  | 'directory'
  | 'not-a-file'
  | 'not-a-snapshot'
  | 'unreadable'
  | 'no-directory'
  | 'not-writable'
  | 'corrupt'
  | 'version'
  | 'other-cluster'

export class SnapshotError extends AlsoCacheError {
  readonly reason: SnapshotErrorReason
  readonly path: string

  constructor(path: string, reason: SnapshotErrorReason, message: string, options?: ErrorOptions) {
    super('ERR_SNAPSHOT', `snapshot ${path}: ${message}`, options)
    this.reason = reason
    this.path = path
  }
}

/**
 * What became of the snapshot file at start (stats().snapshot). 'loaded': read and verified;
 * whether the warm-up then used it or discarded it (a peer forgot newer deletes) is
 * stats().warmup.snapshot. 'none': no snapshotPath, no file, or an empty one.
 */
export type SnapshotState =
  | { state: 'none' }
  | { state: 'loaded'; deltas: number }
  | { state: 'refused'; reason: SnapshotErrorReason; message: string }

export interface LoadedSnapshot {
  /**
   * The clock under which the saving replica had every write (snapshotClock): the warm-up asks
   * peers for since(clock), and discards the file if a peer forgot deletes above it.
   */
  clock: Hlc
  deltas: Delta[]
}

const UNUSABLE = 'the node starts empty, warms up from its peers and replaces the file when it closes'

/**
 * Checks that `path` can take a snapshot without destroying anything: absent (in a writable
 * directory), empty, or a snapshot file. Anything else throws SnapshotError — it is never
 * overwritten. The node calls this before it listens.
 */
export async function checkSnapshotPath(path: string): Promise<void> {
  let size: number
  try {
    const st = await stat(path)
    if (st.isDirectory()) {
      throw new SnapshotError(path, 'directory', 'is a directory; pass the path of a file, e.g. ' + `${path.replace(/\/+$/, '')}/node.snap`)
    }
    if (!st.isFile()) throw new SnapshotError(path, 'not-a-file', 'is not a regular file; pass the path of a file the node may create')
    size = st.size
  } catch (err) {
    if (err instanceof SnapshotError) throw err
    if ((err as { code?: string }).code !== 'ENOENT') {
      throw new SnapshotError(
        path,
        'unreadable',
        `cannot be read (${(err as Error).message}); fix its permissions or pass another path`,
        { cause: err },
      )
    }
    size = -1
  }
  if (size > 0) await checkMagic(path)
  await checkDirectory(path)
}

async function checkMagic(path: string): Promise<void> {
  const head = new Uint8Array(MAGIC.byteLength)
  let read: number
  try {
    const file = await open(path, 'r')
    try {
      read = (await file.read(head, 0, head.byteLength, 0)).bytesRead
    } finally {
      await file.close()
    }
  } catch (err) {
    throw new SnapshotError(
      path,
      'unreadable',
      `cannot be read (${(err as Error).message}); fix its permissions or pass another path`,
      { cause: err },
    )
  }
  if (read < MAGIC.byteLength || !MAGIC.every((b, i) => b === head[i])) {
    throw new SnapshotError(
      path,
      'not-a-snapshot',
      'exists and is not a snapshot file (it does not start with "ACSNAP"), so the node will not overwrite it; ' +
        'pass the path of a new file, or delete this one if it is not needed',
    )
  }
}

/** The directory the temporary file and the snapshot go in: it must exist and be writable. */
async function checkDirectory(path: string): Promise<void> {
  const dir = dirname(path)
  try {
    await access(dir, constants.W_OK | constants.X_OK)
  } catch (err) {
    const missing = (err as { code?: string }).code === 'ENOENT'
    throw new SnapshotError(
      path,
      missing ? 'no-directory' : 'not-writable',
      missing
        ? `its directory ${dir} does not exist; create it or pass another path`
        : `its directory ${dir} is not writable; fix its permissions or pass another path`,
      { cause: err },
    )
  }
}

/**
 * The clock to save with a snapshot: `closeMs` (the node's wall clock when close() began)
 * less `driftMs` (the cluster's maxClockDriftMs), never below 0. A write this replica lacks
 * at save time because it began to close was made after that, or was in flight then, so it
 * carries an hlc above this unless its writer's clock was more than `driftMs` behind (and then
 * this node would refuse the writer's peers' writes as too far ahead: the cluster is already
 * broken). Costs, at the next start, a since() of up to `driftMs` (60 s) more writes than the
 * time close began, and a peer's horizon is compared with that lower clock (the file is
 * discarded a little more often).
 */
export function snapshotClock(closeMs: number, driftMs: number): Hlc {
  return hlcFromParts(Math.max(0, Math.floor(closeMs) - driftMs))
}

/**
 * Saves everything the replica knows (entries, tombstones, ghosts), hottest first, tagged with
 * `cluster` and `clock` (see snapshotClock; the replica's own clock when not given). Refuses
 * (SnapshotError) a path checkSnapshotPath refuses; leaves no temporary file.
 */
export async function saveSnapshot(
  path: string,
  replica: Replica,
  cluster: string,
  clock: Hlc = replica.clock,
): Promise<{ deltas: number; bytes: number }> {
  await checkSnapshotPath(path)
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
  const head = new Encoder(128)
  head.writeRaw(MAGIC)
  head.writeUint8(SNAPSHOT_VERSION)
  head.writeString(cluster)
  head.writeVarUint(clock)
  head.writeVarUint(chunks.length)
  // Beside the target, so the rename stays within one file system.
  const tmp = `${path}.${process.pid}.tmp`
  let bytes = 0
  try {
    const file = await open(tmp, 'w', 0o600)
    try {
      let crc = 0
      const write = async (b: Uint8Array): Promise<void> => {
        await file.write(b)
        crc = crc32(b, crc)
        bytes += b.byteLength
      }
      await write(head.finish())
      for (const c of chunks) {
        const len = new Encoder(16)
        len.writeVarUint(c.byteLength)
        await write(len.finish())
        await write(c)
      }
      const trailer = new Uint8Array(CHECKSUM_BYTES)
      new DataView(trailer.buffer).setUint32(0, crc >>> 0)
      await file.write(trailer)
      bytes += CHECKSUM_BYTES
      await file.sync()
    } finally {
      await file.close()
    }
    await rename(tmp, path)
  } catch (err) {
    await unlink(tmp).catch(() => {})
    if (err instanceof SnapshotError) throw err
    throw new SnapshotError(path, 'not-writable', `cannot be written (${(err as Error).message})`, { cause: err })
  }
  return { deltas, bytes }
}

/**
 * Loads a snapshot saved by `cluster`; undefined when the file does not exist or is empty.
 * Throws SnapshotError for a file that is not a usable snapshot (reason says why).
 */
export async function loadSnapshot(path: string, cluster: string): Promise<LoadedSnapshot | undefined> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined
    const reason = (err as { code?: string }).code === 'EISDIR' ? 'directory' : 'unreadable'
    throw new SnapshotError(path, reason, `cannot be read (${(err as Error).message})`, { cause: err })
  }
  return bytes.byteLength === 0 ? undefined : decodeSnapshot(bytes, path, cluster)
}

/** Decodes a snapshot file's bytes (see the format above); throws only SnapshotError. */
export function decodeSnapshot(bytes: Uint8Array, path: string, cluster: string): LoadedSnapshot {
  try {
    const d = new Decoder(bytes)
    const magic = d.readRaw(Math.min(MAGIC.byteLength, bytes.byteLength), 'magic')
    if (magic.byteLength < MAGIC.byteLength || !magic.every((b, i) => b === MAGIC[i])) {
      throw new SnapshotError(path, 'not-a-snapshot', 'is not a snapshot file (it does not start with "ACSNAP")')
    }
    const version = d.readUint8()
    if (version !== SNAPSHOT_VERSION) {
      throw new SnapshotError(path, 'version', `has format version ${version}, this build reads ${SNAPSHOT_VERSION}; ${UNUSABLE}`)
    }
    if (bytes.byteLength < d.position + CHECKSUM_BYTES) throw new SnapshotError(path, 'corrupt', `is truncated; ${UNUSABLE}`)
    const bodyEnd = bytes.byteLength - CHECKSUM_BYTES
    const stored = new DataView(bytes.buffer, bytes.byteOffset + bodyEnd, CHECKSUM_BYTES).getUint32(0)
    if (crc32(bytes.subarray(0, bodyEnd)) >>> 0 !== stored) {
      throw new SnapshotError(path, 'corrupt', `fails its checksum (damaged or truncated); ${UNUSABLE}`)
    }
    const body = new Decoder(bytes.subarray(0, bodyEnd))
    body.skip(d.position)
    const saved = body.readString(MAX_CLUSTER_NAME_BYTES, 'cluster name')
    if (saved !== cluster) {
      throw new SnapshotError(path, 'other-cluster', `was saved by a node of cluster "${saved}", this node is in "${cluster}"; ${UNUSABLE}`)
    }
    const clock = body.readVarUint() as Hlc
    const n = body.readBoundedVarUint(MAX_SNAPSHOT_CHUNKS, 'chunk count')
    const deltas: Delta[] = []
    for (let i = 0; i < n; i++) {
      const chunk = body.readRaw(body.readBoundedVarUint(body.remaining, 'chunk length'), 'chunk')
      for (const delta of decodeDeltas(chunk)) deltas.push(delta)
    }
    body.expectEnd('snapshot')
    return { clock, deltas }
  } catch (err) {
    if (err instanceof SnapshotError) throw err
    if (err instanceof DecodeError) {
      throw new SnapshotError(path, 'corrupt', `does not decode (${err.code}: ${err.message}); ${UNUSABLE}`, { cause: err })
    }
    throw err
  }
}
