/**
 * What a set of experiments says about their common effect: the random-effects model of
 * prior-fit.ts (effects y_j with variances s_j^2 from true effects ~ N(mu, tau^2), flat priors on mu
 * and tau, tau integrated on the same grid), read for mu instead of for the next experiment. Each
 * experiment weighs by its precision 1 / (s_j^2 + tau^2), so a large, tight experiment counts for
 * more than a small, noisy one, and the interval widens with the disagreement between experiments.
 * A plain mean of lifts does neither. With one experiment tau cannot be learnt from the data, so
 * the interval is about twice as wide as that experiment's own: one experiment says little about
 * what the next nudge of its kind will do.
 */
import { mixtureCdf, mixtureMoments, mixtureQuantile } from './normal-mixture.ts';
import { type PastEffect, tauPosterior, usableEffects } from './prior-fit.ts';

export interface PooledEffect {
  /** Experiments that carried evidence (a finite estimate with a positive variance). */
  experiments: number;
  /** Posterior mean of mu, its sd and equal-tailed 95% interval. */
  estimate: number;
  sd: number;
  ci95: [number, number];
  /** Posterior chance that mu > 0. */
  chanceAboveZero: number;
  /** Posterior mean of tau, the sd of the experiments' true effects around mu. */
  spread: number;
}

export function poolEffects(effects: readonly PastEffect[]): PooledEffect | null {
  const usable = usableEffects(effects);
  if (usable.length === 0) return null;
  const grid = tauPosterior(usable);
  const mixture = grid.map((p) => ({ weight: p.weight, mean: p.mu, variance: p.muVariance }));
  const m = mixtureMoments(mixture);
  return {
    experiments: usable.length,
    estimate: m.mean,
    sd: Math.sqrt(m.variance),
    ci95: [mixtureQuantile(mixture, 0.025, m), mixtureQuantile(mixture, 0.975, m)],
    chanceAboveZero: 1 - mixtureCdf(mixture, 0),
    spread: grid.reduce((s, p) => s + p.weight * p.tau, 0),
  };
}
