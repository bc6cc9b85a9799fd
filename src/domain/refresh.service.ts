import { randomBytes } from 'node:crypto';
import type { DefinitionRepository } from '../db/definition.repository.js';
import type { ConflictRecord } from '../db/identity.repository.js';
import type { LeaseRepository } from '../db/lease.repository.js';
import type { PhaseSums, ReadoutStatsRepository, SumsRecord } from '../db/readout-stats.repository.js';
import type { SnapshotRepository } from '../db/snapshot.repository.js';
import type { Logger } from '../logger.js';
import { type AnalyzeResult, tryAnalyze } from '../stats/index.js';
import type { AlertsService } from './alerts.service.js';
import { metricsFingerprint } from './attribution/metrics-lookup.js';
import { MERGED_KEY, SPLIT_KEY } from './attribution/unit-merge.js';
import { DomainError } from './errors.js';
import { withEvidenceSentences } from './evidence/evidence-text.js';
import type { EvidenceOf } from './evidence/snapshot-evidence.js';
import { historyPoint } from './history-points.js';
import { analyzeInputFrom, countsFrom } from './outcomes/sufficient-stats.js';
import type { RefreshService as RefreshContract } from './readouts.contract.js';
import type { Experiment } from './schemas/experiment.schema.js';
import type { Nudge } from './schemas/nudge.schema.js';
import type { SegmentResult, Segments, Snapshot } from './schemas/snapshot.schema.js';

export type Trigger = Snapshot['trigger'];

export interface RefreshDeps {
  experiments: DefinitionRepository<Experiment>;
  /** Where the variants' names come from, so readouts say "Loss frame" rather than "loss". */
  nudges?: Pick<DefinitionRepository<Nudge>, 'getByKey'>;
  stats: Pick<ReadoutStatsRepository, 'read'>;
  leases: LeaseRepository;
  snapshots: SnapshotRepository;
  alerts: AlertsService;
  /** Exposure attributes that get segment breakdowns (EXPOSURE_ATTRIBUTES). */
  segmentAttributes: readonly string[];
  /** Most values per attribute broken down (the most exposed); the rest are only in the overall. */
  maxSegmentValues?: number;
  /** How long a refresh may hold its lease before another instance may take over. */
  leaseMs?: number;
  /**
   * Runs before the sums are read: attributes what is still queued (see Attributor), so a
   * refresh right after events are acknowledged counts them. A failure fails the refresh.
   */
  settle?: () => Promise<unknown>;
  /**
   * Rebuilds the phase's sums from the stored exposures and events; run when the sums were built
   * with other metric definitions than the experiment's current ones.
   */
  recompute?: (exp: Experiment) => Promise<unknown>;
  /** Refused identity claims and conflict examples of an experiment phase (by `_id`). */
  identityConflicts?: (experimentId: string, phase: number) => Promise<ConflictRecord>;
  /** Survey response bias and the prior on the primary metric (src/domain/evidence/). */
  evidence?: EvidenceOf;
  /** The analysis; replaceable so a test can make a refresh fail. */
  analyze?: (input: unknown) => AnalyzeResult;
  logger?: Logger;
}

const instance = randomBytes(6).toString('hex');

/** True when sums exist and were built with other metric definitions than the experiment's. */
function staleDefinitions(exp: Experiment, phase: PhaseSums): boolean {
  const exposed = Object.values(phase.overall.n).some((n) => n > 0);
  return exposed && phase.defs !== metricsFingerprint(exp.metrics);
}

/** Computes and stores snapshots, one experiment at a time per lease, and evaluates alerts after each. */
export class RefreshService implements RefreshContract {
  private readonly analyze: (input: unknown) => AnalyzeResult;

  constructor(private readonly deps: RefreshDeps) {
    this.analyze = deps.analyze ?? tryAnalyze;
  }

  async refresh(experimentKey: string, trigger: Trigger): Promise<Snapshot> {
    const exp = await this.deps.experiments.getByKey(experimentKey);
    if (!exp) throw new DomainError('not_found', `No experiment "${experimentKey}".`);
    if (exp.status === 'draft' || (exp.phase ?? 0) < 1) {
      throw new DomainError('not_started');
    }
    const lease = `refresh:${exp.key}`;
    const owner = `${instance}:${randomBytes(4).toString('hex')}`;
    const epoch = await this.deps.leases.claim(lease, owner, this.deps.leaseMs ?? 10 * 60_000);
    if (epoch === null) throw new DomainError('refresh_in_progress');
    try {
      return await this.refreshHeld(exp, trigger);
    } finally {
      await this.deps.leases.release(lease, epoch).catch(() => undefined);
    }
  }

