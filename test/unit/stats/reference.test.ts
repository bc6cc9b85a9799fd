import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, isVariantResult, type VariantResult } from '../../../src/stats/index.ts';
import { expectRelative, repoRoot, twoArm } from './helpers.ts';

interface ReferenceCase {
  id: string;
  kind: string;
  control: Record<string, number>;
  variant: Record<string, number>;
  expected: Record<string, unknown>;
}

const reference = JSON.parse(
  readFileSync(path.resolve(repoRoot, '../shared/stats-reference.json'), 'utf8'),
) as {
  cases: ReferenceCase[];
};

const num = (v: unknown): number => {
  if (typeof v !== 'number') throw new Error(`reference value ${String(v)} is not a number`);
  return v;
};
const pair = (v: unknown): [number, number] => {
  if (!Array.isArray(v) || v.length !== 2) throw new Error('reference interval is not a pair');
  return [num(v[0]), num(v[1])];
};
const field = (o: unknown, key: string): unknown => (o as Record<string, unknown>)[key];

function variantOf(c: ReferenceCase): { result: VariantResult; control: number } {
  const kind = c.kind as 'conversion' | 'mean' | 'nps';
  const readout = analyze(twoArm(kind, c.control, c.variant));
  const metric = readout.metrics.m;
  const v = metric?.variants.variant;
  const ctl = metric?.variants.control;
  if (!isVariantResult(v) || !ctl || ctl.status !== 'ok')
    throw new Error(`case ${c.id} produced no comparison`);
  return { result: v, control: ctl.estimate };
}

describe('reference values computed independently (shared/stats-reference.json)', () => {
  it('covers every case kind the file defines', () => {
    for (const c of reference.cases) expect(['conversion', 'mean', 'nps']).toContain(c.kind);
    expect(reference.cases.length).toBeGreaterThan(0);
  });

  for (const c of reference.cases.filter((x) => x.kind === 'conversion')) {
    it(`conversion case ${c.id}: exact chance, losses and lift interval match`, () => {
      const { result } = variantOf(c);
      const e = c.expected;
      expect(Math.abs(result.chanceToBeatControl - num(e.chanceToBeatControl))).toBeLessThan(0.001);
      expectRelative(result.expectedLoss.ship, num(field(e.expectedLoss, 'ship')), 0.005);
      expectRelative(result.expectedLoss.keep, num(field(e.expectedLoss, 'keep')), 0.005);
      expectRelative(result.absoluteLift.mean, num(field(e.absoluteLift, 'mean')), 0.005);
      expectRelative(result.relativeLift.mean, num(field(e.relativeLift, 'mean')), 0.005);
      const [lo, hi] = pair(field(e.relativeLift, 'ci95'));
      expectRelative(result.relativeLift.ci95[0], lo, 0.005);
      expectRelative(result.relativeLift.ci95[1], hi, 0.005);
    });
  }

  for (const c of reference.cases.filter((x) => x.kind === 'mean')) {
    it(`mean case ${c.id}: Student-t chance matches, interval agrees with the normal approximation`, () => {
      const { result } = variantOf(c);
      const e = c.expected;
      expect(Math.abs(result.chanceToBeatControl - num(e.chanceToBeatControl))).toBeLessThan(0.001);
      expectRelative(result.absoluteLift.mean, num(field(e.absoluteLift, 'mean')), 0.005);
      // Only a normal-approximation interval is given: the t interval is a little wider, by
      // well under 0.5% at these degrees of freedom, and centred on the same point.
      const [lo, hi] = pair(field(e.absoluteLift, 'ci95_normal_approx'));
      const width = result.absoluteLift.ci95[1] - result.absoluteLift.ci95[0];
      expect(width).toBeGreaterThan(hi - lo);
      expectRelative(width, hi - lo, 0.005);
      expectRelative((result.absoluteLift.ci95[0] + result.absoluteLift.ci95[1]) / 2, (lo + hi) / 2, 0.005);
    });
  }

  for (const c of reference.cases.filter((x) => x.kind === 'nps')) {
    it(`nps case ${c.id}: agrees with the Monte Carlo reference within its stated tolerance`, () => {
      const { result, control } = variantOf(c);
      const e = c.expected;
      expect(Math.abs(result.chanceToBeatControl - num(e.chanceToBeatControl))).toBeLessThan(0.002);
      expectRelative(control, num(e.npsControl), 0.01);
      expectRelative(result.estimate, num(e.npsVariant), 0.01);
      expectRelative(result.absoluteLift.mean, num(field(e.absoluteLift, 'mean')), 0.01);
      const [lo, hi] = pair(field(e.absoluteLift, 'ci95'));
      expectRelative(result.absoluteLift.ci95[1], hi, 0.01);
      // The lower end is close to 0, where a relative tolerance means nothing (the reference's own
      // Monte Carlo error there is about 0.005 points): compare it within 1% of the interval width.
      expect(Math.abs(result.absoluteLift.ci95[0] - lo)).toBeLessThan(0.01 * (hi - lo));
    });
  }
});
