/**
 * Planning: how long an experiment needs, before it starts and while it runs. Traffic is measured
 * from the experiment's own snapshot history (exposures over time in the current phase) unless the
 * caller enters it; the baseline comes from the control's latest counts on the primary metric, or
 * is entered. Exposures themselves are never scanned: snapshots already carry their counts.
 */
import { z } from 'zod';
import type { DefinitionRepository } from '../db/definition.repository.js';
import type { SnapshotRepository } from '../db/snapshot.repository.js';
import { planBasisOf, type VariantCountsOf } from '../metrics/registry.js';
import { type Plan, type PlanInputRaw, plan, planSchema } from '../stats/index.js';
import { DomainError } from './errors.js';
import type { Experiment } from './schemas/experiment.schema.js';

export const planQuerySchema = z.strictObject({
  dailyExposures: z.coerce.number().gt(0).optional(),
  baseline: z.coerce.number().optional(),
  sd: z.coerce.number().gt(0).optional(),
  lift: z.coerce.number().optional(),
  days: z.coerce.number().int().min(1).max(365).optional(),
});
export type PlanQuery = z.infer<typeof planQuerySchema>;

export const experimentPlanSchema = planSchema.extend({
  experiment: z.string(),
  inputs: z.object({
    dailyExposures: z.number(),
    dailyExposuresFrom: z.enum(['snapshots', 'entered']),
    baseline: z.number(),
    baselineFrom: z.enum(['snapshots', 'entered']),
    sd: z.number().optional(),
  }),
});
export type ExperimentPlan = z.infer<typeof experimentPlanSchema>;

const DAY_MS = 86_400_000;

export class PlanningService {
  constructor(
    private readonly deps: {
      experiments: DefinitionRepository<Experiment>;
      snapshots: SnapshotRepository;
    },
  ) {}

  /** A plan for a draft: everything entered. */
  draft(input: PlanInputRaw): Plan {
    return plan(input);
  }

  async forExperiment(key: string, query: PlanQuery): Promise<ExperimentPlan> {
    const exp = await this.deps.experiments.getByKey(key);
    if (!exp) throw new DomainError('not_found', `No experiment "${key}".`);
    const primary = exp.metrics.find((m) => m.role === 'primary') ?? exp.metrics[0];
    if (!primary) throw new DomainError('not_found', `Experiment "${key}" has no metric.`);
    const points = exp.phase > 0 ? await this.deps.snapshots.points(key, exp.phase, 60) : [];
    const measured = measuredTraffic(
      points.map((p) => ({ computedAt: p.computedAt, counts: { exposures: p.exposures } })),
    );
    const newest = exp.phase > 0 ? await this.deps.snapshots.latestOk(key) : null;
    const latest =
      newest?.phase === exp.phase ? newest.counts?.metrics[primary.key]?.variants[exp.control] : undefined;
    const observed = planBasisOf(primary, latest as VariantCountsOf | undefined);
    const kind = observed.kind;
    const dailyExposures = query.dailyExposures ?? measured;
    const baseline = query.baseline ?? observed.baseline;
    if (dailyExposures === undefined || baseline === undefined) {
      throw new DomainError(
        'validation_failed',
        'Not enough snapshots to measure traffic or the baseline yet: pass dailyExposures and baseline.',
      );
    }
    const sd = query.sd ?? observed.sd;
    const result = plan({
      kind,
      baseline,
      dailyExposures,
      arms: exp.variants.filter((v) => v.weight > 0).length,
      ...(sd !== undefined ? { sd } : {}),
      ...(query.lift !== undefined ? { lift: query.lift } : {}),
      ...(query.days !== undefined ? { days: query.days } : {}),
    });
    return {
      experiment: key,
      ...result,
      inputs: {
        dailyExposures,
        dailyExposuresFrom: query.dailyExposures !== undefined ? 'entered' : 'snapshots',
        baseline,
        baselineFrom: query.baseline !== undefined ? 'entered' : 'snapshots',
        ...(sd !== undefined ? { sd } : {}),
      },
    };
  }
}

type SnapshotLike = { computedAt: string; counts: { exposures: Record<string, number> } | null };

/** Exposures per day between the oldest and newest snapshot of the phase (at least a day apart). */
export function measuredTraffic(history: readonly SnapshotLike[]): number | undefined {
  const points = history.flatMap((s) =>
    s.counts
      ? [{ t: Date.parse(s.computedAt), n: Object.values(s.counts.exposures).reduce((a, b) => a + b, 0) }]
      : [],
  );
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last || last.t - first.t < DAY_MS || last.n <= first.n) return undefined;
  return ((last.n - first.n) * DAY_MS) / (last.t - first.t);
}
