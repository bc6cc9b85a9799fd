import type { UnitExposure, UnitRecord } from '../../db/unit.repository.js';

/** Tally keys of the identity counters in the readout sums (no variant or metric is named `~identity`). */
export const SPLIT_KEY = '~identity|split';
export const MERGED_KEY = '~identity|merged';

/** The part of the batch's increments this file adds to. */
export interface DeltaSink {
  add(x: Pick<UnitExposure, 'e' | 'p' | 'g'>, scope: 'n' | 's', key: string, v: number, defs?: string): void;
}

/**
 * Which of two exposures of one unit in one phase counts: the unit's own id over a linked one
 * (the customer's variant is the one assignments keep), then the earlier, then the smaller id.
 * The full recompute applies the same order, so both count the same exposure.
 */
export function wins(a: Pick<UnitExposure, 'id' | 'o' | 'a'>, b: Pick<UnitExposure, 'id' | 'o' | 'a'>) {
  const ownA = a.a === undefined;
  const ownB = b.a === undefined;
  if (ownA !== ownB) return ownA;
  if (a.o !== b.o) return a.o < b.o;
  return a.id < b.id;
}

/** The identity counters an exposure carries: its dropped twins, same variant (merged) or not (split). */
export function identityTally(x: Pick<UnitExposure, 'v' | 'k'>): { merged: number; split: number } {
  let merged = 0;
  let split = 0;
  for (const v of x.k ?? []) {
    if (v === x.v) merged++;
    else split++;
  }
  return { merged, split };
}

function addTally(deltas: DeltaSink, x: UnitExposure, sign: 1 | -1, defs?: string): void {
  const t = identityTally(x);
  deltas.add(x, 's', MERGED_KEY, sign * t.merged, defs);
  deltas.add(x, 's', SPLIT_KEY, sign * t.split, defs);
}

/** Takes back everything an exposure added to the sums. */
function withdraw(deltas: DeltaSink, x: UnitExposure, defs?: string): void {
  deltas.add(x, 'n', x.v, -1, defs);
  for (const t of x.c) deltas.add(x, 's', t.k, -t.v, defs);
  addTally(deltas, x, -1, defs);
}

/**
 * Puts an exposure on a unit, keeping one per phase. `counted` says whether the sums hold it
 * already (an exposure moved from an alias's unit) or not (one just attributed). The loser's
 * id goes to `unit.d`, so a replay of it is recognised.
 */
export function placeExposure(
  unit: UnitRecord,
  x: UnitExposure,
  counted: boolean,
  deltas: DeltaSink,
  defs?: string,
): void {
  const i = unit.x.findIndex((o) => o.e === x.e && o.p === x.p);
  if (i < 0) {
    unit.x.push(x);
    if (!counted) deltas.add(x, 'n', x.v, 1, defs);
    return;
  }
  const other = unit.x[i]!;
  const [kept, dropped] = wins(x, other) ? [x, other] : [other, x];
  if (kept === x) {
    withdraw(deltas, other, defs);
    if (!counted) deltas.add(x, 'n', x.v, 1, defs);
    unit.x[i] = x;
  } else if (counted) {
    withdraw(deltas, x, defs);
  }
  // The sums hold the kept exposure's counters as they were: take them back, then add the new ones.
  addTally(deltas, kept, -1, defs);
  kept.k = [...(kept.k ?? []), ...(dropped.k ?? []), dropped.v];
  dropped.k = [];
  addTally(deltas, kept, 1, defs);
  unit.d = [...(unit.d ?? []), dropped.id];
}

/**
 * Merges an alias's unit into its customer's: exposures (one per phase kept), events, links.
 * The alias's unit keeps only a redirect, so its later exposures and events land on the customer.
 * Returns the linked units whose events changed (the caller recomputes every changed unit).
 */
export function mergeAlias(
  alias: UnitRecord,
  customer: UnitRecord,
  deltas: DeltaSink,
  defsOf: (experimentId: string) => string | undefined,
  addEvent: (u: UnitRecord, ev: UnitRecord['ev'][number]) => boolean,
  get: (id: string) => UnitRecord,
): UnitRecord[] {
  for (const x of alias.x) {
    x.a ??= alias.id;
    placeExposure(customer, x, true, deltas, defsOf(x.e));
  }
  customer.d = [...(customer.d ?? []), ...(alias.d ?? [])];
  for (const ev of alias.ev) addEvent(customer, { ...ev });
  for (const l of alias.l) if (l !== customer.id && !customer.l.includes(l)) customer.l.push(l);
  const touched: UnitRecord[] = [];
  for (const l of customer.l) {
    const linked = get(l);
    let changed = false;
    for (const ev of customer.ev) changed = addEvent(linked, { ...ev }) || changed;
    if (changed) touched.push(linked);
  }
  alias.x = [];
  alias.ev = [];
  alias.l = [];
  delete alias.d;
  alias.r = customer.id;
  return touched;
}
