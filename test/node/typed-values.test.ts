// Typed values through the public API: createCacheNode<T>({ valueCodec }) takes and returns JS
// values ('json', 'v8', or the program's own codec) on every read and write method, replicated
// between two nodes; a codec that throws refuses the write before anything is sent; bytes that do
// not decode are a ValueCodecError, not a silent miss; keepDecoded returns the kept object.
import { expect } from 'chai'
import { createCacheNode, loaded, ValueCodecError, WriteRefusedError, type CacheNode, type ValueCodec } from '../../lib/index.ts'
import { waitFor } from '../support/cluster.ts'
import { PAIR_DEFAULTS, startPair } from '../support/node-pair.ts'


interface User {
  name: string
  roles: string[]
}

describe('typed values (valueCodec)', function () {
  const started: CacheNode<unknown>[] = []
  type Codec<T> = 'json' | 'v8' | ValueCodec<T>
  const pair = async <T>(valueCodec: Codec<T>, keepDecoded = false): Promise<[CacheNode<T>, CacheNode<T>]> => {
    const nodes = await startPair<T>({ valueCodec, keepDecoded })
    started.push(...(nodes as CacheNode<unknown>[]))
    return nodes
  }
  afterEach(async () => {
    await Promise.all(started.splice(0).map((n) => n.close()))
  })

  it("'json': set, setMany, get, getMany, getEntry, entries and getOrLoad take and return objects on both nodes", async () => {
    const [a, b] = await pair<User>('json')
    await a.set('user:1', { name: 'Ada', roles: ['admin'] }, { ack: 'all' })
    expect(b.get('user:1')).to.deep.equal({ name: 'Ada', roles: ['admin'] })
    await b.setMany(
      [
        { key: 'user:2', value: { name: 'Grace', roles: [] } },
        { key: 'user:3', value: { name: 'Barbara', roles: ['ops'] }, tags: ['ops'] },
      ],
      { ack: 'all' },
    )
    expect(a.getMany(['user:2', 'user:3', 'nobody'])).to.deep.equal([
      { name: 'Grace', roles: [] },
      { name: 'Barbara', roles: ['ops'] },
      undefined,
    ])
    expect(a.getEntry('user:3')).to.include({ expiresAt: undefined }).and.have.deep.property('value', { name: 'Barbara', roles: ['ops'] })
    expect([...a.entries('user:')].map(([k, e]) => [k, e.value.name]).sort()).to.deep.equal([
      ['user:1', 'Ada'],
      ['user:2', 'Grace'],
      ['user:3', 'Barbara'],
    ])
    const got = await a.getOrLoad('user:4', () => loaded({ name: 'Linus', roles: [] }, { userVersion: 7 }), { ttlMs: 60_000, ack: 'all' })
    expect(got).to.deep.equal({ name: 'Linus', roles: [] })
    expect(b.getEntry('user:4')?.version.userVersion).to.equal(7)
    expect(await b.getOrLoad('user:4', () => ({ name: 'never', roles: [] }), { ttlMs: 60_000 })).to.deep.equal({ name: 'Linus', roles: [] })
    expect(a.get('user:1')).to.not.equal(a.get('user:1'), 'a new object at every get')
  })

  it("'v8': Dates, Maps and typed arrays survive the trip", async () => {
    const [a, b] = await pair<{ at: Date; seen: Map<string, number>; raw: Uint8Array }>('v8')
    await a.set('k', { at: new Date(5), seen: new Map([['x', 1]]), raw: Uint8Array.of(1, 2) }, { ack: 'all' })
    expect(b.get('k')).to.deep.equal({ at: new Date(5), seen: new Map([['x', 1]]), raw: Uint8Array.of(1, 2) })
  })

  it('a codec that throws refuses the write, naming the value (and the entry of a batch), with nothing sent', async () => {
    const strict: ValueCodec<number> = {
      encode: (n) => {
        if (!Number.isInteger(n)) throw new RangeError(`${n} is not an integer`)
        return new TextEncoder().encode(String(n))
      },
      decode: (bytes) => Number(new TextDecoder().decode(bytes)),
    }
    const [a, b] = await pair(strict)
    const writes = a.stats().replica.writes
    const err = await a.set('n', 1.5).catch((e: unknown) => e)
    expect(err).to.be.instanceOf(WriteRefusedError).with.property('argument', 'value')
    expect((err as Error).cause).to.be.instanceOf(RangeError)
    const batch = await a.setMany([{ key: 'n1', value: 1 }, { key: 'n2', value: 2.5 }]).catch((e: unknown) => e)
    expect(batch).to.be.instanceOf(WriteRefusedError).with.property('index', 1)
    expect(a.stats().replica.writes, 'nothing applied or sent').to.equal(writes)
    await a.set('n', 42, { ack: 'all' })
    expect(b.get('n')).to.equal(42)
  })

  it('bytes another codec wrote are a ValueCodecError naming the key, not a silent miss', async () => {
    const bytesNode = await createCacheNode({ ...PAIR_DEFAULTS, warmupPeers: 0 })
    started.push(bytesNode as CacheNode<unknown>)
    const jsonNode = await createCacheNode<User>({ ...PAIR_DEFAULTS, bootstrap: bytesNode.addresses(), valueCodec: 'json' })
    started.push(jsonNode as CacheNode<unknown>)
    const both = [bytesNode, jsonNode] as CacheNode<unknown>[]
    await waitFor(() => both.every((n) => n.members().filter((m) => m.state === 'alive').length === 2), {
      timeoutMs: 15_000,
      what: 'membership',
    })
    await bytesNode.set('raw', Uint8Array.of(0xff, 0x00), { ack: 'all' })
    expect(() => jsonNode.get('raw')).to.throw(ValueCodecError).with.property('key', 'raw')
    expect(() => jsonNode.get('raw')).to.throw(/does not decode with this node's valueCodec/)
  })

  it('keepDecoded returns the object kept beside the bytes until the entry changes', async () => {
    const [a] = await pair<User>('json', true)
    await a.set('k', { name: 'Ada', roles: [] })
    const first = a.get('k')
    expect(a.get('k'), 'the same object').to.equal(first)
    await a.set('k', { name: 'Ada', roles: ['admin'] })
    expect(a.get('k')).to.not.equal(first)
    expect(a.get('k')).to.deep.equal({ name: 'Ada', roles: ['admin'] })
  })

  it('refuses a codec that is not one, and a keepDecoded that is not a boolean, naming the option', async () => {
    for (const [init, name] of [
      [{ valueCodec: 'yaml' }, 'valueCodec'],
      [{ valueCodec: { encode: () => new Uint8Array() } }, 'valueCodec'],
      [{ keepDecoded: 'yes' }, 'keepDecoded'],
    ] as const) {
      const err = await createCacheNode(init as never).catch((e: unknown) => e)
      expect(err).to.be.instanceOf(TypeError)
      expect((err as Error).message).to.include(name)
    }
  })
})
