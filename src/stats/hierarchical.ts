/**
 * Many-arm studies: an empirical-Bayes normal hierarchy over the variants (not the control).
 * Each variant's estimate y_j (log-odds for conversion, the metric itself otherwise) with posterior
 * variance s_j^2 is taken to come from a true value theta_j ~ N(mu, tau^2); mu and tau^2 are the
 * maximum-likelihood values of the marginal model y_j ~ N(mu, tau^2 + s_j^2). Each variant is then
 * shrunk toward mu by B_j = s_j^2 / (s_j^2 + tau^2), with Morris's term for the uncertainty of mu.
 * With 24 variants the raw leader is the luckiest of 24 draws (the winner's curse); its shrunk lift
 * is the better forecast of what shipping it will deliver. The control is not shrunk: it is the
 * baseline, not a draw from the variants' distribution.
 */
import { gl8 } from './quadrature.ts';

export interface ArmNormal {
  key: string;
  mean: number;
  variance: number;
}

export interface ShrunkArm {
  key: string;
  raw: number;
  shrunk: number;
  shrunkVariance: number;
  /** Weight on the common mean: 0 keeps the raw estimate, 1 replaces it by mu. */
  shrinkage: number;
}

export interface Hierarchy {
  mu: number;
  tau: number;
  arms: ShrunkArm[];
}

export function fitHierarchy(variants: readonly ArmNormal[]): Hierarchy {
  let tau2 = 0;
  let mu = 0;
  let sumW = 1;
  for (let iter = 0; iter < 500; iter++) {
    const w = variants.map((v) => 1 / (v.variance + tau2));
    sumW = w.reduce((s, x) => s + x, 0);
    mu = variants.reduce((s, v, i) => s + (w[i] ?? 0) * v.mean, 0) / sumW;
    const num = variants.reduce((s, v, i) => s + (w[i] ?? 0) ** 2 * ((v.mean - mu) ** 2 - v.variance), 0);
    const den = variants.reduce((s, _, i) => s + (w[i] ?? 0) ** 2, 0);
    const next = Math.max(0, num / den);
    if (Math.abs(next - tau2) <= 1e-14 * Math.max(1, tau2)) {
      tau2 = next;
      break;
    }
    tau2 = next;
  }
  const w = variants.map((v) => 1 / (v.variance + tau2));
  sumW = w.reduce((s, x) => s + x, 0);
  mu = variants.reduce((s, v, i) => s + (w[i] ?? 0) * v.mean, 0) / sumW;
  const arms = variants.map((v) => {
    const b = v.variance / (v.variance + tau2);
    return {
      key: v.key,
      raw: v.mean,
      shrunk: mu + (1 - b) * (v.mean - mu),
      shrunkVariance: (1 - b) * v.variance + (b * b) / sumW,
      shrinkage: b,
    };
  });
  return { mu, tau: Math.sqrt(tau2), arms };
}

const phi = (z: number): number => Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);

/** Standard normal CDF (W. J. Cody's rational erfc would do; this series is accurate to 1e-15). */
export function normalCdf(z: number): number {
  if (z < -38) return 0;
  if (z > 38) return 1;
  // Marsaglia's Taylor series for |z| < 7, tail continued fraction beyond.
  if (Math.abs(z) < 7) {
    let sum = z;
    let term = z;
    for (let i = 3; i < 400; i += 2) {
      term *= (z * z) / i;
      sum += term;
      if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
    }
    return 0.5 + sum * phi(z);
  }
  const x = Math.abs(z);
  let f = x;
  for (let k = 60; k >= 1; k--) f = x + k / f;
  const tail = phi(x) / f;
  return z > 0 ? 1 - tail : tail;
}

/**
 * Chance that each of these independent normal arms is the best: the integral of arm k's density
 * times the chance that every other arm is below (or above) it, on 64 panels over +-10 sd.
 */
export function normalChanceBest(
  arms: readonly { mean: number; sd: number }[],
  higherIsBetter: boolean,
): number[] {
  return arms.map((k, ki) => {
    const g = (x: number): number => {
      let prod = phi((x - k.mean) / k.sd) / k.sd;
      for (let j = 0; j < arms.length && prod > 0; j++) {
        if (j === ki) continue;
        const a = arms[j];
        if (!a) continue;
        const below = normalCdf((x - a.mean) / a.sd);
        prod *= higherIsBetter ? below : 1 - below;
      }
      return prod;
    };
    const panels = 64;
    const lo = k.mean - 10 * k.sd;
    const width = (20 * k.sd) / panels;
    let sum = 0;
    for (let p = 0; p < panels; p++) sum += gl8(g, lo + p * width, lo + (p + 1) * width);
    return Math.min(1, Math.max(0, sum));
  });
}
