/**
 * Closed forms computed independently of the engine (by summation, not quadrature), for checks
 * at small n where they are cheap.
 */
import jStat from 'jstat';

const lbeta = (a: number, b: number): number => jStat.gammaln(a) + jStat.gammaln(b) - jStat.gammaln(a + b);

/** P(X > Y) for X ~ Beta(a1, b1), Y ~ Beta(a2, b2), integer a1 (Evan Miller's sum). */
export function betaChanceGreater(a1: number, b1: number, a2: number, b2: number): number {
  let sum = 0;
  for (let i = 0; i < a1; i++) {
    sum += Math.exp(lbeta(a2 + i, b1 + b2) - Math.log(b1 + i) - lbeta(1 + i, b1) - lbeta(a2, b2));
  }
  return sum;
}

/** E[max(X - Y, 0)] = E[X] P(X' > Y) - E[Y] P(X > Y'), X' ~ Beta(a1 + 1, b1), Y' ~ Beta(a2 + 1, b2). */
export function betaExpectedExcess(a1: number, b1: number, a2: number, b2: number): number {
  return (
    (a1 / (a1 + b1)) * betaChanceGreater(a1 + 1, b1, a2, b2) -
    (a2 / (a2 + b2)) * betaChanceGreater(a1, b1, a2 + 1, b2)
  );
}

export const normalCdf = (x: number): number => jStat.normal.cdf(x, 0, 1);
export const normalPdf = (x: number): number => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);

/** E[max(D, 0)] for D ~ N(mu, sd^2). */
export function normalExpectedPositive(mu: number, sd: number): number {
  const z = mu / sd;
  return sd * normalPdf(z) + mu * normalCdf(z);
}
