import { z } from 'zod';
import type { DefinitionRepository } from '../../db/definition.repository.js';
import type { PhaseSums } from '../../db/readout-stats.repository.js';
import { type I18n, i18nFor, type Lang } from '../../i18n/index.js';
import { formatChance, isVariantResult, readoutSchema, tryAnalyze, unitOf } from '../../stats/index.js';
import { metricsFingerprint } from '../attribution/metrics-lookup.js';
import { DomainError } from '../errors.js';
import { analyzeInputFrom, countsFrom } from '../outcomes/sufficient-stats.js';
import { HOLDOUT_ARM, type Holdout, holdoutSchema, NUDGED_ARM } from '../schemas/holdout.schema.js';
import { countsSchema } from '../schemas/snapshot.schema.js';

export const holdoutReadoutSchema = z.object({
  holdout: holdoutSchema,
  computedAt: z.iso.datetime(),
  /** Units that reached a covered touchpoint while the holdout ran, per arm. */
  exposures: z.record(z.string(), z.number().int().min(0)),
  counts: countsSchema,
  readout: readoutSchema,
  /** One sentence per metric, in the language asked for: the programme's cumulative effect against the holdout. */
  summary: z.array(z.string()),
});
export type HoldoutReadout = z.infer<typeof holdoutReadoutSchema>;

/** Held-out units under which a readout is labelled early. */
const EARLY_BELOW = 100;

export interface HoldoutReadoutDeps {
  holdouts: DefinitionRepository<Holdout>;
  stats: { read(experimentId: string, phase: number, attributes: readonly string[]): Promise<PhaseSums> };
  /** Attributes what is still queued first, so the readout counts every acknowledged event. */
  settle?: () => Promise<unknown>;
  /** Rebuilds the sums when the metric definitions changed since they were counted. */
  recompute?: (h: Holdout) => Promise<unknown>;
}

/** The holdout as the readout pipeline sees it: two arms, the held-out units as the control. */
export function holdoutShape(h: Holdout) {
  return {
    control: HOLDOUT_ARM,
    variants: [
      { key: HOLDOUT_ARM, weight: h.share },
      { key: NUDGED_ARM, weight: 1 - h.share },
    ],
    metrics: h.metrics,
    decision: h.decision ?? {},
  };
}

function sentence(name: string, result: ReturnType<typeof tryAnalyze>, key: string, i: I18n): string {
  const w = i.wording;
  if (!result.ok) return i.t('holdout.notEnoughData', { metric: name });
  const metric = result.readout.metrics[key];
  const nudged = metric?.variants[NUDGED_ARM];
  if (!metric || !isVariantResult(nudged)) return i.t('holdout.notEnoughData', { metric: name });
  const rel = nudged.relativeLift;
  const abs = nudged.absoluteLift;
  const pct = (x: number) => w.percent(x * 100, 1);
  const lift =
    unitOf(metric) === 'rate'
      ? i.t('holdout.liftRelative', { mean: pct(rel.mean), low: pct(rel.ci95[0]), high: pct(rel.ci95[1]) })
      : i.t('holdout.liftAbsolute', {
          mean: w.fixed(abs.mean, 3),
          low: w.fixed(abs.ci95[0], 3),
          high: w.fixed(abs.ci95[1], 3),
        });
  return i.t('holdout.sentence', {
    metric: name,
    chance: formatChance(nudged.chanceToBeatControl, w),
    direction: metric.lowerIsBetter ? 'lowers' : 'raises',
    lift,
  });
}

/**
 * Compares the nudged population with the holdout. Both arms are counted by the attribution
 * pipeline like an experiment's variants (the holdout's id stands for the experiment id), so the
 * readout reads a few counter documents by `_id` and never the exposures.
 */
export async function holdoutReadout(
  deps: HoldoutReadoutDeps,
  key: string,
  lang: Lang = 'en',
): Promise<HoldoutReadout> {
  const i = i18nFor(lang);
  const h = await deps.holdouts.getByKey(key);
  if (!h) throw new DomainError('not_found', `No holdout with key "${key}".`);
  if (h.phase < 1) throw new DomainError('not_started', `Holdout "${key}" has not started.`);
  await deps.settle?.();
  let sums = await deps.stats.read(h.id, h.phase, []);
  const exposed = Object.values(sums.overall.n).some((n) => n > 0);
  if (deps.recompute && exposed && sums.defs !== metricsFingerprint(h.metrics)) {
    await deps.recompute(h);
    sums = await deps.stats.read(h.id, h.phase, []);
  }
  const shape = holdoutShape(h);
  const counts = countsFrom(
    shape,
    new Map(Object.entries(sums.overall.n)),
    new Map(Object.entries(sums.overall.s)),
  );
  const result = tryAnalyze(analyzeInputFrom(shape, counts));
  if (!result.ok) {
    throw new DomainError(
      'not_started',
      `The holdout has no data to analyse yet: ${result.issues.map((i) => i.message).join('; ')}`,
    );
  }
  return {
    holdout: h,
    computedAt: new Date().toISOString(),
    exposures: counts.exposures,
    counts,
    readout: result.readout,
    summary: h.metrics.map((m) => {
      const held = counts.exposures[HOLDOUT_ARM] ?? 0;
      // A holdout is small by design; below this a reading is noise and is labelled so.
      const early = held < EARLY_BELOW ? i.t('holdout.early', { held }) : '';
      return early + sentence(m.name ?? m.key, result, m.key, i);
    }),
  };
}
