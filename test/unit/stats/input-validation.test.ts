import { describe, expect, it } from 'vitest';
import { analyze, InvalidInputError, tryAnalyze } from '../../../src/stats/index.ts';
import { fixture } from './helpers.ts';

type Json = Record<string, unknown>;

function mutate(edit: (input: Json) => void): unknown {
  const input = structuredClone(fixture('payment-reminder.json')) as unknown as Json;
  edit(input);
  return input;
}

const metric = (input: Json, i: number): Json => (input.metrics as Json[])[i] as Json;
const data = (input: Json, i: number, key: string): Json => (metric(input, i).data as Json)[key] as Json;

function issuesOf(raw: unknown): string[] {
  const r = tryAnalyze(raw);
  if (r.ok) throw new Error('expected the input to be rejected');
  return r.issues.map((i) => `${i.path}: ${i.message}`);
}

describe('input validation', () => {
  it('accepts the example experiment', () => {
    expect(tryAnalyze(fixture('payment-reminder.json')).ok).toBe(true);
  });

  it('rejects conversions above n, naming the field and the limit', () => {
    const raw = mutate((i) => {
      data(i, 0, 'loss-frame').conversions = 13000;
    });
    expect(issuesOf(raw)).toContain('metrics[0].data.loss-frame.conversions: must be <= n (12050)');
  });

  it('rejects negative and fractional counts', () => {
    const raw = mutate((i) => {
      data(i, 3, 'control').detractors = -1;
      data(i, 0, 'control').n = 10.5;
    });
    const issues = issuesOf(raw);
    expect(issues).toContain('metrics[3].data.control.detractors: must be >= 0');
    expect(issues).toContain('metrics[0].data.control.n: must be a whole number');
  });

  it('names a negative n once, without also comparing conversions with it', () => {
    const raw = mutate((i) => {
      data(i, 0, 'loss-frame').n = -1;
    });
    expect(issuesOf(raw).filter((s) => s.startsWith('metrics[0].data.loss-frame'))).toEqual([
      'metrics[0].data.loss-frame.n: must be >= 0',
    ]);
  });

  it('reports an empty variant list once, not as weights that are all 0', () => {
    const raw = mutate((i) => {
      i.variants = [];
    });
    const issues = issuesOf(raw);
    expect(issues).toContain('variants: needs the control and at least one variant');
    expect(issues.some((s) => s.includes('weights'))).toBe(false);
  });

  it('rejects non-finite numbers', () => {
    const raw = mutate((i) => {
      data(i, 1, 'control').mean = Number.POSITIVE_INFINITY;
      data(i, 1, 'control').variance = Number.NaN;
    });
    const issues = issuesOf(raw);
    expect(issues).toContain('metrics[1].data.control.mean: must be a finite number');
    expect(issues).toContain('metrics[1].data.control.variance: must be a finite number');
  });

  it('rejects an unknown control, a variant missing from a metric and an unknown variant in one answer', () => {
    const raw = mutate((i) => {
      i.control = 'baseline';
      delete (metric(i, 1).data as Json)['loss-frame'];
      (metric(i, 2).data as Json).extra = { n: 3, mean: 1, variance: 1 };
    });
    const issues = issuesOf(raw);
    expect(issues).toContain('control: unknown control "baseline": not among variants');
    expect(issues).toContain('metrics[1].data.loss-frame: missing: every variant needs data');
    expect(issues).toContain('metrics[2].data.extra: unknown variant "extra"');
  });

  it('rejects a missing primary metric and two primaries', () => {
    const none = mutate((i) => {
      metric(i, 0).role = 'secondary';
    });
    expect(issuesOf(none)).toContain('metrics: needs exactly one primary metric, found 0');
    const two = mutate((i) => {
      metric(i, 1).role = 'primary';
    });
    expect(issuesOf(two)).toContain('metrics: needs exactly one primary metric, found 2');
  });

  it('rejects an unknown metric kind, a prior below 1 and a misspelt decision threshold', () => {
    const raw = mutate((i) => {
      metric(i, 2).kind = 'median';
      metric(i, 0).prior = { alpha: 0.5, beta: 1 };
      i.decision = { chanceToBeat: 0.9 };
    });
    const issues = issuesOf(raw);
    expect(issues).toContain(
      'metrics[2].kind: kind must be conversion, mean, nps, ratio, ordinal or revenue',
    );
    expect(issues).toContain('metrics[0].prior.alpha: must be >= 1');
    expect(issues.some((s) => s.startsWith('decision'))).toBe(true);
  });

  it('throws InvalidInputError listing every issue from analyze()', () => {
    expect(() => analyze({ control: 'a' })).toThrow(InvalidInputError);
    try {
      analyze(null);
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as InvalidInputError).issues[0]).toEqual({
        path: '(input)',
        message: 'must be a JSON object',
      });
    }
  });
});
