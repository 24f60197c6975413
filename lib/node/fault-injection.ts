// Fault injection for tests (the @internal dropGossipRate and faultSeed options): which
// incoming gossip messages the replicator drops, so that tests can exercise gap repair. The
// draws come from the project's one seeded PRNG, so a seed replays the same drops on every
// run and platform (test/node/first-sighting.test.ts relies on the exact sequence).

import { Prng } from '../foundation/index.ts'

/**
 * A hook that answers "drop this message?" true for a `rate` share of the calls, drawn from
 * Prng(`seed`); undefined when `rate` is 0 (no hook: nothing is drawn, nothing dropped).
 */
export function gossipDropper(rate: number, seed: number): (() => boolean) | undefined {
  if (rate === 0) return undefined
  const prng = new Prng(seed)
  return () => prng.next() < rate
}
