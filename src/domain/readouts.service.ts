import type { DefinitionRepository } from '../db/definition.repository.js';
import type { SnapshotRepository } from '../db/snapshot.repository.js';
import type { UnmatchedEventRecord } from '../db/unmatched-event.repository.js';
import type { Lang } from '../i18n/index.js';
import { eventsRead, familyOf, portfolioLiftOf, portfolioMeasureOf } from '../metrics/registry.js';
import { isVariantResult, type MetricResult, type Readout, wordingFor } from '../stats/index.js';
import { DomainError } from './errors.js';
import { isNearMiss } from './events/unmatched-events.js';
import { wordedSummary } from './evidence/evidence-text.js';
import { pointIn } from './history-points.js';
import { rankPortfolio } from './portfolio.js';
import type { ReadoutsService as ReadoutsContract } from './readouts.contract.js';
import type { Experiment, Metric } from './schemas/experiment.schema.js';
import type {
  ExperimentBrief,
  JourneySummary,
  Lift,
  MetricFamily,
  Portfolio,
  PortfolioMeasure,
} from './schemas/insights.schema.js';
import type { Journey } from './schemas/journey.schema.js';
import type { Nudge, NudgeType } from './schemas/nudge.schema.js';
import type { HistoryPoint, ReadoutResponse, Snapshot } from './schemas/snapshot.schema.js';
import type { Touchpoint } from './schemas/touchpoint.schema.js';
import { snapshotCsv } from './snapshot-csv.js';

export interface ReadoutsDeps {
  journeys: DefinitionRepository<Journey>;
  touchpoints: DefinitionRepository<Touchpoint>;
  nudges: DefinitionRepository<Nudge>;
  experiments: DefinitionRepository<Experiment>;
  snapshots: SnapshotRepository;
  /** Event names no experiment read, with a few of the customers who sent them. */
  unmatchedEvents?: () => Promise<UnmatchedEventRecord[]>;
  /** Whether a customer is exposed in this experiment phase (a point lookup). */
  isExposed?: (experimentId: string, phase: number, customerId: string) => Promise<boolean>;
}

/** The metric's family, as its kind says (src/metrics). */
export function metricFamily(m: Metric): MetricFamily {
  return familyOf(m);
}

/**
 * Lifts of every non-control variant on conversion and satisfaction metrics and on those the
 * portfolio pools (ratios), each with its lift on the portfolio measure's scale.
 */
export function liftsOf(exp: Experiment, snapshot: Snapshot | null): Lift[] {
  const readout = snapshot?.readout;
  if (!readout) return [];
  const lifts: Lift[] = [];
  for (const metric of exp.metrics) {
    const family = metricFamily(metric);
    const measure = portfolioMeasureOf(metric);
    if (family !== 'conversion' && family !== 'satisfaction' && measure === null) continue;
    const result = readout.metrics[metric.key];
    if (!result) continue;
    for (const [variant, arm] of Object.entries(result.variants)) {
      if (variant === exp.control || !isVariantResult(arm)) continue;
      lifts.push({
        metric: metric.key,
        kind: metric.kind,
        role: metric.role,
        family,
        lowerIsBetter: metric.lowerIsBetter,
        variant,
        chanceToBeatControl: arm.chanceToBeatControl,
        absoluteLift: arm.absoluteLift,
        relativeLift: arm.relativeLift,
        portfolio: pooledAs(measure, metric, result, variant, exp.control),
      });
    }
  }
  return lifts;
}

function pooledAs(
  measure: PortfolioMeasure | null,
  metric: Metric,
  result: MetricResult,
  variant: string,
  control: string,
): Lift['portfolio'] {
  const lift = measure === null ? null : portfolioLiftOf(metric, result, variant, control);
  return measure === null || lift === null ? null : { measure, lift };
}

/**
 * A snapshot with its decision sentences (the readout's and each segment's) worded in `lang`; the
 * stored English stays where a readout predates the facts a new wording needs, and `language`
 * then says English.
 */
function wordedIn(
  snapshot: Snapshot | null,
  control: string,
  lang: Lang,
): { snapshot: Snapshot | null; language: Lang } {
  if (lang === 'en' || !snapshot?.readout) return { snapshot, language: lang === 'en' ? 'en' : lang };
  const w = wordingFor(lang);
  // Only the whole readout carries evidence sentences; a segment's readout has none.
  const reword = (r: Readout, evidence?: Snapshot['evidence']): Readout | undefined => {
    const summary = wordedSummary(r, control, w, evidence);
    return summary === undefined ? undefined : { ...r, decision: { ...r.decision, summary } };
  };
  const readout = reword(snapshot.readout, snapshot.evidence);
  if (!readout) return { snapshot, language: 'en' };
  const segments = snapshot.segments
    ? {
        ...snapshot.segments,
        attributes: Object.fromEntries(
          Object.entries(snapshot.segments.attributes).map(([attr, values]) => [
            attr,
            values.map((v) => (v.readout ? { ...v, readout: reword(v.readout) ?? v.readout } : v)),
          ]),
        ),
      }
    : null;
  return { snapshot: { ...snapshot, readout, segments }, language: lang };
}

export class ReadoutsService implements ReadoutsContract {
  constructor(private readonly deps: ReadoutsDeps) {}

  private async experiment(key: string): Promise<Experiment> {
    const exp = await this.deps.experiments.getByKey(key);
    if (!exp) throw new DomainError('not_found', `No experiment "${key}".`);
    return exp;
  }

