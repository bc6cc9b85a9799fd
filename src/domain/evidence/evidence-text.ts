/**
 * The evidence in words: the sentences added to the decision summary, and the notes the readout,
 * the page, the PDF and the CSV share, so each says the same thing with the same figures.
 */

import { percent, relativeLift, signed } from '../../stats/format.js';
import { summarizeReadout } from '../../stats/index.js';
import { MIN_PAST_EXPERIMENTS } from '../../stats/prior-fit.js';
import type { Readout } from '../../stats/readout.schema.js';
import type { Wording } from '../../stats/wording.js';
import type { Evidence, ExperimentPrior, PriorEvidence, ResponseBias } from '../schemas/evidence.schema.js';
import type { Metric } from '../schemas/experiment.schema.js';
import type { EffectScale } from './effect-scale.js';

/** A p-value as the traffic check writes it. */
export function pText(p: number): string {
  return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}

/** An effect on its scale: "+4.2%" or "+3.0 NPS points". */
export function effectText(x: number, scale: EffectScale): string {
  return scale === 'relative' ? relativeLift(x) : `${signed(x, 1)} NPS points`;
}

/** A standard deviation on its scale: "2.1%" or "3.0 points". */
export function sdText(x: number, scale: EffectScale): string {
  return scale === 'relative' ? `${(x * 100).toFixed(1)}%` : `${x.toFixed(1)} points`;
}

function measureText(metric: Pick<Metric, 'kind' | 'event'>): string {
  if (metric.kind === 'conversion') return 'a conversion metric';
  if (metric.kind === 'nps') return `NPS ("${metric.event}")`;
  return `the ${metric.kind} of "${metric.event}"`;
}

export function templateNote(
  prior: Extract<ExperimentPrior, { from: 'template' }>,
  metric: Pick<Metric, 'key' | 'name' | 'kind'>,
  usable: boolean,
): string {
  if (!usable) {
    return `No template prior: the template "${prior.template}" gives a relative lift, and ${metric.name ?? metric.key} is an NPS, read in points.`;
  }
  const published =
    prior.publishedRelativeLift === undefined
      ? ''
      : `, the published ${relativeLift(prior.publishedRelativeLift)} discounted for publication bias`;
  return `Prior from the template "${prior.template}": ${relativeLift(prior.relativeLift)} (sd ${sdText(prior.sd, 'relative')})${published}.`;
}

export function pastNudgesNote(type: string, metric: Pick<Metric, 'kind' | 'event'>, found: number): string {
  const plural = found === 1 ? 'experiment' : 'experiments';
  if (found < MIN_PAST_EXPERIMENTS) {
    return `No prior from past nudges: ${found} concluded ${type} ${plural} measured ${measureText(metric)}, and at least ${MIN_PAST_EXPERIMENTS} are needed, so this readout keeps its flat prior.`;
  }
  return `Prior from ${found} concluded ${type} ${plural} on ${measureText(metric)}.`;
}

/** "Neutral 30.0%, Loss 15.0%" */
function sharesText(r: ResponseBias, name: (k: string) => string): string {
  return Object.entries(r.arms)
    .filter(([, a]) => a.exposed > 0)
    .map(([v, a]) => `${name(v)} ${percent(a.share)}`)
    .join(', ');
}

export function responseBiasSentence(r: ResponseBias, name: (k: string) => string): string {
  return `Survey response differs between arms on ${r.metric} (share of exposed customers who answered: ${sharesText(r, name)}; p = ${pText(r.pValue)}): its difference may come from who answered rather than from how customers feel.`;
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

export function priorSentence(prior: PriorEvidence, readout: Readout, name: (k: string) => string): string {
  if (!prior.used || !prior.prior) return prior.note;
  const v = variantToTell(prior, readout);
  const arm = v ? prior.variants[v] : undefined;
  const metricName = readout.metrics[prior.metric]?.name ?? prior.metric;
  // A template's note already gives its figures; a fitted prior's are added here.
  const stated =
    prior.from === 'template'
      ? prior.note
      : `${prior.note.replace(/\.$/, '')}: ${effectText(prior.prior.estimate, prior.scale)} (sd ${sdText(prior.prior.sd, prior.scale)}).`;
  if (!v || !arm) return stated;
  const f = (x: number) => effectText(x, prior.scale);
  return `${stated} With it, ${name(v)}'s lift on ${metricName} is ${f(arm.with.estimate)} (95% credible interval ${f(arm.with.ci95[0])} to ${f(arm.with.ci95[1])}), against ${f(arm.without.estimate)} from this experiment alone.`;
}

/** The sentences the evidence adds to the decision summary, in the order the page shows them. */
export function evidenceSentences(evidence: Evidence, readout: Readout): string[] {
  const name = (k: string) => readout.variantNames?.[k] ?? k;
  const out = Object.values(evidence.responseBias ?? {})
    .filter((r) => r.flagged)
    .map((r) => responseBiasSentence(r, name));
  if (evidence.prior) out.push(priorSentence(evidence.prior, readout, name));
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
 * evidence's sentences, which are written in English only, so a warning about who answered is
 * never lost in translation. English: the stored summary as it is. Undefined when the readout was
 * stored before it kept what its sentence speaks of (the caller keeps the stored English).
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
  return [sentence, ...(evidence ? evidenceSentences(evidence, readout) : [])].join(' ');
}
