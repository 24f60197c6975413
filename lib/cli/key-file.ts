// Reads the file of --cluster-key. The key is the cluster's credential, so the file must be
// readable by its owner only, as identity files are (lib/networking/identity.ts): a key that
// others on the machine can read is refused, with the chmod that fixes it. The content is
// checked here too (the node would, but only after loading libp2p and binding the HTTP port),
// so a wrong file fails at once with exit 2.

import { readFile, stat } from 'node:fs/promises'
import { InvalidClusterKeyError, parseClusterKey } from '../networking/index.ts'
import { BadFlagError } from './errors.ts'

export async function readClusterKeyFile(path: string): Promise<string> {
  try {
    const st = await stat(path)
    if ((st.mode & 0o077) !== 0) {
      throw new BadFlagError(
        '--cluster-key',
        `--cluster-key ${path} is readable by others (mode ${(st.mode & 0o777).toString(8)}): run chmod 600 ${path}.`,
      )
    }
    const text = await readFile(path, 'utf8')
    parseClusterKey(text)
    return text
  } catch (err) {
    if (err instanceof BadFlagError) throw err
    if (err instanceof InvalidClusterKeyError) {
      throw new BadFlagError('--cluster-key', `--cluster-key ${path}: ${err.message}.`, { cause: err })
    }
    const code = (err as NodeJS.ErrnoException).code
    const fix =
      code === 'ENOENT' ? `create one with: also-cache keygen > ${path} && chmod 600 ${path}` : 'check the path and its permissions'
    throw new BadFlagError(
      '--cluster-key',
      `--cluster-key ${path} cannot be read (${code ?? (err as Error).message}): ${fix}.`,
      { cause: err },
    )
  }
}
