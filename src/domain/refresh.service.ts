import { randomBytes } from 'node:crypto';
import type { DefinitionRepository } from '../db/definition.repository.js';
import type { OutcomeRepository, Sums } from '../db/outcome.repository.js';
import type { SnapshotRepository } from '../db/snapshot.repository.js';
import type { Logger } from '../logger.js';
import { type AnalyzeResult, tryAnalyze } from '../stats/index.js';
import type { AlertsService } from './alerts.service.js';
import { DomainError } from './errors.js';
import { analyzeInputFrom, countsFrom } from './outcomes/sufficient-stats.js';
import type { RefreshService as RefreshContract } from './readouts.contract.js';
import type { Experiment } from './schemas/experiment.schema.js';
import type { SegmentResult, Segments, Snapshot } from './schemas/snapshot.schema.js';

export type Trigger = Snapshot['trigger'];

export interface RefreshDeps {
  experiments: DefinitionRepository<Experiment>;
  outcomes: OutcomeRepository;
  snapshots: SnapshotRepository;
  alerts: AlertsService;
  /** Exposure attributes that get segment breakdowns (EXPOSURE_ATTRIBUTES). */
  segmentAttributes: readonly string[];
  /** Most values per attribute broken down (the most exposed); the rest are only in the overall. */
  maxSegmentValues?: number;
  /** How long a refresh may hold its lease before another instance may take over. */
  leaseMs?: number;
  /**
   * How the sums are read: `pipeline` (default) runs the `$group` pipelines where the data is;
   * `stream` reads the exposures once and sums here, for FerretDB, which would otherwise hold every
   * unwound exposure in memory (see OutcomeRepository.streamSums); `auto` (default) picks `stream`
   * on FerretDB and `pipeline` elsewhere.
   */
  aggregation?: 'pipeline' | 'stream' | 'auto';
  /**
   * Runs before the sums are read: attributes the events still pending (see EventAttributor), so a
   * refresh right after events are acknowledged counts them. A failure fails the refresh.
   */
  settle?: () => Promise<unknown>;
  /** The analysis; replaceable so a test can make a refresh fail. */
  analyze?: (input: unknown) => AnalyzeResult;
  logger?: Logger;
}

const instance = randomBytes(6).toString('hex');

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
    if (!(await this.deps.snapshots.acquireLease(lease, owner, this.deps.leaseMs ?? 10 * 60_000))) {
      throw new DomainError('refresh_in_progress');
    }
    try {
      return await this.refreshHeld(exp, trigger);
    } finally {
      await this.deps.snapshots.releaseLease(lease, owner).catch(() => undefined);
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
      await this.deps.snapshots.insert(snapshot);
      await this.deps.alerts.afterRefresh(exp, snapshot.readout!, new Date(snapshot.computedAt));
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
    const { outcomes } = this.deps;
    // Imported exposures carry no attributes, so an import's refresh skips the segment pass.
    const attributes = base.trigger === 'import' ? [] : this.deps.segmentAttributes;
    let streamed: Awaited<ReturnType<OutcomeRepository['streamSums']>> | null = null;
    let exposures: Map<string, number>;
    let sums: Map<string, number>;
    const mode = this.deps.aggregation ?? 'auto';
    if (mode === 'stream' || (mode === 'auto' && (await outcomes.isFerretDb()))) {
      streamed = await outcomes.streamSums(exp.id, exp.phase, attributes);
      ({ exposures, sums } = streamed.overall);
    } else {
      [exposures, sums] = await Promise.all([
        outcomes.exposureCounts(exp.id, exp.phase),
        outcomes.tallySums(exp.id, exp.phase),
      ]);
    }
    const counts = countsFrom(exp, exposures, sums);
    const result = this.analyze(analyzeInputFrom(exp, counts));
    if (!result.ok) {
      throw new Error(
        `the statistics could not be analysed: ${result.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      );
    }
    const bySegment = streamed
      ? streamed.segments
      : await outcomes.segmentSums(exp.id, exp.phase, attributes);
    const segments = this.segments(exp, bySegment);
    return {
      ...base,
      status: 'ok',
      computedAt: new Date().toISOString(),
      durationMs: Date.now() - started,
      counts,
      readout: result.readout,
      segments,
    };
  }

  /**
   * One readout per value of each allow-listed attribute. Segments are where chance findings hide,
   * so the result is marked exploratory and says how many comparisons were made on the primary metric.
   */
  private segments(exp: Experiment, all: Map<string, Map<string, Sums>>): Segments | null {
    const maxValues = this.deps.maxSegmentValues ?? 20;
    const attributes: Record<string, SegmentResult[]> = {};
    let comparisons = 0;
    const others = exp.variants.filter((v) => v.key !== exp.control).length;
    for (const [attribute, byValue] of all) {
      if (byValue.size === 0) continue;
      const total = (e: Map<string, number>) => [...e.values()].reduce((s, n) => s + n, 0);
      const values = [...byValue.entries()]
        .sort((a, b) => total(b[1].exposures) - total(a[1].exposures) || a[0].localeCompare(b[0]))
        .slice(0, maxValues);
      attributes[attribute] = values.map(([value, seg]) => {
        const counts = countsFrom(exp, seg.exposures, seg.sums);
        const result = tryAnalyze(analyzeInputFrom(exp, counts));
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
