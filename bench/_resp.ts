// A minimal RESP2 client for the cluster benchmark (no redis npm dependency): commands are
// answered in order, so one FIFO of resolvers suffices; pubsub pushes (after SUBSCRIBE) go to
// `onPush`. Enough for SET/GET/INFO/REPLICAOF/CONFIG/SUBSCRIBE; not a general client.
import { connect, type Socket } from 'node:net'

export type Reply = string | number | null | Reply[] | Error
const CRLF = '\r\n'

export class Resp {
  readonly #sock: Socket
  readonly #waiting: ((r: Reply) => void)[] = []
  #buf: Buffer = Buffer.alloc(0)
  #pos = 0
  /** Set after SUBSCRIBE: every reply that no command waits for lands here. */
  onPush: ((r: Reply) => void) | undefined

  private constructor(sock: Socket) {
    this.#sock = sock
    sock.setNoDelay(true)
    sock.on('data', (chunk: Buffer) => this.#feed(chunk))
  }

  static open(port: number): Promise<Resp> {
    return new Promise((resolve, reject) => {
      const sock = connect({ host: '127.0.0.1', port }, () => resolve(new Resp(sock)))
      sock.once('error', reject)
    })
  }

  /** Encodes one command; `send` many of them in one write to pipeline. */
  static encode(args: (string | Uint8Array)[]): Buffer {
    const parts: Buffer[] = [Buffer.from(`*${args.length}${CRLF}`)]
    for (const a of args) {
      const b = typeof a === 'string' ? Buffer.from(a) : Buffer.from(a.buffer, a.byteOffset, a.byteLength)
      parts.push(Buffer.from(`$${b.byteLength}${CRLF}`), b, Buffer.from(CRLF))
    }
    return Buffer.concat(parts)
  }

  /** Writes already-encoded commands; resolves with their `count` replies, in order. */
  send(bytes: Buffer, count: number): Promise<Reply[]> {
    return new Promise((resolve) => {
      const out: Reply[] = []
      if (count === 0) return resolve(out)
      for (let i = 0; i < count; i++) this.#waiting.push((r) => (out.push(r), out.length === count && resolve(out)))
      this.#sock.write(bytes)
    })
  }

  async call(...args: string[]): Promise<Reply> {
    return (await this.send(Resp.encode(args), 1))[0]
  }

  close(): void {
    this.#sock.destroy()
  }

  #feed(chunk: Buffer): void {
    this.#buf = this.#pos < this.#buf.length ? Buffer.concat([this.#buf.subarray(this.#pos), chunk]) : chunk
    this.#pos = 0
    for (;;) {
      const start = this.#pos
      const r = this.#parse()
      if (r === undefined) {
        this.#pos = start // incomplete: wait for more bytes
        return
      }
      const w = this.#waiting.shift()
      if (w !== undefined) w(r)
      else this.onPush?.(r)
    }
  }

  /** One reply from #buf at #pos, or undefined when it is not all there yet. */
  #parse(): Reply | undefined {
    const eol = this.#buf.indexOf(CRLF, this.#pos)
    if (eol < 0) return undefined
    const type = this.#buf[this.#pos]
    const line = this.#buf.toString('latin1', this.#pos + 1, eol)
    this.#pos = eol + 2
    if (type === 0x2b) return line // +
    if (type === 0x2d) return new Error(line) // -
    if (type === 0x3a) return Number(line) // :
    const n = Number(line)
    if (type === 0x24) {
      if (n < 0) return null
      if (this.#pos + n + 2 > this.#buf.length) return undefined
      const s = this.#buf.toString('utf8', this.#pos, this.#pos + n)
      this.#pos += n + 2
      return s
    }
    if (type === 0x2a) {
      if (n < 0) return null
      const items: Reply[] = []
      for (let i = 0; i < n; i++) {
        const item = this.#parse()
        if (item === undefined) return undefined
        items.push(item)
      }
      return items
    }
    throw new Error(`RESP: unexpected type byte ${type}`)
  }
}

/** Parses INFO output into a map of field → value. */
export function parseInfo(text: Reply): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of String(text).split(CRLF)) {
    const i = line.indexOf(':')
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1))
  }
  return out
}
