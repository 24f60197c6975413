// A node's identity key in a file (DESIGN G8): created on first start (Ed25519), readable by
// its owner only (0600), so the node's peer id — and every allowlist that names it — survives
// restarts. A key file that others can read is refused: the key is the node's credential.

import { open, readFile, stat } from 'node:fs/promises'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { AlsoCacheError } from '../errors.ts'

export class IdentityFileError extends AlsoCacheError {
  constructor(path: string, message: string, options?: ErrorOptions) {
    super('ERR_IDENTITY_FILE', `identity file ${path}: ${message}`, options)
  }
}

/** Loads the key at `path`, or creates one there (exclusively, mode 0600) when it is absent. */
export async function loadOrCreateIdentity(path: string): Promise<PrivateKey> {
  let bytes: Uint8Array
  try {
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
