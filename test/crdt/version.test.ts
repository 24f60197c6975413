import { expect } from 'chai'
import fc from 'fast-check'
import { compareVersions, makeVersion, maxVersion, ZERO_VERSION, type Hlc, type Version } from '../../crdt/index.ts'
import { propertyParams } from '../support/seed.ts'

const v = (u: number, h: number, n: string): Version => makeVersion(u, h as Hlc, n)
const arbVersion = fc.record({ userVersion: fc.nat(3), hlc: fc.nat(5), nodeId: fc.constantFrom('a', 'b', 'c') }) as fc.Arbitrary<Version>

describe('crdt/version', () => {
  it('compareVersions orders by userVersion, then hlc, then nodeId (table)', () => {
    const table: [Version, Version, number][] = [
      [v(1, 0, 'a'), v(0, 99, 'z'), 1], // userVersion beats any hlc (G3)
      [v(0, 99, 'z'), v(1, 0, 'a'), -1],
      [v(2, 5, 'a'), v(2, 6, 'a'), -1], // then hlc
      [v(2, 6, 'a'), v(2, 6, 'b'), -1], // then node id
      [v(2, 6, 'b'), v(2, 6, 'b'), 0],
      [ZERO_VERSION, v(0, 1, ''), -1],
    ]
    for (const [a, b, want] of table) {
      expect(Math.sign(compareVersions(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).to.equal(want)
    }
  })

  it('compareVersions is a total order: antisymmetric and transitive (property)', () => {
    fc.assert(
      fc.property(arbVersion, arbVersion, arbVersion, (a, b, c) => {
        if (Math.sign(compareVersions(a, b)) !== -Math.sign(compareVersions(b, a))) return false
        if (compareVersions(a, b) === 0 && JSON.stringify(a) !== JSON.stringify(b)) return false
        if (compareVersions(a, b) <= 0 && compareVersions(b, c) <= 0 && compareVersions(a, c) > 0) return false
        return true
      }),
      propertyParams(500),
    )
  })

  it('maxVersion picks the winner whatever the argument order', () => {
    fc.assert(
      fc.property(arbVersion, arbVersion, (a, b) => {
        const m = maxVersion(a, b)
        // It is one of the two, no lower than either (so not the minimum), and the same both ways.
        return (
          (m === a || m === b) && compareVersions(m, a) >= 0 && compareVersions(m, b) >= 0 && compareVersions(m, maxVersion(b, a)) === 0
        )
      }),
      propertyParams(200),
    )
  })
})
