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
import { GL_ORDER, gl8 } from './quadrature.ts';

/**
 * A Beta density as an inner quadrature rule that can be cut at any point: the panels of a coarse
 * table with their Gauss-Legendre nodes and masses, and the exact density for the one panel a cut
 * falls inside. Cutting matters because the integrand jumps where the other share's argument
 * leaves [0, 1] (at s = 1 - |t| for the passive share), and a Beta with an empty category has
 * non-zero density at its end, so a panel straddling the cut would integrate a step.
 */
interface InnerRule {
  /**
   * Integral of the density times g over [from, to]. `feature` is the width of the structure g has
   * next to the cut end (`cutAt`): the panel holding the cut is split at geometrically growing
   * distances from it, so a peak far narrower than the panel is still resolved.
   */
  integrate(
    g: (x: number) => number,
    from: number,
    to: number,
    cutAt: 'from' | 'to',
    feature: number,
  ): number;
}

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

function innerRule(a: number, b: number): InnerRule {
  const t = betaTable(a, b, true);
  const panels = t.edges.length - 1;
  return {
    integrate(g, from, to, cutAt, feature) {
      let sum = 0;
      for (let p = 0; p < panels; p++) {
        const lo = t.edges[p] ?? 0;
        const hi = t.edges[p + 1] ?? 0;
        if (hi <= from || lo >= to) continue;
        if (lo >= from && hi <= to) {
          for (let m = p * GL_ORDER; m < (p + 1) * GL_ORDER; m++) {
            const w = t.nodeW[m] ?? 0;
            if (w > PRUNE) sum += w * g(t.nodeX[m] ?? 0);
          }
          continue;
        }
        const a0 = Math.max(lo, from);
        const b0 = Math.min(hi, to);
        if (b0 > a0) sum += graded((x) => t.pdf(x) * g(x), a0, b0, cutAt, feature);
      }
      return sum;
    },
  };
}

/**
 * Gauss-Legendre over [a, b] on pieces that double in width away from the cut end, starting at
 * `feature`: near t = 0 the integrand is a spike about |t| wide beside the cut.
 */
function graded(
  f: (x: number) => number,
  a: number,
  b: number,
  cutAt: 'from' | 'to',
  feature: number,
): number {
  const width = b - a;
  let h = Math.min(width, Math.max(feature, width * 1e-12));
  let done = 0;
  let sum = 0;
  while (done < width) {
    const next = Math.min(width, done + h);
    sum += cutAt === 'from' ? gl8(f, a + done, a + next) : gl8(f, b - next, b - done);
    done = next;
    h *= 2;
  }
  return sum;
}

const betaSd = (a: number, b: number): number => Math.sqrt((a * b) / ((a + b) ** 2 * (a + b + 1)));

/**
 * The density of NPS / 100 = (1 - s)(1 - 2B) as a one-dimensional integral. The outer variable
 * is the one that moves NPS less; the other then varies smoothly across the outer nodes, which is
 * what makes a coarse rule exact enough. Integrating the wrong way misses the peak entirely when,
 * say, a billion promoters and no detractors make B a spike at 0. Each inner integral runs only
 * where the other share's argument is inside [0, 1], so its end is a panel edge, not a jump.
 */
function npsDensity(aD: number, aP: number, aR: number): (t: number) => number {
  const meanB = aD / (aD + aR);
  const meanS = aP / (aD + aP + aR);
  const viaPassives = Math.abs(1 - 2 * meanB) * betaSd(aP, aD + aR) <= 2 * (1 - meanS) * betaSd(aD, aR);
  if (viaPassives) {
    const split = betaTable(aD, aR);
    const rule = innerRule(aP, aD + aR);
    return (t) =>
      rule.integrate(
        (sv) => split.pdf((1 - t / (1 - sv)) / 2) / (2 * (1 - sv)),
        0,
        1 - Math.abs(t),
        'to',
        Math.abs(t) / 4,
      );
  }
  const passive = betaTable(aP, aD + aR);
  const rule = innerRule(aD, aR);
  // 1 - t / (1 - 2B) is in [0, 1] when 1 - 2B has the sign of t and |1 - 2B| >= |t|.
  const g = (t: number) => (b: number) => {
    const scale = 1 - 2 * b;
    return scale === 0 ? 0 : passive.pdf(1 - t / scale) / Math.abs(scale);
  };
  return (t) => {
    const feature = Math.abs(t) / 8;
    if (t > 0) return rule.integrate(g(t), 0, (1 - t) / 2, 'to', feature);
    if (t < 0) return rule.integrate(g(t), (1 - t) / 2, 1, 'from', feature);
    return rule.integrate(g(t), 0, 1, 'from', 1);
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
    // NPS = 0 is where the inner integral's cut 1 - |t| turns: the density has a kink there.
    breaks: [0],
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
