// Checks of a call's arguments that are not options and not writes: a read's key, a listing's
// prefix, the array a batch call takes. A wrong type is a TypeError, as Node's own APIs throw,
// with Node's code for it (ERR_INVALID_ARG_TYPE) and a message in one form:
//
//   <where>: <name> must be <what>, got <type>
//
// Writes have their own rule and error (crdt/admission.ts, WriteRefusedError): these never
// stand in for it.

/** Node's code for an argument of the wrong type (the same as `fs.readFile(1n)` throws with). */
export const ERR_INVALID_ARG_TYPE = 'ERR_INVALID_ARG_TYPE'

/** A TypeError naming the argument, what it must be and what it was, with `code` ERR_INVALID_ARG_TYPE. */
export function argumentTypeError(where: string, name: string, what: string, got: unknown): TypeError {
  const err = new TypeError(`${where}: ${name} must be ${what}, got ${describe(got)}`)
  ;(err as TypeError & { code: string }).code = ERR_INVALID_ARG_TYPE
  return err
}

/** A listing's prefix: undefined (every key) or a string; anything else throws. */
export function checkPrefix(where: string, prefix: unknown): string | undefined {
  if (prefix !== undefined && typeof prefix !== 'string') throw argumentTypeError(where, 'prefix', 'a string (or omitted)', prefix)
  return prefix
}

/** A read's key: a string; anything else throws (a number key would only ever miss). */
export function checkKey(where: string, name: string, key: unknown): string {
  if (typeof key !== 'string') throw argumentTypeError(where, name, 'a string', key)
  return key
}

/** An array argument; anything else (an iterator, an object) throws. */
export function checkArray(where: string, name: string, value: unknown): readonly unknown[] {
  if (!Array.isArray(value)) throw argumentTypeError(where, name, 'an array', value)
  return value
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  return typeof v
}
