// A small seeded PRNG: xoshiro128** (Blackman & Vigna 2018), seeded through splitmix32 so that
// any 32-bit seed, including 0, gives a well-mixed state. The membership core never calls
// Math.random: one seed replays a whole simulation exactly.
//
//   const r = new Prng(42); r.int(10) // 0..9, the same on every run and platform

export class Prng {
  #a: number
  #b: number
  #c: number
  #d: number

  constructor(seed: number) {
    let s = seed >>> 0
    const next = (): number => {
      // splitmix32
      s = (s + 0x9e3779b9) >>> 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) >>> 0
    }
    this.#a = next()
    this.#b = next()
    this.#c = next()
    this.#d = next()
    // xoshiro's all-zero state is a fixed point; splitmix32 cannot produce four zeros from
    // consecutive counters, but keep the guard so the invariant is visible.
    if ((this.#a | this.#b | this.#c | this.#d) === 0) this.#a = 1
  }

  /** A uniform unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0
    const t = this.#b << 9
    this.#c ^= this.#a
    this.#d ^= this.#b
    this.#b ^= this.#c
    this.#a ^= this.#d
    this.#c ^= t
    this.#d = rotl(this.#d, 11)
    return result
  }

  /** A uniform float in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.nextUint32() / 4294967296
  }

  /** A uniform integer in [0, n); n must be a positive integer ≤ 2^32. */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  /** A new generator seeded from this one: per-node streams that stay independent. */
  fork(): Prng {
    return new Prng(this.nextUint32())
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}
