import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnalyzeInputRaw } from '../../../src/stats/index.ts';

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

export function fixture(name: string): AnalyzeInputRaw {
  return JSON.parse(
    readFileSync(path.join(repoRoot, 'test/fixtures/stats', name), 'utf8'),
  ) as AnalyzeInputRaw;
}

type Data = Record<string, unknown>;

/**
 * A two-arm input for one metric: control "control", variant "variant". Left as plain JSON, as a
 * caller would send it, so validation is part of every test that uses it.
 */
export function twoArm(
  kind: 'conversion' | 'mean' | 'nps',
  control: Data,
  variant: Data,
  extra: Data = {},
): Data {
  return {
    control: 'control',
    variants: [
      { key: 'control', weight: 0.5, exposures: 1000 },
      { key: 'variant', weight: 0.5, exposures: 1000 },
    ],
    metrics: [{ key: 'm', kind, role: 'primary', ...extra, data: { control, variant } }],
  };
}

export function expectRelative(actual: number, expected: number, tolerance: number): void {
  const err = Math.abs(actual - expected) / Math.abs(expected);
  if (!(err <= tolerance)) {
    throw new Error(
      `expected ${actual} within ${tolerance * 100}% of ${expected} (off by ${(err * 100).toFixed(4)}%)`,
    );
  }
}

/** JSON without NaN or Infinity anywhere (JSON.stringify would turn them into null). */
export function expectAllFinite(value: unknown, where = 'readout'): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${where} is ${value}`);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => {
      expectAllFinite(v, `${where}[${i}]`);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) expectAllFinite(v, `${where}.${k}`);
  } else if (value === null) {
    throw new Error(`${where} is null`);
  }
}
