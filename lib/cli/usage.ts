// The --help text, rendered from the FLAGS table so it lists exactly what the parser takes.

import { FLAGS } from './args.ts'
import { DEFAULT_HTTP_LIST_LIMIT, MAX_HTTP_LIST_LIMIT } from './constants.ts'

const INTRO = `also-cache: run one node of a peer-to-peer replicated in-memory cache, with an HTTP API
on localhost to try it with curl. Every node holds every key; a write on one node shows up
on the others within milliseconds (eventually consistent, last writer wins).

Usage:
  also-cache [flags]        run a node until Ctrl-C
  also-cache keygen         print a new cluster key (for --cluster-key) and exit

Try it (two terminals):
  also-cache --http 127.0.0.1:7070
  also-cache --http 127.0.0.1:7071 --bootstrap <an address the first node printed>
  curl -X PUT --data-binary 'hello' http://127.0.0.1:7070/keys/greeting
  curl http://127.0.0.1:7071/keys/greeting

Flags:`

const OUTRO = `HTTP API (see docs/cli.md):
  GET|PUT|DELETE /keys/KEY   value = raw body; ?ttl=MS  ?userVersion=N  ?tags=a,b  ?ack=all&timeoutMs=MS
  GET /keys?prefix=P&limit=N list keys (default ${DEFAULT_HTTP_LIST_LIMIT}, at most ${MAX_HTTP_LIST_LIMIT})
  DELETE /keys?prefix=P      clear those keys on every node (?all=true: every key)
  DELETE /tags/TAG           delete the entries written with TAG on every node
  GET /members   GET /stats   GET /metrics (Prometheus)   GET /healthz (liveness)   GET /readyz (readiness)

Needs Node ≥ 22. Exit codes: 0 stopped by Ctrl-C/SIGTERM, 1 other failure (or Node < 22, or shutdown past
--shutdown-timeout), 2 bad flag, 3 address in use.`

export function usage(): string {
  const lines = [INTRO]
  for (const f of FLAGS) {
    const head = `  ${f.short ? `-${f.short}, ` : ''}--${f.name}${f.value ? ` ${f.value}` : ''}`
    lines.push(head)
    const tail = `${f.help}${f.default ? ` [default: ${f.default}]` : ''}`
    lines.push(...wrap(tail, 90).map((l) => `      ${l}`))
  }
  lines.push('', OUTRO)
  return lines.join('\n')
}

function wrap(text: string, width: number): string[] {
  const out: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      out.push(line)
      line = word
    } else line = line === '' ? word : `${line} ${word}`
  }
  if (line !== '') out.push(line)
  return out
}
