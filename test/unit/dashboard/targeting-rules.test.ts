import { describe, expect, it } from 'vitest';
import type { DomainError } from '../../../src/domain/errors.js';
import {
  combineTargeting,
  conditionFromRules,
  rulesFromCondition,
} from '../../../src/http/dashboard/targeting-rules.js';

describe('targeting built from attribute rules', () => {
  it('turns rows into one GrowthBook condition with typed values, skipping blank rows', () => {
    const condition = conditionFromRules([
      { attribute: 'plan', operator: '$in', value: 'gold, silver' },
      { attribute: 'age', operator: '$gte', value: '30' },
      { attribute: 'age', operator: '$lt', value: '65' },
      { attribute: 'member', operator: '$eq', value: 'true' },
      { attribute: 'email', operator: '$exists', value: '' },
      { attribute: '', operator: '', value: '' },
    ]);
    expect(condition).toEqual({
      plan: { $in: ['gold', 'silver'] },
      age: { $gte: 30, $lt: 65 },
      member: { $eq: true },
      email: { $exists: true },
    });
    expect(conditionFromRules([{ attribute: '', value: '' }])).toBeUndefined();
  });

  it('names the field of a half-filled or wrong row', () => {
    const pathOf = (rules: unknown[]) => {
      try {
        conditionFromRules(rules);
        return null;
      } catch (err) {
        return ((err as DomainError).details as { fields: { path: string }[] }).fields[0]?.path;
      }
    };
    expect(pathOf([{ attribute: '', operator: '$eq', value: 'x' }])).toBe('targetingRules[0].attribute');
    expect(pathOf([{ attribute: 'plan', operator: '$where', value: 'x' }])).toBe(
      'targetingRules[0].operator',
    );
    expect(pathOf([{ attribute: 'plan', operator: '$in', value: '' }])).toBe('targetingRules[0].value');
    expect(pathOf([{ attribute: 'a b', operator: '$eq', value: '1' }])).toBe('targetingRules[0].attribute');
  });

  it('combines rows with the JSON field so both hold, with $and when they name the same attribute', () => {
    const rules = { plan: { $in: ['gold'] } };
    expect(combineTargeting(rules, { country: 'NL' })).toEqual({ country: 'NL', plan: { $in: ['gold'] } });
    expect(combineTargeting(rules, { plan: { $ne: 'x' } })).toEqual({
      $and: [rules, { plan: { $ne: 'x' } }],
    });
    expect(combineTargeting(undefined, { country: 'NL' })).toEqual({ country: 'NL' });
    expect(combineTargeting(rules, undefined)).toEqual(rules);
  });

  it('splits a stored condition back into rows and keeps what rows cannot say as JSON, so a save gives the same condition', () => {
    const stored = {
      plan: { $in: ['gold', 'silver'] },
      age: { $gte: 30 },
      country: 'NL',
      $or: [{ a: 1 }, { b: 2 }],
      tags: { $elemMatch: { $eq: 'x' } },
    };
    const { rules, rest } = rulesFromCondition(stored);
    expect(rest).toEqual({ $or: [{ a: 1 }, { b: 2 }], tags: { $elemMatch: { $eq: 'x' } } });
    const back = combineTargeting(conditionFromRules(rules), rest);
    expect(back).toEqual({
      ...rest,
      plan: { $in: ['gold', 'silver'] },
      age: { $gte: 30 },
      country: { $eq: 'NL' },
    });
    expect(rulesFromCondition(undefined)).toEqual({ rules: [] });
  });
});
