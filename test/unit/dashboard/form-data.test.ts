import { describe, expect, it } from 'vitest';
import { nestForm } from '../../../src/http/dashboard/form-data.js';
import { flatten } from '../../../src/http/dashboard/form-fields.js';

describe('workspace form values', () => {
  it('when rows are posted with blank spares, then the spares vanish and numbers and boxes get their types', () => {
    const body = nestForm({
      csrf: 'token',
      key: 'exp-a',
      coverage: '0.5',
      overlap: 'on',
      'variants[0].key': 'control',
      'variants[0].weight': '0.5',
      'variants[1].key': 'b',
      'variants[1].weight': '0.5',
      'variants[2].key': '',
      'variants[2].weight': '',
      'metrics[0].key': 'm',
      'metrics[0].windowHours': 'soon',
      'decision.minSample': '',
      'variants[0].payload.weekdays': 'mon',
    });
    expect(body).toEqual({
      key: 'exp-a',
      coverage: 0.5,
      overlap: true,
      variants: [
        { key: 'control', weight: 0.5, payload: { weekdays: ['mon'] } },
        { key: 'b', weight: 0.5 },
      ],
      // Not a number: left as text, so the schema names the field.
      metrics: [{ key: 'm', windowHours: 'soon' }],
    });
  });

  it('when every field of a form is blank, then it is an empty definition rather than nothing', () => {
    expect(nestForm({ csrf: 't', key: '', 'variants[0].key': '' })).toEqual({});
  });

  it('when names try to reach the prototype, then they are dropped', () => {
    const body = nestForm({ '__proto__.polluted': 'yes', 'a.constructor.prototype.x': 'y', name: 'n' });
    expect(body).toEqual({ name: 'n' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('when a stored definition is flattened and posted back, then the same value comes out', () => {
    const journey = {
      key: 'home-loan',
      name: 'Home loan',
      stages: [
        { key: 'apply', name: 'Apply' },
        { key: 'use', name: 'Use' },
      ],
    };
    expect(nestForm(flatten(journey))).toEqual(journey);
  });
});
