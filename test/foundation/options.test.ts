import { expect } from 'chai'
import {
  bool,
  finiteNumber,
  intInRange,
  nonNegativeInt,
  nonNegativeNumber,
  numberAtLeast,
  numberInRange,
  positiveInt,
  positiveNumber,
  ratio,
} from '../../lib/foundation/index.ts'

describe('foundation option checkers', () => {
  it('each returns an accepted value unchanged', () => {
    expect(positiveInt('T', 'n', 1)).to.equal(1)
    expect(nonNegativeInt('T', 'n', 0)).to.equal(0)
    expect(intInRange('T', 'n', 5, 5, 5)).to.equal(5)
    expect(finiteNumber('T', 'n', -0.5)).to.equal(-0.5)
    expect(nonNegativeNumber('T', 'n', 0.25)).to.equal(0.25)
    expect(positiveNumber('T', 'n', 1e-9)).to.equal(1e-9)
    expect(numberAtLeast('T', 'n', 64, 64)).to.equal(64)
    expect(numberInRange('T', 'n', 10, 0, 10)).to.equal(10)
    expect(ratio('T', 'n', 1)).to.equal(1)
    expect(bool('T', 'n', false)).to.equal(false)
  })

  it('each refuses with a TypeError of the form "<owner>: <name> must be …, got …"', () => {
    const table: [() => unknown, string][] = [
      [() => positiveInt('OriginLog', 'maxDeltas', 0), 'OriginLog: maxDeltas must be a positive integer, got 0'],
      [() => nonNegativeInt('HintReceiver', 'absentKeysMax', -1), 'HintReceiver: absentKeysMax must be an integer ≥ 0, got -1'],
      [() => intInRange('createCacheNode', 'ackTimeoutMs', 0, 1, 10), 'createCacheNode: ackTimeoutMs must be an integer in [1, 10], got 0'],
      [() => finiteNumber('createCacheNode', 'faultSeed', Number.NaN), 'createCacheNode: faultSeed must be a finite number, got NaN'],
      [() => nonNegativeNumber('Replica', 'maxClockDriftMs', -1), 'Replica: maxClockDriftMs must be a finite number ≥ 0, got -1'],
      [() => positiveNumber('swim', 'probeIntervalMs', 0), 'swim: probeIntervalMs must be a finite number > 0, got 0'],
      [() => numberAtLeast('swim', 'piggybackBytesMax', 63, 64), 'swim: piggybackBytesMax must be a finite number ≥ 64, got 63'],
      [() => numberInRange('S3FifoStore', 'ghostRatio', 11, 0, 10), 'S3FifoStore: ghostRatio must be in [0, 10], got 11'],
      [() => ratio('createCacheNode', 'dropGossipRate', 2), 'createCacheNode: dropGossipRate must be in [0, 1], got 2'],
      [() => bool('createCacheNode', 'mdns', 1 as never), 'createCacheNode: mdns must be true or false, got 1'],
    ]
    for (const [f, message] of table) expect(f, message).to.throw(TypeError, message)
  })

  it('integers must be safe integers; numbers must be numbers', () => {
    for (const v of [1.5, 2 ** 53, Number.POSITIVE_INFINITY, Number.NaN, '3' as never, undefined as never]) {
      expect(() => positiveInt('T', 'n', v)).to.throw(TypeError)
      expect(() => nonNegativeInt('T', 'n', v)).to.throw(TypeError)
      expect(() => intInRange('T', 'n', v, 0, 2 ** 60)).to.throw(TypeError)
    }
    for (const v of [Number.POSITIVE_INFINITY, Number.NaN, '3' as never, null as never]) {
      expect(() => finiteNumber('T', 'n', v)).to.throw(TypeError)
      expect(() => nonNegativeNumber('T', 'n', v)).to.throw(TypeError)
      expect(() => positiveNumber('T', 'n', v)).to.throw(TypeError)
      expect(() => ratio('T', 'n', v)).to.throw(TypeError)
    }
    expect(() => bool('T', 'n', 'true' as never)).to.throw(TypeError)
  })
})
