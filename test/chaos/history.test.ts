// The chaos checker (test/support/history.ts) on hand-made histories: each violation it must
// catch — stale read (G4), wrong value, expired read (G5), lost acknowledged write (G6),
// divergence (G2) — is caught, and the legitimate histories next to them pass.
import { expect } from 'chai'
import type { Hlc, Version } from '../../crdt/index.ts'
import { checkHistory, converged, History, type ReplicaState } from '../support/history.ts'

const v = (hlc: number, nodeId = 'A', userVersion = 0): Version => ({ userVersion, hlc: hlc as Hlc, nodeId })

function set(h: History, node: string, key: string, value: string, version: Version, outcome: 'ok' | 'acked' | 'ack-failed' = 'ok'): void {
  const w = h.beginWrite(node, key, 'set', value, outcome !== 'ok')
  h.endWrite(w, { version, acked: outcome === 'ok' ? undefined : outcome === 'acked' })
}
function del(h: History, node: string, key: string, version: Version, outcome: 'ok' | 'acked' = 'ok'): void {
  const w = h.beginWrite(node, key, 'delete', undefined, outcome !== 'ok')
  h.endWrite(w, { version, acked: outcome === 'ok' ? undefined : true })
}
function read(
  h: History,
  node: string,
  key: string,
  value: string | null,
  version: Version | null,
  expiresAt: number | null = null,
  nodeNow = 1000,
): void {
  const r = h.beginRead(node, key)
  h.endRead(r, { value, version, expiresAt, nodeNow })
}
function state(entries: [string, string, Version, number?][], tombstones: [string, Version][] = []): ReplicaState {
  return {
    entries: entries.map(([key, value, version, expiresAt]) => ({ key, value, version, expiresAt: expiresAt ?? null })),
    tombstones: tombstones.map(([key, version]) => ({ key, version })),
  }
}
const same = (s: ReplicaState, ...nodes: string[]): Map<string, ReplicaState> => new Map(nodes.map((n) => [n, s]))

