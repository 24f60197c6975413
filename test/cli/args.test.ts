// Flags of `also-cache`: parseCliArgs from tables of good and bad argv, then the process's
// exit codes and messages for the same mistakes (2 for a bad flag, with the --help hint).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { FLAGS, isLoopback, parseByteSize, parseCliArgs, parseHostPort } from '../../lib/cli/args.ts'
import { BadFlagError, ExitCode } from '../../lib/cli/errors.ts'
import { runCli, stopAll } from './cli-process.ts'

const PEER_ID = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
const PEER = `/ip4/127.0.0.1/tcp/4001/p2p/${PEER_ID}`

describe('cli args', function () {
  after(stopAll)

  describe('parseCliArgs accepts', function () {
    const good: [string, string[], (o: ReturnType<typeof parseCliArgs>) => void][] = [
      ['no flags: node defaults, HTTP on 127.0.0.1:7070', [], (o) => {
        expect(o.node).to.deep.equal({})
        expect(o.http).to.deep.equal({ host: '127.0.0.1', port: 7070, public: false, maxBodyBytes: 1024 * 1024 })
        expect(o.command).to.equal('run')
        expect(o.clusterKeyPath).to.equal(undefined)
        expect(o.shutdownTimeoutMs).to.equal(10_000)
      }],
      ['--shutdown-timeout 25000', ['--shutdown-timeout', '25000'], (o) => expect(o.shutdownTimeoutMs).to.equal(25_000)],
      [
        'repeated --listen and --bootstrap, in order',
        ['--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/4002', '--bootstrap', PEER],
        (o) => {
          expect(o.node.listen).to.deep.equal(['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/4002'])
          expect(o.node.bootstrap).to.deep.equal([PEER])
        },
      ],
      ['--cluster', ['--cluster', 'shop-eu.1'], (o) => expect(o.node.cluster).to.equal('shop-eu.1')],
      ['--max-bytes 64mib', ['--max-bytes', '64mib'], (o) => expect(o.node.maxBytes).to.equal(64 * 2 ** 20)],
      ['--max-bytes 1GiB (case-insensitive)', ['--max-bytes', '1GiB'], (o) => expect(o.node.maxBytes).to.equal(2 ** 30)],
      ['--max-bytes=500mb (SI)', ['--max-bytes=500mb'], (o) => expect(o.node.maxBytes).to.equal(500e6)],
      ['--http with port 0', ['--http', '127.0.0.1:0'], (o) => expect(o.http.port).to.equal(0)],
      ['--http [::1]:7071', ['--http', '[::1]:7071'], (o) => expect(o.http).to.include({ host: '::1', port: 7071 })],
      ['--http localhost:8080', ['--http', 'localhost:8080'], (o) => expect(o.http).to.include({ host: 'localhost', port: 8080 })],
      [
        '--http 0.0.0.0 with --http-public',
        ['--http', '0.0.0.0:7070', '--http-public'],
        (o) => expect(o.http).to.include({ host: '0.0.0.0', public: true }),
      ],
      ['--swim-profile local', ['--swim-profile', 'local'], (o) => expect(o.node.swim).to.deep.equal({ profile: 'local' })],
      ['--max-body 4mib', ['--max-body', '4mib'], (o) => expect(o.http.maxBodyBytes).to.equal(4 * 2 ** 20)],
      ['--snapshot', ['--snapshot', '/tmp/x.snap'], (o) => expect(o.node.snapshotPath).to.equal('/tmp/x.snap')],
      ['-h', ['-h'], (o) => expect(o.command).to.equal('help')],
      ['keygen', ['keygen'], (o) => expect(o.command).to.equal('keygen')],
      ['--mdns', ['--mdns'], (o) => expect(o.node.mdns).to.equal(true)],
      ['--identity', ['--identity', 'id.key'], (o) => expect(o.node.identityPath).to.equal('id.key')],
      ['--cluster-key (path only: main.ts reads it)', ['--cluster-key', 'c.key'], (o) => {
        expect(o.clusterKeyPath).to.equal('c.key')
        expect(o.node.clusterKey).to.equal(undefined)
      }],
      [
        'repeated --allow-peer',
        ['--allow-peer', PEER_ID, '--allow-peer', PEER_ID],
        (o) => expect(o.node.allowPeers).to.deep.equal([PEER_ID, PEER_ID]),
      ],
    ]
    for (const [name, argv, check] of good) it(name, () => check(parseCliArgs(argv)))
  })

  describe('parseCliArgs refuses with BadFlagError (exit 2) naming the flag', function () {
    const bad: [string[], string, RegExp][] = [
      [['--nope'], '--nope', /Unknown flag --nope/],
      [['--cluster'], '--cluster', /argument missing/],
      [['positional'], '', /takes flags, or the one command `keygen`/],
      [['keygen', 'extra'], '', /"extra"/],
      [['--allow-peer', 'bob'], '--allow-peer', /not a peer id/],
      [['--identity='], '--identity', /needs a file path/],
      [['--help=yes'], '--help', /does not take an argument/],
      [['--listen', 'tcp:4001'], '--listen', /not a multiaddr/],
      [['--bootstrap', '/ip4/127.0.0.1/tcp/4001'], '--bootstrap', /no \/p2p\/<peer id>/],
      [['--cluster', 'has space'], '--cluster', /at most 64|1-64/],
      [['--max-bytes', '64m'], '--max-bytes', /64mib/],
      [['--max-bytes', 'lots'], '--max-bytes', /size like/],
      [['--max-bytes', '0'], '--max-bytes', /at least 1 byte/],
      [['--http', '127.0.0.1'], '--http', /HOST:PORT/],
      [['--http', '127.0.0.1:70000'], '--http', /HOST:PORT/],
      [['--http', '::1:7070'], '--http', /\[::1\]:7070/],
      [['--http', '0.0.0.0:7070'], '--http', /no authentication.*--http-public/s],
      [['--http', '192.168.1.10:7070'], '--http', /not a loopback address/],
      [['--swim-profile', 'fast'], '--swim-profile', /lan, wan, local/],
      [['--max-body', '-1'], '--max-body', /ambiguous/],
      [['--max-body=-1'], '--max-body', /size like/],
      [['--shutdown-timeout', '0'], '--shutdown-timeout', /from 1 to 600000/],
      [['--shutdown-timeout', '10s'], '--shutdown-timeout', /whole milliseconds/],
      [['--shutdown-timeout', '600001'], '--shutdown-timeout', /from 1 to 600000/],
    ]
    for (const [argv, flag, message] of bad) {
      it(`${argv.join(' ')}`, () => {
        let err: unknown
        try {
          parseCliArgs(argv)
        } catch (e) {
          err = e
        }
        expect(err).to.be.instanceOf(BadFlagError)
        const e = err as BadFlagError
        expect(e.code).to.equal('ERR_CLI_BAD_FLAG')
        expect(e.exitCode).to.equal(ExitCode.badFlag)
        expect(e.flag).to.equal(flag)
        expect(e.message).to.match(message)
        expect(e.message).to.include('also-cache --help')
      })
    }
  })

  it('parseByteSize: units from a table', () => {
    const table: [string, number][] = [
      ['1', 1],
      ['4096b', 4096],
      ['1kb', 1000],
      ['1kib', 1024],
      ['1.5mib', 1.5 * 2 ** 20],
      ['2 GB', 2e9],
      ['1tib', 2 ** 40],
    ]
    for (const [text, bytes] of table) expect(parseByteSize(text, '--max-bytes'), text).to.equal(bytes)
  })

  it('parseHostPort: a bare port binds loopback', () => {
    expect(parseHostPort('7070')).to.deep.equal({ host: '127.0.0.1', port: 7070 })
  })

  it('isLoopback: only addresses that never leave the machine', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) expect(isLoopback(h), h).to.equal(true)
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1']) expect(isLoopback(h), h).to.equal(false)
  })

  it('the process: --help lists every flag with its default and exits 0', async () => {
    const r = await runCli(['--help'])
    expect(r.code).to.equal(0)
    for (const f of FLAGS) expect(r.stdout).to.include(`--${f.name}`)
    expect(r.stdout).to.include('[default: 127.0.0.1:7070]')
    expect(r.stdout).to.include('curl')
  })

  it('the process: keygen prints a cluster key and exits 0', async () => {
    const r = await runCli(['keygen'])
    expect(r.code).to.equal(0)
    expect(r.stdout).to.match(/^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/)
  })

  it('the process: --cluster-key missing, readable by others, or not a key: exit 2 saying what to do', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'also-cache-cli-'))
    try {
      const missing = await runCli(['--cluster-key', join(dir, 'absent.key')])
      expect(missing.code).to.equal(ExitCode.badFlag)
      expect(missing.stderr).to.include('also-cache keygen >')
      const open = join(dir, 'open.key')
      writeFileSync(open, (await runCli(['keygen'])).stdout)
      chmodSync(open, 0o644)
      const readable = await runCli(['--cluster-key', open])
      expect(readable.code).to.equal(ExitCode.badFlag)
      expect(readable.stderr).to.include(`chmod 600 ${open}`)
      const garbage = join(dir, 'garbage.key')
      writeFileSync(garbage, 'not a key\n', { mode: 0o600 })
      const invalid = await runCli(['--cluster-key', garbage])
      expect(invalid.code).to.equal(ExitCode.badFlag)
      expect(invalid.stderr).to.include(`[ERR_CLI_BAD_FLAG]: --cluster-key ${garbage}: cluster key is not valid`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('the process: a bad flag exits 2 with the code, the reason and the --help hint on stderr', async () => {
    const r = await runCli(['--http', '0.0.0.0:7070'])
    expect(r.code).to.equal(ExitCode.badFlag)
    expect(r.stdout).to.equal('')
    expect(r.stderr).to.match(/^also-cache \[ERR_CLI_BAD_FLAG\]: --http 0\.0\.0\.0:7070 is not a loopback address/)
    expect(r.stderr).to.include('--http-public')
    expect(r.stderr).to.include('also-cache --help')
  })
})
