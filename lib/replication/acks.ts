// Acknowledged writes waiting for their members' answers (docs/replication-engine.md,
// "Acknowledged writes"). A write waits for every member live when it was made; an answer of
// 'applied' or 'stale' acknowledges, any other outcome is a refusal; a member going down stops
// counting; at the deadline the members still waiting are `missing`. Unanswered requests are
// due for a retry every retryMs. The engine sends; this table only keeps the books.

import type { Delta } from '../../crdt/index.ts'
import type { AckAnswer } from './frames.ts'
import type { AckRefusal } from './types.ts'

/** A finished acknowledged write: succeeded when both lists are empty. */
export interface AckDone {
  readonly ackId: number
  readonly missing: readonly string[]
  readonly refused: readonly AckRefusal[]
}

export interface PendingAck {
  readonly ackId: number
  readonly delta: Delta
  readonly deadlineMs: number
  nextRetryMs: number
  readonly waiting: Set<string>
  readonly refused: AckRefusal[]
}

export class AckTable {
  readonly #timeoutMs: number
  readonly #retryMs: number
  readonly #pending = new Map<number, PendingAck>()
  /** The earliest deadline or retry (may be early: a tick then finds nothing due). */
  #dueMs = Infinity

  constructor(timeoutMs: number, retryMs: number) {
    this.#timeoutMs = timeoutMs
    this.#retryMs = retryMs
  }

  get size(): number {
    return this.#pending.size
  }

  get dueMs(): number {
    return this.#dueMs
  }

  has(ackId: number): boolean {
    return this.#pending.has(ackId)
  }

  /** Starts waiting for `members` (not empty), until `timeoutMs` (the table's default when undefined). */
  start(ackId: number, delta: Delta, members: Iterable<string>, nowMs: number, timeoutMs?: number): void {
    const p: PendingAck = {
      ackId,
      delta,
      deadlineMs: nowMs + (timeoutMs ?? this.#timeoutMs),
      nextRetryMs: nowMs + this.#retryMs,
      waiting: new Set(members),
      refused: [],
    }
    this.#pending.set(ackId, p)
    this.#dueMs = Math.min(this.#dueMs, p.nextRetryMs, p.deadlineMs)
  }

  /** `from` answered; returns the write if that finished it. */
  answer(from: string, a: AckAnswer): AckDone | undefined {
    const p = this.#pending.get(a.ackId)
    if (p === undefined || !p.waiting.delete(from)) return undefined
    if (a.outcome !== 'applied' && a.outcome !== 'stale') p.refused.push({ member: from, reason: a.outcome })
    return p.waiting.size === 0 ? this.#finish(p) : undefined
  }

  /** `id` went down: it stops counting. Returns the writes that finished. */
  memberDown(id: string): AckDone[] {
    const done: AckDone[] = []
    for (const p of [...this.#pending.values()]) if (p.waiting.delete(id) && p.waiting.size === 0) done.push(this.#finish(p))
    return done
  }

  /** Finishes the writes past their deadline; `retry` gets each write due for a retry and who still owes an answer. */
  tick(nowMs: number, retry: (p: PendingAck) => void): AckDone[] {
    const done: AckDone[] = []
    let due = Infinity
    for (const p of [...this.#pending.values()]) {
      if (nowMs >= p.deadlineMs) {
        done.push(this.#finish(p))
        continue
      }
      if (nowMs >= p.nextRetryMs) {
        p.nextRetryMs = nowMs + this.#retryMs
        retry(p)
      }
      due = Math.min(due, p.deadlineMs, p.nextRetryMs)
    }
    this.#dueMs = due
    return done
  }

  /** Finishes every write still waiting: the members that owe an answer are `missing`. */
  finishAll(): AckDone[] {
    const done = [...this.#pending.values()].map((p) => this.#finish(p))
    this.#dueMs = Infinity
    return done
  }

  #finish(p: PendingAck): AckDone {
    this.#pending.delete(p.ackId)
    const refused = p.refused.sort((a, b) => (a.member < b.member ? -1 : a.member > b.member ? 1 : 0))
    return { ackId: p.ackId, missing: [...p.waiting].sort(), refused }
  }
}