describe('chaos history checker', () => {
  it('passes a clean history: monotonic reads, acked writes final, replicas identical', () => {
    const h = new History()
    set(h, 'n0', 'k', 'a', v(10, 'A'), 'acked')
    read(h, 'n1', 'k', null, null)
    read(h, 'n1', 'k', 'a', v(10, 'A'))
    set(h, 'n1', 'k', 'b', v(20, 'B'))
    read(h, 'n0', 'k', 'a', v(10, 'A'))
    read(h, 'n0', 'k', 'b', v(20, 'B'))
    read(h, 'n0', 'k', null, null) // a miss is always safe
    const r = checkHistory(h, same(state([['k', 'b', v(20, 'B')]]), 'n0', 'n1', 'n2'))
    expect(r.all).to.deep.equal([])
  })

  it('catches a stale read: an older version after a newer one on the same node', () => {
    const h = new History()
    set(h, 'n0', 'k', 'a', v(10))
    set(h, 'n1', 'k', 'b', v(20, 'B'))
    read(h, 'n2', 'k', 'b', v(20, 'B'))
    read(h, 'n2', 'k', 'a', v(10))
    const r = checkHistory(h, same(state([['k', 'b', v(20, 'B')]]), 'n0'))
    expect(r.staleReads).to.have.length(1)
    expect(r.staleReads[0].node).to.equal('n2')
    expect(r.staleReads[0].message).to.match(/older than/)
    // The same reads on two different nodes are not stale.
    const h2 = new History()
    set(h2, 'n0', 'k', 'a', v(10))
    set(h2, 'n1', 'k', 'b', v(20, 'B'))
    read(h2, 'n2', 'k', 'b', v(20, 'B'))
    read(h2, 'n0', 'k', 'a', v(10))
    expect(checkHistory(h2, same(state([['k', 'b', v(20, 'B')]]), 'n0')).staleReads).to.deep.equal([])
  })

  it('catches a stale read after the node\'s own write or delete (resurrection)', () => {
    const h = new History()
    set(h, 'n0', 'k', 'a', v(10))
    set(h, 'n1', 'k', 'b', v(20, 'B'))
    read(h, 'n1', 'k', 'a', v(10)) // older than its own write
    del(h, 'n2', 'k', v(30, 'C'))
    read(h, 'n2', 'k', 'b', v(20, 'B')) // resurrected after its own delete
    const r = checkHistory(h, new Map())
    expect(r.staleReads.map((x) => x.node)).to.deep.equal(['n1', 'n2'])
  })

  it('orders by the version (userVersion, hlc, nodeId), not by time', () => {
    const h = new History()
    read(h, 'n0', 'k', 'x', v(50, 'A', 2))
    read(h, 'n0', 'k', 'y', v(90, 'B', 1)) // later hlc but lower userVersion: stale
    read(h, 'n1', 'k', 'p', v(50, 'B'))
    read(h, 'n1', 'k', 'q', v(50, 'A')) // same hlc, lower nodeId: stale
    expect(checkHistory(h, new Map()).staleReads.map((x) => x.node)).to.deep.equal(['n0', 'n1'])
  })

  it('catches a read whose value is not the one written with its version', () => {
    const h = new History()
    set(h, 'n0', 'k', 'a', v(10))
    read(h, 'n1', 'k', 'zzz', v(10))
    expect(checkHistory(h, new Map()).wrongValues).to.have.length(1)
  })

  it('catches a read of a value no write produced (its version unknown too), and accepts one whose writer died unanswered', () => {
    const h = new History()
    set(h, 'n0', 'k', 'a', v(10))
    read(h, 'n1', 'k', 'made-up', v(99))
    expect(checkHistory(h, new Map()).wrongValues).to.have.length(1)
    const h2 = new History()
    const w = h2.beginWrite('n0', 'k', 'set', 'b', false)
    h2.endWrite(w, undefined) // the process died before it answered: version unknown
    read(h2, 'n1', 'k', 'b', v(20))
    expect(checkHistory(h2, new Map()).wrongValues).to.deep.equal([])
  })

  it('catches an expired read (G5, on the node\'s own clock)', () => {
    const h = new History()
    set(h, 'n0', 'k', 'a', v(10))
    read(h, 'n1', 'k', 'a', v(10), 5000, 4999)
    read(h, 'n1', 'k', 'a', v(10), 5000, 5000)
    const r = checkHistory(h, new Map())
    expect(r.expiredReads).to.have.length(1)
    expect(r.expiredReads[0].message).to.match(/0 ms after expiry/)
  })

  it('catches a lost acknowledged write: missing, older, or its version with another value', () => {
    const h = new History()
    set(h, 'n0', 'k', 'a', v(10), 'acked')
    const older = state([['k', 'old', v(5, 'Z')]])
    const good = state([['k', 'a', v(10)]])
    const missing = new Map([['n0', good], ['n1', good], ['n2', state([])]])
    expect(checkHistory(h, missing).lostAckedWrites.map((x) => x.node)).to.deep.equal(['n2'])
    expect(checkHistory(h, new Map([['n0', good], ['n1', older]])).lostAckedWrites.map((x) => x.node)).to.deep.equal(['n1'])
    expect(checkHistory(h, new Map([['n0', state([['k', 'b', v(10)]])]])).lostAckedWrites).to.have.length(1)
    // An acked delete that comes back as its own version's value is lost too.
    const h2 = new History()
    del(h2, 'n0', 'k', v(10), 'acked')
    const revived = new Map([['n0', state([], [['k', v(10)]])], ['n1', state([['k', 'a', v(3)]])]])
    expect(checkHistory(h2, revived).lostAckedWrites.map((x) => x.node)).to.deep.equal(['n1'])
  })

  it('accepts an acked write beaten by a higher version (set or delete), and ignores writes not acked', () => {
    const h = new History()
    set(h, 'n0', 'k', 'a', v(10), 'acked')
    set(h, 'n0', 'j', 'a', v(11), 'acked')
    set(h, 'n1', 'i', 'x', v(12), 'ack-failed') // not acknowledged: may be lost
    set(h, 'n1', 'h', 'x', v(13)) // no ack asked
    const s = state([['k', 'b', v(20, 'B')]], [['j', v(30, 'C')]])
    expect(checkHistory(h, same(s, 'n0', 'n1', 'n2')).all).to.deep.equal([])
  })

  it('catches an acked write not visible afterwards on a node that acknowledged it', () => {
    const h = new History()
    read(h, 'n1', 'k', 'old', v(5, 'B'))
    const w = h.beginWrite('n0', 'k', 'set', 'a', true, h.t0 + 10)
    h.endWrite(w, { version: v(10), acked: true, ackedBy: ['n1'] }, h.t0 + 20)
    const during = h.beginRead('n2', 'k', h.t0 + 25) // n2 did not acknowledge: not checked
    h.endRead(during, { value: 'old', version: v(5, 'B'), expiresAt: null, nodeNow: 0 })
    const before = h.beginRead('n1', 'k', h.t0 + 15) // before the ack: may be older
    h.endRead(before, { value: 'old', version: v(5, 'B'), expiresAt: null, nodeNow: 0 })
    const miss = h.beginRead('n1', 'k', h.t0 + 30) // a miss proves nothing
    h.endRead(miss, { value: null, version: null, expiresAt: null, nodeNow: 0 })
    const after = h.beginRead('n1', 'k', h.t0 + 40)
    h.endRead(after, { value: 'old', version: v(5, 'B'), expiresAt: null, nodeNow: 0 })
    const r = checkHistory(h, new Map())
    expect(r.ackNotVisible).to.have.length(1)
    expect(r.ackNotVisible[0].message).to.match(/^n1 #4 read k at v\(0,5,B\) 20 ms after n0 #1 set/)
  })

  it('accepts an acked set with a TTL that expired (its version kept as a ghost), not one without', () => {
    const h = new History()
    const w = h.beginWrite('n0', 'k', 'set', 'a', true, h.t0, 1000)
    h.endWrite(w, { version: v(10), acked: true })
    const expired: ReplicaState = { entries: [], tombstones: [], ghosts: [{ key: 'k', version: v(10) }] }
    expect(checkHistory(h, same(expired, 'n0', 'n1')).all).to.deep.equal([])
    const h2 = new History()
    set(h2, 'n0', 'k', 'a', v(10), 'acked')
    expect(checkHistory(h2, same(expired, 'n0')).lostAckedWrites).to.have.length(1)
  })

  it('catches divergence: a key absent on one replica, or held at different versions or expiries', () => {
    const a = state([['k', 'a', v(10)], ['j', 'x', v(11)], ['e', 'y', v(12), 7000]])
    const b = state([['k', 'b', v(20, 'B')], ['j', 'x', v(11)], ['e', 'y', v(12), 7001]])
    const c = state([['k', 'a', v(10)], ['e', 'y', v(12), 7000]])
    const r = checkHistory([], new Map([['n0', a], ['n1', b], ['n2', c]]))
    expect(r.divergences.map((x) => x.key)).to.deep.equal(['e', 'j', 'k'])
    expect(r.divergences.find((x) => x.key === 'j')?.message).to.match(/n2: absent/)
    expect(checkHistory([], same(a, 'n0', 'n1', 'n2')).divergences).to.deep.equal([])
  })

  it('waits for tombstones too: replicas that all read a miss are not converged while one holds an older delete', () => {
    const newer = state([['j', 'x', v(11)]], [['k', v(30, 'B')]])
    const older = state([['j', 'x', v(11)]], [['k', v(20, 'C')]])
    const r = checkHistory([], new Map([['n0', newer], ['n1', older]]))
    expect(r.divergences, 'the live entries are the same').to.deep.equal([])
    expect(converged(new Map([['n0', newer], ['n1', older]]))).to.equal(false)
    expect(converged(new Map([['n0', newer], ['n1', newer]]))).to.equal(true)
  })

  it('restricts the check to a run\'s keys on a shared cluster', () => {
    const h = new History()
    set(h, 'n0', 'old', 'a', v(10), 'acked')
    set(h, 'n0', 'k', 'a', v(11), 'acked')
    const finals = new Map([['n0', state([['k', 'a', v(11)]])], ['n1', state([['k', 'a', v(11)], ['other', 'z', v(1)]])]])
    expect(checkHistory(h, finals).all).to.have.length(3)
    expect(checkHistory(h, finals, new Set(['k'])).all).to.deep.equal([])
  })

  it('prints a one-line-per-event trace in time order', () => {
    const h = new History()
    h.note('partition h2', h.t0 + 5)
    const w = h.beginWrite('n0', 'k', 'set', 'a', true, h.t0 + 1)
    h.endWrite(w, { version: v(10, '12D3KooWabcdef'), acked: false, ackError: { missing: ['12D3KooWxyz123'] } }, h.t0 + 20)
    const r = h.beginRead('n1', 'k', h.t0 + 30)
    h.endRead(r, undefined, h.t0 + 31)
    expect(h.trace().split('\n')).to.deep.equal([
      '     1 ms  n0 #1 set k=a ack:all -> v(0,10,abcdef) ack-failed missing=xyz123 (19 ms)',
      '     5 ms  -- partition h2',
      '    30 ms  n1 #1 get k -> no answer',
    ])
  })
})
