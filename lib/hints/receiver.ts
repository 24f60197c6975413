// The receiver's rule for hot-key hints (docs/hints.md): a hinted key this node holds is
// boosted (its frequency raised, never inserted, never above MAIN_REINSERT_FREQ_CAP); a hinted
// key it lacks is remembered, in a bounded set, for a warm-up or repair to fetch first.
// Pure: no timers, no I/O, no clock. The wire format is codec.ts; the rounds are rounds.ts.

import { MAIN_REINSERT_FREQ_CAP } from '../store/index.ts'
import { checkFreq, DEFAULT_HINT_ABSENT_KEYS_MAX, DEFAULT_HINT_BOOST_FREQ, type Hint, type HintStore } from './codec.ts'
import { BoundedMap, nonNegativeInt } from '../foundation/index.ts'

export interface HintReceiverInit {
  /**
   * Hot keys remembered that this node does not hold (absent or only a ghost), newest kept,
   * for a warm-up or repair to fetch first. 0: remember none. Cost: one Map entry (~80 B plus
   * the key) per key.
   * @default 4096 (DEFAULT_HINT_ABSENT_KEYS_MAX)
   */
  absentKeysMax?: number
  /**
   * Upper bound of the frequency a hint may raise a key to, whatever the sender asks
   * (1..3). Lower it to trust peers less.
   * @default 3 (MAIN_REINSERT_FREQ_CAP)
   */
  boostFreqMax?: number
  /**
   * Hinted keys remembered whether held or not, newest kept: the cluster's hot keys, which a
   * node serving a warm-up sends first (hot-first.ts). 0: remember none. Cost: one Map
   * entry (~80 B plus the key) per key.
   * @default 4096 (DEFAULT_HINT_ABSENT_KEYS_MAX)
   */
  recentKeysMax?: number
}

export interface HintReceiverStats {
  /** Hints handled. */
  hints: number
  /** Keys in them. */
  keys: number
  /** Held keys whose frequency a hint raised. */
  applied: number
  /** Held keys already as hot as the hint said. */
  alreadyHot: number
  /** Keys not held, remembered as absent hot keys. */
  absent: number
}

/**
 * The receiver's rule: a hinted key this node holds gets its frequency raised (store.boost,
 * never inserting, never above 3); a hinted key it does not hold is remembered, in a bounded
 * FIFO (a key hinted again moves to the newest end), so a warm-up or a repair can ask for it
 * first (`absentKeys`), and forgotten once this node holds it (`noteHeld`) or the FIFO is full.
 */
export class HintReceiver {
  readonly absentKeysMax: number
  readonly boostFreqMax: number
  readonly #store: HintStore
  /** Absent hot keys, at most absentKeysMax, oldest first. */
  readonly #absent: BoundedMap<string, true>
  /** Every hinted key, at most recentKeysMax, oldest first. */
  readonly #recent: BoundedMap<string, true>
  readonly recentKeysMax: number
  readonly #stats: HintReceiverStats = { hints: 0, keys: 0, applied: 0, alreadyHot: 0, absent: 0 }

  constructor(store: HintStore, init: HintReceiverInit = {}) {
    const absentKeysMax = nonNegativeInt('HintReceiver', 'absentKeysMax', init.absentKeysMax ?? DEFAULT_HINT_ABSENT_KEYS_MAX)
    const boostFreqMax = init.boostFreqMax ?? MAIN_REINSERT_FREQ_CAP
    checkFreq('HintReceiver', 'boostFreqMax', boostFreqMax)
    const recentKeysMax = nonNegativeInt('HintReceiver', 'recentKeysMax', init.recentKeysMax ?? DEFAULT_HINT_ABSENT_KEYS_MAX)
    this.absentKeysMax = absentKeysMax
    this.boostFreqMax = boostFreqMax
    this.#store = store
    this.#absent = new BoundedMap(absentKeysMax)
    this.#recent = new BoundedMap(recentKeysMax)
    this.recentKeysMax = recentKeysMax
  }

  /** Applies a decoded hint; returns how many held keys it raised. */
  handle(hint: Hint): number {
    const s = this.#stats
    s.hints++
    const freq = Math.min(hint.freq, this.boostFreqMax)
    let applied = 0
    for (const key of hint.keys) {
      s.keys++
      this.#recent.set(key, true)
      if (this.#store.boost(key, freq)) {
        applied++
        this.#absent.delete(key)
      } else if (this.#store.has(key)) {
        s.alreadyHot++
        this.#absent.delete(key)
      } else if (this.absentKeysMax > 0) {
        s.absent++
        this.#absent.set(key, true)
      }
    }
    s.applied += applied
    return applied
  }

  /** Is `key` a remembered absent hot key? */
  isAbsentHot(key: string): boolean {
    return this.#absent.has(key)
  }

  /**
   * This node now holds `key` (a delta or a fetch brought it): forget it as absent and give it
   * the hinted frequency. Returns whether it was a remembered absent hot key.
   */
  noteHeld(key: string, freq = DEFAULT_HINT_BOOST_FREQ): boolean {
    if (!this.#absent.delete(key)) return false
    this.#store.boost(key, Math.min(freq, this.boostFreqMax))
    return true
  }

  /** Up to `max` remembered absent hot keys, newest first: what to fetch first. */
  absentKeys(max = this.absentKeysMax): string[] {
    return this.#absent.newestFirst(max)
  }

  /** Up to `max` keys peers hinted lately, held or not, newest first: what a warm-up sends first. */
  recentKeys(max = this.recentKeysMax): string[] {
    return this.#recent.newestFirst(max)
  }

  get absentCount(): number {
    return this.#absent.size
  }

  stats(): HintReceiverStats {
    return { ...this.#stats }
  }

  clear(): void {
    this.#absent.clear()
    this.#recent.clear()
  }
}

/** Moves `key` to the newest end of a bounded FIFO set, dropping the oldest past `max`. */
