// The rounds of hot-key hints (docs/hints.md): once per `intervalMs` the node drains its
// store's hot-key ring and publishes one hint (codec.ts) on the gossipsub topic
// `also-cache/<cluster>/hints/1`; a hint received from a member boosts the keys this node
// holds and remembers the hot keys it lacks (receiver.ts).
//
// The transport is not here: the class takes `publish(bytes)` and exposes `receive(from,
// bytes)`. Bounds (G7): one message per round out, at most `bytesPerRound` bytes and
// `keysPerRound` keys; in, at most `messagesPerMemberPerRound` messages per member
// between two ticks (the rest dropped and counted) and MAX_HINT_MESSAGE_BYTES per message;
// malformed input is counted and reported, never thrown.

import { DecodeError, positiveInt } from '../foundation/index.ts'
import {
  decodeHint,
  DEFAULT_HINT_ABSENT_KEYS_MAX,
  DEFAULT_HINT_BOOST_FREQ,
  DEFAULT_HINT_BYTES_PER_ROUND,
  DEFAULT_HINT_KEY_BYTES_MAX,
  DEFAULT_HINT_KEYS_PER_ROUND,
  encodeHint,
  type HintStore,
} from './codec.ts'
import { HintReceiver, type HintReceiverStats } from './receiver.ts'

/** How often a node sends its hint. A round's hint carries what got hot since the last one. */
export const DEFAULT_HINT_INTERVAL_MS = 1_000
/** Hints accepted per member between two of this node's ticks; more are dropped (a peer's clock may run a little faster). */
export const DEFAULT_HINT_MESSAGES_PER_MEMBER_PER_ROUND = 2
/**
 * Rounds during which a key already hinted is not hinted again. A hinted key's boost lasts
 * (frequency 2: promoted from small, or two more passes of main's tail), so repeating it
 * every round buys little and was most of the hint bytes (measured: docs/takeover-results.md).
 */
export const DEFAULT_HINT_RESEND_AFTER_ROUNDS = 64
/** Members remembered by the per-member message counter between ticks (G7). */
const MAX_MEMBERS_COUNTED = 4096

/** The hints' tuning: every option but the wiring the node does (store, publish, onMalformed); CacheNodeInit.hints. */
export interface HotKeyHintsTuning {
  /**
   * The switch: false sends nothing and ignores what arrives. Off by default: on the real
   * traces hints did not raise the hit ratio after a takeover (docs/takeover-results.md).
   * When on, the store needs a hot-key ring (`hotKeysMax`, e.g. DEFAULT_HOT_KEYS_MAX).
   * @default false
   */
  enabled?: boolean
  /** Period of tick() under start(). @default 1000 ms */
  intervalMs?: number
  /** Keys per hint at most. Cost: ≤ this × (1 + key bytes) per round. @default 32 */
  keysPerRound?: number
  /** Bytes per hint at most. @default 4096 */
  bytesPerRound?: number
  /** Longest key hinted. @default 256 */
  keyBytesMax?: number
  /** Frequency receivers raise hinted keys to (1..3). @default 2 (the promotion threshold) */
  boostFreq?: number
  /** Absent hot keys remembered for a warm-up or repair to fetch first. @default 4096 */
  absentKeysMax?: number
  /** Hints accepted per member between two ticks. @default 2 */
  messagesPerMemberPerRound?: number
  /**
   * A key hinted in one of the last this-many rounds is not hinted again. 1: every round.
   * Cost: remembers up to keysPerRound × this keys (one Map entry each).
   * @default 64
   */
  resendAfterRounds?: number
}

export interface HotKeyHintsInit extends HotKeyHintsTuning {
  /** The replica's store (`replica.store`). Required. */
  store: HintStore
  /** Publishes one hint message on the hints topic. Errors are counted, never thrown. Required. */
  publish: (bytes: Uint8Array) => unknown
  /** A hint that did not decode. @default ignore (still counted) */
  onMalformed?: (from: string, err: DecodeError) => void
}

export interface HotKeyHintsStats extends HintReceiverStats {
  enabled: boolean
  /** Hint messages published. */
  sent: number
  /** Keys in them. */
  keysSent: number
  /** Bytes published. */
  bytesSent: number
  /** Hint messages received (decoded or not). */
  received: number
  bytesReceived: number
  /** Received messages over the per-member bound, dropped. */
  droppedOverLimit: number
  malformed: number
  publishFailures: number
  /** Absent hot keys remembered now. */
  absentKeys: number
}

export class HotKeyHints {
  readonly enabled: boolean
  readonly intervalMs: number
  readonly keysPerRound: number
  readonly bytesPerRound: number
  readonly keyBytesMax: number
  readonly boostFreq: number
  readonly messagesPerMemberPerRound: number
  readonly resendAfterRounds: number
  readonly receiver: HintReceiver
  readonly #store: HintStore
  readonly #publish: (bytes: Uint8Array) => unknown
  readonly #onMalformed: ((from: string, err: DecodeError) => void) | undefined
  readonly #perMember = new Map<string, number>()
  /** Keys hinted recently → the round they went out, oldest first. */
  readonly #recent = new Map<string, number>()
  #round = 0
  #timer: ReturnType<typeof setInterval> | undefined = undefined
  #sent = 0
  #keysSent = 0
  #bytesSent = 0
  #received = 0
  #bytesReceived = 0
  #droppedOverLimit = 0
  #malformed = 0
  #publishFailures = 0

