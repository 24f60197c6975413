// The format check (test/house/format.ts) on this tree, and on planted mistakes so that the
// check itself can fail.
import { expect } from 'chai'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkText, checkTree, formatFinding, listFiles, MAX_LINE_CHARACTERS } from './format.ts'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

describe('house: format', () => {
  it('the source files and the docs follow the format rules', () => {
    const findings = checkTree(root)
    // Listed one a line: a deep-equal diff would cut the list short.
    if (findings.length > 0) {
      const listed = findings.map(formatFinding).join('\n')
      expect.fail(`${findings.length} format finding(s) (\`node test/house/format.ts\` lists them too):\n${listed}`)
    }
  })

  it('reads the source folders and the markdown, not node_modules', () => {
    const files = listFiles(root)
    const names = files.map((f) => f.file)
    expect(names).to.include('test/house/format.ts').and.include('test/support/reporter.cjs').and.include('README.md')
    expect(files.find((f) => f.file === 'README.md')?.kind).to.equal('markdown')
    expect(names.some((n) => n.startsWith('docs/') && n.endsWith('.md'))).to.equal(true)
    expect(names.some((n) => n.includes('node_modules/') || n.startsWith('dist/'))).to.equal(false)
  })

  it('names the file, the line, the rule and the fix for each planted mistake', () => {
    const src = [
      'const ok = 1',
      `const long = '${'x'.repeat(MAX_LINE_CHARACTERS)}'`,
      '\tconst tab = 2',
      'const trailing = 3  ',
      'const crlf = 4\r',
      'const last = 5',
    ].join('\n')
    const messages = checkText('lib/x.ts', src, 'source').map(formatFinding)
    expect(messages).to.deep.equal([
      `lib/x.ts:2: line-length: line is ${MAX_LINE_CHARACTERS + 15} characters, over ${MAX_LINE_CHARACTERS}: wrap the line`,
      'lib/x.ts:3: tab: tab character: indent with two spaces, or write \\t in a string',
      'lib/x.ts:4: trailing-whitespace: trailing whitespace: remove the trailing spaces',
      'lib/x.ts:5: crlf: carriage return (CRLF line ending): save the file with LF line endings',
      'lib/x.ts:6: final-newline: no newline at the end of the file: end the last line with one newline',
    ])
  })

  it('counts code points: a line of 140 characters passes even when some take two UTF-16 units', () => {
    const exact = `// ${'→'.repeat(MAX_LINE_CHARACTERS - 4)}😀\n`
    expect(checkText('a.ts', exact, 'source')).to.deep.equal([])
    const over = `// ${'→'.repeat(MAX_LINE_CHARACTERS - 3)}😀\n`
    expect(checkText('a.ts', over, 'source').map((f) => f.rule)).to.deep.equal(['line-length'])
  })

  it('asks for exactly one newline at the end', () => {
    expect(checkText('a.ts', 'const a = 1\n', 'source')).to.deep.equal([])
    expect(checkText('a.ts', 'const a = 1\n\n', 'source').map(formatFinding)).to.deep.equal([
      'a.ts:2: final-newline: blank lines at the end of the file: end it with exactly one newline',
    ])
    expect(checkText('a.ts', '', 'source').map((f) => f.rule)).to.deep.equal(['final-newline'])
  })

  it('allows long lines in markdown, but not trailing whitespace', () => {
    const table = `${'| cell '.repeat(40)}|\n`
    expect(checkText('docs/a.md', table, 'markdown')).to.deep.equal([])
    expect(checkText('docs/a.md', 'a hard break  \nnext\n', 'markdown').map(formatFinding)).to.deep.equal([
      'docs/a.md:1: trailing-whitespace: trailing whitespace: remove the trailing spaces',
    ])
  })
})
