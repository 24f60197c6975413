// The wire check behind "a node id is single-use": which origins naming this node's id mean
// another live process (table test of IdentityConflictDetector's rule).
import { expect } from 'chai'
import { hlcFromParts, type Hlc } from '../../crdt/index.ts'
import { IdentityConflictDetector, type IdentityConflict } from '../../lib/node/identity-conflict.ts'

const EPOCH = 1_700_000_000_000
const STARTED = EPOCH + 5 // the node's clock at start
const DRIFT = 60_000

function detector(): { d: IdentityConflictDetector; seen: IdentityConflict[] } {
  const seen: IdentityConflict[] = []
  const d = new IdentityConflictDetector({
    origin: { nodeId: 'me', epoch: EPOCH },
    startedMs: STARTED,
    maxClockDriftMs: DRIFT,
    onConflict: (c) => seen.push(c),
  })
  return { d, seen }
}

describe('IdentityConflictDetector', () => {
  const cases: [string, { nodeId: string; epoch: number }, Hlc | undefined, boolean][] = [
    ['another node\'s origin is no conflict', { nodeId: 'other', epoch: EPOCH + 1 }, undefined, false],
    ['our own run is no conflict', { nodeId: 'me', epoch: EPOCH }, hlcFromParts(STARTED + 10 * DRIFT), false],
    ['a previous life (lower epoch) in a digest is no conflict', { nodeId: 'me', epoch: EPOCH - 10_000 }, undefined, false],
    [
      'a previous life\'s write from before this start is no conflict',
      { nodeId: 'me', epoch: EPOCH - 10_000 },
      hlcFromParts(EPOCH - 1),
      false,
    ],
    [
      'a previous life\'s write within the clock drift is no conflict',
      { nodeId: 'me', epoch: EPOCH - 10_000 },
      hlcFromParts(STARTED + DRIFT),
      false,
    ],
    [
      'a lower epoch writing after this start (beyond drift) is a conflict',
      { nodeId: 'me', epoch: EPOCH - 10_000 },
      hlcFromParts(STARTED + DRIFT + 1),
      true,
    ],
    ['a higher epoch in a digest is a conflict', { nodeId: 'me', epoch: EPOCH + 1 }, undefined, true],
    ['a higher epoch in a delta is a conflict', { nodeId: 'me', epoch: EPOCH + 1 }, hlcFromParts(EPOCH + 2), true],
  ]
  for (const [name, origin, hlc, conflict] of cases) {
    it(`note: ${name}`, () => {
      const { d, seen } = detector()
      d.note(origin, hlc, 'peer-p')
      expect(seen.length).to.equal(conflict ? 1 : 0)
      expect(d.conflicts).to.equal(conflict ? 1 : 0)
      if (conflict) expect(seen[0]).to.include({ nodeId: 'me', epoch: EPOCH, otherEpoch: origin.epoch, from: 'peer-p' })
    })
  }

  it('note reports each foreign epoch once', () => {
    const { d, seen } = detector()
    for (let i = 0; i < 5; i++) d.note({ nodeId: 'me', epoch: EPOCH + 1 }, undefined, `p${i}`)
    d.note({ nodeId: 'me', epoch: EPOCH + 2 }, undefined, 'p')
    expect(seen.map((c) => c.otherEpoch)).to.deep.equal([EPOCH + 1, EPOCH + 2])
  })
})
