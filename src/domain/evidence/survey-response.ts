import { answersOnly } from '../../metrics/registry.js';
import { RESPONSE_BIAS_P_THRESHOLD, responseBias } from '../../stats/response-bias.js';
import type { ResponseBias } from '../schemas/evidence.schema.js';
import type { Experiment, Metric } from '../schemas/experiment.schema.js';
import type { Counts } from '../schemas/snapshot.schema.js';

/**
 * A survey metric is one whose n counts only the units who answered (NPS, ordinal scales, and mean
 * metrics over the first answer: CSAT, effort, any rating), not every exposed unit (conversion,
 * revenue sums). Only there can a nudge change who is measured.
 */
export function isSurveyMetric(m: Metric): boolean {
  return answersOnly(m);
}

/**
 * The sample-ratio check on response: per survey metric, answered out of exposed per arm, compared
 * across the arms that have exposures with a chi-square test (src/stats/response-bias.ts), at the
 * sample-ratio check's own threshold. Read from the snapshot's counts, which come from the
 * readout_stats counters: exposed units per variant, and the metric's n per variant.
 */
export function responseBiasOf(
  exp: Pick<Experiment, 'metrics' | 'variants'>,
  counts: Counts,
  threshold = RESPONSE_BIAS_P_THRESHOLD,
): Record<string, ResponseBias> | undefined {
  const out: Record<string, ResponseBias> = {};
  for (const metric of exp.metrics.filter(isSurveyMetric)) {
    const byVariant = counts.metrics[metric.key]?.variants ?? {};
    const rows = exp.variants.map((v) => {
      const exposed = counts.exposures[v.key] ?? 0;
      // An answer is only ever attributed to an exposed unit; the clamp guards the test's cells.
      const answered = Math.min(byVariant[v.key]?.n ?? 0, exposed);
      return { key: v.key, exposed, answered };
    });
    const test = responseBias(
      rows.map((r) => ({ exposed: r.exposed, responded: r.answered })),
      threshold,
    );
    out[metric.key] = {
      metric: metric.name ?? metric.key,
      arms: Object.fromEntries(
        rows.map((r, i) => [r.key, { exposed: r.exposed, answered: r.answered, share: test.shares[i] ?? 0 }]),
      ),
      chiSquare: test.chiSquare,
      df: test.df,
      pValue: test.pValue,
      threshold,
      flagged: test.biased,
    };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