  constructor(init: HotKeyHintsInit) {
    if (init === null || typeof init !== 'object' || init.store === undefined || typeof init.publish !== 'function') {
      throw new TypeError('HotKeyHints: { store, publish } required')
    }
    this.enabled = init.enabled ?? false
    if (this.enabled && init.store.hotKeysMax === 0) {
      throw new TypeError('HotKeyHints: enabled needs a store with a hot-key ring: create it with hotKeysMax (e.g. DEFAULT_HOT_KEYS_MAX)')
    }
    this.intervalMs = positiveInt('HotKeyHints', 'intervalMs', init.intervalMs ?? DEFAULT_HINT_INTERVAL_MS)
    this.keysPerRound = positiveInt('HotKeyHints', 'keysPerRound', init.keysPerRound ?? DEFAULT_HINT_KEYS_PER_ROUND)
    this.bytesPerRound = positiveInt('HotKeyHints', 'bytesPerRound', init.bytesPerRound ?? DEFAULT_HINT_BYTES_PER_ROUND)
    this.keyBytesMax = positiveInt('HotKeyHints', 'keyBytesMax', init.keyBytesMax ?? DEFAULT_HINT_KEY_BYTES_MAX)
    this.boostFreq = positiveInt('HotKeyHints', 'boostFreq', init.boostFreq ?? DEFAULT_HINT_BOOST_FREQ)
    const messagesPerMemberPerRound = init.messagesPerMemberPerRound ?? DEFAULT_HINT_MESSAGES_PER_MEMBER_PER_ROUND
    this.messagesPerMemberPerRound = positiveInt('HotKeyHints', 'messagesPerMemberPerRound', messagesPerMemberPerRound)
    this.resendAfterRounds = positiveInt('HotKeyHints', 'resendAfterRounds', init.resendAfterRounds ?? DEFAULT_HINT_RESEND_AFTER_ROUNDS)
    this.#store = init.store
    this.#publish = init.publish
    this.#onMalformed = init.onMalformed
    this.receiver = new HintReceiver(init.store, { absentKeysMax: init.absentKeysMax ?? DEFAULT_HINT_ABSENT_KEYS_MAX })
    // Validate the encoder bounds once, here, rather than on the first tick.
    encodeHint({ keys: [], freq: this.boostFreq }, this.bytesPerRound, this.keyBytesMax)
  }

  /** Ticks every intervalMs (unref'd: hints never keep a process alive). No-op when disabled. */
  start(): void {
    if (!this.enabled || this.#timer !== undefined) return
    this.#timer = setInterval(() => this.tick(), this.intervalMs)
    this.#timer.unref?.()
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
  }

  /**
   * One round: drains the store's hot keys, publishes one hint if there are any, and opens a
   * new round for the per-member bound. Returns the bytes published (undefined: nothing).
   */
  tick(): Uint8Array | undefined {
    this.#perMember.clear()
    if (!this.enabled) return undefined
    const round = ++this.#round
    const recent = this.#recent
    // Forget keys hinted longer ago than resendAfterRounds (the Map is oldest first).
    for (const [key, r] of recent) {
      if (round - r < this.resendAfterRounds) break
      recent.delete(key)
    }
    const drained = this.#store.drainHotKeys(this.keysPerRound * 4)
    const keys: string[] = []
    for (const key of drained) {
      if (keys.length >= this.keysPerRound) break
      if (recent.has(key)) continue
      keys.push(key)
    }
    if (keys.length === 0) return undefined
    const { bytes, keys: n } = encodeHint({ keys, freq: this.boostFreq }, this.bytesPerRound, this.keyBytesMax)
    if (n === 0) return undefined
    for (let i = 0; i < n; i++) recent.set(keys[i], round)
    this.#sent++
    this.#keysSent += n
    this.#bytesSent += bytes.byteLength
    try {
      const p = this.#publish(bytes)
      if (p instanceof Promise) p.catch(() => void this.#publishFailures++)
    } catch {
      this.#publishFailures++
    }
    return bytes
  }

  /** A hint from member `from`. Returns how many held keys it boosted; never throws on bad input. */
  receive(from: string, bytes: Uint8Array): number {
    if (!this.enabled) return 0
    this.#received++
    this.#bytesReceived += bytes.byteLength
    const seen = this.#perMember.get(from) ?? 0
    if (seen >= this.messagesPerMemberPerRound || (seen === 0 && this.#perMember.size >= MAX_MEMBERS_COUNTED)) {
      this.#droppedOverLimit++
      return 0
    }
    this.#perMember.set(from, seen + 1)
    let hint
    try {
      hint = decodeHint(bytes)
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err
      this.#malformed++
      this.#onMalformed?.(from, err)
      return 0
    }
    return this.receiver.handle(hint)
  }

  /** Hot keys peers named that this node lacks, newest first: what a warm-up or repair asks for first. */
  absentKeys(max?: number): string[] {
    return this.receiver.absentKeys(max)
  }

  /** This node just stored `key` (a delta or a fetch): a remembered hot key gets its boost now. */
  noteHeld(key: string): boolean {
    return this.receiver.noteHeld(key, this.boostFreq)
  }

  stats(): HotKeyHintsStats {
    return {
      ...this.receiver.stats(),
      enabled: this.enabled,
      sent: this.#sent,
      keysSent: this.#keysSent,
      bytesSent: this.#bytesSent,
      received: this.#received,
      bytesReceived: this.#bytesReceived,
      droppedOverLimit: this.#droppedOverLimit,
      malformed: this.#malformed,
      publishFailures: this.#publishFailures,
      absentKeys: this.receiver.absentCount,
    }
  }
}
