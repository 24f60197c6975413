// The IPC side of a node process for tests (node-process.ts, chaos-process.ts): commands in as
// { id, cmd, args }, answers out as { id, ok, result } or { id, ok: false, error }, then
// { ready: true } once serving. Plus the commands every such process answers the same way.
import type { CacheNode } from '../../lib/index.ts'

export type Handlers = Record<string, (...args: never[]) => unknown>

/** members, stats, warmed, flush, validate, close: the same in every node process. */
export function commonHandlers(node: CacheNode): Handlers {
  return {
    members: () => node.members(),
    stats: () => node.stats(),
    /** process.memoryUsage() after a full GC when exposed (--expose-gc): what the heap really holds. */
    memory: () => {
      ;(globalThis as { gc?: () => void }).gc?.()
      return process.memoryUsage()
    },
    warmed: () => node.warmedUp,
    flush: () => node.flush(),
    validate: () => node.validate(),
    close: async () => {
      await node.close()
      setImmediate(() => process.exit(0))
    },
  }
}

/** Answers every command from the parent; typed errors keep their code (and `missing`). */
export function serveCommands(handlers: Handlers): void {
  process.on('message', async (m: { id: number; cmd: string; args: unknown[] }) => {
    try {
      const h = handlers[m.cmd]
      if (h === undefined) throw new Error(`unknown command ${m.cmd}`)
      const result = await (h as (...a: unknown[]) => unknown)(...m.args)
      process.send?.({ id: m.id, ok: true, result: result ?? null })
    } catch (err) {
      const e = err as { name?: string; code?: string; message?: string; missing?: unknown; stack?: string }
      process.send?.({ id: m.id, ok: false, error: { name: e.name, code: e.code, message: e.message, missing: e.missing, stack: e.stack } })
    }
  })
  process.send?.({ ready: true })
}
