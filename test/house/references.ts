// The reference check: comments and docs that stay true. `npm test` runs it
// (test/house/references.test.ts); `node test/house/references.ts` prints the same findings.
//
// Two rules, over the comments of every .ts file in lib/, crdt/, membership/, examples/, bench/
// and test/, and over every line of README.md and docs/*.md:
//   1. No reference to a document outside the repository: a clone has only what is in it, so
//      what the code needs from the project's planning notes (the design, stack and style notes
//      kept beside the repository, and the traces folder there) is written into docs/ and
//      pointed at there. OUTSIDE names the forms; OUTSIDE_ALLOWED the one exception. A
//      guarantee label (G1, G2, …) is fine when README's guarantee table defines it.
//   2. Every repository path named (a `<root>/…/<name>.ts`, `.md`, … or a `<root>/…/` folder,
//      <root> one of PATH_ROOTS) exists in the tree, so a file that moves cannot leave a comment
//      pointing at nothing.
// Findings name the file, the line and what to change. No dependency: comments are read with a
// small scanner (strings, template literals and regular expression literals are skipped).

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface Finding {
  file: string
  line: number
  message: string
}

/** A line of text to check: a source file's comment text on that line, or a doc's whole line. */
export interface CheckedLine {
  file: string
  line: number
  text: string
}

/** Folders whose .ts comments are checked (both rules). */
export const SOURCE_ROOTS = ['lib', 'crdt', 'membership', 'examples', 'bench', 'test']

/** Top-level folders a path token may start with. */
const PATH_ROOTS = ['lib', 'crdt', 'membership', 'examples', 'test', 'bench', 'docs']

/**
 * Mentions of documents outside the repository: the design notes (a section sign or a guarantee
 * after their name, their file name, or the words naming them), the stack and style notes (the
 * same forms), and the sibling folder they live in (with or without `../`). The planted lines in
 * references.test.ts show each form.
 */
const OUTSIDE = /\b(?:DESIGN|STACK|STYLE)(?:\.md\b|\s*§\s*\w*|\s+G\d+)|design brief|(?<![\w-])(?:\.\.\/)?shared\/(?:[\w./-]*[\w/])?/

/** Where a mention of an outside location is the truth: the code reads that location. */
export const OUTSIDE_ALLOWED: ReadonlyArray<{ file: string; includes: string; reason: string }> = [
  {
    file: 'examples/traces.ts',
    includes: '../shared/traces',
    reason: 'tracesDir defaults to ../shared/traces beside the repository (when $ALSO_CACHE_TRACES is unset); the comment says so',
  },
]

/**
 * Files that name paths from another base besides the root: a path found under `base` is fine
 * there. (A generated results file that quoted the paths of an old run would go here too.)
 */
export const PATHS_RELATIVE: ReadonlyArray<{ file: string; base: string; reason: string }> = [
  {
    file: 'docs/mutation-results.md',
    base: 'test/',
    reason: 'the results table bench/mutants.ts writes names the tests run relative to test/ (`crdt/hlc.test.ts`)',
  },
]

/** Repository paths in a line: `lib/store/s3fifo.ts`, `docs/hints.md`, `lib/hints/` (a folder). */
export function pathsIn(text: string): string[] {
  const roots = PATH_ROOTS.join('|')
  const file = new RegExp(`(?<![\\w./-])((?:${roots})/[\\w./-]*?[\\w-]\\.(?:ts|md|json|js|cjs|py|sh|ya?ml))(?![\\w/-])`, 'g')
  const folder = new RegExp(`(?<![\\w./-])((?:${roots})(?:/[\\w-][\\w.-]*)*/)(?![\\w.*{<$-])`, 'g')
  return [...[...text.matchAll(file)].map((m) => m[1]), ...[...text.matchAll(folder)].map((m) => m[1])]
}

/** Words after which a `/` starts a regular expression literal, not a division. */
const REGEX_AFTER_WORD = new Set(['return', 'typeof', 'case', 'of', 'in', 'yield', 'await', 'void', 'delete', 'throw', 'else', 'do'])

/**
 * The comment text of a TypeScript source, by line (1-based): `//` comments and the lines of
 * block comments. Strings, template literals (with their `${…}` code) and regular expression
 * literals are skipped, so a `//` or a path inside them is not read as a comment.
 */
