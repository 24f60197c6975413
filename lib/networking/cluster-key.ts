// Cluster keys (G8, README): a libp2p private-network pre-shared key. With one, every
// connection is first encrypted with it (libp2p pnet), so a process without the key — or with
// another — cannot connect, read or write; Noise still authenticates each peer inside.
//
// The text form is libp2p's PSK v1 file format, which `generateClusterKey()` and
// `also-cache keygen` print:
//   /key/swarm/psk/1.0.0/
//   /base16/
//   <64 hex digits: 32 random bytes>

import { randomBytes } from 'node:crypto'
import { AlsoCacheError } from '../foundation/index.ts'

const HEADER = '/key/swarm/psk/1.0.0/'
const CODEC = '/base16/'
const KEY_HEX_DIGITS = 64

export class InvalidClusterKeyError extends AlsoCacheError {
  constructor(reason: string) {
    super(
      'ERR_INVALID_CLUSTER_KEY',
      `cluster key is not valid (${reason}): expected the three lines printed by \`also-cache keygen\` ` +
        `(or generateClusterKey()): "${HEADER}", "${CODEC}", then 64 hex digits`,
    )
  }
}

/** A new random cluster key, as text. Keep it secret: whoever has it can join the cluster. */
export function generateClusterKey(): string {
  return `${HEADER}\n${CODEC}\n${randomBytes(KEY_HEX_DIGITS / 2).toString('hex')}\n`
}

/** Checks a cluster key's text and returns it as the bytes libp2p pnet takes. */
export function parseClusterKey(key: string | Uint8Array): Uint8Array {
  const text = typeof key === 'string' ? key : new TextDecoder().decode(key)
  const lines = text.trim().split(/\r?\n/).map((l) => l.trim())
  if (lines.length !== 3) throw new InvalidClusterKeyError(`${lines.length} lines instead of 3`)
  if (lines[0] !== HEADER) throw new InvalidClusterKeyError(`first line is not ${HEADER}`)
  if (lines[1] !== CODEC) throw new InvalidClusterKeyError(`second line is not ${CODEC}`)
  if (!new RegExp(`^[0-9a-fA-F]{${KEY_HEX_DIGITS}}$`).test(lines[2])) throw new InvalidClusterKeyError('third line is not 64 hex digits')
  return new TextEncoder().encode(`${HEADER}\n${CODEC}\n${lines[2].toLowerCase()}`)
}
