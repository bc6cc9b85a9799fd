/**
 * Seeded pseudo-random numbers for simulation (calibration, Monte Carlo checks). The engine itself
 * is exact and never samples; whatever does sample takes a seed so its results can be reproduced.
 */

export interface Rng {
  /** Uniform on [0, 1). */
  next(): number;
  normal(): number;
  /** Gamma(shape, 1). */
  gamma(shape: number): number;
  binomial(n: number, p: number): number;
}

/** sfc32 seeded through splitmix32: small, fast, passes PractRand to large sizes. */
export function createRng(seed: number): Rng {
  let s = seed >>> 0;
  const split = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();

  let spare: number | undefined;
  const normal = (): number => {
    if (spare !== undefined) {
      const v = spare;
      spare = undefined;
      return v;
    }
    // Marsaglia's polar method: two normals per accepted pair, no trigonometry.
    for (;;) {
      const u = 2 * next() - 1;
      const v = 2 * next() - 1;
      const q = u * u + v * v;
      if (q > 0 && q < 1) {
        const f = Math.sqrt((-2 * Math.log(q)) / q);
        spare = v * f;
        return u * f;
      }
    }
  };

  /** Marsaglia and Tsang (2000), with the boost u^(1/shape) for shapes below 1. */
  const gamma = (shape: number): number => {
    if (shape < 1) {
      const u = next();
      return gamma(shape + 1) * u ** (1 / shape);
    }
    const dd = shape - 1 / 3;
    const cc = 1 / Math.sqrt(9 * dd);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = normal();
        v = 1 + cc * x;
      } while (v <= 0);
      v = v * v * v;
      const u = next();
      if (u < 1 - 0.0331 * x * x * x * x) return dd * v;
      if (Math.log(u) < 0.5 * x * x + dd * (1 - v + Math.log(v))) return dd * v;
    }
  };

  /**
   * Exact binomial draw by counting geometric gaps between successes: O(n p) work, which is what
   * simulations of low-rate conversions need, and exact unlike a normal approximation.
   */
  const binomial = (n: number, p: number): number => {
    if (p <= 0 || n <= 0) return 0;
    if (p >= 1) return n;
    if (p > 0.5) return n - binomial(n, 1 - p);
    const logQ = Math.log1p(-p);
    let successes = 0;
    let position = 0;
    for (;;) {
      position += Math.floor(Math.log(1 - next()) / logQ) + 1;
      if (position > n) return successes;
      successes++;
    }
  };

  return { next, normal, gamma, binomial };
}
