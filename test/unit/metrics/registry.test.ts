import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { metricsFingerprint } from '../../../src/domain/attribution/metrics-lookup.js';
import { metricSchema } from '../../../src/domain/schemas/experiment.schema.js';
import { variantCountsSchema } from '../../../src/domain/schemas/snapshot.schema.js';
import { csvColumns } from '../../../src/domain/snapshot-csv.js';
import { metricKindModules, metricKinds } from '../../../src/metrics/registry.js';

describe('the metric kind registry', () => {
  it('when a definition of a kind that predates the registry is fingerprinted, then it is the fingerprint its stored sums carry, so upgrading rebuilds nothing', () => {
    const metrics = [
      { key: 'applied', kind: 'conversion' as const, event: 'applied', windowHours: 24 },
      { key: 'csat', kind: 'mean' as const, event: 'csat', windowHours: 48 },
      { key: 'rev', kind: 'mean' as const, event: 'revenue', windowHours: 24, aggregation: 'sum' as const },
      { key: 'nps', kind: 'nps' as const, event: 'nps', windowHours: 48 },
    ];
    // The shape attribution fingerprinted before kinds were modules: key, kind, event, window, aggregation.
    const legacy = metrics.map((m) => [m.key, m.kind, m.event, m.windowHours, m.aggregation ?? null]);
    const expected = createHash('sha256').update(JSON.stringify(legacy)).digest('hex').slice(0, 16);
    expect(metricsFingerprint(metrics)).toBe(expected);
  });

  it('when a metric names a kind that is not registered, then the definition is refused at the kind field', () => {
    const r = metricSchema.safeParse({ key: 'aa', kind: 'median', role: 'primary', event: 'x' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['kind']);
    expect(r.error?.issues[0]?.message).toContain(metricKinds.join(', '));
  });

  it("when a metric carries a field of another kind, then it is refused, and each kind's own fields are accepted", () => {
    expect(metricSchema.safeParse({ key: 'aa', kind: 'nps', role: 'primary', event: 'nps' }).success).toBe(
      true,
    );
    const wrong = metricSchema.safeParse({
      key: 'aa',
      kind: 'nps',
      role: 'primary',
      event: 'nps',
      colour: 'red',
    });
    expect(wrong.success).toBe(false);
  });

  it('gives every registered kind its count fields in the snapshot schema and its columns in the CSV export', () => {
    const shape = Object.keys(variantCountsSchema.shape);
    for (const k of metricKindModules) {
      for (const field of Object.keys(k.countFields)) expect(shape).toContain(field);
      for (const column of k.csvColumns) expect(csvColumns).toContain(column);
    }
  });
});
