// Decoder fuzzing (G7; issue 7 item 5): every decoder of peer input — delta
// batches (crdt/codec.ts), SWIM frames (membership/codec.ts), sync frames
// (lib/networking/sync-codec.ts), replication frames (lib/replication/frames.ts) — fed
// random and mutated inputs (see bench/_fuzz.ts for the mutations and the checks). Passes
// when no decoder throws anything but DecodeError, no decoded value outweighs its input,
// every decoded value re-encodes to itself, and the heap grows by less than
// MAX_HEAP_GROWTH_BYTES over the run.
//
//   npm run bench -- fuzz                                  1,000,000 inputs per decoder, seed 1
//   npm run bench -- fuzz -- --inputs 1000000 --seed 42    another seed
//   npm run bench -- fuzz -- --seed 42 --decoder sync --index 1234   replay one input (prints it)
//   npm run bench -- fuzz -- --cross                       each decoder fed the others' inputs
//   options: --decoder deltas|swim|sync|replication (repeatable), --seed random
//
// Workload: inputs of 0–96 random bytes (a quarter) and 1–4 mutations of ~800 valid
// encodings; the CPU cost is the decoders' own (plus a weight walk and a re-encode of the few
// that decode). Exit code 1 on any failure, with each failure's replay command.
import { crossFeed, DECODER_NAMES, fuzzAll, replayCommand, SLOW_DECODE_MS, type DecoderName, type DecoderReport } from './_fuzz.ts'

const MAX_HEAP_GROWTH_BYTES = 64 * 1024 * 1024

function parseArgs(argv: string[]): { inputs: number; seed: number; decoders: DecoderName[]; only: number | undefined; cross: boolean } {
  let inputs = 1_000_000
  let cross = false
  let seed = 1
  let only: number | undefined
  const decoders: DecoderName[] = []
  const args = argv.filter((a) => a !== '--')
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    const v = args[i + 1]
    const num = (): number => {
      const n = Number(v)
      if (v === undefined || !Number.isSafeInteger(n) || n < 0) throw new TypeError(`${a} needs an integer ≥ 0, got ${String(v)}`)
      i++
      return n
    }
    if (a === '--inputs') inputs = num()
    else if (a === '--seed') {
      if (v === 'random') {
        seed = (Date.now() ^ (Math.random() * 0x7fffffff)) | 0
        i++
      } else seed = num() | 0
    } else if (a === '--index') only = num()
    else if (a === '--cross') cross = true
    else if (a === '--decoder') {
      if (!DECODER_NAMES.includes(v as DecoderName)) throw new TypeError(`--decoder takes one of ${DECODER_NAMES.join(', ')}`)
      decoders.push(v as DecoderName)
      i++
    } else throw new TypeError(`unknown argument ${a}`)
  }
  if (only !== undefined && decoders.length !== 1) throw new TypeError('--index replays one input: give exactly one --decoder')
  return { inputs, seed, decoders: decoders.length === 0 ? [...DECODER_NAMES] : decoders, only, cross }
}

const gc = (globalThis as { gc?: () => void }).gc
const opts = parseArgs(process.argv.slice(2))
const inputsRun = opts.only === undefined ? `${opts.inputs.toLocaleString('en')} inputs per decoder` : `replaying index ${opts.only}`
console.log(`fuzz${opts.cross ? ' (cross-fed)' : ''}: seed ${opts.seed}, ${inputsRun}, decoders ${opts.decoders.join(', ')}`)
gc?.()
const heapBefore = process.memoryUsage().heapUsed
let heapPeak = heapBefore
const started = performance.now()
const reports: DecoderReport[] = (opts.cross ? crossFeed : fuzzAll)({
  seed: opts.seed,
  inputs: opts.inputs,
  decoders: opts.decoders,
  ...(opts.only === undefined ? {} : { only: opts.only }),
  progressEvery: 100_000,
  onProgress: (name, done) => {
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)
    process.stderr.write(`  ${name}: ${done.toLocaleString('en')}\r`)
  },
})
gc?.()
const heapGrowth = process.memoryUsage().heapUsed - heapBefore
const totalS = (performance.now() - started) / 1000

const mib = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MiB`
console.log('')
console.log(
  'decoder   inputs      decoded   DecodeError by code                                   ' +
    'other throws  overweight  pair  max w/in  max ms   s',
)
for (const r of reports) {
  const codes = Object.entries(r.decodeErrors)
    .sort()
    .map(([c, n]) => `${c.replace('ERR_DECODE_', '').toLowerCase()} ${n}`)
    .join(', ')
  console.log(
    `${r.name.padEnd(9)} ${String(r.inputs).padStart(9)} ${String(r.decoded).padStart(10)}   ${codes.padEnd(53)} ` +
      `${String(r.otherThrows).padStart(12)} ${String(r.overweight).padStart(11)} ${String(r.pairMismatches).padStart(5)} ` +
      `${r.maxWeightRatio.toFixed(2).padStart(9)} ${r.maxDecodeMs.toFixed(1).padStart(7)} ${(r.ms / 1000).toFixed(1).padStart(4)}`,
  )
}
for (const r of reports) {
  if (r.maxDecodeMs <= SLOW_DECODE_MS) continue
  const replay = replayCommand(opts.seed, r.name, r.slowestIndex, opts.cross)
  console.log(`${r.name}: slowest decode ${r.maxDecodeMs.toFixed(1)} ms at #${r.slowestIndex} (GC pauses count; time it alone: ${replay})`)
}
console.log(
  `heap: growth ${mib(heapGrowth)} (bound ${mib(MAX_HEAP_GROWTH_BYTES)}), peak above start ${mib(heapPeak - heapBefore)}; ` +
    `total ${totalS.toFixed(1)} s`,
)

const failures = reports.flatMap((r) => r.failures)
for (const f of failures) {
  const replay = replayCommand(opts.seed, f.decoder, f.index, opts.cross)
  console.log(`FAIL ${f.decoder} #${f.index} (${f.kind}): ${f.message}\n  input ${f.hex}\n  replay: ${replay}`)
}
if (opts.only !== undefined && failures.length === 0) {
  const r = reports[0]
  const outcome = r.decoded === 1 ? 'decoded' : `DecodeError ${Object.keys(r.decodeErrors).join('')}`
  console.log(`input ${opts.only} of ${r.name}: ${outcome} in ${r.maxDecodeMs.toFixed(3)} ms`)
}
const bad = reports.some((r) => r.otherThrows > 0 || r.overweight > 0 || r.pairMismatches > 0) || heapGrowth > MAX_HEAP_GROWTH_BYTES
if (bad) {
  console.log(
    `fuzz FAILED (seed ${opts.seed}): replay with ` +
      `npm run bench -- fuzz -- --inputs ${opts.inputs} --seed ${opts.seed}${opts.cross ? ' --cross' : ''}`,
  )
  process.exit(1)
}
console.log(`fuzz passed: ${reports.reduce((n, r) => n + r.inputs, 0).toLocaleString('en')} inputs, 0 throws other than DecodeError`)
