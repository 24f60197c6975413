// `npm start`: a walkthrough of a local cluster, on loopback only, that needs nothing but
// `npm install`. It runs `also-cache` nodes as child processes (the same CLI a user runs) and
// talks to them over their HTTP interface, as curl would:
//
//   1. start 3 nodes; 2. write on one, read on the others; 3. concurrent writes converge;
//   4. kill -9 one node and watch SWIM detect it; 5. start a fresh node and watch it warm up;
//   6. print stats and where to curl; 7. stop everything and exit 0.
//
//   npm start                 # the walkthrough, then everything stops
//   npm start -- --keep       # leave the cluster running until Ctrl-C
//
// Every wait has a deadline; every child is stopped on exit, even on failure.

import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const MAIN_SCRIPT = fileURLToPath(new URL('./main.ts', import.meta.url))
const { values: flags } = parseArgs({
  options: { keep: { type: 'boolean', default: false }, keys: { type: 'string', default: '3000' }, help: { type: 'boolean', short: 'h' } },
})
if (flags.help) {
  console.log('usage: npm start [-- --keep] [--keys N]   a local cluster walkthrough on 127.0.0.1')
  process.exit(0)
}
const LOAD_KEYS = Math.max(100, Number(flags.keys) || 3000)
const tty = process.stdout.isTTY === true
const bold = (s: string): string => (tty ? `\x1b[1m${s}\x1b[0m` : s)
const dim = (s: string): string => (tty ? `\x1b[2m${s}\x1b[0m` : s)

interface Node {
  name: string
  child: ChildProcess
  url: string
  id: string
  addrs: string[]
}
const nodes: Node[] = []
process.on('exit', () => {
  for (const n of nodes) n.child.kill('SIGKILL')
})

function startNode(name: string, bootstrap: string[]): Promise<Node> {
  const args = [MAIN_SCRIPT, '--http', '127.0.0.1:0', '--listen', '/ip4/127.0.0.1/tcp/0', '--swim-profile', 'local']
  for (const b of bootstrap) args.push('--bootstrap', b)
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (err += s))
  return deadline(
    new Promise<Node>((resolve, reject) => {
      child.stdout?.setEncoding('utf8').on('data', (s: string) => {
        out += s
        const url = /^\s+http\s+(http:\/\/\S+)$/m.exec(out)?.[1]
        const id = /^\s+peer id\s+(\S+)$/m.exec(out)?.[1]
        if (url !== undefined && id !== undefined) {
          const node = { name, child, url, id, addrs: [...out.matchAll(/^\s+listen\s+(\S+)$/gm)].map((m) => m[1]) }
          nodes.push(node)
          resolve(node)
        }
      })
      child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before starting:\n${err}`)))
    }),
    30_000,
    `${name} to start`,
  )
}

async function http(node: Node, method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${node.url}${path}`, { method, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(10_000) })
  return { status: res.status, text: await res.text() }
}

async function until(cond: () => Promise<boolean>, ms: number, what: string): Promise<number> {
  const t0 = performance.now()
  while (!(await cond())) {
    if (performance.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return performance.now() - t0
}

function deadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms))),
  ])
}

const members = async (n: Node): Promise<{ id: string; state: string; incarnation: number }[]> =>
  (JSON.parse((await http(n, 'GET', '/members')).text) as { members: { id: string; state: string; incarnation: number }[] }).members
const short = (id: string): string => `…${id.slice(-6)}`
const step = (n: number, title: string): void => console.log(`\n${bold(`${n}. ${title}`)}`)

function bar(done: number, total: number, tail: string): string {
  const width = 30
  const filled = Math.min(width, Math.round((done / Math.max(1, total)) * width))
  return (
    `   [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ` +
    `${String(Math.min(100, Math.round((done / Math.max(1, total)) * 100))).padStart(3)}% ${tail}`
  )
}

