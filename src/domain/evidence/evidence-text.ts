/**
 * The evidence in words: the sentences added to the decision summary, and the notes the readout,
 * the page, the PDF and the CSV share, so each says the same thing with the same figures. The
 * sentences are the app's (`src/i18n`, area `programme`); their figures are the engine's
 * formatters in the same language, so a share reads 30.0% in English and 30,0 % in Russian.
 */

import { ENGLISH_I18N, type I18n, i18nFor, kindName, languageOf } from '../../i18n/index.js';
import { percent, pValueText, relativeLift, signed } from '../../stats/format.js';
import { summarizeReadout } from '../../stats/index.js';
import { MIN_PAST_EXPERIMENTS } from '../../stats/prior-fit.js';
import type { Readout } from '../../stats/readout.schema.js';
import type { Wording } from '../../stats/wording.js';
import type {
  Evidence,
  ExperimentPrior,
  PriorEvidence,
  PriorNoteFacts,
  ResponseBias,
} from '../schemas/evidence.schema.js';
import type { Metric } from '../schemas/experiment.schema.js';
import type { EffectScale } from './effect-scale.js';

/** The app's words for the language of an engine wording (English for one the app lacks). */
export function i18nOfWording(w: Wording): I18n {
  return i18nFor(languageOf(w.lang) ?? 'en');
}

/** A p-value as the traffic check writes it: "0.0123", "1.2e-5", in the reader's digits. */
export function pText(p: number, i: I18n = ENGLISH_I18N): string {
  return pValueText(p, i.wording);
}

/** An effect on its scale: "+4.2%" or "+3.0 NPS points". */
export function effectText(x: number, scale: EffectScale, i: I18n = ENGLISH_I18N): string {
  const w = i.wording;
  return scale === 'relative' ? relativeLift(x, w) : w.t('figure.npsPoints', { value: signed(x, 1, w) });
}

/** A standard deviation on its scale: "2.1%" or "3.0 points". */
export function sdText(x: number, scale: EffectScale, i: I18n = ENGLISH_I18N): string {
  const w = i.wording;
  return scale === 'relative' ? w.percent(x * 100, 1) : w.t('figure.points', { value: w.fixed(x, 1) });
}

function measureText(measure: { kind: string; event?: string | undefined }, i: I18n): string {
  return i.t('evidence.measure', {
    kind: measure.kind,
    kindName: kindName(i, measure.kind),
    event: String(measure.event),
  });
}

/** A prior's note from what it says, in a reader's language. */
export function noteText(facts: PriorNoteFacts, i: I18n = ENGLISH_I18N): string {
  const w = i.wording;
  switch (facts.says) {
    case 'template': {
      const published =
        facts.publishedRelativeLift === undefined
          ? ''
          : i.t('evidence.priorPublished', { lift: relativeLift(facts.publishedRelativeLift, w) });
      return i.t('evidence.priorTemplate', {
        template: facts.template,
        lift: relativeLift(facts.relativeLift, w),
        sd: sdText(facts.sd, 'relative', i),
        published,
      });
    }
    case 'template-in-points':
      return i.t('evidence.priorTemplateUnusable', { template: facts.template, metric: facts.metric });
    case 'nudge-missing':
      return i.t('evidence.priorNudgeMissing', { nudge: facts.nudge });
    case 'past-nudges': {
      const params = { found: facts.found, type: facts.nudgeType, measure: measureText(facts.measure, i) };
      return facts.found < MIN_PAST_EXPERIMENTS
        ? i.t('evidence.priorTooFew', { ...params, needed: MIN_PAST_EXPERIMENTS })
        : i.t('evidence.priorPast', params);
    }
  }
}

/** A prior's note in the reader's language; the stored English one when its facts were not kept. */
export function priorNote(prior: PriorEvidence, i: I18n = ENGLISH_I18N): string {
  return i.lang === 'en' || !prior.noteFacts ? prior.note : noteText(prior.noteFacts, i);
}

export function templateFacts(
  prior: Extract<ExperimentPrior, { from: 'template' }>,
  metric: Pick<Metric, 'key' | 'name'>,
  usable: boolean,
): PriorNoteFacts {
  if (!usable)
    return { says: 'template-in-points', template: prior.template, metric: metric.name ?? metric.key };
  return {
    says: 'template',
    template: prior.template,
    relativeLift: prior.relativeLift,
    sd: prior.sd,
    ...(prior.publishedRelativeLift === undefined
      ? {}
      : { publishedRelativeLift: prior.publishedRelativeLift }),
  };
}

export function pastNudgesFacts(
  type: string,
  metric: Pick<Metric, 'kind' | 'event'>,
  found: number,
): PriorNoteFacts {
  return {
    says: 'past-nudges',
    nudgeType: type,
    found,
    measure: { kind: metric.kind, ...(metric.event === undefined ? {} : { event: metric.event }) },
  };
}

