/**
 * Numerical building blocks: an 8-point Gauss-Legendre rule with the coefficient tables that turn
 * the rule's node values into polynomials, and a bracketing root finder.
 */

/** Gauss-Legendre nodes on [-1, 1] (ascending) and their weights. */
export const GL_NODES: readonly number[] = [
  -0.9602898564975363, -0.7966664774136267, -0.525532409916329, -0.1834346424956498, 0.1834346424956498,
  0.525532409916329, 0.7966664774136267, 0.9602898564975363,
];
export const GL_WEIGHTS: readonly number[] = [
  0.1012285362903763, 0.2223810344533745, 0.3137066458778873, 0.362683783378362, 0.362683783378362,
  0.3137066458778873, 0.2223810344533745, 0.1012285362903763,
];
export const GL_ORDER = 8;

/**
 * LAGRANGE[m][k] is the coefficient of t^k in the Lagrange basis polynomial that is 1 at node m and
 * 0 at the others. With it the interpolant of a panel's node values, and so its antiderivatives,
 * are available in closed form, which is what makes CDF evaluation between nodes cheap.
 */
const LAGRANGE: number[][] = GL_NODES.map((tm, m) => {
  let coef = [1];
  GL_NODES.forEach((tj, j) => {
    if (j === m) return;
    const scale = 1 / (tm - tj);
    const next = new Array<number>(coef.length + 1).fill(0);
    coef.forEach((c, k) => {
      next[k + 1] = (next[k + 1] ?? 0) + c * scale;
      next[k] = (next[k] ?? 0) - c * tj * scale;
    });
    coef = next;
  });
  return coef;
});

/** Monomial coefficients (in t on [-1, 1]) of the polynomial interpolating `values` at the nodes. */
export function interpolate(values: ArrayLike<number>, offset = 0): number[] {
  const out = new Array<number>(GL_ORDER).fill(0);
  for (let m = 0; m < GL_ORDER; m++) {
    const v = values[offset + m] ?? 0;
    const row = LAGRANGE[m] ?? [];
    for (let k = 0; k < GL_ORDER; k++) out[k] = (out[k] ?? 0) + v * (row[k] ?? 0);
  }
  return out;
}

/**
 * Coefficients of start + scale * integral from -1 to t of the polynomial `coef`, one degree higher.
 */
export function antiderivative(coef: readonly number[], start: number, scale: number): number[] {
  const out = new Array<number>(coef.length + 1).fill(0);
  let atMinusOne = 0;
  coef.forEach((c, k) => {
    const v = (scale * c) / (k + 1);
    out[k + 1] = v;
    atMinusOne += v * ((k + 1) % 2 === 0 ? 1 : -1);
  });
  out[0] = start - atMinusOne;
  return out;
}

export function horner(coef: ArrayLike<number>, offset: number, degree: number, t: number): number {
  let acc = coef[offset + degree] ?? 0;
  for (let k = degree - 1; k >= 0; k--) acc = acc * t + (coef[offset + k] ?? 0);
  return acc;
}

/** Gauss-Legendre integral of f over [a, b]. */
export function gl8(f: (x: number) => number, a: number, b: number): number {
  const h = (b - a) / 2;
  const c = (a + b) / 2;
  let sum = 0;
  for (let m = 0; m < GL_ORDER; m++) sum += (GL_WEIGHTS[m] ?? 0) * f(c + h * (GL_NODES[m] ?? 0));
  return sum * h;
}

/**
 * Brent's method for a root of f in [lo, hi] where f(lo) and f(hi) differ in sign. Chosen over
 * bisection because the CDFs it inverts are smooth, so it converges in a handful of evaluations.
 */
export function brent(
  f: (x: number) => number,
  lo: number,
  hi: number,
  flo: number,
  fhi: number,
  tol: number,
  maxIter = 100,
): number {
  let a = lo;
  let b = hi;
  let fa = flo;
  let fb = fhi;
  if (fa === 0) return a;
  if (fb === 0) return b;
  let c = a;
  let fc = fa;
  let d = b - a;
  let e = d;
  for (let i = 0; i < maxIter; i++) {
    if (fb * fc > 0) {
      c = a;
      fc = fa;
      d = b - a;
      e = d;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const tol1 = 2 * Number.EPSILON * Math.abs(b) + tol / 2;
    const xm = (c - b) / 2;
    if (Math.abs(xm) <= tol1 || fb === 0) return b;
    if (Math.abs(e) >= tol1 && Math.abs(fa) > Math.abs(fb)) {
      const s = fb / fa;
      let p: number;
      let q: number;
      if (a === c) {
        p = 2 * xm * s;
        q = 1 - s;
      } else {
        const qq = fa / fc;
        const r = fb / fc;
        p = s * (2 * xm * qq * (qq - r) - (b - a) * (r - 1));
        q = (qq - 1) * (r - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      p = Math.abs(p);
      if (2 * p < Math.min(3 * xm * q - Math.abs(tol1 * q), Math.abs(e * q))) {
        e = d;
        d = p / q;
      } else {
        d = xm;
        e = d;
      }
    } else {
      d = xm;
      e = d;
    }
    a = b;
    fa = fb;
    b += Math.abs(d) > tol1 ? d : xm > 0 ? tol1 : -tol1;
    fb = f(b);
  }
  return b;
}

/**
 * Finds x with g(x) = target for a non-decreasing g, expanding a bracket from a guess and a step.
 */
export function invertMonotone(
  g: (x: number) => number,
  target: number,
  guess: number,
  step: number,
  tol: number,
  bounds: [number, number] = [-Infinity, Infinity],
): number {
  const f = (x: number): number => g(x) - target;
  let lo = Math.max(bounds[0], guess - step);
  let hi = Math.min(bounds[1], guess + step);
  let flo = f(lo);
  let fhi = f(hi);
  let width = step;
  for (let i = 0; i < 200 && flo > 0; i++) {
    hi = lo;
    fhi = flo;
    width *= 2;
    lo = Math.max(bounds[0], lo - width);
    flo = f(lo);
    if (lo === bounds[0]) break;
  }
  width = step;
  for (let i = 0; i < 200 && fhi < 0; i++) {
    lo = hi;
    flo = fhi;
    width *= 2;
    hi = Math.min(bounds[1], hi + width);
    fhi = f(hi);
    if (hi === bounds[1]) break;
  }
  if (flo > 0) return lo;
  if (fhi < 0) return hi;
  return brent(f, lo, hi, flo, fhi, tol);
}

/** Standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const poly = (k: number[], x: number): number => k.reduce((acc, v) => acc * x + v, 0);
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    return poly(c, q) / (poly(d, q) * q + 1);
  }
  if (p > 1 - 0.02425) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -poly(c, q) / (poly(d, q) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (poly(a, r) * q) / (poly(b, r) * r + 1);
}