export function commentsOf(source: string): Array<{ line: number; text: string }> {
  const byLine = new Map<number, string>()
  const add = (line: number, text: string): void => {
    byLine.set(line, (byLine.get(line) ?? '') + text)
  }
  const n = source.length
  let line = 1
  let i = 0
  let depth = 0 // open `{` in code
  const templateAt: number[] = [] // the depth at which each open `${` returns to its template
  let prev = '' // the last significant code character ('a' for a word or a number)
  let prevWord = ''

  // Reads template text from i (just after '`' or after the `}` closing a `${`); returns where code resumes.
  const template = (from: number): number => {
    let j = from
    while (j < n) {
      const c = source[j]
      if (c === '\\') j += 2
      else if (c === '`') return j + 1
      else if (c === '$' && source[j + 1] === '{') {
        templateAt.push(depth)
        depth++
        return j + 2
      } else {
        if (c === '\n') line++
        j++
      }
    }
    return n
  }

  while (i < n) {
    const c = source[i]
    const next = source[i + 1]
    if (c === '\n') {
      line++
      i++
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++
    } else if (c === '/' && next === '/') {
      const end = source.indexOf('\n', i)
      const stop = end < 0 ? n : end
      add(line, source.slice(i + 2, stop))
      i = stop
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2)
      const stop = end < 0 ? n : end
      const parts = source.slice(i + 2, stop).split('\n')
      parts.forEach((part, k) => add(line + k, part))
      line += parts.length - 1
      i = stop + 2
    } else if (c === "'" || c === '"') {
      let j = i + 1
      while (j < n && source[j] !== c && source[j] !== '\n') j += source[j] === '\\' ? 2 : 1
      i = j + 1
      prev = 'a'
    } else if (c === '`') {
      i = template(i + 1)
      prev = 'a'
    } else if (c === '/' && (prev === '' || '(,=:[!&|?{};+-*%<>~^'.includes(prev) || (prev === 'a' && REGEX_AFTER_WORD.has(prevWord)))) {
      let j = i + 1
      let inClass = false
      while (j < n && source[j] !== '\n') {
        const d = source[j]
        if (d === '\\') j++
        else if (d === '[') inClass = true
        else if (d === ']') inClass = false
        else if (d === '/' && !inClass) break
        j++
      }
      i = j + 1
      while (i < n && /\w/.test(source[i])) i++
      prev = 'a'
      prevWord = ''
    } else if (/[\w$]/.test(c)) {
      let j = i
      while (j < n && /[\w$]/.test(source[j])) j++
      prevWord = source.slice(i, j)
      prev = 'a'
      i = j
    } else {
      if (c === '{') depth++
      if (c === '}') {
        depth--
        if (templateAt.length > 0 && templateAt[templateAt.length - 1] === depth) {
          templateAt.pop()
          i = template(i + 1)
          prev = 'a'
          continue
        }
      }
      prev = c === ')' || c === ']' ? 'a' : c
      prevWord = ''
      i++
    }
  }
  return [...byLine].map(([l, text]) => ({ line: l, text }))
}

/** The guarantee labels README's table defines (rows `| G1 | … |`). */
export function guaranteesDefined(readme: string): Set<string> {
  return new Set([...readme.matchAll(/^\| (G\d+) \|/gm)].map((m) => m[1]))
}

/** Checks lines against both rules; `exists` answers for a root-relative path. */
export function checkLines(lines: readonly CheckedLine[], exists: (path: string) => boolean, guarantees: ReadonlySet<string>): Finding[] {
  const findings: Finding[] = []
  for (const { file, line, text } of lines) {
    const outside = OUTSIDE.exec(text)
    if (outside !== null && !OUTSIDE_ALLOWED.some((a) => a.file === file && text.includes(a.includes))) {
      findings.push({
        file,
        line,
        message: `refers to a document outside the repository ("${outside[0]}"): say it here, or move it into docs/ and point there`,
      })
    }
    for (const m of text.matchAll(/\bG(\d+)\b/g)) {
      if (!guarantees.has(`G${m[1]}`)) {
        findings.push({ file, line, message: `names guarantee G${m[1]}, which README's guarantee table does not define` })
      }
    }
    const base = PATHS_RELATIVE.find((r) => r.file === file)?.base
    for (const path of pathsIn(text)) {
      if (exists(path) || (base !== undefined && exists(base + path))) continue
      findings.push({ file, line, message: `names ${path}, which does not exist: point at where it is now` })
    }
  }
  return findings
}

function filesUnder(root: string, dir: string, ext: string): string[] {
  const out: string[] = []
  const walk = (d: string): void => {
    for (const name of readdirSync(join(root, d))) {
      if (name === 'node_modules' || name.startsWith('.')) continue
      const rel = join(d, name)
      if (statSync(join(root, rel)).isDirectory()) walk(rel)
      else if (name.endsWith(ext)) out.push(rel)
    }
  }
  if (existsSync(join(root, dir))) walk(dir)
  return out.sort()
}

/** The lines both rules read: comments of the sources, every line of README.md and docs/*.md. */
export function readLines(root: string): CheckedLine[] {
  const lines: CheckedLine[] = []
  for (const dir of SOURCE_ROOTS) {
    for (const file of filesUnder(root, dir, '.ts')) {
      for (const c of commentsOf(readFileSync(join(root, file), 'utf8'))) lines.push({ file, line: c.line, text: c.text })
    }
  }
  for (const file of ['README.md', ...filesUnder(root, 'docs', '.md')]) {
    readFileSync(join(root, file), 'utf8').split('\n').forEach((text, k) => lines.push({ file, line: k + 1, text }))
  }
  return lines
}

/** Both rules over the tree at `root`. */
export function checkTree(root: string): Finding[] {
  const guarantees = guaranteesDefined(readFileSync(join(root, 'README.md'), 'utf8'))
  return checkLines(readLines(root), (path) => existsSync(join(root, path)), guarantees)
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
  const findings = checkTree(root)
  for (const f of findings) console.log(`${relative(process.cwd(), join(root, f.file))}:${f.line}: ${f.message}`)
  console.log(findings.length === 0 ? 'references: ok' : `references: ${findings.length} finding(s)`)
  process.exitCode = findings.length === 0 ? 0 : 1
}
