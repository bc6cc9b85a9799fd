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

export function npsPosterior(counts: NpsCounts): ArmPosterior {
  const aD = 1 + counts.detractors;
  const aP = 1 + counts.passives;
  const aR = 1 + counts.promoters;
  const passive = betaTable(aP, aD + aR, true);
  const split = betaTable(aD, aR);
  const sNodes: number[] = [];
  const sMass: number[] = [];
  passive.nodeX.forEach((s, i) => {
    const w = passive.nodeW[i] ?? 0;
    if (w > PRUNE && s < 1) {
      sNodes.push(s);
      sMass.push(w / (2 * (1 - s)));
    }
  });
  const density = (points: number): number => {
    const t = points / 100;
    const limit = 1 - Math.abs(t);
    let sum = 0;
    for (let i = 0; i < sNodes.length; i++) {
      const s = sNodes[i] ?? 0;
      if (s >= limit) continue;
      sum += (sMass[i] ?? 0) * split.pdf((1 - t / (1 - s)) / 2);
    }
    return sum / 100;
  };
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
