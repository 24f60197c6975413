// Hot-key hints (docs/hints.md): the wire codec of a hint, the receiver's rule, the
// warm-up's hot-first order, and the node's rounds. See docs/README.md.
export {
  decodeHint,
  DEFAULT_HINT_ABSENT_KEYS_MAX,
  DEFAULT_HINT_BOOST_FREQ,
  DEFAULT_HINT_BYTES_PER_ROUND,
  DEFAULT_HINT_KEY_BYTES_MAX,
  DEFAULT_HINT_KEYS_PER_ROUND,
  encodeHint,
  HINT_FORMAT_VERSION,
  MAX_HINT_KEY_BYTES,
  MAX_HINT_KEYS,
  MAX_HINT_MESSAGE_BYTES,
  type Hint,
  type HintStore,
} from './codec.ts'
export { HintReceiver, type HintReceiverInit, type HintReceiverStats } from './receiver.ts'
export { sinceHotFirst } from './hot-first.ts'
export {
  DEFAULT_HINT_INTERVAL_MS,
  DEFAULT_HINT_MESSAGES_PER_MEMBER_PER_ROUND,
  DEFAULT_HINT_RESEND_AFTER_ROUNDS,
  HotKeyHints,
  type HotKeyHintsInit,
  type HotKeyHintsTuning,
  type HotKeyHintsStats,
} from './rounds.ts'
