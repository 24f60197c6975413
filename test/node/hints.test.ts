// Node-side hot-key hints (lib/hints/rounds.ts): HotKeyHints (tick drains and publishes, receive
// boosts, bounds per member, malformed input counted, the switch), TakeoverTracker, the
// mechanism on two Replicas, and the takeover experiment (bench/_takeover-sim.ts) on a real
// trace showing hints beat no hints for the node that takes over.
import { expect } from 'chai'
import { Replica, type Delta } from '../../crdt/index.ts'
import { S3FifoStore } from '../../lib/index.ts'
import { HotKeyHints } from '../../lib/hints/index.ts'
import { TakeoverTracker } from '../../lib/node/takeover.ts'
import { decodeHint, encodeHint } from '../../lib/hints/codec.ts'
import { loadTrace, traceFile, tracesDir } from '../../examples/traces.ts'
import { runTakeover } from '../../bench/_takeover-sim.ts'

const ONE = new Uint8Array(1)

/** A store of 20 one-byte entries whose first insert k0 is promoted to main at the 21st. */
function storeWithPromotion(): S3FifoStore {
  const store = new S3FifoStore({ maxBytes: 20, sizeOf: () => 1, hotKeysMax: 64 })
  for (let i = 0; i < 20; i++) store.set(`k${i}`, ONE)
  store.get('k0')
  store.get('k0')
  store.set('k20', ONE)
  return store
}

describe('HotKeyHints', () => {
  it('tick drains promotions into one hint that a peer applies; stats count both ends', () => {
    const sent: Uint8Array[] = []
    const a = new HotKeyHints({ enabled: true, store: storeWithPromotion(), publish: (b) => void sent.push(b) })
    const bStore = new S3FifoStore({ maxBytes: 100, sizeOf: () => 1, hotKeysMax: 64 })
    bStore.set('k0', ONE)
    const b = new HotKeyHints({ enabled: true, store: bStore, publish: () => undefined })
    const bytes = a.tick()
    expect(bytes).to.not.equal(undefined)
    expect(sent).to.have.length(1)
    expect(b.receive('a', sent[0])).to.equal(1)
    expect(S3FifoStore.unsafeExposeInternals(bStore).freqOf('k0')).to.equal(2)
    expect(a.stats()).to.include({ sent: 1, keysSent: 1, bytesSent: bytes!.byteLength })
    expect(b.stats()).to.include({ received: 1, applied: 1, hints: 1, bytesReceived: bytes!.byteLength })
    expect(a.tick()).to.equal(undefined) // nothing new got hot
  })

  it('tick does not hint a key again within resendAfterRounds rounds', () => {
    // Each round: a fresh small queue whose oldest entry `x` was read once, then pushed out
    // of small by one more write (promotionThreshold 1): x is promoted every round.
    const store = new S3FifoStore({ maxBytes: 20, sizeOf: () => 1, hotKeysMax: 64, promotionThreshold: 1 })
    const h = new HotKeyHints({ enabled: true, store, publish: () => undefined, resendAfterRounds: 2 })
    const promoteX = (round: number): void => {
      store.clear()
      store.set('x', ONE)
      for (let i = 0; i < 19; i++) store.set(`r${round}-${i}`, ONE)
      store.get('x')
      store.set(`r${round}-push`, ONE)
      expect(S3FifoStore.unsafeExposeInternals(store).mainKeys()).to.deep.equal(['x'])
    }
    const hinted = (bytes: Uint8Array | undefined): string[] => (bytes === undefined ? [] : decodeHint(bytes).keys)
    promoteX(1)
    expect(hinted(h.tick())).to.deep.equal(['x'])
    promoteX(2)
    expect(hinted(h.tick())).to.deep.equal([])
    promoteX(3)
    expect(hinted(h.tick())).to.deep.equal(['x'])
  })

  it('receive drops messages over the per-member bound until the next tick, and counts malformed ones', () => {
    const store = new S3FifoStore({ maxBytes: 100, sizeOf: () => 1, hotKeysMax: 8 })
    store.set('k', ONE)
    const bad: string[] = []
    const h = new HotKeyHints({
      enabled: true,
      store,
      publish: () => undefined,
      messagesPerMemberPerRound: 1,
      onMalformed: (from) => void bad.push(from),
    })
    const hint = encodeHint({ keys: ['k'], freq: 2 }).bytes
    expect(h.receive('p', hint)).to.equal(1)
    expect(h.receive('p', hint)).to.equal(0)
    expect(h.receive('q', Uint8Array.from([7, 7, 7]))).to.equal(0)
    h.tick()
    expect(h.receive('p', hint)).to.equal(0) // already at 2: applied nothing, but accepted
    expect(h.stats()).to.include({ received: 4, droppedOverLimit: 1, malformed: 1, hints: 2, alreadyHot: 1 })
    expect(bad).to.deep.equal(['q'])
  })

  it('disabled (the default) sends nothing and ignores what arrives; enabling needs a hot-key ring', () => {
    const store = storeWithPromotion()
    let published = 0
    const h = new HotKeyHints({ store, publish: () => void published++ })
    expect(h.enabled).to.equal(false)
    expect(h.tick()).to.equal(undefined)
    expect(h.receive('p', encodeHint({ keys: ['k1'], freq: 2 }).bytes)).to.equal(0)
    h.start()
    h.stop()
    expect(published).to.equal(0)
    expect(() => new HotKeyHints({ enabled: true, store: new S3FifoStore({ maxBytes: 100 }), publish: () => undefined })).to.throw(
      TypeError,
      'hotKeysMax',
    )
    expect(() => new HotKeyHints({ store, publish: () => undefined, keysPerRound: 0 })).to.throw(TypeError, 'keysPerRound')
    expect(() => new HotKeyHints({ store, publish: () => undefined, boostFreq: 4 })).to.throw(TypeError, 'freq')
  })

  it('a failing publish is counted, never thrown', async () => {
    const h = new HotKeyHints({ enabled: true, store: storeWithPromotion(), publish: () => Promise.reject(new Error('no peers')) })
    h.tick()
    await new Promise((resolve) => setImmediate(resolve))
    expect(h.stats().publishFailures).to.equal(1)
  })
})

