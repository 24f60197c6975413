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
