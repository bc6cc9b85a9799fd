import { describe, expect, it } from 'vitest';
import { computeOutcomeState, npsBucket } from '../../../src/domain/outcomes/outcome-state.js';
import { varianceFromSums } from '../../../src/domain/outcomes/sufficient-stats.js';
import { csvCell } from '../../../src/domain/snapshot-csv.js';
import { cronMatchesMinute } from '../../../src/jobs/cron-match.js';

const t = (h: number) => new Date(Date.UTC(2026, 0, 1, h));

describe('cron matching for per-experiment refresh schedules', () => {
  it('fires hourly patterns on minute 0 only and step patterns on their steps', () => {
    expect(cronMatchesMinute('0 * * * *', new Date(2026, 0, 5, 10, 0))).toBe(true);
    expect(cronMatchesMinute('0 * * * *', new Date(2026, 0, 5, 10, 1))).toBe(false);
    expect(cronMatchesMinute('*/15 * * * *', new Date(2026, 0, 5, 10, 45))).toBe(true);
    expect(cronMatchesMinute('*/15 * * * *', new Date(2026, 0, 5, 10, 44))).toBe(false);
  });

  it('treats a day restricted by both day of month and weekday as either, like cron', () => {
    // 2026-01-05 is a Monday, the 5th; 2026-01-06 a Tuesday.
    expect(cronMatchesMinute('0 9 1 * mon', new Date(2026, 0, 5, 9, 0))).toBe(true);
    expect(cronMatchesMinute('0 9 1 * mon', new Date(2026, 0, 6, 9, 0))).toBe(false);
    expect(cronMatchesMinute('0 9 * * mon', new Date(2026, 0, 6, 9, 0))).toBe(false);
  });

  it('never fires an invalid pattern', () => {
    expect(cronMatchesMinute('every hour', new Date())).toBe(false);
  });
});

describe('outcome state of one exposure', () => {
  const metrics = [
    { key: 'paid', kind: 'conversion' as const, event: 'paid', windowHours: 10 },
    { key: 'rev', kind: 'mean' as const, event: 'revenue', windowHours: 10, aggregation: 'sum' as const },
  ];

  it('counts the window edges inclusively and nothing outside them', () => {
    const at = (h: number, name = 'paid', value?: number) => ({
      id: `${name}${h}`,
      name,
      value,
      occurredAt: t(h),
    });
    const inside = computeOutcomeState({ variant: 'a', exposedAt: t(0) }, metrics, [
      at(0),
      at(10, 'revenue', 2),
    ]);
    expect(inside.tally).toEqual([
      { k: 'a|paid|conversions', v: 1 },
      { k: 'a|rev|sum', v: 2 },
      { k: 'a|rev|sumSquares', v: 4 },
    ]);
    const outside = computeOutcomeState({ variant: 'a', exposedAt: t(1) }, metrics, [
      at(0),
      at(12, 'revenue', 2),
    ]);
    expect(outside).toEqual({ outcomes: {}, tally: [] });
  });

  it('buckets NPS answers 0-6, 7-8 and 9-10', () => {
    expect([0, 6, 7, 8, 9, 10].map(npsBucket)).toEqual([
      'detractors',
      'detractors',
      'passives',
      'passives',
      'promoters',
      'promoters',
    ]);
  });
});

describe('sample variance from sums', () => {
  it('matches the two-pass variance of 2, 4, 4, 4, 5, 5, 7, 9 (32/7)', () => {
    const xs = [2, 4, 4, 4, 5, 5, 7, 9];
    const sum = xs.reduce((s, x) => s + x, 0);
    const sq = xs.reduce((s, x) => s + x * x, 0);
    expect(varianceFromSums(xs.length, sum, sq)).toBeCloseTo(32 / 7, 12);
    expect(varianceFromSums(1, 5, 25)).toBe(0);
  });
});

describe('CSV cells', () => {
  it('quotes separators and defuses spreadsheet formulas', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell(-0.5)).toBe('-0.5');
    expect(csvCell(Number.NaN)).toBe('');
    expect(csvCell(null)).toBe('');
  });
});
