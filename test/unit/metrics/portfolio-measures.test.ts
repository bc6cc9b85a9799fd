import { describe, expect, it } from 'vitest';
import { metricSchema } from '../../../src/domain/schemas/experiment.schema.js';
import { portfolioLiftOf, portfolioMeasureOf } from '../../../src/metrics/registry.js';
import type { MetricResult } from '../../../src/stats/index.js';

const def = (fields: Record<string, unknown>) =>
  metricSchema.parse({ key: 'm1', role: 'secondary', ...fields });

describe('which portfolio measure a metric counts for', () => {
  it('when each kind is asked, then survey answers go to their satisfaction measure, ratios to their own, and revenue and other answers to none', () => {
    const cases: [Record<string, unknown>, string | null][] = [
      [{ kind: 'conversion', event: 'applied' }, 'conversion'],
      [{ kind: 'mean', event: 'csat' }, 'csat'],
      [{ kind: 'mean', event: 'ces' }, 'effort'],
      [{ kind: 'mean', event: 'handle_minutes' }, null],
      [{ kind: 'nps', event: 'nps' }, 'nps'],
      [{ kind: 'ratio', event: 'contact', denominator: { event: 'order' } }, 'ratio'],
      [{ kind: 'ordinal', event: 'csat' }, 'csat'],
      [{ kind: 'ordinal', event: 'ces', scale: { min: 1, max: 7 } }, 'effort'],
      [{ kind: 'ordinal', event: 'nps', scale: { min: 0, max: 10 } }, null],
      [{ kind: 'revenue' }, null],
    ];
    for (const [fields, measure] of cases)
      expect(portfolioMeasureOf(def(fields)), JSON.stringify(fields)).toBe(measure);
  });

  it("when an ordinal CSAT on a 1-7 scale is compared on top-2-box, then its portfolio lift is the mean-score difference with the arms' variances added, stretched onto 1-5", () => {
    // Control 4.0 (3.8 to 4.2) and variant 4.3 (4.1 to 4.5): each sd is 0.2 / z, so the difference
    // is 0.3 with half-width z * sqrt(2) * 0.2 / z = 0.2 * sqrt(2); on 1-5 both times 4/6.
    const result = {
      variants: {},
      ordinal: {
        scores: [1, 2, 3, 4, 5, 6, 7],
        arms: {
          control: { mean: { estimate: 4.0, ci95: [3.8, 4.2] } },
          treatment: { mean: { estimate: 4.3, ci95: [4.1, 4.5] } },
        },
      },
    } as unknown as MetricResult;
    const metric = def({ kind: 'ordinal', event: 'csat', scale: { min: 1, max: 7 }, summary: 'top2' });
    const lift = portfolioLiftOf(metric, result, 'treatment', 'control')!;
    const k = 4 / 6;
    expect(lift.mean).toBeCloseTo(0.3 * k, 12);
    expect(lift.ci95[0]).toBeCloseTo((0.3 - 0.2 * Math.SQRT2) * k, 12);
    expect(lift.ci95[1]).toBeCloseTo((0.3 + 0.2 * Math.SQRT2) * k, 12);
    // An ordinal effort metric stays in points of its own scale.
    const effort = def({ kind: 'ordinal', event: 'ces', scale: { min: 1, max: 7 }, summary: 'top2' });
    expect(portfolioLiftOf(effort, result, 'treatment', 'control')!.mean).toBeCloseTo(0.3, 12);
  });

  it('when the readout has no mean score for an arm, then the ordinal metric gives no portfolio lift rather than a made-up one', () => {
    const result = {
      variants: {},
      ordinal: { scores: [1, 2, 3, 4, 5], arms: {} },
    } as unknown as MetricResult;
    expect(
      portfolioLiftOf(def({ kind: 'ordinal', event: 'csat' }), result, 'treatment', 'control'),
    ).toBeNull();
  });
});
