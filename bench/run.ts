// Benchmark dispatcher: `npm run bench -- <name> [args]` runs bench/<name>.ts with the rest
// of the arguments. Benchmarks never run in `npm test`; each states its workload in its header.
import { readdirSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const here = dirname(fileURLToPath(import.meta.url))
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort()

const [name, ...rest] = process.argv.slice(2)
if (name === undefined || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name> [args]\navailable: ${available.join(', ')}`)
  process.exit(name === undefined ? 0 : 2)
}
// --expose-gc lets benchmarks settle the heap before measuring bytes per entry.
const result = spawnSync(process.execPath, ['--expose-gc', join(here, `${name}.ts`), ...rest], { stdio: 'inherit' })
process.exit(result.status ?? 1)
