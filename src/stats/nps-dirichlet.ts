/**
 * NPS metrics: detractor / passive / promoter shares with a Dirichlet(1, 1, 1) prior, so the
 * posterior is Dirichlet(1 + detractors, 1 + passives, 1 + promoters) and
 * NPS = 100 * (promoters share - detractors share).
 *
 * The NPS posterior is computed exactly rather than sampled: with s the passive share and
 * B = detractors / (detractors + promoters), s ~ Beta(a_p, a_d + a_r) and B ~ Beta(a_d, a_r) are
 * independent and NPS / 100 = (1 - s)(1 - 2B), so the NPS density at t is the one-dimensional
 * integral over s of f_s(s) f_B((1 - t / (1 - s)) / 2) / (2 (1 - s)). Quadrature makes the result
 * reproducible without a seed and as fast as the other metric kinds.
 */
import { betaTable } from './beta-binomial.ts';
import type { ArmPosterior } from './posterior.ts';
import { buildTable, quantile } from './posterior-table.ts';

/** Inner nodes carrying less mass than this are dropped; they cannot move a result. */
const PRUNE = 1e-15;
const OUTER_STEP = 0.75;

export interface NpsCounts {
  detractors: number;
  passives: number;
  promoters: number;
}

export function npsMoments(aD: number, aP: number, aR: number): { mean: number; sd: number } {
  const total = aD + aP + aR;
  const variance = (aR * (total - aR) + aD * (total - aD) + 2 * aR * aD) / (total * total * (total + 1));
  return { mean: (100 * (aR - aD)) / total, sd: 100 * Math.sqrt(variance) };
}

/** Nodes of a coarse table with their probability masses, minus those too light to matter. */
function innerNodes(a: number, b: number): { x: number[]; w: number[] } {
  const t = betaTable(a, b, true);
  const x: number[] = [];
  const w: number[] = [];
  t.nodeX.forEach((v, i) => {
    const m = t.nodeW[i] ?? 0;
    if (m > PRUNE) {
      x.push(v);
      w.push(m);
    }
  });
  return { x, w };
}

const betaSd = (a: number, b: number): number => Math.sqrt((a * b) / ((a + b) ** 2 * (a + b + 1)));

/**
 * The density of NPS / 100 = (1 - s)(1 - 2B) as a one-dimensional integral. The outer variable
 * is the one that moves NPS less; the other then varies smoothly across the outer nodes, which is
 * what makes a coarse rule exact enough. Integrating the wrong way misses the peak entirely when,
 * say, a billion promoters and no detractors make B a spike at 0.
 */
function npsDensity(aD: number, aP: number, aR: number): (t: number) => number {
  const meanB = aD / (aD + aR);
  const meanS = aP / (aD + aP + aR);
  const viaPassives = Math.abs(1 - 2 * meanB) * betaSd(aP, aD + aR) <= 2 * (1 - meanS) * betaSd(aD, aR);
  if (viaPassives) {
    const split = betaTable(aD, aR);
    const { x, w } = innerNodes(aP, aD + aR);
    return (t) => {
      const limit = 1 - Math.abs(t);
      let sum = 0;
      for (let i = 0; i < x.length; i++) {
        const sv = x[i] ?? 0;
        if (sv >= limit) continue;
        sum += ((w[i] ?? 0) / (2 * (1 - sv))) * split.pdf((1 - t / (1 - sv)) / 2);
      }
      return sum;
    };
  }
  const passive = betaTable(aP, aD + aR);
  const { x, w } = innerNodes(aD, aR);
  return (t) => {
    let sum = 0;
    for (let i = 0; i < x.length; i++) {
      const scale = 1 - 2 * (x[i] ?? 0);
      if (scale === 0) continue;
      sum += ((w[i] ?? 0) / Math.abs(scale)) * passive.pdf(1 - t / scale);
    }
    return sum;
  };
}

export function npsPosterior(counts: NpsCounts): ArmPosterior {
  const aD = 1 + counts.detractors;
  const aP = 1 + counts.passives;
  const aR = 1 + counts.promoters;
  const share = npsDensity(aD, aP, aR);
  const density = (points: number): number => share(points / 100) / 100;
  const { mean, sd } = npsMoments(aD, aP, aR);
  const table = buildTable({
    density,
    center: mean,
    scale: sd,
    support: [-100, 100],
    refine: false,
    step: OUTER_STEP,
  });
  const n = counts.detractors + counts.passives + counts.promoters;
  return {
    table,
    estimate: mean,
    ci95: [quantile(table, 0.025), quantile(table, 0.975)],
    n,
    variance: sd * sd,
  };
}
