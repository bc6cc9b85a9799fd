import { describe, expect, it } from 'vitest';
import { assignmentRequestSchema } from '../../../src/domain/assignment/assignment.schema.js';
import { quickAssignmentRequest } from '../../../src/domain/assignment/assignment-request.fast.js';

/** A small seeded generator, so a failure names a reproducible case. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

const strings = [
  '',
  'a',
  'ab',
  'checkout.banner',
  'Bad Key',
  '-x',
  'x'.repeat(80),
  'x'.repeat(81),
  'c'.repeat(201),
];
const values: unknown[] = [
  'gold',
  'x'.repeat(500),
  'x'.repeat(501),
  3,
  -0.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  null,
  [],
  ['a', 1],
  [true],
  [[1]],
  Array.from({ length: 101 }, () => 1),
  { nested: 1 },
  undefined,
];

function randomBody(r: () => number): unknown {
  if (r() < 0.03) return pick(r, [null, [], 'text', 5]);
  const body: Record<string, unknown> = {};
  if (r() < 0.95)
    body.customerId = r() < 0.8 ? `cust-${Math.floor(r() * 1000)}` : pick(r, [...strings, 5, null]);
  if (r() < 0.95)
    body.channel = r() < 0.85 ? pick(r, ['web', 'app', 'call-centre']) : pick(r, ['fax', '', 1]);
  const which = r();
  if (which < 0.6) body.touchpoint = r() < 0.8 ? 'checkout.banner' : pick(r, strings);
  else if (which < 0.9)
    body.touchpoints =
      r() < 0.8
        ? ['checkout.banner', 'home.hero']
        : pick(r, [
            [],
            ['ok-key', 'Bad Key'],
            Array.from({ length: 51 }, (_, i) => `k${i}x`),
            'checkout.banner',
          ]);
  else if (which < 0.95) {
    body.touchpoint = 'checkout.banner';
    body.touchpoints = ['checkout.banner'];
  }
  if (r() < 0.7) {
    const attributes: Record<string, unknown> = {};
    const n = Math.floor(r() * 4);
    for (let i = 0; i < n; i++) attributes[r() < 0.95 ? `attr${i}` : 'k'.repeat(101)] = pick(r, values);
    body.attributes = r() < 0.95 ? attributes : pick(r, [null, [], 'x']);
  }
  if (r() < 0.05) body.extra = 1;
  return body;
}

describe('assignment request fast path', () => {
  it('accepts only what the schema accepts, with the same parsed value', () => {
    const r = rng(20261123);
    let quick = 0;
    let refused = 0;
    for (let i = 0; i < 20_000; i++) {
      const body = randomBody(r);
      const fast = quickAssignmentRequest(body);
      const full = assignmentRequestSchema.safeParse(body);
      if (!full.success) refused++;
      if (fast === null) continue;
      quick++;
      expect(full.success, JSON.stringify(body)).toBe(true);
      expect(fast).toEqual(full.data);
    }
    // The generator must exercise both sides: many bodies valid, many refused.
    expect(quick).toBeGreaterThan(3000);
    expect(refused).toBeGreaterThan(3000);
  });

  it('takes the common request without the schema', () => {
    const body = {
      customerId: 'c-1',
      touchpoint: 'checkout.banner',
      channel: 'web',
      attributes: { country: 'FR', tags: ['a', 1], vip: true, note: null },
    };
    expect(quickAssignmentRequest(body)).toEqual(body);
    expect(quickAssignmentRequest({ customerId: 'c-1', touchpoints: ['a1', 'b2'], channel: 'app' })).toEqual({
      customerId: 'c-1',
      touchpoints: ['a1', 'b2'],
      channel: 'app',
      attributes: {},
    });
  });
});
