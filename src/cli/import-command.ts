import { createReadStream, statSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { validationError } from '../domain/errors.js';
import type { ImportProgress, ImportSummary } from '../domain/import/csv-import.service.js';
import type { Snapshot } from '../domain/schemas/snapshot.schema.js';
import type { Services } from '../domain/services.js';

export const USAGE = `usage: npm run import -- --experiment <key> <file.csv>
    --customer <column>    customer id column (required)
    --variant <column>     variant column (required)
    --time <column>        exposure time column (required; ISO, or "YYYY-MM-DD HH:MM:SS" read as UTC)
    --converted <column>   0/1 (true/false, yes/no) conversion column
    --metric <key>         conversion metric it feeds (default: the experiment's first conversion metric)
    --map a=b,c=d          CSV variant values to variant keys (values equal to a key map to it)
    --skipped-report <f>   write every skipped line number and reason to this CSV
    --as-concluded         into a draft experiment: import a finished experiment's history; it is
                           concluded with the file's first and last dates and never serves traffic`;

export const IMPORT_OPTIONS = {
  experiment: { type: 'string' },
  customer: { type: 'string' },
  variant: { type: 'string' },
  time: { type: 'string' },
  converted: { type: 'string' },
  metric: { type: 'string' },
  map: { type: 'string' },
  'skipped-report': { type: 'string' },
  'as-concluded': { type: 'boolean' },
} as const;

const fmt = (n: number) => n.toLocaleString('en-US');

export function parseMap(raw: string | undefined): Record<string, string> | undefined {
  if (!raw) return undefined;
  const out: Record<string, string> = {};
  const issues: { path: string; reason: string }[] = [];
  for (const pair of raw.split(',')) {
    const [from, to, ...rest] = pair.split('=').map((s) => s.trim());
    if (!from || !to || rest.length > 0)
      issues.push({ path: 'map', reason: `"${pair}" is not value=variant` });
    else out[from] = to;
  }
  if (issues.length > 0) throw validationError(issues);
  return out;
}

/** A one-line progress bar on stderr, redrawn at most every 200 ms (a line per 10% when not a terminal). */
export function progressBar(total: number, out: NodeJS.WriteStream): (p: ImportProgress) => void {
  let last = 0;
  let lastDecile = -1;
  return (p) => {
    const share = total > 0 ? Math.min(1, p.bytes / total) : 1;
    if (out.isTTY) {
      const now = Date.now();
      if (now - last < 200 && share < 1) return;
      last = now;
      const width = 30;
      const filled = Math.round(share * width);
      out.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}%  ${fmt(p.rows)} rows`,
      );
      if (share >= 1) out.write('\n');
    } else {
      const decile = Math.floor(share * 10);
      if (decile === lastDecile) return;
      lastDecile = decile;
      out.write(`import: ${decile * 10}% (${fmt(p.rows)} rows)\n`);
    }
  };
}

export function summaryLines(
  file: string,
  s: ImportSummary,
  snapshot: Snapshot | null,
  timing: { loadMs: number; readoutMs: number },
  refreshError?: string,
): string[] {
  const lines = [
    `Imported ${s.experiment} (phase ${s.phase}) from ${file}: ${fmt(s.rows)} rows read in ${(timing.loadMs / 1000).toFixed(1)} s`,
    `  exposures: ${fmt(s.exposures.inserted)} stored, ${fmt(s.exposures.alreadyStored)} already stored`,
    `  conversions: ${fmt(s.events.inserted)} stored, ${fmt(s.events.alreadyStored)} already stored`,
    ...Object.entries(s.byVariant).map(
      ([v, c]) => `  ${v}: ${fmt(c.exposures)} customers, ${fmt(c.conversions)} converted in this file`,
    ),
  ];
  const skipped = s.skipped.reduce((n, r) => n + r.count, 0);
  lines.push(skipped === 0 ? '  skipped: none' : `  skipped ${fmt(skipped)} rows:`);
  for (const r of s.skipped) {
    const shown = r.lines.slice(0, 10).join(', ');
    const more = r.lines.length > 10 ? `, and ${fmt(r.lines.length - 10)} more` : '';
    lines.push(`    ${r.reason}: ${fmt(r.count)} (lines ${shown}${more})`);
  }
  if (snapshot?.readout) {
    lines.push(`Readout (${(timing.readoutMs / 1000).toFixed(1)} s): ${snapshot.readout.decision.summary}`);
  }
  if (refreshError) lines.push(`Readout not computed: ${refreshError}`);
  return lines;
}

/** Runs one import and the readout after it; returns the lines for stdout. */
export async function runImportCommand(
  services: Services,
  argv: string[],
  stderr: NodeJS.WriteStream = process.stderr,
): Promise<{ lines: string[]; summary: ImportSummary; snapshot: Snapshot | null }> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: IMPORT_OPTIONS,
  });
  const missing = (['experiment', 'customer', 'variant', 'time'] as const).filter((k) => !values[k]);
  const issues = missing.map((k) => ({ path: `--${k}`, reason: 'required' }));
  if (positionals.length !== 1) issues.push({ path: 'file', reason: 'exactly one CSV file is required' });
  if (issues.length > 0) throw validationError(issues, `The import command is not complete.\n${USAGE}`);
  const file = positionals[0]!;
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw validationError([{ path: 'file', reason: `cannot read ${file}` }]);
  }
  const started = Date.now();
  const summary = await services.imports.importCsv(
    {
      experiment: values.experiment!,
      customer: values.customer!,
      variant: values.variant!,
      time: values.time!,
      converted: values.converted,
      metric: values.metric,
      map: parseMap(values.map),
      asConcluded: values['as-concluded'] ?? false,
    },
    createReadStream(file),
    progressBar(size, stderr),
  );
  const report = values['skipped-report'];
  if (report) {
    const rows = summary.skipped.flatMap((r) =>
      r.lines.map((l) => `${l},"${r.reason.replaceAll('"', '""')}"`),
    );
    writeFileSync(report, `line,reason\n${rows.join('\n')}\n`);
  }
  const loadMs = Date.now() - started;
  let snapshot: Snapshot | null = null;
  let refreshError: string | undefined;
  try {
    // A rerun that stored nothing new leaves the statistics as they were: reuse their readout.
    const unchanged = summary.exposures.inserted === 0 && summary.events.inserted === 0;
    snapshot = unchanged ? await services.readouts.latest(summary.experiment) : null;
    snapshot ??= await services.refresh.refresh(summary.experiment, 'import');
  } catch (err) {
    refreshError = err instanceof Error ? err.message : String(err);
  }
  const readoutMs = Date.now() - started - loadMs;
  return {
    lines: summaryLines(file, summary, snapshot, { loadMs, readoutMs }, refreshError),
    summary,
    snapshot,
  };
}
