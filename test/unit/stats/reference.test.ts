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

/** Every numeric value of `expected`, as dotted paths ("relativeLift.ci95.0"). */
function numericLeaves(value: unknown, prefix = ''): string[] {
  if (typeof value === 'number') return [prefix];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => numericLeaves(v, prefix ? `${prefix}.${k}` : k));
}

/** The values each kind's test below compares; a new value in the file fails the coverage test. */
const CHECKED: Record<string, string[]> = {
  conversion: [
    'chanceToBeatControl',
    'expectedLoss.ship',
    'expectedLoss.keep',
    'absoluteLift.mean',
    'relativeLift.mean',
    'relativeLift.ci95.0',
    'relativeLift.ci95.1',
  ],
  mean: [
    'chanceToBeatControl',
    'normalApproxChance',
    'absoluteLift.mean',
    'absoluteLift.ci95_normal_approx.0',
    'absoluteLift.ci95_normal_approx.1',
  ],
  nps: [
    'chanceToBeatControl',
    'npsControl',
    'npsVariant',
    'absoluteLift.mean',
    'absoluteLift.ci95.0',
    'absoluteLift.ci95.1',
  ],
};

describe('reference values computed independently (shared/stats-reference.json)', () => {
  it('checks every numeric value of every case in the file', () => {
    expect(reference.cases.map((c) => c.id)).toEqual(['conv-1000', 'conv-lowrate', 'mean-csat', 'nps-1']);
    for (const c of reference.cases) {
      expect(CHECKED[c.kind], `kind ${c.kind}`).toBeDefined();
      expect(numericLeaves(c.expected).sort(), c.id).toEqual([...(CHECKED[c.kind] ?? [])].sort());
    }
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

    it(`mean case ${c.id}: the engine's chance is the Student-t one, not the normal approximation`, () => {
      const { result } = variantOf(c);
      const exact = num(c.expected.chanceToBeatControl);
      const normal = num(c.expected.normalApproxChance);
      // The two differ by 1.6e-4 here: the engine must land on the exact side of the midpoint.
      expect(Math.abs(result.chanceToBeatControl - exact)).toBeLessThan(
        Math.abs(result.chanceToBeatControl - normal),
      );
      expect(Math.abs(result.chanceToBeatControl - exact)).toBeLessThan(Math.abs(exact - normal) / 4);
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
