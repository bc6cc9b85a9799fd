import { csvCellsOf, kindCsvColumns, type VariantCountsOf } from '../metrics/registry.js';
import { ENGLISH, isVariantResult, rounded, type Wording } from '../stats/index.js';
import { evidenceCsvCells, evidenceCsvColumns } from './evidence/evidence-csv.js';
import { wordedSummary } from './evidence/evidence-text.js';
import type { Experiment } from './schemas/experiment.schema.js';
import type { Snapshot } from './schemas/snapshot.schema.js';

export const csvColumns = [
  'experiment',
  'phase',
  'computed_at',
  'metric',
  'metric_name',
  'kind',
  'role',
  'variant',
  'variant_name',
  'is_control',
  'exposures',
  'n',
  // What each kind counts (conversions, mean and variance, NPS buckets, ...), from the registry.
  ...kindCsvColumns,
  'estimate',
  'ci95_low',
  'ci95_high',
  'chance_to_beat_control',
  'chance_to_be_best',
  'absolute_lift',
  'absolute_lift_ci95_low',
  'absolute_lift_ci95_high',
  'relative_lift',
  'relative_lift_ci95_low',
  'relative_lift_ci95_high',
  'expected_loss_ship',
  'expected_loss_keep',
  'chance_of_harm',
  'status',
  'decision',
  'decision_variant',
  'decision_summary',
  ...evidenceCsvColumns,
] as const;

/** RFC 4180 quoting; a leading = + - @ is prefixed with ' so a spreadsheet never runs it as a formula. */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  let s = typeof value === 'number' ? (Number.isFinite(value) ? String(rounded(value)) : '') : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * One row per metric and variant of a snapshot, with the names people gave the metrics and
 * variants and the decision in words; numbers to six significant digits (the API has them whole).
 */
export function snapshotCsv(
  exp: Pick<Experiment, 'key' | 'control' | 'variants' | 'metrics'>,
  s: Snapshot | null,
  w: Wording = ENGLISH,
): string {
  const lines = [csvColumns.join(',')];
  if (s?.readout && s.counts) {
    // Column names and values stay language-neutral; only the sentence is in the reader's language.
    const sentence = wordedSummary(s.readout, exp.control, w, s.evidence) ?? s.readout.decision.summary;
    for (const metric of exp.metrics) {
      const result = s.readout.metrics[metric.key];
      const counts = s.counts.metrics[metric.key];
      if (!result || !counts) continue;
      for (const v of exp.variants) {
        const arm = result.variants[v.key];
        const c = counts.variants[v.key];
        const ok = arm && arm.status === 'ok';
        const cmp = isVariantResult(arm) ? arm : undefined;
        const row: Record<string, unknown> = {
          experiment: exp.key,
          phase: s.phase,
          computed_at: s.computedAt,
          metric: metric.key,
          metric_name: result.name,
          kind: metric.kind,
          role: result.role,
          variant: v.key,
          variant_name: s.readout.variantNames?.[v.key] ?? v.key,
          is_control: v.key === exp.control,
          exposures: s.counts.exposures[v.key] ?? 0,
          n: c?.n,
          // Cells of the kind the counts were made by: a definition changed since cannot misread them.
          ...(c && counts.kind === metric.kind ? csvCellsOf(metric, c as VariantCountsOf, counts) : {}),
          estimate: ok ? arm.estimate : undefined,
          ci95_low: ok ? arm.ci95[0] : undefined,
          ci95_high: ok ? arm.ci95[1] : undefined,
          chance_to_beat_control: cmp?.chanceToBeatControl,
          chance_to_be_best: cmp?.chanceToBeBest,
          absolute_lift: cmp?.absoluteLift.mean,
          absolute_lift_ci95_low: cmp?.absoluteLift.ci95[0],
          absolute_lift_ci95_high: cmp?.absoluteLift.ci95[1],
          relative_lift: cmp?.relativeLift.mean,
          relative_lift_ci95_low: cmp?.relativeLift.ci95[0],
          relative_lift_ci95_high: cmp?.relativeLift.ci95[1],
          expected_loss_ship: cmp?.expectedLoss.ship,
          expected_loss_keep: cmp?.expectedLoss.keep,
          chance_of_harm: cmp?.chanceOfHarm,
          status: arm?.status ?? 'insufficient-data',
          decision: s.readout.decision.action,
          decision_variant: s.readout.decision.variant,
          decision_summary: sentence,
          ...evidenceCsvCells(s.evidence, metric.key, v.key),
        };
        lines.push(csvColumns.map((k) => csvCell(row[k])).join(','));
      }
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}
