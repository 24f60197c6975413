// Seeds for randomized tests. Every property run takes its seed from here, so a failure can
// be replayed exactly: fast-check prints `seed` and `path` on failure, and
//   FC_SEED=<seed> npx mocha --no-config test/<folder>/<file>.test.ts
// reruns it. Without FC_SEED a fixed default keeps CI deterministic; FC_SEED=random explores.
import fc from 'fast-check'

const fromEnv = process.env.FC_SEED
export const testSeed: number =
  fromEnv === undefined ? 0x5eed : fromEnv === 'random' ? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0 : Number(fromEnv)

/** fast-check parameters for one property: seeded, with the replay command in the failure text. */
export function propertyParams<T>(numRuns: number): fc.Parameters<T> {
  return {
    seed: testSeed,
    numRuns,
    reporter(details) {
      if (details.failed) {
        throw new Error(
          `${fc.defaultReportMessage(details)}\nreplay: FC_SEED=${testSeed} npx mocha <this test file>`,
        )
      }
    },
  }
}

/**
 * Runs `check(seed)` for `count` seeds drawn from testSeed — or only for SIM_SEED when it is
 * set — and names the failing seed with the command that replays it (`replay`: how to run the
 * test file).
 */
export function forSeeds(count: number, replay: string, check: (seed: number) => void): void {
  const fixed = process.env.SIM_SEED === undefined ? undefined : Number(process.env.SIM_SEED)
  const seeds = fixed !== undefined ? [fixed] : fc.sample(fc.integer({ min: 1, max: 0x7fffffff }), { seed: testSeed, numRuns: count })
  for (const seed of seeds) {
    try {
      check(seed)
    } catch (err) {
      throw new Error(`seed ${seed} failed (replay: SIM_SEED=${seed} ${replay}): ${(err as Error).message}`, { cause: err })
    }
  }
}