/** "Neutral 30.0%, Loss 15.0%" */
function sharesText(r: ResponseBias, name: (k: string) => string, i: I18n): string {
  return Object.entries(r.arms)
    .filter(([, a]) => a.exposed > 0)
    .map(([v, a]) => `${name(v)} ${percent(a.share, i.wording)}`)
    .join(', ');
}

export function responseBiasSentence(
  r: ResponseBias,
  name: (k: string) => string,
  i: I18n = ENGLISH_I18N,
): string {
  return i.t('evidence.responseBias', {
    metric: r.metric,
    shares: sharesText(r, name, i),
    p: pText(r.pValue, i),
  });
}

/** The variant the prior sentence speaks of: the one decided on, else the best on its own data. */
function variantToTell(prior: PriorEvidence, readout: Readout): string | undefined {
  const decided = readout.decision.variant;
  if (decided && prior.variants[decided]) return decided;
  const entries = Object.entries(prior.variants);
  const sign = readout.metrics[prior.metric]?.lowerIsBetter ? -1 : 1;
  entries.sort((a, b) => sign * (b[1].without.estimate - a[1].without.estimate));
  return entries[0]?.[0];
}

/** A fitted prior's note with its figures (a template's note already gives them). */
function statedPrior(prior: PriorEvidence & { prior: NonNullable<PriorEvidence['prior']> }, i: I18n): string {
  if (prior.from === 'template') return priorNote(prior, i);
  const figures = {
    estimate: effectText(prior.prior.estimate, prior.scale, i),
    sd: sdText(prior.prior.sd, prior.scale, i),
  };
  const facts = prior.noteFacts;
  if (i.lang !== 'en' && facts?.says === 'past-nudges') {
    return i.t('evidence.priorPastFigures', {
      found: facts.found,
      type: facts.nudgeType,
      measure: measureText(facts.measure, i),
      ...figures,
    });
  }
  // The English note as stored, its figures after it.
  return `${prior.note.replace(/\.$/, '')}: ${figures.estimate} (sd ${figures.sd}).`;
}

export function priorSentence(
  prior: PriorEvidence,
  readout: Readout,
  name: (k: string) => string,
  i: I18n = ENGLISH_I18N,
): string {
  if (!prior.used || !prior.prior) return priorNote(prior, i);
  const v = variantToTell(prior, readout);
  const arm = v ? prior.variants[v] : undefined;
  const metricName = readout.metrics[prior.metric]?.name ?? prior.metric;
  const stated = statedPrior({ ...prior, prior: prior.prior }, i);
  if (!v || !arm) return stated;
  const f = (x: number) => effectText(x, prior.scale, i);
  return i.t('evidence.priorWith', {
    stated,
    variant: name(v),
    metric: metricName,
    with: f(arm.with.estimate),
    low: f(arm.with.ci95[0]),
    high: f(arm.with.ci95[1]),
    without: f(arm.without.estimate),
  });
}

/** The sentences the evidence adds to the decision summary, in the order the page shows them. */
export function evidenceSentences(evidence: Evidence, readout: Readout, i: I18n = ENGLISH_I18N): string[] {
  const name = (k: string) => readout.variantNames?.[k] ?? k;
  const out = Object.values(evidence.responseBias ?? {})
    .filter((r) => r.flagged)
    .map((r) => responseBiasSentence(r, name, i));
  if (evidence.prior) out.push(priorSentence(evidence.prior, readout, name, i));
  return out;
}

/** The readout with the evidence's sentences after the decision's own. */
export function withEvidenceSentences(readout: Readout, evidence: Evidence | undefined): Readout {
  const extra = evidence ? evidenceSentences(evidence, readout) : [];
  if (extra.length === 0) return readout;
  return {
    ...readout,
    decision: { ...readout.decision, summary: [readout.decision.summary, ...extra].join(' ') },
  };
}

/**
 * The decision summary in the reader's wording: the engine's sentence in that language, then the
 * evidence's sentences in the same language. English: the stored summary as it is. Undefined when
 * the readout was stored before it kept what its sentence speaks of (the caller keeps the stored
 * English).
 */
export function wordedSummary(
  readout: Readout,
  control: string,
  w: Wording,
  evidence: Evidence | undefined,
): string | undefined {
  if (w.lang === 'en') return readout.decision.summary;
  const sentence = summarizeReadout(readout, control, w);
  if (sentence === undefined) return undefined;
  const i = i18nOfWording(w);
  return [sentence, ...(evidence ? evidenceSentences(evidence, readout, i) : [])].join(' ');
}
