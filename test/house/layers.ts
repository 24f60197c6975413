// The layer check: which folder may import which, read from the source. `npm test` runs it
// (test/house/layers.test.ts); `node test/house/layers.ts` prints the same findings.
//
// Three rules, over the product's folders (lib/, crdt/, membership/, examples/):
//   1. A file imports another folder only through that folder's entry (its index.ts; the
//      lib/ root also has replica.ts, the `also-cache/replica` subpath).
//   2. A folder imports only the folders LAYERS allows it (docs/README.md draws the same
//      table): the order is foundation → store → crdt → hints, networking → node → cli.
//   3. No file-level import cycle anywhere in the product (type-only imports count too: a
//      cycle of types is still two files that cannot be read apart).
// test/ and bench/ are white-box and may import any file, but nothing imports them.
// No dependency: the imports are read with a regular expression over `from '…'`,
// `import '…'` and `import('…')`, which is all this code base writes.

import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Folder → the folders it may import (besides itself). The order is the build order. */
export const LAYERS: Readonly<Record<string, readonly string[]>> = {
  'lib/foundation': [],
  'lib/store': ['lib/foundation'],
  crdt: ['lib/foundation', 'lib/store'],
  membership: ['lib/foundation'],
  'membership/sim': ['lib/foundation', 'membership'],
  'lib/hints': ['lib/foundation', 'lib/store', 'crdt'],
  'lib/networking': ['lib/foundation', 'crdt', 'membership'],
  'lib/replication': ['lib/foundation', 'crdt'],
  'lib/replication/sim': ['lib/foundation', 'crdt', 'membership', 'membership/sim', 'lib/replication'],
  'lib/node': ['lib/foundation', 'lib/store', 'crdt', 'membership', 'lib/hints', 'lib/networking', 'lib/replication'],
  lib: ['lib/foundation', 'lib/store', 'crdt', 'membership', 'lib/networking', 'lib/node'],
  'lib/cli': ['lib', 'lib/foundation', 'crdt', 'membership', 'lib/networking', 'lib/node'],
  'lib/adapters': ['lib'],
  examples: ['lib'],
}

/** Files other folders may import, per folder: its index.ts, and the lib/ root's subpath entry. */
export const ENTRIES: Readonly<Record<string, readonly string[]>> = {
  lib: ['lib/index.ts', 'lib/replica.ts'],
}

const PRODUCT_ROOTS = ['lib', 'crdt', 'membership', 'examples']

export interface Finding {
  file: string
  message: string
}

/** Every import of a file (relative specifiers only), as paths relative to the root. */
export function importsOf(root: string, file: string, source: string): string[] {
  const out: string[] = []
  for (const m of source.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
    out.push(relative(root, resolve(root, dirname(file), m[1])))
  }
  return out
}

/** Checks a set of files: `files` maps a root-relative path to its imports (root-relative). */
export function checkGraph(files: ReadonlyMap<string, readonly string[]>): Finding[] {
  const findings: Finding[] = []
  for (const [folder, allowed] of Object.entries(LAYERS)) {
    for (const dep of allowed) {
      if (!(dep in LAYERS)) {
        findings.push({ file: 'test/house/layers.ts', message: `LAYERS: ${folder} allows ${dep}, which is not a folder in LAYERS` })
      }
    }
  }
  findings.push(...folderCycles())
  for (const [file, imports] of files) {
    const from = dirname(file)
    if (!(from in LAYERS)) {
      findings.push({
        file,
        message: `folder ${from}/ is not in LAYERS (test/house/layers.ts): add it with the folders it may import, and to docs/README.md`,
      })
      continue
    }
    for (const target of imports) {
      const to = dirname(target)
      if (to === from) continue
      const name = relative(from, target)
      if (!(to in LAYERS)) {
        findings.push({ file, message: `imports ${name}, outside the product's folders (test/ and bench/ are never imported)` })
        continue
      }
      if (!LAYERS[from].includes(to)) {
        findings.push({
          file,
          message:
            `imports ${name}, but ${from}/ may import only ${list(LAYERS[from])} (docs/README.md): ` +
            'move the code it needs down a layer, or pass it in from above',
        })
        continue
      }
      const entries = ENTRIES[to] ?? [`${to}/index.ts`]
      if (!entries.includes(target)) {
        findings.push({ file, message: `imports ${name}, past ${to}/index.ts: export what it needs from ${entries[0]} and import that` })
      }
    }
  }
  findings.push(...fileCycles(files))
  return findings
}

function list(xs: readonly string[]): string {
  return xs.length === 0 ? 'nothing of the project' : xs.map((x) => `${x}/`).join(', ')
}

/** A cycle in LAYERS itself would let two folders import each other through their entries. */
function folderCycles(): Finding[] {
  const graph = new Map(Object.entries(LAYERS))
  return cycles(graph).map((c) => ({ file: 'test/house/layers.ts', message: `LAYERS has a cycle between folders: ${c.join(' → ')}` }))
}

function fileCycles(files: ReadonlyMap<string, readonly string[]>): Finding[] {
  return cycles(files).map((c) => ({
    file: c[0],
    message: `file import cycle: ${c.join(' → ')}: move what both need into a third file, or have one receive it as an argument`,
  }))
}

/** Each elementary cycle found by a depth-first search, reported once (from its first file). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const found: string[][] = []
  const visit = (n: string): void => {
    state.set(n, 'open')
    stack.push(n)
    for (const m of graph.get(n) ?? []) {
      if (!graph.has(m)) continue
      const s = state.get(m)
      if (s === 'open') found.push([...stack.slice(stack.indexOf(m)), m])
      else if (s === undefined) visit(m)
    }
    stack.pop()
    state.set(n, 'done')
  }
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) visit(n)
  return found
}

/** The product's files and their imports, read from disk under `root`. */
export function readProduct(root: string): Map<string, string[]> {
  const files = new Map<string, string[]>()
  const walk = (dir: string): void => {
    for (const name of readdirSync(join(root, dir)).sort()) {
      const path = join(dir, name)
      if (statSync(join(root, path)).isDirectory()) walk(path)
      else if (name.endsWith('.ts')) files.set(path, importsOf(root, path, readFileSync(join(root, path), 'utf8')))
    }
  }
  for (const top of PRODUCT_ROOTS) walk(top)
  return files
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
  const findings = checkGraph(readProduct(root))
  for (const f of findings) console.log(`${f.file}: ${f.message}`)
  console.log(findings.length === 0 ? 'layers: ok' : `layers: ${findings.length} finding(s)`)
  process.exitCode = findings.length === 0 ? 0 : 1
}
