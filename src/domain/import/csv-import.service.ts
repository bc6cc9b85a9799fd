import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { AttributionQueueRepository, QueuedItem } from '../../db/attribution-queue.repository.js';
import type { DefinitionRepository } from '../../db/definition.repository.js';
import type { ImportRepository } from '../../db/import.repository.js';
import type { EventDoc } from '../../db/models/event.model.js';
import { type ExposureDoc, exposureId } from '../../db/models/exposure.model.js';
import { queuedEvent, queuedExposure } from '../attribution/queue-items.js';
import { DomainError, validationError } from '../errors.js';
import type { Experiment, Metric } from '../schemas/experiment.schema.js';
import type { Touchpoint } from '../schemas/touchpoint.schema.js';

export interface ImportMapping {
  experiment: string;
  /** CSV column names. */
  customer: string;
  variant: string;
  time: string;
  converted?: string | undefined;
  /** Conversion metric the `converted` column feeds; the experiment's first conversion metric by default. */
  metric?: string | undefined;
  /** CSV value -> variant key; values equal to a variant key map to it unless mapped otherwise. */
  map?: Record<string, string> | undefined;
  /**
   * Into a draft: the history of a finished experiment. It is stored as phase 1 and the
   * experiment is then concluded, started and concluded at its first and last row, so it never
   * serves traffic.
   */
  asConcluded?: boolean | undefined;
}

export interface SkippedRows {
  reason: string;
  count: number;
  /** Line numbers in the file (the header is line 1). */
  lines: number[];
}

export interface ImportSummary {
  experiment: string;
  phase: number;
  rows: number;
  exposures: { inserted: number; alreadyStored: number };
  events: { inserted: number; alreadyStored: number };
  byVariant: Record<string, { exposures: number; conversions: number }>;
  skipped: SkippedRows[];
}

export interface ImportProgress {
  rows: number;
  bytes: number;
}

const BATCH = 5000;
const TRUE = new Set(['1', 'true', 'yes', 'y', 't']);
const FALSE = new Set(['0', 'false', 'no', 'n', 'f', '']);

