/**
 * Winsorisation of a heavy-tailed amount at a percentile of the pooled data. The percentile is
 * taken over every variant's units together, never looking at which arm a unit is in, so the cap
 * cannot favour an arm; each unit's amount above the cap counts as the cap.
 *
 * The counters are kept incrementally, so the exact percentile of all amounts cannot be known
 * without keeping every amount. Each positive amount also goes to a bucket of a geometric grid
 * with EDGES_PER_DOUBLING edges per doubling (each bucket about 19% wide), keeping the count, sum
 * and sum of squares per bucket. The cap is the upper edge of the bucket holding the percentile:
 * at most 19% above the exact percentile, and never more than 1 - percentile of the units capped.
 * Because the cap is a bucket edge, the capped sums are exact: buckets below the cap keep their
 * sums, buckets above it contribute count x cap and count x cap^2.
 */
import type { Stat } from '../kind.js';

export const EDGES_PER_DOUBLING = 4;
/** Buckets from 2^-20 (about 1e-6) to 2^40 (about 1e12); amounts beyond the ends share the end buckets. */
const LOWEST = -20 * EDGES_PER_DOUBLING;
const HIGHEST = 40 * EDGES_PER_DOUBLING;

export interface Bucket {
  n: number;
  sum: number;
  sumSquares: number;
}

export const edgeOf = (i: number): number => 2 ** (i / EDGES_PER_DOUBLING);

export function bucketOf(amount: number): number {
  const i = Math.floor(Math.log2(amount) * EDGES_PER_DOUBLING);
  return Math.min(HIGHEST, Math.max(LOWEST, i));
}

/** The tally of one unit's positive amount: its bucket's count, sum and sum of squares. */
export function bucketTally(amount: number): [string, number][] {
  if (!(amount > 0)) return [];
  const i = bucketOf(amount);
  return [
    [`h${i}n`, 1],
    [`h${i}s`, amount],
    [`h${i}q`, amount * amount],
  ];
}

/** One variant's buckets, from its tally sums. */
export function histogramOf(stat: Stat): Map<number, Bucket> {
  const out = new Map<number, Bucket>();
  for (let i = LOWEST; i <= HIGHEST; i++) {
    const n = stat(`h${i}n`);
    if (n > 0) out.set(i, { n, sum: stat(`h${i}s`), sumSquares: stat(`h${i}q`) });
  }
  return out;
}

export interface Cap {
  /** The cap, or null when the percentile is not a positive amount (nothing is capped). */
  cap: number | null;
  /** Bucket whose upper edge is the cap. */
  bucket: number | null;
}

/**
 * The cap for `percentile` of the pooled units: `below` units (zeros and negative amounts, when
 * they count) sit under every bucket, then the buckets in order.
 */
export function capOf(histograms: readonly Map<number, Bucket>[], percentile: number, below: number): Cap {
  const pooled = new Map<number, number>();
  for (const h of histograms) for (const [i, b] of h) pooled.set(i, (pooled.get(i) ?? 0) + b.n);
  const total = below + [...pooled.values()].reduce((s, n) => s + n, 0);
  const target = percentile * total;
  let seen = below;
  if (total === 0 || seen >= target) return { cap: null, bucket: null };
  for (const i of [...pooled.keys()].sort((a, b) => a - b)) {
    seen += pooled.get(i) ?? 0;
    if (seen >= target) return { cap: edgeOf(i + 1), bucket: i };
  }
  return { cap: null, bucket: null };
}

/** A variant's sums with every amount above the cap counted as the cap. */
export function capped(
  sums: { sum: number; sumSquares: number },
  histogram: Map<number, Bucket>,
  cap: Cap,
): { sum: number; sumSquares: number; units: number } {
  if (cap.cap === null || cap.bucket === null) return { ...sums, units: 0 };
  let { sum, sumSquares } = sums;
  let units = 0;
  for (const [i, b] of histogram) {
    if (i <= cap.bucket) continue;
    sum += b.n * cap.cap - b.sum;
    sumSquares += b.n * cap.cap * cap.cap - b.sumSquares;
    units += b.n;
  }
  return { sum, sumSquares, units };
}
