// Where set, delete and merge meet on one key (docs/replication.md, "yjs values").
import { expect } from 'chai'
import * as Y from 'yjs'
import { Replica, YjsValueError } from '../../crdt/index.ts'
import { T0 } from './arbitraries.ts'
import { yjsEdit, yjsText } from './cluster.ts'

const replicas = (): [Replica, Replica] => [
  new Replica({ nodeId: 'a', maxBytes: 1 << 20 }),
  new Replica({ nodeId: 'b', maxBytes: 1 << 20 }),
]

describe('crdt/yjs values', () => {
  it('merge on an absent key starts a document; the stored bytes are the document state', () => {
    const [a] = replicas()
    a.merge('doc', yjsEdit(undefined, 1, 'hello', 0), T0)
    const e = a.getEntry('doc', T0)
    expect(yjsText(e?.value as Uint8Array)).to.equal('hello')
    expect(e?.lastMerge?.nodeId).to.equal('a')
    const doc = new Y.Doc()
    Y.applyUpdate(doc, e?.value as Uint8Array)
    expect(Y.encodeStateAsUpdate(doc)).to.deep.equal(e?.value)
  })

  it('merge folds into a document set as a yjs state', () => {
    const [a] = replicas()
    a.set('doc', yjsEdit(undefined, 1, 'abc', 0), {}, T0)
    a.merge('doc', yjsEdit(a.get('doc', T0), 2, 'X', 3), T0 + 1)
    expect(yjsText(a.get('doc', T0 + 1) as Uint8Array)).to.equal('abcX')
    expect(a.getEntry('doc', T0 + 1)?.version.nodeId).to.equal('a') // the base set's version stays the entry's
  })

  it('a set with a higher version replaces the document, and merges made on the old one are stale', () => {
    const [a, b] = replicas()
    const s1 = a.set('doc', yjsEdit(undefined, 1, 'old', 0), {}, T0)
    b.apply(s1, T0)
    const m = b.merge('doc', yjsEdit(b.get('doc', T0), 2, '+edit', 3), T0 + 1) // edits s1's document
    const s2 = a.set('doc', yjsEdit(undefined, 3, 'new', 0), {}, T0 + 2) // concurrent replacement
    expect(a.apply(m, T0 + 3)).to.equal('stale')
    expect(b.apply(s2, T0 + 3)).to.equal('applied')
    expect(yjsText(a.get('doc', T0 + 3) as Uint8Array)).to.equal('new')
    expect(a.getEntry('doc', T0 + 3)).to.deep.equal(b.getEntry('doc', T0 + 3))
  })

  it('a merge that arrives before the set it edits is kept, and the set folds in when it comes', () => {
    const [a, b] = replicas()
    const s = a.set('doc', yjsEdit(undefined, 1, 'base', 0), {}, T0)
    const m = a.merge('doc', yjsEdit(a.get('doc', T0), 2, '!', 4), T0 + 1)
    expect(b.apply(m, T0 + 2)).to.equal('applied')
    expect(b.apply(s, T0 + 2)).to.equal('applied')
    expect(yjsText(b.get('doc', T0 + 2) as Uint8Array)).to.equal('base!')
    expect(b.getEntry('doc', T0 + 2)).to.deep.equal(a.getEntry('doc', T0 + 2))
    expect(b.apply(s, T0 + 2)).to.equal('stale')
    expect(b.apply(m, T0 + 2)).to.equal('stale')
  })

  it('a merge after a delete starts a new document on the tombstone; a newer delete removes it', () => {
    const [a, b] = replicas()
    a.set('doc', yjsEdit(undefined, 1, 'x', 0), {}, T0)
    const d = a.delete('doc', {}, T0 + 1)
    const m = a.merge('doc', yjsEdit(undefined, 2, 'revived', 0), T0 + 2)
    expect(yjsText(a.get('doc', T0 + 2) as Uint8Array)).to.equal('revived')
    b.apply(m, T0 + 3)
    b.apply(d, T0 + 3)
    expect(b.getEntry('doc', T0 + 3)).to.deep.equal(a.getEntry('doc', T0 + 3))
    const d2 = b.delete('doc', {}, T0 + 4)
    a.apply(d2, T0 + 5)
    expect(a.get('doc', T0 + 5)).to.equal(undefined)
    expect(a.apply(m, T0 + 5)).to.equal('stale')
  })

  it('merge refuses bytes that are not a yjs update, changing nothing', () => {
    const [a] = replicas()
    a.set('plain', new Uint8Array([0xff, 0xff, 0xff, 0xff]), {}, T0)
    expect(() => a.merge('plain', yjsEdit(undefined, 1, 'x', 0), T0 + 1)).to.throw(YjsValueError)
    expect(() => a.merge('doc', new Uint8Array([0xff, 0xff, 0xff]), T0 + 1)).to.throw(YjsValueError).with.property('code', 'ERR_YJS_VALUE')
    expect(a.log.lastSeq).to.equal(1)
  })

  it('since streams a document as one merge with its base and full state', () => {
    const [a, b] = replicas()
    a.set('doc', yjsEdit(undefined, 1, 'ab', 0), {}, T0)
    a.merge('doc', yjsEdit(a.get('doc', T0), 2, 'c', 2), T0 + 1)
    const [d] = [...a.since(0 as never)]
    expect(d.op).to.equal('merge')
    expect(d.base).to.deep.equal(a.getEntry('doc', T0 + 1)?.version)
    b.apply(d, T0 + 2)
    expect(b.getEntry('doc', T0 + 2)).to.deep.equal(a.getEntry('doc', T0 + 2))
  })
})