describe('TakeoverTracker', () => {
  it('memberDied opens a window of windowReads reads; a new death restarts it', () => {
    const t = new TakeoverTracker(3)
    t.noteRead(true)
    expect(t.stats()).to.deep.equal({ deaths: 0, last: undefined })
    t.memberDied('a', 100)
    t.noteRead(true)
    t.noteRead(false)
    expect(t.stats().last).to.deep.include({ member: 'a', reads: 2, hits: 1, hitRatio: 0.5, done: false })
    t.noteRead(true)
    t.noteRead(true)
    expect(t.stats().last).to.deep.include({ reads: 3, hits: 2, done: true })
    t.memberDied('b', 200)
    expect(t.stats()).to.deep.include({ deaths: 2 })
    expect(t.stats().last).to.deep.include({ member: 'b', sinceMs: 200, reads: 0, hitRatio: 0 })
  })
})

describe('hot-key hints between replicas', () => {
  // Two replicas of 20 one-byte entries. A reads `hot` twice; both receive the same writes.
  // When the 21st write arrives, A promotes `hot` to main, B (which never read it) drops it
  // to its ghost — unless A's hint reached B first.
  function run(hints: boolean): boolean {
    const mk = (id: string): Replica => new Replica({ nodeId: id, maxBytes: 20, store: { sizeOf: () => 1, hotKeysMax: 64 } })
    const a = mk('a')
    const b = mk('b')
    const bHints = new HotKeyHints({ enabled: true, store: b.store, publish: () => undefined })
    let hint: Uint8Array | undefined
    const aHints = new HotKeyHints({ enabled: true, store: a.store, publish: (bytes) => void (hint = bytes) })
    let now = 1
    const write = (key: string): Delta => a.set(key, ONE, {}, now++)
    b.apply(write('hot'), now)
    a.get('hot', now)
    a.get('hot', now)
    const pending: Delta[] = []
    for (let i = 0; i < 20; i++) pending.push(write(`f${i}`))
    aHints.tick()
    if (hints && hint !== undefined) bHints.receive('a', hint)
    for (const d of pending) b.apply(d, now)
    for (let i = 20; i < 35; i++) b.apply(write(`f${i}`), now)
    return b.get('hot', now) !== undefined
  }

  it('a hinted key B holds in small is promoted on B, so B still holds it after its small turns over', () => {
    expect(run(false)).to.equal(false)
    expect(run(true)).to.equal(true)
  })
})

describe('takeover on a real trace (bench/_takeover-sim.ts)', function () {
  if (traceFile('cache2k_web12') === undefined) {
    it.skip(`needs the traces in ${tracesDir}`)
    return
  }
  it('cache2k_web12, key-affinity split: B takes over with a higher hit ratio with hints than without', () => {
    const trace = loadTrace('cache2k_web12')
    const off = runTakeover(trace, { split: 'key' })
    const on = runTakeover(trace, { split: 'key', hints: {} })
    expect(on.first1, 'first 1%').to.be.greaterThan(off.first1)
    expect(on.first5, 'first 5%').to.be.greaterThan(off.first5)
    expect(on.hintBytes).to.be.lessThan(on.deltaBytes * 0.01)
  })
})
