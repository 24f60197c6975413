// The layer check (test/house/layers.ts) on this tree, and on planted mistakes so that the
// check itself can fail.
import { expect } from 'chai'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readFileSync } from 'node:fs'
import { checkGraph, importsOf, LAYERS, readProduct } from './layers.ts'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

describe('house: layers', () => {
  it('the product has no import cycle, no import past an index.ts, no import against the layer order', () => {
    const findings = checkGraph(readProduct(root))
    expect(findings.map((f) => `${f.file}: ${f.message}`)).to.deep.equal([])
  })

  it('reads static, type-only, re-export and dynamic imports', () => {
    const src = [
      "import { a } from './a.ts'",
      "import type { B } from '../store/index.ts'",
      "export { c } from './c.ts'",
      "const d = await import('./d.ts')",
      "import 'node:fs'",
    ].join('\n')
    expect(importsOf(root, 'lib/node/x.ts', src)).to.deep.equal(['lib/node/a.ts', 'lib/store/index.ts', 'lib/node/c.ts', 'lib/node/d.ts'])
  })

  it('names a file cycle, an import past an index, a layer violation and an unknown folder', () => {
    const graph = new Map<string, string[]>([
      ['membership/codec.ts', ['membership/reader.ts']],
      ['membership/reader.ts', ['membership/codec.ts']],
      ['lib/node/a.ts', ['crdt/replica.ts']],
      ['lib/store/s3fifo.ts', ['crdt/index.ts']],
      ['lib/newfolder/x.ts', []],
    ])
    const messages = checkGraph(graph).map((f) => `${f.file}: ${f.message}`)
    expect(messages).to.have.length(4)
    expect(messages.join('\n'))
      .to.include('lib/node/a.ts: imports ../../crdt/replica.ts, past crdt/index.ts')
      .and.include('lib/store/s3fifo.ts: imports ../../crdt/index.ts, but lib/store/ may import only lib/foundation/')
      .and.include('folder lib/newfolder/ is not in LAYERS')
      .and.include('file import cycle: membership/codec.ts → membership/reader.ts → membership/codec.ts')
  })
})

describe('house: the map in docs/README.md', () => {
  it('lists every folder of LAYERS with exactly the folders it may import', () => {
    const doc = readFileSync(resolve(root, 'docs/README.md'), 'utf8')
    const short: Record<string, string> = {
      foundation: 'lib/foundation',
      store: 'lib/store',
      hints: 'lib/hints',
      networking: 'lib/networking',
      replication: 'lib/replication',
      node: 'lib/node',
      crdt: 'crdt',
      membership: 'membership',
      'membership/sim': 'membership/sim',
      '`lib/`': 'lib',
      '`lib/` (the public API) only': 'lib',
      'nothing of the project': '',
    }
    const rows: Record<string, string[]> = {}
    for (const m of doc.matchAll(/^\| `([\w/]+)\/`[^|]* \| ([^|]+) \|/gm)) {
      rows[m[1]] = m[2]
        .split(',')
        .map((s) => s.trim())
        .map((s) => short[s] ?? `unknown "${s}"`)
        .filter((s) => s !== '')
        .sort()
    }
    const expected = Object.fromEntries(Object.entries(LAYERS).map(([folder, deps]) => [folder, [...deps].sort()]))
    expect(rows).to.deep.equal(expected)
  })
})
