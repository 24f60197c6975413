// The reference check (test/house/references.ts) on this tree, and on planted lines so that
// the check itself can fail: a comment naming a document outside the repository, a path that
// does not exist, a guarantee nobody defines.
import { expect } from 'chai'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkLines, checkTree, commentsOf, pathsIn, type CheckedLine } from './references.ts'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

describe('house: references', () => {
  it('no comment or doc refers to a document outside the repository, names a missing path or an undefined guarantee', () => {
    const findings = checkTree(root)
    expect(findings.map((f) => `${f.file}:${f.line}: ${f.message}`)).to.deep.equal([])
  })

  it('pathsIn finds file and folder paths under the repository roots, and nothing else', () => {
    const line = ' see lib/store/s3fifo.ts, `crdt/replica.ts` and docs/hints.md; the folder lib/hints/ (test/x.test.ts).'
    expect(pathsIn(line)).to.deep.equal(['lib/store/s3fifo.ts', 'crdt/replica.ts', 'docs/hints.md', 'test/x.test.ts', 'lib/hints/'])
    // Not paths of the repository: another project's, a URL's tail, a glob, a placeholder, a bare name.
    const none = 'node_modules/x/lib/a.ts https://example.com/lib/a.ts test/*.test.ts bench/<name>.ts s3fifo.ts mylib/a.ts'
    expect(pathsIn(none)).to.deep.equal([])
  })

  it('commentsOf reads line and block comments, and skips strings, templates and regular expressions', () => {
    const src = [
      "const a = 'lib/a.ts // not a comment' // one",
      '/* two',
      ' * three */',
      'const t = `x ${y /* four */} // not ${"}"} a comment`',
      'const r = /\\/\\/ not a comment/g.test(s) // five',
      'const d = a / b // six',
    ].join('\n')
    expect(commentsOf(src)).to.deep.equal([
      { line: 1, text: ' one' },
      { line: 2, text: ' two' },
      { line: 3, text: ' * three ' },
      { line: 4, text: ' four ' },
      { line: 5, text: ' five' },
      { line: 6, text: ' six' },
    ])
  })

  it('names the file, the line and what is wrong, on planted lines', () => {
    const lines: CheckedLine[] = [
      { file: 'lib/node/x.ts', line: 3, text: ' Repair: pulls what gossip missed (DESIGN §5).' },
      { file: 'crdt/x.ts', line: 4, text: ' Gossipsub caps messages at 4 MiB (STACK.md).' },
      { file: 'docs/x.md', line: 5, text: 'Traces: `../shared/traces`.' },
      { file: 'lib/x.ts', line: 6, text: ' As the design brief says.' },
      { file: 'bench/x.ts', line: 7, text: ' The replay loop of shared/traces/README.md.' },
      { file: 'test/x.ts', line: 8, text: ' Operation sequences (STYLE §10).' },
      { file: 'lib/node/y.ts', line: 9, text: ' Acknowledged writes (DESIGN G6).' },
      { file: 'lib/node/z.ts', line: 10, text: ' TakeoverTracker lives in lib/node/hints.ts (see lib/wire/).' },
      { file: 'README.md', line: 11, text: '| G9 | something nobody promised |' },
      { file: 'lib/node/ok.ts', line: 12, text: ' Fine: G6 (README), lib/node/takeover.ts, docs/node.md, lib/hints/.' },
      { file: 'examples/traces.ts', line: 13, text: ' or else ../shared/traces relative to the repository root' },
      { file: 'examples/other.ts', line: 14, text: ' or else ../shared/traces relative to the repository root' },
      { file: 'docs/mutation-results.md', line: 15, text: '| `crdt/hlc.test.ts` | `crdt/gone.test.ts` |' },
    ]
    const exists = (path: string): boolean => ['lib/node/takeover.ts', 'docs/node.md', 'lib/hints/', 'test/crdt/hlc.test.ts'].includes(path)
    const messages = checkLines(lines, exists, new Set(['G6'])).map((f) => `${f.file}:${f.line}: ${f.message}`)
    const outside = (at: string, what: string): string =>
      `${at}: refers to a document outside the repository ("${what}"): say it here, or move it into docs/ and point there`
    const missing = (at: string, path: string): string => `${at}: names ${path}, which does not exist: point at where it is now`
    expect(messages).to.deep.equal([
      outside('lib/node/x.ts:3', 'DESIGN §5'),
      outside('crdt/x.ts:4', 'STACK.md'),
      outside('docs/x.md:5', '../shared/traces'),
      outside('lib/x.ts:6', 'design brief'),
      outside('bench/x.ts:7', 'shared/traces/README.md'),
      outside('test/x.ts:8', 'STYLE §10'),
      outside('lib/node/y.ts:9', 'DESIGN G6'),
      missing('lib/node/z.ts:10', 'lib/node/hints.ts'),
      missing('lib/node/z.ts:10', 'lib/wire/'),
      "README.md:11: names guarantee G9, which README's guarantee table does not define",
      outside('examples/other.ts:14', '../shared/traces'),
      missing('docs/mutation-results.md:15', 'crdt/gone.test.ts'),
    ])
  })
})
