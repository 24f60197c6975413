// A node's identity key in a file (G8, README): created on first start (Ed25519), readable by
// its owner only (0600), so the node's peer id — and every allowlist that names it — survives
// restarts. A key file that others can read is refused: the key is the node's credential.
//
// A node id is single-use. Two processes with one key share a peer id: each ignores the
// other's writes as its own, and their concurrent writes diverge for good. So a node holds a
// lock file beside the key while it runs (`<identityPath>.lock`, holding its pid):
// - created atomically (written under a temporary name, then hard-linked into place, which
//   fails if the lock exists), so a reader never sees a half-written pid;
// - a lock whose pid is alive on this host refuses the second process (IdentityInUseError);
// - a stale lock (its process is gone, e.g. after kill -9) is taken over. So is a lock holding
//   this process's own pid that this process does not hold: a container restarted with the
//   same pid (often 1) and the same volume would otherwise be locked out for good;
// - released by close(); a process that dies leaves a stale lock, taken over at next start.
// The lock guards one host (one pid namespace). Processes on different hosts sharing a copied
// key are caught on the wire instead (lib/node/identity-conflict.ts).

import { link, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { AlsoCacheError } from '../foundation/index.ts'

export class IdentityFileError extends AlsoCacheError {
  constructor(path: string, message: string, options?: ErrorOptions) {
    super('ERR_IDENTITY_FILE', `identity file ${path}: ${message}`, options)
  }
}

/** Another live process on this host holds the identity (its lock file names its pid). */
export class IdentityInUseError extends AlsoCacheError {
  /** The process holding the lock. */
  readonly pid: number
  readonly lockPath: string

  constructor(path: string, pid: number, lockPath: string) {
    const holder = pid === process.pid ? 'another node of this process' : `process ${pid}`
    super(
      'ERR_IDENTITY_IN_USE',
      `identity file ${path} is in use by ${holder} (lock file ${lockPath}): two nodes with one identity ` +
        'share a node id and lose each other\'s writes. Stop that process, or give this one its own identity file' +
        (pid === process.pid ? '' : `; if no also-cache process has pid ${pid}, delete the lock file`),
    )
    this.pid = pid
    this.lockPath = lockPath
  }
}

/** An identity in use by this process: its key, and the lock to release on close. */
export interface IdentityLease {
  privateKey: PrivateKey
  /** Removes the lock file (if it is still ours). Idempotent. */
  release(): Promise<void>
}

/** How many times a start re-reads a lock that changes under it before giving up. */
const LOCK_ATTEMPTS = 5
/** Lock files held by this process (absolute paths): a second node here is refused too. */
const heldHere = new Set<string>()

/** Takes the lock beside `path`, then loads or creates the key. Throws before anything listens. */
export async function acquireIdentity(path: string): Promise<IdentityLease> {
  await refuseNonFile(path)
  const lockPath = resolve(`${path}.lock`)
  await takeLock(path, lockPath)
  let released = false
  const release = async (): Promise<void> => {
    if (released) return
    released = true
    heldHere.delete(lockPath)
    if ((await readPid(lockPath)) === process.pid) await unlink(lockPath).catch(() => {})
  }
  try {
    return { privateKey: await loadOrCreateIdentity(path), release }
  } catch (err) {
    await release()
    throw err
  }
}

/** Loads the key at `path`, or creates one there (exclusively, mode 0600) when it is absent. */
export async function loadOrCreateIdentity(path: string): Promise<PrivateKey> {
  let bytes: Uint8Array
  try {
    await refuseNonFile(path)
    const st = await stat(path)
    if ((st.mode & 0o077) !== 0) {
      throw new IdentityFileError(path, `is readable by others (mode ${(st.mode & 0o777).toString(8)}): run chmod 600 on it`)
    }
    bytes = await readFile(path)
  } catch (err) {
    if (err instanceof IdentityFileError) throw err
    if ((err as { code?: string }).code !== 'ENOENT') throw new IdentityFileError(path, (err as Error).message, { cause: err })
    const key = await generateKeyPair('Ed25519')
    // 'wx': fail if another process created it meanwhile, rather than overwrite its key.
    const file = await open(path, 'wx', 0o600).catch((e: unknown) => {
      throw new IdentityFileError(path, `cannot be created: ${(e as Error).message}`, { cause: e })
    })
    try {
      await file.write(privateKeyToProtobuf(key))
      await file.sync()
    } finally {
      await file.close()
    }
    return key
  }
  try {
    return privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw new IdentityFileError(path, 'does not hold a libp2p private key (protobuf): delete it to make a new identity', { cause: err })
  }
}

/** A directory (or device, socket...) is not a key file: say so, rather than advise chmod. */
async function refuseNonFile(path: string): Promise<void> {
  const st = await stat(path).catch(() => undefined)
  if (st === undefined || st.isFile()) return
  const what = st.isDirectory() ? 'is a directory' : 'is not a regular file'
  throw new IdentityFileError(
    path,
    `${what}; pass the path of a key file (created on first start), e.g. ${path.replace(/\/+$/, '')}/node.key`,
  )
}

async function takeLock(path: string, lockPath: string): Promise<void> {
  if (heldHere.has(lockPath)) throw new IdentityInUseError(path, process.pid, lockPath)
  // Claimed here before the first await: a second node of this process starting at the same
  // time must not read our pid in the lock as a stale one of its own.
  heldHere.add(lockPath)
  let taken = false
  const mine = `${lockPath}.${process.pid}.tmp`
  try {
    await writeFile(mine, `${process.pid}\n`, { mode: 0o600 }).catch((e: unknown) => {
      throw new IdentityFileError(
        path,
        `its lock file cannot be created beside it (${(e as Error).message}): the directory must be writable`,
        { cause: e },
      )
    })
    for (let attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
      try {
        await link(mine, lockPath)
        taken = true
        return
      } catch (err) {
        if ((err as { code?: string }).code !== 'EEXIST') {
          throw new IdentityFileError(path, `its lock file ${lockPath} cannot be created (${(err as Error).message})`, { cause: err })
        }
      }
      const holder = await readPid(lockPath)
      if (holder !== undefined && holder !== process.pid && isRunning(holder)) throw new IdentityInUseError(path, holder, lockPath)
      await takeOver(lockPath, holder)
    }
    const holder = await readPid(lockPath)
    throw new IdentityInUseError(path, holder ?? -1, lockPath)
  } finally {
    if (!taken) heldHere.delete(lockPath)
    await unlink(mine).catch(() => {})
  }
}

/**
 * Removes a stale lock — only the one judged stale. Worked scenario for the care taken:
 * 1. A and B start together and both find the lock of dead pid 7; 2. A removes it and takes
 * the lock; 3. B, acting on what it read in 1, would remove A's live lock. Instead B moves
 * the lock aside (rename is atomic), and if what it moved is not pid 7's it puts it back
 * (link: only if no other lock appeared) and tries again, now seeing A's live pid.
 */
async function takeOver(lockPath: string, stalePid: number | undefined): Promise<void> {
  const aside = `${lockPath}.${process.pid}.stale`
  try {
    await rename(lockPath, aside)
  } catch {
    return // gone already: the next attempt links
  }
  const moved = await readPid(aside)
  if (moved !== stalePid) await link(aside, lockPath).catch(() => {})
  await unlink(aside).catch(() => {})
}

/** The pid in a lock file; undefined when it is absent or does not hold one. */
async function readPid(lockPath: string): Promise<number | undefined> {
  const text = await readFile(lockPath, 'utf8').catch(() => undefined)
  const pid = text === undefined ? Number.NaN : Number.parseInt(text, 10)
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined
}

/** Whether a process with this pid exists on this host (EPERM: it does, another user's). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM'
  }
}
