// CacheNodeEvents knows whether anyone listens (the node builds no key:changed event for
// nobody): the count follows addEventListener, removeEventListener, `once` and `signal` exactly
// as the EventTarget underneath delivers.
import { expect } from 'chai'
import { CacheNodeEvents, type CacheNodeEventMap } from '../../lib/node/events.ts'

/** The node's event base, with its protected door opened for the test. */
class Probe extends CacheNodeEvents {
  listening(): boolean {
    return this.listens('key:changed')
  }

  fire(): void {
    const version = { userVersion: 0, hlc: 1, nodeId: 'n' } as CacheNodeEventMap['key:changed']['detail']['version']
    this.dispatch('key:changed', { key: 'k', op: 'set', origin: 'n', version, from: undefined })
  }
}

describe('CacheNodeEvents.listens', () => {
  it('add and remove: listening while a listener is attached, not after', () => {
    const p = new Probe()
    let calls = 0
    const l = (): void => void calls++
    expect(p.listening()).to.equal(false)
    p.addEventListener('key:changed', l)
    p.addEventListener('key:changed', l) // a second add of the same listener is ignored, as by EventTarget
    expect(p.listening()).to.equal(true)
    p.fire()
    expect(calls).to.equal(1)
    p.removeEventListener('key:changed', l)
    expect(p.listening()).to.equal(false)
    p.fire()
    expect(calls).to.equal(1)
  })

  it('a once listener is forgotten after it ran, and can be removed before it runs', () => {
    const p = new Probe()
    let calls = 0
    const l = (): void => void calls++
    p.addEventListener('key:changed', l, { once: true })
    expect(p.listening()).to.equal(true)
    p.fire()
    p.fire()
    expect(calls).to.equal(1)
    expect(p.listening()).to.equal(false)
    p.addEventListener('key:changed', l, { once: true })
    p.removeEventListener('key:changed', l)
    p.fire()
    expect(calls).to.equal(1)
    expect(p.listening()).to.equal(false)
  })

  it('an aborted signal removes its listener; one aborted already adds nothing; the count follows delivery', () => {
    const p = new Probe()
    let calls = 0
    const l = (): void => void calls++
    const ac = new AbortController()
    p.addEventListener('key:changed', l, { signal: ac.signal })
    expect(p.listening()).to.equal(true)
    ac.abort()
    expect(p.listening()).to.equal(false)
    p.fire()
    expect(calls).to.equal(0)
    p.addEventListener('key:changed', l, { signal: ac.signal })
    expect(p.listening()).to.equal(false)
    // Node's EventTarget removes the listener itself on abort, even one added again since
    // without the signal: the count must follow what is delivered, not what looks intended.
    const first = new AbortController()
    p.addEventListener('key:changed', l, { signal: first.signal })
    p.removeEventListener('key:changed', l)
    p.addEventListener('key:changed', l)
    first.abort()
    p.fire()
    expect(p.listening(), 'listening iff the listener is still delivered to').to.equal(calls === 1)
  })
})
