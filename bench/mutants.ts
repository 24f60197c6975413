// Mutation check of the guarantees (issue 14): `npm run mutants`. Never part of `npm test`.
//
// Each mutant switches off one mechanism behind a guarantee (G2 gap repair, its since(T)
// fallback and anti-entropy, G4 the horizon, G5 the expiry check on read, G6 the ack wait and
// its outcome check, G7 bounds — the replication queue's among them — and bans), then runs the
// test files that README's "Guarantees, and the test that shows each" table names for that
// guarantee. Killed: some test failed. Survived: every test still passed — the guarantee's
// tests do not notice the mechanism is gone, so they do not show the guarantee.
//
// How a mutant is made: by patching source text in a temporary copy of the repository (the
// tracked and untracked-but-not-ignored files, node_modules linked), never by a switch in
// production code. So production code carries no test-only branch and the sans-IO cores never
// read the environment; the copy is discarded at the end. Each patch names the exact text it
// replaces, and the run refuses to start unless every text is found exactly once: a refactor
// that moves a mechanism breaks this script loudly instead of leaving a mutant that mutates
// nothing. Child processes that tests spawn run the copy's (patched) sources too.
//
// Honest counting: the unmutated copy runs every test file first (the baseline); if it fails,
// nothing is reported (a flaky or broken test would count as a kill). A mutant counts as
// killed only if mocha ran and reported a failing test: a run that crashed before reporting
// (say, a patch that does not parse) is an error, never a kill.
//
//   npm run mutants                          every mutant, sequentially (≈ 4 min on 2 shared cores)
//   npm run mutants -- repair-off ack-no-wait   only these
//   npm run mutants -- --list                the mutants, their guarantee and tests
//   npm run mutants -- --write               also writes the table into docs/mutation-results.md
//   options: --no-baseline, --keep (keep the temporary copy and the logs)
//
// Exit code 0 when every mutant is killed, 1 when one survives or errs, 2 on bad setup.
import { spawn, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = dirname(dirname(fileURLToPath(import.meta.url)))
const README = 'README.md'
const RESULTS = 'docs/mutation-results.md'
const RESULTS_BEGIN = '<!-- mutants:begin -->'
const RESULTS_END = '<!-- mutants:end -->'

/** A mocha run that outlives this is killed and counted as an error (tests bound their own waits). */
const RUN_DEADLINE_MS = 10 * 60_000

type Guarantee = 'G2' | 'G4' | 'G5' | 'G6' | 'G7'

interface Patch {
  file: string
  find: string
  replace: string
}

interface Mutant {
  name: string
  guarantee: Guarantee
  /** What is switched off, where. */
  mechanism: string
  patches: Patch[]
}

/** A patch that replaces `find`, which must occur exactly once in `file`. */
function swap(file: string, find: string, replace: string): Patch {
  return { file, find, replace }
}

/** A patch that adds `line` right after `anchor` (a function's first line, say). */
function after(file: string, anchor: string, line: string): Patch {
  return { file, find: anchor, replace: `${anchor}${line}\n` }
}

const ENGINE = 'lib/replication/engine.ts'

const MUTANTS: Mutant[] = [
  {
    name: 'repair-off',
    guarantee: 'G2',
    mechanism: 'gap repair: a hole is never asked for, of the origin (want) or another member (since) (lib/replication/engine.ts, #ask)',
    patches: [after(ENGINE, '  #ask(w: Want, key: string, from: number): boolean {\n', '    return false // MUTANT repair-off')],
  },
  {
    name: 'since-fallback-off',
    guarantee: 'G2',
    mechanism: 'gap repair never falls back to since(T), origin down or its log short of the range (lib/replication/engine.ts, #ask)',
    patches: [swap(ENGINE, '    w.fallback = false\n    const peer =', '    return false // MUTANT since-fallback-off\n    const peer =')],
  },
  {
    name: 'anti-entropy-off',
    guarantee: 'G2',
    mechanism: 'no anti-entropy round: no periodic digest to a random member (lib/replication/engine.ts, tick)',
    patches: [
      swap(
        ENGINE,
        '      if (m !== undefined) {\n        this.#stats.repair.antiEntropyRounds++',
        '      if (false) { // MUTANT anti-entropy-off\n        this.#stats.repair.antiEntropyRounds++',
      ),
    ],
  },
  {
    name: 'horizon-drop-off',
    guarantee: 'G4',
    mechanism: "an absent key's update at or below the horizon is applied, not dropped (crdt/replica.ts, #apply)",
    patches: [swap('crdt/replica.ts', 'if (remote && delta.version.hlc <= this.#horizon) {', 'if (false) { // MUTANT horizon-drop-off')],
  },
  {
    name: 'horizon-rise-off',
    guarantee: 'G4',
    mechanism: 'the horizon never rises when the store forgets a version (crdt/replica.ts, #forget)',
    patches: [swap('crdt/replica.ts', '    if (hlc > this.#horizon) this.#horizon = hlc as Hlc\n', '    // MUTANT horizon-rise-off\n')],
  },
  {
    name: 'expiry-read-off',
    guarantee: 'G5',
    mechanism: "the store's lazy TTL check on read: get, peek, has, getEntry (lib/store/s3fifo.ts); the write-time sweep stays",
    patches: [
      swap('lib/store/s3fifo.ts', 'if (expiresAt !== 0 && expiresAt <= this.#now()) {', 'if (false) { // MUTANT'),
      after('lib/store/s3fifo.ts', '  #isExpired(slot: Slot): boolean {\n', '    return false // MUTANT expiry-read-off'),
    ],
  },
  {
    name: 'ack-no-wait',
    guarantee: 'G6',
    mechanism: "an acknowledged write's promise resolves at once, its ack requests still sent (lib/node/replication-link.ts, write)",
    patches: [swap('lib/node/replication-link.ts', '    return done\n', '    return Promise.resolve() // MUTANT ack-no-wait\n')],
  },
  {
    name: 'ack-any-answer',
    guarantee: 'G6',
    mechanism: 'any answer counts as an ack, a refusal too (lib/replication/acks.ts, AckTable.answer: outcome not checked)',
    patches: [
      swap('lib/replication/acks.ts', "if (a.outcome !== 'applied' && a.outcome !== 'stale') p.refused", 'if (false) p.refused'),
    ],
  },
  {
    name: 'clock-drift-off',
    guarantee: 'G7',
    mechanism: 'a remote hlc however far ahead is accepted (crdt/hlc.ts, HybridLogicalClock.accepts)',
    patches: [swap('crdt/hlc.ts', 'if (Math.floor(remote / HLC_LOGICAL_SCALE) - physicalMs > this.maxClockDriftMs) {', 'if (false) {')],
  },
  {
    name: 'admission-off',
    guarantee: 'G7',
    mechanism: "the receiver's admission rule admits every delta (crdt/admission.ts, admitsDelta)",
    patches: [after('crdt/admission.ts', 'maxClockDriftMs: number): boolean {\n', '  return true // MUTANT admission-off')],
  },
  {
    name: 'malformed-ban-off',
    guarantee: 'G7',
    mechanism:
      'malformed input is still counted per peer, but the peer is never banned ' +
      '(lib/node/peer-policing.ts, noteMalformed; lib/replication/offenders.ts, MalformedCounter.note)',
    patches: [
      swap('lib/node/peer-policing.ts', '    if (o.count < this.#i.malformedLimit) return\n', '    return // MUTANT\n'),
      swap('lib/replication/offenders.ts', '    if (r.count < this.#limit || r.reported) return undefined\n', '    return undefined\n'),
    ],
  },
  {
    name: 'queue-unbounded',
    guarantee: 'G7',
    mechanism: 'flow control: a member that does not drain is never marked behind, it gets every batch (lib/replication/engine.ts, #flush)',
    patches: [swap(ENGINE, 'if (m.queued + frame.byteLength > this.tuning.maxQueueBytes) {', 'if (false) { // MUTANT queue-unbounded')],
  },
  {
    name: 'decoder-length-bound-off',
    guarantee: 'G7',
    mechanism: 'decoded string and byte lengths are not checked against their bound (lib/foundation/decoder.ts, #readLength)',
    patches: [swap('lib/foundation/decoder.ts', 'if (n > maxBytes) throw', 'if (false) throw')],
  },
  {
    name: 'decoder-count-bound-off',
    guarantee: 'G7',
    mechanism: 'decoded counts are not checked against their bound (lib/foundation/decoder.ts, readBoundedVarUint)',
    patches: [swap('lib/foundation/decoder.ts', 'if (v > max) throw', 'if (false) throw')],
  },
]

interface Options {
  names: string[]
  list: boolean
  write: boolean
  baseline: boolean
  keep: boolean
}

function parseArgs(argv: string[]): Options {
  const o: Options = { names: [], list: false, write: false, baseline: true, keep: false }
  for (const a of argv.filter((x) => x !== '--')) {
    if (a === '--list') o.list = true
    else if (a === '--write') o.write = true
    else if (a === '--no-baseline') o.baseline = false
    else if (a === '--keep') o.keep = true
    else if (a.startsWith('--')) fail(`unknown option ${a} (see the header of bench/mutants.ts)`)
    else if (MUTANTS.some((m) => m.name === a)) o.names.push(a)
    else fail(`unknown mutant ${a}; known: ${MUTANTS.map((m) => m.name).join(', ')}`)
  }
  return o
}

function fail(message: string): never {
  console.error(`mutants: ${message}`)
  process.exit(2)
}

/** The test files README's guarantees table names for each guarantee ("shown by" column). */
function testsByGuarantee(readme: string): Map<Guarantee, string[]> {
  const out = new Map<Guarantee, string[]>()
  const table = readme.split('## Guarantees, and the test that shows each')[1]
  if (table === undefined) fail(`${README} has no "Guarantees, and the test that shows each" section`)
  for (const line of table.split('\n')) {
    const row = /^\| (G\d) \|/.exec(line)
    if (row === null) continue
    const files = [...line.matchAll(/`(test\/[^`]+\.test\.ts)`/g)].map((m) => m[1])
    out.set(row[1] as Guarantee, [...new Set(files)])
  }
  return out
}

/** `text` with one patch applied; throws unless the text to replace occurs exactly once. */
function patched(text: string, p: Patch): string {
  const at = text.indexOf(p.find)
  if (at < 0 || text.indexOf(p.find, at + 1) >= 0) {
    throw new Error(`${p.file}: the text to patch is found ${at < 0 ? 'nowhere' : 'more than once'}: ${JSON.stringify(p.find)}`)
  }
  return text.slice(0, at) + p.replace + text.slice(at + p.find.length)
}

/** A copy of the working tree (tracked and untracked, not ignored) with node_modules linked. */
function makeCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'also-cache-mutants-'))
  const ls = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repo, encoding: 'utf8' })
  if (ls.status !== 0) fail(`git ls-files failed: ${ls.stderr}`)
  for (const f of ls.stdout.split('\0')) {
    if (f === '' || f === 'node_modules' || !existsSync(join(repo, f))) continue // deleted in the working tree
    mkdirSync(dirname(join(dir, f)), { recursive: true })
    copyFileSync(join(repo, f), join(dir, f))
  }
  symlinkSync(realpathSync(join(repo, 'node_modules')), join(dir, 'node_modules'))
  return dir
}

interface RunResult {
  outcome: 'passed' | 'failed' | 'error'
  /** The first failing test (full title and file), or what went wrong. */
  detail: string
  tests: number
  ms: number
}

interface MochaJson {
  stats: { tests: number; failures: number }
  failures: { fullTitle: string; file?: string; err?: { message?: string } }[]
}

/** One mocha run over `files` in the copy: stops at the first failure (--bail). */
async function runMocha(dir: string, files: string[], label: string): Promise<RunResult> {
  const report = join(dir, '.mutants', `${label}.json`)
  const log = join(dir, '.mutants', `${label}.log`)
  mkdirSync(dirname(report), { recursive: true })
  rmSync(report, { force: true })
  const reporter = ['--reporter', 'json', '--reporter-option', `output=${report}`]
  const args = ['mocha', '--no-config', '--timeout', '60000', '--bail', '--exit', ...reporter, ...files]
  const started = Date.now()
  const code = await new Promise<number | null>((resolve) => {
    // Its own process group, so that a run past its deadline is ended with everything it spawned.
    const child = spawn('npx', args, { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    const chunks: Buffer[] = []
    child.stdout.on('data', (c: Buffer) => chunks.push(c))
    child.stderr.on('data', (c: Buffer) => chunks.push(c))
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
    }, RUN_DEADLINE_MS)
    child.on('close', (c) => {
      clearTimeout(timer)
      writeFileSync(log, Buffer.concat(chunks))
      resolve(c)
    })
  })
  const ms = Date.now() - started
  if (!existsSync(report)) return { outcome: 'error', detail: `mocha exited ${String(code)} without a report (see ${log})`, tests: 0, ms }
  const r = JSON.parse(readFileSync(report, 'utf8')) as MochaJson
  const first = r.failures[0]
  if (first !== undefined) {
    const file = first.file === undefined ? '' : ` (${first.file.slice(dir.length + 1)})`
    return { outcome: 'failed', detail: `${first.fullTitle}${file}`, tests: r.stats.tests, ms }
  }
  if (code !== 0) {
    return { outcome: 'error', detail: `mocha exited ${String(code)} with no failing test (see ${log})`, tests: r.stats.tests, ms }
  }
  return { outcome: 'passed', detail: '', tests: r.stats.tests, ms }
}

interface Row {
  mutant: Mutant
  files: string[]
  result: 'killed' | 'survived' | 'error'
  detail: string
  ms: number
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(0)} s`
}

function table(rows: Row[]): string {
  const lines = ['| mutant | mechanism switched off | guarantee | tests run | result | time |', '|---|---|---|---|---|---|']
  for (const r of rows) {
    const files = r.files.map((f) => `\`${f.replace(/^test\//, '')}\``).join(', ')
    const result = r.result === 'killed' ? `killed by "${r.detail}"` : r.result === 'error' ? `error: ${r.detail}` : '**survived**'
    const cells = [`\`${r.mutant.name}\``, r.mutant.mechanism, r.mutant.guarantee, files, result.replaceAll('|', '\\|'), seconds(r.ms)]
    lines.push(`| ${cells.join(' | ')} |`)
  }
  return lines.join('\n')
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2))
  const tests = testsByGuarantee(readFileSync(join(repo, README), 'utf8'))
  const mutants = o.names.length === 0 ? MUTANTS : MUTANTS.filter((m) => o.names.includes(m.name))
  for (const m of mutants) {
    const files = tests.get(m.guarantee)
    if (files === undefined || files.length === 0) fail(`${README} names no test file for ${m.guarantee} (mutant ${m.name})`)
  }
  // Every patch must apply to the sources as they are, before anything runs.
  for (const m of mutants) {
    const texts = new Map<string, string>()
    for (const p of m.patches) {
      try {
        texts.set(p.file, patched(texts.get(p.file) ?? readFileSync(join(repo, p.file), 'utf8'), p))
      } catch (err) {
        fail(`mutant ${m.name}: ${(err as Error).message}. Update its patch in bench/mutants.ts`)
      }
    }
  }
  if (o.list) {
    for (const m of mutants) {
      console.log(`${m.name.padEnd(26)} ${m.guarantee}  ${m.mechanism}\n${' '.repeat(30)}${(tests.get(m.guarantee) ?? []).join(' ')}`)
    }
    return
  }
  const dir = makeCopy()
  const started = Date.now()
  const cleanup = (): void => {
    if (o.keep) console.log(`copy and logs kept in ${dir}`)
    else rmSync(dir, { recursive: true, force: true })
  }
  process.on('SIGINT', () => {
    cleanup()
    process.exit(130)
  })
  try {
    if (o.baseline) {
      const all = [...new Set(mutants.flatMap((m) => tests.get(m.guarantee) ?? []))]
      console.log(`baseline: ${all.length} test files, unmutated ...`)
      const b = await runMocha(dir, all, 'baseline')
      if (b.outcome !== 'passed') {
        console.error(`mutants: the baseline ${b.outcome === 'failed' ? `failed: ${b.detail}` : `erred: ${b.detail}`}; fix it first`)
        process.exitCode = 2
        return
      }
      console.log(`baseline: ${b.tests} tests passed in ${seconds(b.ms)}`)
    }
    const rows: Row[] = []
    for (const m of mutants) {
      const files = tests.get(m.guarantee) ?? []
      const originals = new Map<string, string>()
      for (const p of m.patches) {
        const path = join(dir, p.file)
        if (!originals.has(p.file)) originals.set(p.file, readFileSync(path, 'utf8'))
        writeFileSync(path, patched(readFileSync(path, 'utf8'), p))
      }
      try {
        const r = await runMocha(dir, files, m.name)
        const result = r.outcome === 'failed' ? 'killed' : r.outcome === 'passed' ? 'survived' : 'error'
        rows.push({ mutant: m, files, result, detail: r.detail, ms: r.ms })
        console.log(`${m.name.padEnd(26)} ${m.guarantee}  ${result.padEnd(8)} ${seconds(r.ms).padStart(5)}  ${r.detail}`)
      } finally {
        for (const [file, text] of originals) writeFileSync(join(dir, file), text)
      }
    }
    const total = Date.now() - started
    const out = `${table(rows)}\n\n${rows.length} mutants, ${rows.filter((r) => r.result === 'killed').length} killed; ` +
      `whole run (baseline included) ${seconds(total)}.`
    console.log(`\n${out}`)
    if (o.write) {
      const path = join(repo, RESULTS)
      const doc = readFileSync(path, 'utf8')
      const a = doc.indexOf(RESULTS_BEGIN)
      const b = doc.indexOf(RESULTS_END)
      if (a < 0 || b < a) console.error(`mutants: ${RESULTS} has no ${RESULTS_BEGIN} … ${RESULTS_END} markers: not written`)
      else writeFileSync(path, `${doc.slice(0, a + RESULTS_BEGIN.length)}\n${out}\n${doc.slice(b)}`)
      if (a >= 0 && b > a) console.log(`written to ${RESULTS}`)
    }
    process.exitCode = rows.every((r) => r.result === 'killed') ? 0 : 1
  } finally {
    cleanup()
  }
}

await main()