/** ISO times, and "YYYY-MM-DD HH:MM:SS[.ffffff]" without a zone read as UTC (as most exports mean). */
export function parseTime(raw: string): Date | null {
  const s = raw.trim();
  if (!s) return null;
  const zoned = /[zZ]|[+-]\d\d:?\d\d$/.test(s);
  const iso = s.replace(' ', 'T').replace(/(\.\d{3})\d+/, '$1');
  const d = new Date(zoned ? iso : `${iso}Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

/**
 * Loads exposures and conversions of a past experiment from a CSV. Each customer's first row counts
 * (later rows are reported as repeats); ids are deterministic (exposures by experiment, phase and
 * customer; events `import:<experiment>:<customer>:<metric>`), so running it twice stores nothing
 * new. Rows go through the attribution queue like live traffic, so the readout treats them alike.
 */
export class CsvImportService {
  constructor(
    private readonly experiments: DefinitionRepository<Experiment>,
    private readonly touchpoints: DefinitionRepository<Touchpoint>,
    private readonly repo: ImportRepository,
    private readonly queue: AttributionQueueRepository,
  ) {}

  async importCsv(
    mapping: ImportMapping,
    input: Readable,
    onProgress?: (p: ImportProgress) => void,
  ): Promise<ImportSummary> {
    const exp = await this.experiments.getByKey(mapping.experiment);
    if (!exp) throw new DomainError('not_found', `No experiment "${mapping.experiment}".`);
    const intoDraft = exp.status === 'draft' && exp.phase < 1;
    if (intoDraft && !mapping.asConcluded) {
      throw new DomainError(
        'not_started',
        'This experiment is a draft: import its history with --as-concluded (it is then concluded with the dates of the file and never serves traffic), or start it first.',
      );
    }
    if (exp.phase < 1 && !intoDraft) {
      throw new DomainError('not_started', 'Start the experiment (phase 1) before importing into it.');
    }
    const phase = intoDraft ? 1 : exp.phase;
    let first: Date | undefined;
    let last: Date | undefined;
    const metric = this.conversionMetric(exp, mapping);
    const variantOf = this.variantMapper(exp, mapping);
    const channel = (await this.touchpoints.getByKey(exp.touchpoint))?.channel ?? 'unknown';

    const summary: ImportSummary = {
      experiment: exp.key,
      phase,
      rows: 0,
      exposures: { inserted: 0, alreadyStored: 0 },
      events: { inserted: 0, alreadyStored: 0 },
      byVariant: Object.fromEntries(exp.variants.map((v) => [v.key, { exposures: 0, conversions: 0 }])),
      skipped: [],
    };
    const skips = new Map<string, SkippedRows>();
    const skip = (reason: string, line: number) => {
      const s = skips.get(reason) ?? { reason, count: 0, lines: [] };
      s.count += 1;
      s.lines.push(line);
      skips.set(reason, s);
    };
    const firstLine = new Map<string, number>();
    let exposures: ExposureDoc[] = [];
    let events: EventDoc[] = [];
    const flush = async () => {
      // Queued before they are stored, like live capture: attribution ignores what it has seen.
      const items: QueuedItem[] = [
        ...exposures.flatMap((d) => queuedExposure(d) ?? []),
        ...events.map(queuedEvent),
      ];
      for (let i = 0; i < items.length; i += 2000) await this.queue.add(items.slice(i, i + 2000), true);
      const [x, e] = await Promise.all([
        this.repo.insertExposures(exposures),
        this.repo.insertEvents(events),
      ]);
      summary.exposures.inserted += x.inserted;
      summary.exposures.alreadyStored += x.duplicates;
      summary.events.inserted += e.inserted;
      summary.events.alreadyStored += e.duplicates;
      exposures = [];
      events = [];
    };

    let bytes = 0;
    input.on('data', (chunk: Buffer | string) => {
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    });
    const parser = input.pipe(parse({ columns: true, skip_empty_lines: true, info: true, trim: true }));
    let checkedHeader = false;
    const receivedAt = new Date();
    for await (const { record, info } of parser as AsyncIterable<{
      record: Record<string, string>;
      info: { lines: number };
    }>) {
      if (!checkedHeader) {
        this.checkColumns(mapping, Object.keys(record));
        checkedHeader = true;
      }
      summary.rows += 1;
      const line = info.lines;
      const customer = (record[mapping.customer] ?? '').trim();
      if (!customer) {
        skip(`empty ${mapping.customer}`, line);
        continue;
      }
      const rawVariant = (record[mapping.variant] ?? '').trim();
      const variant = variantOf(rawVariant);
      if (!variant) {
        skip(`unknown ${mapping.variant} "${rawVariant.slice(0, 40)}"`, line);
        continue;
      }
      const at = parseTime(record[mapping.time] ?? '');
      if (!at) {
        skip(`unreadable ${mapping.time}`, line);
        continue;
      }
      let converted = false;
      if (mapping.converted) {
        const raw = (record[mapping.converted] ?? '').trim().toLowerCase();
        if (!TRUE.has(raw) && !FALSE.has(raw)) {
          skip(`unreadable ${mapping.converted} "${raw.slice(0, 20)}"`, line);
          continue;
        }
        converted = TRUE.has(raw);
      }
      const seen = firstLine.get(customer);
      if (seen !== undefined) {
        skip('customer repeated (the first row counts)', line);
        continue;
      }
      firstLine.set(customer, line);
      if (!first || at < first) first = at;
      if (!last || at > last) last = at;

      const event: EventDoc | null =
        converted && metric
          ? {
              // Outside every key's namespace (`<key id>|...`), and the form earlier imports stored.
              _id: `import:${exp.key}:${customer}:${metric.key}`,
              eventId: `${exp.key}:${customer}:${metric.key}`,
              source: 'import',
              customerId: customer,
              type: 'conversion',
              name: metric.event,
              occurredAt: at,
              receivedAt,
              properties: { source: 'import', line },
            }
          : null;
      exposures.push({
        _id: exposureId(exp.id, phase, customer),
        experiment: exp.key,
        experimentId: exp.id,
        phase,
        variant,
        unit: exp.unit,
        unitId: customer,
        customerId: customer,
        touchpoint: exp.touchpoint,
        channel,
        exposedAt: at,
        attributes: {},
        qa: false,
      });
      if (event) events.push(event);
      const v = summary.byVariant[variant]!;
      v.exposures += 1;
      if (event) v.conversions += 1;
      if (exposures.length >= BATCH) {
        await flush();
        onProgress?.({ rows: summary.rows, bytes });
      }
    }
    await flush();
    onProgress?.({ rows: summary.rows, bytes });
    summary.skipped = [...skips.values()].sort((a, b) => b.count - a.count);
    if (intoDraft && first && last) await this.concludeImported(exp, first, last);
    return summary;
  }

  /** The draft becomes the finished experiment the file describes, with the file's dates. */
  private async concludeImported(exp: Experiment, first: Date, last: Date): Promise<void> {
    const now = new Date().toISOString();
    const concluded: Experiment = {
      ...exp,
      status: 'concluded',
      phase: 1,
      startedAt: first.toISOString(),
      concludedAt: last.toISOString(),
      conclusion: exp.conclusion ?? 'Imported from the history of a past experiment.',
      version: exp.version + 1,
      updatedAt: now,
    };
    if (!(await this.experiments.replace(concluded, exp.version))) {
      throw new DomainError('conflict', `${exp.key} changed during the import; run it again.`);
    }
  }

  private conversionMetric(exp: Experiment, mapping: ImportMapping): Metric | null {
    if (!mapping.converted) return null;
    const conversions = exp.metrics.filter((m) => m.kind === 'conversion');
    const metric = mapping.metric ? exp.metrics.find((m) => m.key === mapping.metric) : conversions[0];
    if (metric?.kind !== 'conversion') {
      throw validationError([
        {
          path: 'metric',
          reason: mapping.metric
            ? `"${mapping.metric}" is not a conversion metric of ${exp.key} (${conversions.map((m) => m.key).join(', ') || 'none'})`
            : `${exp.key} has no conversion metric for the converted column`,
        },
      ]);
    }
    return metric;
  }

  private variantMapper(exp: Experiment, mapping: ImportMapping): (raw: string) => string | null {
    const keys = new Set(exp.variants.map((v) => v.key));
    const map = mapping.map ?? {};
    const bad = Object.entries(map).filter(([, to]) => !keys.has(to));
    if (bad.length > 0) {
      throw validationError(
        bad.map(([from, to]) => ({
          path: `map.${from}`,
          reason: `"${to}" is not a variant of ${exp.key} (${[...keys].join(', ')})`,
        })),
      );
    }
    // Own properties only: a cell such as `constructor` is not a mapping.
    return (raw) => (Object.hasOwn(map, raw) ? (map[raw] ?? null) : keys.has(raw) ? raw : null);
  }

  private checkColumns(mapping: ImportMapping, columns: string[]): void {
    const wanted: [string, string | undefined][] = [
      ['customer', mapping.customer],
      ['variant', mapping.variant],
      ['time', mapping.time],
      ['converted', mapping.converted],
    ];
    const missing = wanted.filter(([, col]) => col !== undefined && !columns.includes(col));
    if (missing.length > 0) {
      throw validationError(
        missing.map(([flag, col]) => ({
          path: flag,
          reason: `column "${col}" is not in the file (columns: ${columns.join(', ')})`,
        })),
      );
    }
  }
}
