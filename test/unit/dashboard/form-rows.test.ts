import { describe, expect, it } from 'vitest';
import {
  equalWeights,
  intentOf,
  postedRows,
  withNudgeVariants,
  withoutRow,
} from '../../../src/http/dashboard/form-rows.js';

describe('rows of the workspace forms', () => {
  it('when a form is posted, then each list counts the rows it showed, blank ones too', () => {
    expect(
      postedRows({
        key: 'x',
        'variants[0].key': 'a',
        'variants[2].weight': '',
        'metrics[0].kind': '',
        'variants[1].payload.weekdays': ['mon'],
      }),
    ).toEqual({ variants: 3, metrics: 1 });
  });

  it('when a row is removed, then the later rows move up with every field, nested ones too', () => {
    const form = {
      name: 'n',
      'variants[0].key': 'a',
      'variants[1].key': 'b',
      'variants[1].payload.weekdays': ['mon', 'tue'],
      'variants[2].key': 'c',
      'metrics[1].key': 'm',
    };
    expect(withoutRow(form, 'variants', 1)).toEqual({
      name: 'n',
      'variants[0].key': 'a',
      'variants[1].key': 'c',
      'metrics[1].key': 'm',
    });
    expect(withoutRow(form, 'variants', 0)).toMatchObject({
      'variants[0].key': 'b',
      'variants[0].payload.weekdays': ['mon', 'tue'],
      'variants[1].key': 'c',
    });
  });

  it('when weights are shared equally, then they differ by at most 0.0001 and add up to exactly 1', () => {
    for (let n = 1; n <= 25; n++) {
      const weights = equalWeights(n);
      expect(weights).toHaveLength(n);
      // In ten-thousandths, as integers: the sum is exact, not a floating-point accident.
      const units = weights.map((w) => Math.round(Number(w) * 10_000));
      expect(units.reduce((a, b) => a + b, 0)).toBe(10_000);
      expect(Math.max(...units) - Math.min(...units)).toBeLessThanOrEqual(n);
      for (const w of weights) expect(Math.abs(Number(w) - 1 / n)).toBeLessThan(n * 1e-4);
    }
    expect(equalWeights(2)).toEqual(['0.5', '0.5']);
  });

  it("when the nudge's variants replace the rows, then the control stays if it is one of them, else becomes control", () => {
    const form = { control: 'b', 'variants[0].key': 'old', 'variants[5].weight': '1', name: 'kept' };
    expect(withNudgeVariants(form, ['control', 'b'])).toEqual({
      control: 'b',
      name: 'kept',
      'variants[0].key': 'control',
      'variants[0].weight': '0.5',
      'variants[1].key': 'b',
      'variants[1].weight': '0.5',
    });
    expect(withNudgeVariants({ control: 'gone' }, ['control', 'b']).control).toBe('control');
    expect(withNudgeVariants({}, ['first', 'second']).control).toBe('first');
  });

  it('when an intent names a list the form has, then it is read; any other is a field error', () => {
    expect(intentOf('journey', { intent: 'add:stages' })).toEqual({ kind: 'add', list: 'stages' });
    expect(intentOf('experiment', { intent: 'remove:metrics[12]' })).toEqual({
      kind: 'remove',
      list: 'metrics',
      index: 12,
    });
    expect(intentOf('experiment', { intent: 'fill-variants' })).toEqual({ kind: 'fill-variants' });
    expect(intentOf('journey', { key: 'x' })).toBeUndefined();
    for (const intent of ['add:metrics', 'fill-variants', 'remove:stages', 'add:__proto__', 'drop']) {
      expect(() => intentOf('journey', { intent }), intent).toThrow(/is not something this form can do/);
    }
  });
});
