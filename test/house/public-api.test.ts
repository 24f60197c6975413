// The public API is exactly what docs/api.md lists: the values and the types of both entry
// points (lib/index.ts → `also-cache`, lib/replica.ts → `also-cache/replica`) and of the adapters'
// subpaths (lib/adapters/), and the built package resolves every specifier to the same names. A new export is a semver promise: it
// fails here until docs/api.md lists it.
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

/** The names of one section of docs/api.md, split into values and types by the kind column. */
function documented(section: string): { values: string[]; types: string[] } {
  const doc = readFileSync(join(root, 'docs/api.md'), 'utf8')
  const start = doc.indexOf(`## \`${section}\`\n`)
  expect(start, `docs/api.md has no section "## \`${section}\`"`).to.be.greaterThan(-1)
  const end = doc.indexOf('\n## ', start + 1)
  const values: string[] = []
  const types: string[] = []
  for (const m of doc.slice(start, end === -1 ? undefined : end).matchAll(/^\| `(\w+)` \| (\w+) \|/gm)) {
    ;(m[2] === 'type' ? types : values).push(m[1])
  }
  return { values: values.sort(), types: types.sort() }
}

/** The type-only names an entry file exports (`export type { … }` lists). */
function exportedTypes(file: string): string[] {
  const src = readFileSync(join(root, file), 'utf8')
  const names: string[] = []
  for (const m of src.matchAll(/export type \{([^}]*)\}/g)) names.push(...m[1].split(',').map((s) => s.trim()).filter(Boolean))
  // `export { a, type B }`: inline type names count as types too.
  for (const m of src.matchAll(/export \{([^}]*)\}/g)) {
    for (const part of m[1].split(',').map((s) => s.trim())) if (part.startsWith('type ')) names.push(part.slice(5).trim())
  }
  return names.sort()
}

describe('house: the public API', () => {
  for (const [specifier, file] of [
    ['also-cache', 'lib/index.ts'],
    ['also-cache/replica', 'lib/replica.ts'],
    ['also-cache/keyv', 'lib/adapters/keyv.ts'],
    ['also-cache/cachified', 'lib/adapters/cachified.ts'],
  ] as const) {
    it(`${specifier} (${file}) exports exactly the values and types docs/api.md lists`, async () => {
      const doc = documented(specifier)
      const module = (await import(join(root, file))) as Record<string, unknown>
      expect(Object.keys(module).sort(), `values of ${file} vs docs/api.md`).to.deep.equal(doc.values)
      expect(exportedTypes(file), `types of ${file} vs docs/api.md`).to.deep.equal(doc.types)
    })
  }

  it('the built package resolves also-cache and also-cache/replica (package.json exports)', function () {
    this.timeout(120_000)
    // The same build `npm install` runs (prepare); then the package imports itself by name.
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root })
    const script = [
      "const main = await import('also-cache')",
      "const replica = await import('also-cache/replica')",
      "const keyv = await import('also-cache/keyv')",
      "const cachified = await import('also-cache/cachified')",
      'const names = [main, replica, keyv, cachified].map((m) => Object.keys(m).sort())',
      'console.log(JSON.stringify(names))',
    ].join('\n')
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' })
    const [main, replica, keyv, cachified] = JSON.parse(out) as [string[], string[], string[], string[]]
    expect(main).to.deep.equal(documented('also-cache').values)
    expect(replica).to.deep.equal(documented('also-cache/replica').values)
    expect(keyv).to.deep.equal(documented('also-cache/keyv').values)
    expect(cachified).to.deep.equal(documented('also-cache/cachified').values)
  })
})
