// Reads the file of --cluster-key. The key is the cluster's credential, so the file must be
// readable by its owner only, as identity files are (lib/networking/identity.ts): a key that
// others on the machine can read is refused, with the chmod that fixes it. Its content is
// checked by the node (InvalidClusterKeyError), not here.

import { readFile, stat } from 'node:fs/promises'
import { BadFlagError } from './errors.ts'

export async function readClusterKeyFile(path: string): Promise<string> {
  try {
    const st = await stat(path)
    if ((st.mode & 0o077) !== 0) {
      throw new BadFlagError('--cluster-key', `--cluster-key ${path} is readable by others (mode ${(st.mode & 0o777).toString(8)}): run chmod 600 ${path}.`)
    }
    return await readFile(path, 'utf8')
  } catch (err) {
    if (err instanceof BadFlagError) throw err
    const code = (err as NodeJS.ErrnoException).code
    const fix = code === 'ENOENT' ? `create one with: also-cache keygen > ${path} && chmod 600 ${path}` : 'check the path and its permissions'
    throw new BadFlagError('--cluster-key', `--cluster-key ${path} cannot be read (${code ?? (err as Error).message}): ${fix}.`, { cause: err })
  }
}
