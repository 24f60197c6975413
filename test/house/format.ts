// The format check: a few rules on the text of the source files and the docs, so that the tree
// reads the same everywhere without a formatter dependency. `npm test` runs it
// (test/house/format.test.ts); `node test/house/format.ts [folder or file …]` prints the same
// findings, for the whole tree or only under the paths given.
//
// Source files (.ts, .cjs, .mjs, .js under the SOURCE_FOLDERS; node_modules/ and dist/ skipped):
//   1. a line holds at most MAX_LINE_CHARACTERS characters, counted in Unicode code points
//      (so '…' or '→' counts one, as an editor shows it; a UTF-16 length would count an emoji two);
//   2. no tab character (the indent is two spaces);
//   3. no trailing whitespace;
//   4. no CRLF (or lone CR) line ending;
//   5. the file ends with exactly one newline.
// Markdown (README.md and docs/**/*.md): rules 3, 4 and 5 only; long lines are allowed there,
// since a table row cannot be wrapped.

import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The longest line a source file may hold, in code points. */
export const MAX_LINE_CHARACTERS = 140

/** Folders whose source files are checked, recursively. */
export const SOURCE_FOLDERS: readonly string[] = ['lib', 'crdt', 'membership', 'examples', 'bench', 'test']

const SOURCE_EXTENSIONS = ['.ts', '.cjs', '.mjs', '.js']
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist'])

export type FormatRule = 'line-length' | 'tab' | 'trailing-whitespace' | 'crlf' | 'final-newline'

export interface FormatFinding {
  /** Root-relative path, with `/` separators. */
  file: string
  /** 1-based; for the end-of-file rule, the last line. */
  line: number
  rule: FormatRule
  message: string
}

export type FileKind = 'source' | 'markdown'

/** Checks the text of one file; `file` only names it in the findings. */
export function checkText(file: string, text: string, kind: FileKind): FormatFinding[] {
  const findings: FormatFinding[] = []
  const add = (line: number, rule: FormatRule, message: string): void => {
    findings.push({ file, line, rule, message })
  }
  const lines = text.split('\n')
  // A file that ends with a newline splits into a last, empty piece: it is not a line.
  const last = lines.length - (text.endsWith('\n') ? 1 : 0)
  for (let i = 0; i < last; i++) {
    const n = i + 1
    let line = lines[i]
    if (line.includes('\r')) {
      add(n, 'crlf', 'carriage return (CRLF line ending): save the file with LF line endings')
      line = line.replaceAll('\r', '')
    }
    if (kind === 'source') {
      const length = codePoints(line)
      if (length > MAX_LINE_CHARACTERS) {
        add(n, 'line-length', `line is ${length} characters, over ${MAX_LINE_CHARACTERS}: wrap the line`)
      }
      if (line.includes('\t')) add(n, 'tab', 'tab character: indent with two spaces, or write \\t in a string')
    }
    if (/\s$/.test(line)) add(n, 'trailing-whitespace', 'trailing whitespace: remove the trailing spaces')
  }
  if (!text.endsWith('\n')) {
    add(last, 'final-newline', 'no newline at the end of the file: end the last line with one newline')
  } else if (/\n\s*\n$/.test(text) || text.trim() === '') {
    add(last, 'final-newline', 'blank lines at the end of the file: end it with exactly one newline')
  }
  return findings
}

/** Length in Unicode code points (a surrogate pair counts one). */
function codePoints(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0xdc00 || c > 0xdfff) n++
  }
  return n
}

/** The files the check reads under `root`, root-relative, with their kind. */
export function listFiles(root: string): Array<{ file: string; kind: FileKind }> {
  const out: Array<{ file: string; kind: FileKind }> = []
  const walk = (dir: string, kind: FileKind, extensions: readonly string[]): void => {
    for (const name of readdirSync(join(root, dir)).sort()) {
      const path = `${dir}/${name}`
      if (statSync(join(root, path)).isDirectory()) {
        if (!SKIPPED_FOLDERS.has(name)) walk(path, kind, extensions)
      } else if (extensions.some((e) => name.endsWith(e))) {
        out.push({ file: path, kind })
      }
    }
  }
  for (const top of SOURCE_FOLDERS) walk(top, 'source', SOURCE_EXTENSIONS)
  walk('docs', 'markdown', ['.md'])
  out.push({ file: 'README.md', kind: 'markdown' })
  return out
}

/** Every finding in the tree under `root`. */
export function checkTree(root: string): FormatFinding[] {
  return listFiles(root).flatMap(({ file, kind }) => checkText(file, readFileSync(join(root, file), 'utf8'), kind))
}

export function formatFinding(f: FormatFinding): string {
  return `${f.file}:${f.line}: ${f.rule}: ${f.message}`
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
  const only = process.argv.slice(2).map((p) => p.replace(/\/+$/, ''))
  const findings = checkTree(root).filter((f) => only.length === 0 || only.some((p) => f.file === p || f.file.startsWith(`${p}/`)))
  for (const f of findings) console.log(formatFinding(f))
  console.log(findings.length === 0 ? 'format: ok' : `format: ${findings.length} finding(s)`)
  process.exitCode = findings.length === 0 ? 0 : 1
}
