// The slice of vitest's test API that @keyv/test-suite calls (`it`, `beforeEach`, `afterEach`,
// and a context whose `expect` has the jest matchers it uses), over mocha and chai: the suite
// runs inside `npm test` with the project's own runner (not a test file itself).
import { expect as chaiExpect } from 'chai'

type Fn = (t: { expect: typeof jestExpect }) => unknown

interface Matchers {
  toBe(expected: unknown): void
  toEqual(expected: unknown): void
  toBeTruthy(): void
  toBeFalsy(): void
  toBeNull(): void
  toBeUndefined(): void
  toBeDefined(): void
}

/** jest's expect, for the matchers the suite uses; `.not` negates each. */
export function jestExpect(actual: unknown): Matchers & { not: Matchers } {
  const matchers = (negate: boolean): Matchers => {
    const check = (ok: boolean, what: string): void => {
      if (ok === negate) throw new ShimAssertionError(`expected ${show(actual)} ${negate ? 'not ' : ''}${what}`)
    }
    return {
      toBe: (expected) => check(Object.is(actual, expected), `to be ${show(expected)}`),
      toEqual: (expected) => check(deepEqual(actual, expected), `to equal ${show(expected)}`),
      toBeTruthy: () => check(Boolean(actual), 'to be truthy'),
      toBeFalsy: () => check(!actual, 'to be falsy'),
      toBeNull: () => check(actual === null, 'to be null'),
      toBeUndefined: () => check(actual === undefined, 'to be undefined'),
      toBeDefined: () => check(actual !== undefined, 'to be defined'),
    }
  }
  return { ...matchers(false), not: matchers(true) }
}

class ShimAssertionError extends Error {
  override name = 'AssertionError'
}

function deepEqual(a: unknown, b: unknown): boolean {
  try {
    chaiExpect(a).to.deep.equal(b)
    return true
  } catch {
    return false
  }
}

function show(v: unknown): string {
  try {
    return typeof v === 'string' ? JSON.stringify(v) : String(JSON.stringify(v) ?? v)
  } catch {
    return String(v)
  }
}

/** What the suite takes as `test`: its calls become mocha's, inside the caller's describe(). */
export const vitestShim = {
  it: (name: string, fn: Fn): void => {
    it(name, async () => {
      await fn({ expect: jestExpect })
    })
  },
  beforeEach: (fn: () => unknown): void => {
    beforeEach(async () => {
      await fn()
    })
  },
  afterEach: (fn: () => unknown): void => {
    afterEach(async () => {
      await fn()
    })
  },
}