async function main(): Promise<void> {
  console.log(bold('also-cache: a local cluster walkthrough') + dim('  (loopback only; `npm start -- --keep` leaves it running)'))

  step(1, 'Start three nodes (separate processes, each with its own HTTP port)')
  const a = await startNode('node-1', [])
  const [b, c] = await Promise.all([startNode('node-2', a.addrs), startNode('node-3', a.addrs)])
  const joinMs = await until(
    async () => (await Promise.all([a, b, c].map(members))).every((m) => m.filter((x) => x.state === 'alive').length === 3),
    20_000,
    'three alive members',
  )
  for (const n of [a, b, c]) console.log(`   ${n.name}  ${short(n.id)}  ${n.url}`)
  console.log(`   all three see each other alive (SWIM) after ${joinMs.toFixed(0)} ms`)

  step(2, 'Write on node-1, read on node-2 and node-3 (reads are local: no network on the read path)')
  const t0 = performance.now()
  await http(a, 'PUT', '/keys/greeting', 'hello from node-1')
  await until(
    async () => (await http(b, 'GET', '/keys/greeting')).status === 200 && (await http(c, 'GET', '/keys/greeting')).status === 200,
    10_000,
    'the write on node-2 and node-3',
  )
  console.log(`   PUT ${a.url}/keys/greeting  →  visible on node-2 and node-3 after ${(performance.now() - t0).toFixed(0)} ms`)
  console.log(`   GET on node-3: "${(await http(c, 'GET', '/keys/greeting')).text}"`)

  step(3, 'Concurrent writes to one key converge to one winner (version order: userVersion, hybrid clock, node id)')
  await Promise.all([a, b, c].map((n) => http(n, 'PUT', '/keys/contested', `written by ${n.name}`)))
  await until(
    async () => new Set(await Promise.all([a, b, c].map(async (n) => (await http(n, 'GET', '/keys/contested')).text))).size === 1,
    10_000,
    'one winner',
  )
  console.log(`   every node now serves: "${(await http(a, 'GET', '/keys/contested')).text}"`)

  step(4, `Load ${LOAD_KEYS.toLocaleString('en')} keys on node-1, then kill -9 node-3 and watch SWIM detect it`)
  for (let i = 0; i < LOAD_KEYS; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, LOAD_KEYS - i) }, (_, j) =>
        http(a, 'PUT', `/keys/item:${i + j}`, `value ${i + j} `.padEnd(100, '.')),
      ),
    )
  }
  c.child.kill('SIGKILL')
  const killedAt = performance.now()
  let lastState = 'alive'
  await until(
    async () => {
      const state = (await members(a)).find((m) => m.id === c.id)?.state ?? 'gone'
      if (state !== lastState) {
        console.log(`   ${((performance.now() - killedAt) / 1000).toFixed(1)} s  node-1 sees node-3 as ${state}`)
        lastState = state
      }
      return state === 'dead'
    },
    30_000,
    'node-3 to be declared dead',
  )
  console.log(dim('   (suspect first; Lifeguard shortens the suspicion as other members confirm it; then dead)'))

  step(5, 'Start a fresh node-4: it warms up from its peers (since(0), split across two peers, hottest first)')
  const target = (JSON.parse((await http(a, 'GET', '/stats')).text) as { store: { entries: number } }).store.entries
  const d = await startNode('node-4', [...a.addrs, ...b.addrs])
  let printed = -1
  const warmMs = await until(
    async () => {
      const s = JSON.parse((await http(d, 'GET', '/stats')).text) as { store: { entries: number }; warmup: { done: boolean } }
      const pct = Math.floor((s.store.entries / target) * 20)
      if (tty) {
        process.stdout.write(
          `\r${bar(s.store.entries, target, `${s.store.entries.toLocaleString('en')} / ${target.toLocaleString('en')} entries`)}`,
        )
      } else if (pct !== printed && (pct % 5 === 0 || s.warmup.done)) {
        printed = pct
        console.log(bar(s.store.entries, target, `${s.store.entries.toLocaleString('en')} entries`))
      }
      return s.warmup.done && s.store.entries >= target
    },
    30_000,
    'node-4 to warm up',
  )
  if (tty) process.stdout.write('\n')
  console.log(
    `   node-4 holds all ${target.toLocaleString('en')} entries after ${warmMs.toFixed(0)} ms; ` +
      `GET item:7 on node-4: "${(await http(d, 'GET', '/keys/item:7')).text.trim()}"`,
  )

  step(6, 'What the nodes tell you')
  for (let i = 0; i < 200; i++) await http(b, 'GET', `/keys/item:${i % 50}`)
  await http(b, 'GET', '/keys/never-written')
  const s = JSON.parse((await http(b, 'GET', '/stats')).text) as {
    hits: number
    misses: number
    hitRatio: number
    store: { entries: number; bytes: number }
    replication: { liveDeltas: number; framesReceived: number; gossipReceived: number }
    lag: { p50Ms: number; p99Ms: number }
  }
  console.log(
    `   node-2: ${s.hits} hits, ${s.misses} misses (hit ratio ${(s.hitRatio * 100).toFixed(1)}%), ` +
      `${s.store.entries.toLocaleString('en')} entries, ${(s.store.bytes / 1024).toFixed(0)} KiB charged`,
  )
  console.log(
    `           ${s.replication.liveDeltas.toLocaleString('en')} deltas received in ` +
      `${(s.replication.framesReceived + s.replication.gossipReceived).toLocaleString('en')} replication frames; ` +
      `replication lag p50 ${s.lag.p50Ms} ms, p99 ${s.lag.p99Ms} ms`,
  )
  console.log('   members seen by node-1:')
  for (const m of await members(a)) console.log(`     ${short(m.id)}  ${m.state.padEnd(7)} incarnation ${m.incarnation}`)
  console.log(`\n   Try it yourself${flags.keep ? '' : ' (run `npm start -- --keep` to keep the cluster up)'}:`)
  console.log(`     curl ${b.url}/keys/greeting`)
  console.log(`     curl -X PUT --data-binary 'hi' '${d.url}/keys/mine?ack=all'`)
  console.log(`     curl ${a.url}/members     curl ${a.url}/stats     curl ${a.url}/metrics`)

  if (flags.keep) {
    console.log(bold('\nThe cluster keeps running. Ctrl-C stops it.'))
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()))
  }
  step(7, 'Stop: each node leaves the cluster gracefully')
  await Promise.all(
    nodes
      .filter((n) => n.child.exitCode === null && n.child.signalCode === null)
      .map((n) => deadline(new Promise<void>((resolve) => {
        n.child.once('exit', () => resolve())
        n.child.kill('SIGTERM')
      }), 10_000, `${n.name} to stop`)),
  )
  console.log('   done.')
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`\nwalkthrough failed: ${err instanceof Error ? err.message : String(err)}`)
    process.exit(1)
  },
)
