// The foundation: what every other folder may import, and which imports nothing of the
// project. Errors with stable codes, the wire encoder and decoder, the seeded PRNG, hashing,
// UTF-8 lengths, the option and argument checkers, the bounded map. See docs/README.md.
export { AlsoCacheError, DecodeError, DecodeErrorCode, EntryTooLargeError } from './errors.ts'
export { argumentTypeError, checkArray, checkKey, checkPrefix, ERR_INVALID_ARG_TYPE } from './arguments.ts'
export { Encoder, varUintBytes } from './encoder.ts'
export { Decoder } from './decoder.ts'
export { Prng } from './prng.ts'
export { keyHash32 } from './key-hash.ts'
export { utf8Length } from './utf8.ts'
export { BoundedMap } from './bounded-map.ts'
export {
  bool,
  finiteNumber,
  intInRange,
  nonNegativeInt,
  nonNegativeNumber,
  numberAtLeast,
  numberInRange,
  positiveInt,
  positiveNumber,
  ratio,
} from './options.ts'
