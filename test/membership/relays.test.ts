import { expect } from 'chai'
import { RelayTable } from '../../membership/relays.ts'

describe('RelayTable', () => {
  it('open past max drops the oldest relay and counts it', () => {
    const t = new RelayTable(2)
    t.open(1, 'a', 10, false, 0, 500)
    t.open(2, 'b', 20, false, 0, 500)
    t.open(3, 'c', 30, false, 0, 500)
    expect([t.size, t.dropped]).to.deep.equal([2, 1])
    expect(t.close(1), 'the oldest was dropped').to.equal(undefined)
    expect(t.close(3)?.requester).to.equal('c')
    expect([t.size, t.dropped]).to.deep.equal([1, 1])
  })

  it('expire nacks due relays once and drops expired ones', () => {
    const t = new RelayTable(8)
    t.open(1, 'a', 10, true, 0, 500)
    t.open(2, 'b', 20, false, 0, 1000)
    const nacked: string[] = []
    t.expire(400, (r) => nacked.push(r.requester))
    t.expire(450, (r) => nacked.push(r.requester))
    expect(nacked).to.deep.equal(['a'])
    t.expire(500, () => {})
    expect(t.size).to.equal(1)
    expect(t.nextDeadlineMs()).to.equal(1000)
  })
})
