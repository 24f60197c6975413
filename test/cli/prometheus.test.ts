// renderPrometheus: the exposition format's rules checked on the text (HELP and TYPE for every
// family, prefix, _total counters, units, label escaping), then `promtool check metrics` on a
// rendering with hostile label values. The stats come from a real node in this process, so
// the fixture always has NodeStats' current shape; the test only overrides a few fields.
import { readFileSync } from 'node:fs'
import { expect } from 'chai'
import { createCacheNode, renderPrometheus, type CacheNode, type Member, type NodeStats } from '../../lib/index.ts'
import { escapeLabelValue } from '../../lib/node/prometheus.ts'
import { findPromtool, PROMTOOL_INSTALL, promtoolCheck } from './http-client.ts'

const NASTY = 'peer "quoted" \\ back\\slash\nnew line'
const promtool = findPromtool()

describe('renderPrometheus', function () {
  let node: CacheNode
  let stats: NodeStats
  let members: Member[]

  before(async () => {
    node = await createCacheNode({ warmupPeers: 0 })
    await node.set('k', new Uint8Array([1]))
    node.get('k')
    node.get('missing')
    stats = {
      ...node.stats(),
      lag: { samples: 10, sumMs: 1234, p50Ms: 1500, p99Ms: 2500, maxMs: 4000 },
      malformedByPeer: { [NASTY]: 3 },
      origins: [{ nodeId: NASTY, epoch: 1, contiguous: 5, highest: 7, abandoned: 0 }],
    }
    members = [...node.members(), { id: NASTY, state: 'suspect', incarnation: 4, addrs: [] }]
  })
  after(() => node?.close())

  it('every family has # HELP then # TYPE once, and every sample belongs to a declared family', () => {
    const lines = renderPrometheus(stats, members).trimEnd().split('\n')
    const declared = new Map<string, string>()
    for (let i = 0; i < lines.length; i++) {
      const help = /^# HELP (\S+) \S/.exec(lines[i])
      if (help === null) continue
      const type = /^# TYPE (\S+) (counter|gauge|summary)$/.exec(lines[i + 1])
      expect(type, `TYPE after HELP ${help[1]}`).to.not.equal(null)
      expect(type![1]).to.equal(help[1])
      expect(declared.has(help[1]), `${help[1]} declared twice`).to.equal(false)
      declared.set(help[1], type![2])
    }
    const series = new Set<string>()
    for (const line of lines.filter((l) => !l.startsWith('#'))) {
      const m = /^([a-z_]+?)(_count|_sum)?(\{.*\})? (\S+)$/.exec(line)
      expect(m, line).to.not.equal(null)
      const base = declared.has(m![1] + (m![2] ?? '')) ? m![1] + (m![2] ?? '') : m![1]
      expect(declared.has(base), `sample of undeclared family: ${line}`).to.equal(true)
      expect(Number.isNaN(Number(m![4])) && m![4] !== 'NaN', line).to.equal(false)
      const key = line.slice(0, line.lastIndexOf(' '))
      expect(series.has(key), `duplicate series ${key}`).to.equal(false)
      series.add(key)
    }
  })

  it('names: prefix also_cache_, counters end in _total, units in base units', () => {
    const text = renderPrometheus(stats, members)
    for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      expect(name).to.match(/^also_cache_[a-z0-9_]+$/)
      if (type === 'counter') expect(name).to.match(/_total$/)
      else expect(name).to.not.match(/_total$/)
      expect(name).to.not.match(/_(ms|milliseconds|kb|mb|percent)(_|$)/)
    }
  })

  it('covers hits, misses, hit ratio, evictions by queue, bytes, entries, deltas, members by state', () => {
    const text = renderPrometheus(stats, members)
    for (const family of [
      'also_cache_hits_total 1',
      'also_cache_misses_total 1',
      'also_cache_hit_ratio 0.5',
      'also_cache_evictions_total{queue="small"}',
      'also_cache_evictions_total{queue="main"}',
      'also_cache_store_events_total{kind="promotion"}',
      'also_cache_store_bytes ',
      'also_cache_entries 1',
      'also_cache_ghost_entries ',
      'also_cache_deltas_sent_total ',
      'also_cache_deltas_received_total ',
      'also_cache_deltas_applied_total ',
      'also_cache_deltas_stale_total ',
      'also_cache_deltas_dropped_total{reason="clock_drift"}',
      'also_cache_replication_batches_total ',
      'also_cache_acked_writes_total{result="succeeded"}',
      'also_cache_repair_range_requests_total ',
      'also_cache_members{state="alive"} 1',
      'also_cache_members{state="dead"} 0',
    ]) {
      expect(text).to.include(family)
    }
  })

  it('replication lag: a summary in seconds (ms from NodeStats ÷ 1000)', () => {
    const text = renderPrometheus(stats)
    expect(text).to.include('# TYPE also_cache_replication_lag_seconds summary')
    expect(text).to.include('also_cache_replication_lag_seconds{quantile="0.5"} 1.5')
    expect(text).to.include('also_cache_replication_lag_seconds{quantile="0.99"} 2.5')
    expect(text).to.include('also_cache_replication_lag_seconds{quantile="1"} 4')
    expect(text).to.include('also_cache_replication_lag_seconds_count 10')
  })

  it('label values escape backslash, double quote and line feed', () => {
    const table: [string, string][] = [
      ['plain', 'plain'],
      ['a"b', 'a\\"b'],
      ['a\\b', 'a\\\\b'],
      ['a\nb', 'a\\nb'],
      ['\\n', '\\\\n'],
      ['ключ', 'ключ'],
    ]
    for (const [raw, escaped] of table) expect(escapeLabelValue(raw), raw).to.equal(escaped)
    const text = renderPrometheus(stats, members)
    const esc = escapeLabelValue(NASTY)
    expect(text).to.include(`also_cache_malformed_messages_total{peer="${esc}"} 3`)
    expect(text).to.include(`also_cache_origin_highest_seq{origin="${esc}",epoch="1"} 7`)
    expect(text).to.include(`also_cache_member_incarnation{id="${esc}",state="suspect"} 4`)
    // No raw line feed escaped into a sample: every line is a comment or a whole sample.
    for (const line of text.trimEnd().split('\n')) expect(line, line).to.match(/^(#|also_cache_)/)
  })

  it('without members, no incarnation family; the member counts stay', () => {
    const text = renderPrometheus(stats)
    expect(text).to.not.include('also_cache_member_incarnation')
    expect(text).to.include('also_cache_members{state="suspect"} 0')
  })

  it('docs/cli.md lists every family rendered', () => {
    const doc = readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8')
    const text = renderPrometheus(
      { ...stats, warmup: { done: true, entries: 0, bytes: 0, peers: 0, ms: 0, snapshot: 'none', complete: true, failedSlices: 0 } },
      members,
    )
    for (const [, name] of text.matchAll(/^# TYPE (\S+) /gm)) expect(doc, `docs/cli.md misses ${name}`).to.include(`| \`${name}\` |`)
  })

  it(
    promtool === undefined
      ? `passes promtool check metrics with hostile labels — SKIPPED: promtool is not on PATH (install: ${PROMTOOL_INSTALL})`
      : 'passes promtool check metrics with hostile labels',
    function () {
      if (promtool === undefined) {
        process.stderr.write(`\n  promtool not found: skipping the promtool check. Install it with: ${PROMTOOL_INSTALL}\n`)
        this.skip()
      }
      const { status, output } = promtoolCheck(renderPrometheus(stats, members))
      expect(output, output).to.equal('')
      expect(status).to.equal(0)
    },
  )
})
