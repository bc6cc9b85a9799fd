import type { StoredTemplate, TemplateView } from '../schemas/template.schema.js';

/**
 * Publication bias, as measured by DellaVigna & Linos (2022, Econometrica 90(1)): 126 trials of two
 * nudge units averaged +8% relative (1.4 points), the journal articles +33.4% (8.7 points). A
 * published relative effect is therefore expected at scale at about 0.08 / 0.334 of its size.
 */
export const NUDGE_UNIT_RELATIVE_EFFECT = 0.08;
export const JOURNAL_RELATIVE_EFFECT = 0.334;
export const PUBLICATION_DISCOUNT = NUDGE_UNIT_RELATIVE_EFFECT / JOURNAL_RELATIVE_EFFECT;
export const DISCOUNT_SOURCE = 'dellavigna_linos_2022_rcts_to_the_rescue';

type Evidence = StoredTemplate['evidence'];

export function publishedEffect(e: Evidence): TemplateView['publishedEffect'] {
  if (e.control === null || e.treatment === null) return null;
  const c = e.arms[e.control]?.rate;
  const t = e.arms[e.treatment]?.rate;
  if (c === null || c === undefined || t === null || t === undefined || c === 0) return null;
  return { controlRate: c, treatmentRate: t, absolutePoints: (t - c) * 100, relative: t / c - 1 };
}

/**
 * An honest grade from what the source shows: A randomised, arm sizes known and replicated; B
 * randomised with one of the two; C randomised with neither; D not randomised (cohort or natural
 * experiment: the effect may be confounded).
 */
export function evidenceGrade(e: Evidence): TemplateView['grade'] {
  const replicated = e.replicatedBy.length > 0;
  const reasons = [
    e.randomized ? 'randomised' : 'not randomised (cohort or natural experiment)',
    e.armSizesKnown ? 'arm sizes published' : 'arm sizes not found',
    replicated ? `replicated (${e.replicatedBy.join(', ')})` : 'no replication in the evidence file',
  ];
  const grade = !e.randomized
    ? 'D'
    : e.armSizesKnown && replicated
      ? 'A'
      : e.armSizesKnown || replicated
        ? 'B'
        : 'C';
  return { grade, randomized: e.randomized, armSizesKnown: e.armSizesKnown, replicated, reasons };
}

/**
 * How sure the discounted effect is: as uncertain as its own size (the effect at scale may as well
 * be nothing or twice that), and never narrower than the average nudge-unit effect, +8%: the
 * meta-analysis measures the average, not how close one study's effect at scale will be to it.
 */
export function priorSd(expected: number): number {
  return Math.max(Math.abs(expected), NUDGE_UNIT_RELATIVE_EFFECT);
}

export function discountedPrior(effect: TemplateView['publishedEffect']): TemplateView['prior'] {
  if (!effect) return null;
  const expected = effect.relative * PUBLICATION_DISCOUNT;
  return {
    expectedRelativeLift: expected,
    sd: priorSd(expected),
    discount: PUBLICATION_DISCOUNT,
    basis:
      'published relative effect x 0.08 / 0.334: nudge-unit trials average +8% where journal articles average +33.4% (DellaVigna & Linos 2022)',
  };
}

export function templateView(t: StoredTemplate): TemplateView {
  const effect = publishedEffect(t.evidence);
  return { ...t, publishedEffect: effect, grade: evidenceGrade(t.evidence), prior: discountedPrior(effect) };
}