  async latest(key: string): Promise<Snapshot | null> {
    await this.experiment(key);
    return this.deps.snapshots.latestOk(key);
  }

  async history(key: string, limit = 500): Promise<HistoryPoint[]> {
    const exp = await this.experiment(key);
    return this.historyOf(exp, limit);
  }

  private historyOf(exp: Experiment, limit: number): Promise<HistoryPoint[]> {
    return this.deps.snapshots.points(exp.key, exp.phase, limit);
  }

  async readout(key: string, lang: Lang = 'en'): Promise<ReadoutResponse> {
    const exp = await this.experiment(key);
    const [latest, history, recent] = await Promise.all([
      this.deps.snapshots.latestOk(key),
      this.historyOf(exp, 500),
      this.deps.snapshots.recent(key, 1),
    ]);
    const newest = recent[0];
    const lastFailure =
      newest && newest.status === 'failed'
        ? { computedAt: newest.computedAt, error: newest.error ?? 'unknown' }
        : null;
    const worded = wordedIn(latest, exp.control, lang);
    return {
      experiment: {
        key: exp.key,
        name: exp.name,
        status: exp.status,
        phase: exp.phase,
        control: exp.control,
        touchpoint: exp.touchpoint,
        nudge: exp.nudge,
      },
      latest: worded.snapshot,
      lastFailure,
      history: history.map((p) => pointIn(p, lang)),
      identityConflicts: latest?.identityConflicts ?? null,
      eventSuggestions: await this.suggestions(exp),
      language: worded.language,
    };
  }

  /** "Did you mean": unmatched names near a metric's event, sent by this experiment's customers. */
  private async suggestions(exp: Experiment): Promise<NonNullable<ReadoutResponse['eventSuggestions']>> {
    if (!this.deps.unmatchedEvents) return [];
    const seen = await this.deps.unmatchedEvents();
    const out: NonNullable<ReadoutResponse['eventSuggestions']> = [];
    for (const metric of exp.metrics) {
      for (const u of seen) {
        const expected = eventsRead(metric).find((name) => isNearMiss(u.name, name));
        if (expected === undefined) continue;
        if (this.deps.isExposed && exp.phase > 0) {
          let ours = false;
          for (const c of u.customers) {
            if (await this.deps.isExposed(exp.id, exp.phase, c)) {
              ours = true;
              break;
            }
          }
          if (!ours) continue;
        }
        out.push({
          metric: metric.name ?? metric.key,
          expected,
          seen: u.name,
          events: u.count,
        });
      }
    }
    return out;
  }

  async csv(key: string, lang: Lang = 'en'): Promise<string> {
    const exp = await this.experiment(key);
    return snapshotCsv(exp, await this.deps.snapshots.latestOk(key), wordingFor(lang));
  }

  private async brief(exp: Experiment, nudgeTypes: Map<string, NudgeType>): Promise<ExperimentBrief> {
    const latest = await this.deps.snapshots.latestOk(exp.key);
    const exposures = latest?.counts ? Object.values(latest.counts.exposures).reduce((s, n) => s + n, 0) : 0;
    return {
      key: exp.key,
      name: exp.name,
      nudge: exp.nudge,
      nudgeType: nudgeTypes.get(exp.nudge) ?? null,
      status: exp.status,
      phase: exp.phase,
      computedAt: latest?.computedAt ?? null,
      exposures,
      decision: latest?.readout?.decision ?? null,
      lifts: liftsOf(exp, latest),
    };
  }

  async journeySummary(journeyKey: string): Promise<JourneySummary> {
    const journey = await this.deps.journeys.getByKey(journeyKey);
    if (!journey) throw new DomainError('not_found', `No journey "${journeyKey}".`);
    const touchpoints = await this.deps.touchpoints.list({ journey: journeyKey });
    const stageOrder = new Map(journey.stages.map((s, i) => [s.key, i]));
    touchpoints.sort(
      (a, b) =>
        (stageOrder.get(a.stage) ?? 99) - (stageOrder.get(b.stage) ?? 99) || a.key.localeCompare(b.key),
    );
    const out: JourneySummary['touchpoints'] = [];
    for (const tp of touchpoints) {
      const [nudges, experiments] = await Promise.all([
        this.deps.nudges.list({ touchpoint: tp.key }),
        this.deps.experiments.list({ touchpoint: tp.key }),
      ]);
      const types = new Map(nudges.map((n) => [n.key, n.type]));
      const briefs = await Promise.all(
        experiments.filter((e) => e.status !== 'draft').map((e) => this.brief(e, types)),
      );
      out.push({
        key: tp.key,
        name: tp.name,
        stage: tp.stage,
        channel: tp.channel,
        nudges: nudges.map((n) => ({ key: n.key, name: n.name, type: n.type })),
        experiments: briefs,
      });
    }
    return {
      journey: { key: journey.key, name: journey.name, stages: journey.stages },
      touchpoints: out,
    };
  }

  async portfolio(): Promise<Portfolio> {
    const [touchpoints, nudges, experiments] = await Promise.all([
      this.deps.touchpoints.list(),
      this.deps.nudges.list(),
      this.deps.experiments.list(),
    ]);
    const types = new Map(nudges.map((n) => [n.key, n.type]));
    const measured = experiments.filter((e) => e.status !== 'draft');
    const briefs = await Promise.all(
      measured.map(async (e) => ({ experiment: e, brief: await this.brief(e, types) })),
    );
    return rankPortfolio(touchpoints, briefs, new Date());
  }
}