  private async refreshHeld(exp: Experiment, trigger: Trigger): Promise<Snapshot> {
    const started = Date.now();
    const base = {
      id: `snp_${randomBytes(12).toString('base64url')}`,
      experiment: exp.key,
      experimentId: exp.id,
      phase: exp.phase,
      experimentStatus: exp.status,
      trigger,
    };
    try {
      await this.deps.settle?.();
      const snapshot = await this.compute(exp, base, started);
      await this.deps.snapshots.insert(snapshot, historyPoint(snapshot, exp.control));
      await this.deps.alerts.afterRefresh(
        exp,
        snapshot.readout!,
        new Date(snapshot.computedAt),
        snapshot.evidence,
      );
      return snapshot;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.deps.logger?.error({ err, experiment: exp.key }, 'snapshot refresh failed');
      const now = new Date();
      const failed: Snapshot = {
        ...base,
        status: 'failed',
        computedAt: now.toISOString(),
        durationMs: Date.now() - started,
        counts: null,
        readout: null,
        segments: null,
        error: message,
      };
      await this.deps.snapshots.insert(failed);
      const recent = await this.deps.snapshots.recent(exp.key, 50);
      const streak = recent.findIndex((s) => s.status !== 'failed');
      await this.deps.alerts.afterFailure(exp, streak === -1 ? recent.length : streak, message, now);
      throw new DomainError(
        'refresh_failed',
        `The refresh failed and the previous snapshot is kept: ${message}`,
      );
    }
  }

  private async compute(
    exp: Experiment,
    base: Pick<Snapshot, 'id' | 'experiment' | 'experimentId' | 'phase' | 'experimentStatus' | 'trigger'>,
    started: number,
  ): Promise<Snapshot> {
    const attributes = this.deps.segmentAttributes;
    let phase = await this.deps.stats.read(exp.id, exp.phase, attributes);
    if (this.deps.recompute && staleDefinitions(exp, phase)) {
      this.deps.logger?.info({ experiment: exp.key }, 'metric definitions changed; recomputing the sums');
      await this.deps.recompute(exp);
      phase = await this.deps.stats.read(exp.id, exp.phase, attributes);
    }
    const exposures = new Map(Object.entries(phase.overall.n));
    const sums = new Map(Object.entries(phase.overall.s));
    const counts = countsFrom(exp, exposures, sums);
    const names = await this.variantNames(exp);
    const result = this.analyze(analyzeInputFrom(exp, counts, names));
    if (!result.ok) {
      throw new Error(
        `the statistics could not be analysed: ${result.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      );
    }
    const segments = this.segments(exp, phase.segments, names);
    const conflicts = await this.deps.identityConflicts?.(exp.id, exp.phase);
    const evidence = await this.deps.evidence?.(exp, counts, result.readout);
    return {
      ...base,
      status: 'ok',
      computedAt: new Date().toISOString(),
      durationMs: Date.now() - started,
      counts,
      readout: withEvidenceSentences(result.readout, evidence),
      segments,
      identityConflicts: {
        splitUnits: Math.round(phase.overall.s[SPLIT_KEY] ?? 0),
        mergedUnits: Math.round(phase.overall.s[MERGED_KEY] ?? 0),
        refusedClaims: conflicts?.claims ?? 0,
        examples: conflicts?.examples ?? [],
      },
      ...(evidence ? { evidence } : {}),
    };
  }

  /**
   * One readout per value of each allow-listed attribute. Segments are where chance findings hide,
   * so the result is marked exploratory and says how many comparisons were made on the primary metric.
   */
  private async variantNames(exp: Experiment): Promise<ReadonlyMap<string, string>> {
    const nudge = await this.deps.nudges?.getByKey(exp.nudge);
    return new Map((nudge?.variants ?? []).map((v) => [v.key, v.name]));
  }

  private segments(
    exp: Experiment,
    all: Map<string, Map<string, SumsRecord>>,
    names: ReadonlyMap<string, string>,
  ): Segments | null {
    const maxValues = this.deps.maxSegmentValues ?? 20;
    const attributes: Record<string, SegmentResult[]> = {};
    let comparisons = 0;
    const others = exp.variants.filter((v) => v.key !== exp.control).length;
    for (const [attribute, byValue] of all) {
      if (byValue.size === 0) continue;
      const total = (e: Record<string, number>) => Object.values(e).reduce((s, n) => s + n, 0);
      const values = [...byValue.entries()]
        .filter(([, seg]) => total(seg.n) > 0)
        .sort((a, b) => total(b[1].n) - total(a[1].n) || a[0].localeCompare(b[0]))
        .slice(0, maxValues);
      attributes[attribute] = values.map(([value, seg]) => {
        const counts = countsFrom(exp, new Map(Object.entries(seg.n)), new Map(Object.entries(seg.s)));
        const result = tryAnalyze(analyzeInputFrom(exp, counts, names));
        if (result.ok) {
          comparisons += others;
          return { value, exposures: counts.exposures, readout: result.readout };
        }
        return {
          value,
          exposures: counts.exposures,
          readout: null,
          reason: result.issues.map((i) => `${i.path}: ${i.message}`).join('; '),
        };
      });
    }
    if (Object.keys(attributes).length === 0) return null;
    return { exploratory: true, comparisons, attributes };
  }
}
