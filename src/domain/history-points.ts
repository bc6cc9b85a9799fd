/**
 * The points of a readout's history: the few figures a chart needs and the decision sentence,
 * worded in every language when the point is stored, since a point keeps too little of the
 * readout to word it again later.
 */
import { LANGUAGES, type Lang } from '../i18n/index.js';
import { isVariantResult, type Readout, wordingFor } from '../stats/index.js';
import { wordedSummary } from './evidence/evidence-text.js';
import type { HistoryPoint, Snapshot } from './schemas/snapshot.schema.js';

/** The decision sentence of a snapshot in every language but English, where it can be worded. */
function otherSummaries(s: Snapshot & { readout: Readout }, control: string): HistoryPoint['summaries'] {
  const out: NonNullable<HistoryPoint['summaries']> = {};
  for (const lang of LANGUAGES) {
    if (lang === 'en') continue;
    const summary = wordedSummary(s.readout, control, wordingFor(lang), s.evidence);
    if (summary !== undefined) out[lang] = summary;
  }
  return out;
}

/** A history point as a reader of `lang` gets it: its sentence in that language when it has one. */
export function pointIn({ summaries, ...point }: HistoryPoint, lang: Lang): HistoryPoint {
  const summary = lang === 'en' ? undefined : summaries?.[lang];
  return summary === undefined ? point : { ...point, decision: { ...point.decision, summary } };
}

/** The small point a history chart needs, kept apart from the full snapshot. */
export function historyPoint(s: Snapshot, control: string): HistoryPoint | null {
  if (!s.readout || !s.counts) return null;
  const metrics: HistoryPoint['metrics'] = {};
  for (const [key, result] of Object.entries(s.readout.metrics)) {
    const row: HistoryPoint['metrics'][string] = {};
    for (const [variant, arm] of Object.entries(result.variants)) {
      if (variant === control) continue;
      const ok = isVariantResult(arm);
      row[variant] = {
        n: arm.n,
        estimate: arm.status === 'ok' ? arm.estimate : null,
        chanceToBeatControl: ok ? arm.chanceToBeatControl : null,
        relativeLift: ok ? arm.relativeLift : null,
      };
    }
    metrics[key] = row;
  }
  return {
    id: s.id,
    computedAt: s.computedAt,
    phase: s.phase,
    exposures: s.counts.exposures,
    decision: s.readout.decision,
    summaries: otherSummaries({ ...s, readout: s.readout }, control),
    metrics,
  };
}
