// The option checkers every component shares. Each takes the owner (the constructor or
// function a user called: 'createCacheNode', 'OriginLog', 'HintReceiver'), the option's name
// and its value, and returns the value or throws a TypeError in one form:
//
//   <owner>: <name> must be <what>, got <value>
//
// so a bad option is refused at construction, named, with what would have been accepted.
//
//   this.maxDeltas = nonNegativeInt('OriginLog', 'maxDeltas', init.maxDeltas ?? DEFAULT_MAX_DELTAS)

/** A safe integer ≥ 1 (a count or a duration that must not be zero). */
export function positiveInt(owner: string, name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1) fail(owner, name, 'a positive integer', v)
  return v
}

/** A safe integer ≥ 0 (a bound where 0 means "none"). */
export function nonNegativeInt(owner: string, name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) fail(owner, name, 'an integer ≥ 0', v)
  return v
}

/** A safe integer in [min, max], both ends included. */
export function intInRange(owner: string, name: string, v: number, min: number, max: number): number {
  if (!Number.isSafeInteger(v) || v < min || v > max) fail(owner, name, `an integer in [${min}, ${max}]`, v)
  return v
}

/** Any finite number (an offset, a seed). */
export function finiteNumber(owner: string, name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(owner, name, 'a finite number', v)
  return v
}

/** A finite number ≥ 0 (a duration or a multiplier that may be fractional). */
export function nonNegativeNumber(owner: string, name: string, v: number): number {
  return numberAtLeast(owner, name, v, 0)
}

/** A finite number > 0. */
export function positiveNumber(owner: string, name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) fail(owner, name, 'a finite number > 0', v)
  return v
}

/** A finite number ≥ min. */
export function numberAtLeast(owner: string, name: string, v: number, min: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !(v >= min)) fail(owner, name, `a finite number ≥ ${min}`, v)
  return v
}

/** A number in [min, max], both ends included (NaN is refused). */
export function numberInRange(owner: string, name: string, v: number, min: number, max: number): number {
  if (typeof v !== 'number' || !(v >= min && v <= max)) fail(owner, name, `in [${min}, ${max}]`, v)
  return v
}

/** A fraction in [0, 1] (a rate, a probability). */
export function ratio(owner: string, name: string, v: number): number {
  return numberInRange(owner, name, v, 0, 1)
}

/** true or false, nothing truthy. */
export function bool(owner: string, name: string, v: boolean): boolean {
  if (typeof v !== 'boolean') fail(owner, name, 'true or false', v)
  return v
}

function fail(owner: string, name: string, what: string, v: unknown): never {
  throw new TypeError(`${owner}: ${name} must be ${what}, got ${String(v)}`)
}
