/**
 * The random-effects model computed here from its formulas, apart from the engine: effects y_j with
 * variances s_j^2 from true effects ~ N(mu, tau^2), flat priors on mu and on tau over
 * [0, 3 x range of y + 3 x largest s] (the support the model states). Given tau everything is
 * normal-normal and closed-form; tau is integrated with Simpson's rule on 4,000 intervals (the
 * engine uses 200 midpoints), and normal CDFs come from jStat.
 */
import jStat from 'jstat';

export interface Observed {
  estimate: number;
  variance: number;
}

const INTERVALS = 4000;

const normalPdf = (x: number, mean: number, sd: number) =>
  Math.exp(-0.5 * ((x - mean) / sd) ** 2) / (sd * Math.sqrt(2 * Math.PI));

interface AtTau {
  tau: number;
  /** Simpson weight times the restricted likelihood (unnormalised). */
  w: number;
  muHat: number;
  muVar: number;
}

function grid(effects: readonly Observed[]): AtTau[] {
  const ys = effects.map((e) => e.estimate);
  const top =
    3 * (Math.max(...ys) - Math.min(...ys)) + 3 * Math.sqrt(Math.max(...effects.map((e) => e.variance)));
  const h = top / INTERVALS;
  const points: (AtTau & { log: number })[] = [];
  for (let i = 0; i <= INTERVALS; i++) {
    const tau = i * h;
    const prec = effects.map((e) => 1 / (e.variance + tau * tau));
    const total = prec.reduce((a, b) => a + b, 0);
    const muHat = effects.reduce((a, e, j) => a + prec[j]! * e.estimate, 0) / total;
    // p(tau | y) with mu integrated out: |V_mu|^(1/2) prod N(y_j; muHat, s_j^2 + tau^2).
    let log = -0.5 * Math.log(total);
    effects.forEach((e, j) => {
      log += 0.5 * Math.log(prec[j]!) - 0.5 * prec[j]! * (e.estimate - muHat) ** 2;
    });
    const simpson = i === 0 || i === INTERVALS ? 1 : i % 2 === 1 ? 4 : 2;
    points.push({ tau, w: simpson, muHat, muVar: 1 / total, log });
  }
  const best = Math.max(...points.map((p) => p.log));
  return points.map((p) => ({ tau: p.tau, w: p.w * Math.exp(p.log - best), muHat: p.muHat, muVar: p.muVar }));
}

function quantile(parts: { w: number; mean: number; sd: number }[], q: number): number {
  const total = parts.reduce((a, p) => a + p.w, 0);
  const cdf = (x: number) => parts.reduce((a, p) => a + p.w * jStat.normal.cdf(x, p.mean, p.sd), 0) / total;
  let lo = Math.min(...parts.map((p) => p.mean - 20 * p.sd));
  let hi = Math.max(...parts.map((p) => p.mean + 20 * p.sd));
  for (let i = 0; i < 64; i++) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Posterior of mu: its mean, 95% interval and chance above 0. */
export function referencePooled(effects: readonly Observed[]) {
  const parts = grid(effects).map((g) => ({ w: g.w, mean: g.muHat, sd: Math.sqrt(g.muVar) }));
  const total = parts.reduce((a, p) => a + p.w, 0);
  return {
    estimate: parts.reduce((a, p) => a + p.w * p.mean, 0) / total,
    ci95: [quantile(parts, 0.025), quantile(parts, 0.975)] as [number, number],
    chanceAboveZero: parts.reduce((a, p) => a + p.w * (1 - jStat.normal.cdf(0, p.mean, p.sd)), 0) / total,
  };
}

/** The normal-normal posterior of one effect: observed y with variance v, prior N(m, p). */
export function normalNormal(y: number, v: number, m: number, p: number) {
  const precision = 1 / v + 1 / p;
  const mean = (y / v + m / p) / precision;
  const sd = Math.sqrt(1 / precision);
  return { estimate: mean, ci95: [mean - 1.959963984540054 * sd, mean + 1.959963984540054 * sd] };
}

/**
 * A new experiment's true effect given its own estimate (y, v) and the past effects: given tau the
 * prior is N(muHat, tau^2 + V_mu) and the posterior normal-normal; tau's weight also takes in how
 * well it predicted y.
 */
export function referenceShrunk(past: readonly Observed[], y: number, v: number) {
  const parts = grid(past).map((g) => {
    const priorVar = g.tau * g.tau + g.muVar;
    const post = normalNormal(y, v, g.muHat, priorVar);
    const predictive = normalPdf(y, g.muHat, Math.sqrt(priorVar + v));
    return { w: g.w * predictive, mean: post.estimate, sd: Math.sqrt(1 / (1 / v + 1 / priorVar)) };
  });
  const total = parts.reduce((a, p) => a + p.w, 0);
  return {
    estimate: parts.reduce((a, p) => a + p.w * p.mean, 0) / total,
    ci95: [quantile(parts, 0.025), quantile(parts, 0.975)] as [number, number],
  };
}
