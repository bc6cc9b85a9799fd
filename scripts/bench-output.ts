/** What every benchmark prints: a title and rows, as a Markdown table ready for the README. */
import { pathToFileURL } from 'node:url';

export interface BenchResult {
  title: string;
  rows: Record<string, string | number>[];
}

export function markdownTable(rows: Record<string, string | number>[]): string {
  const first = rows[0];
  if (!first) return '';
  const cols = Object.keys(first);
  const line = (cells: (string | number | undefined)[]): string =>
    `| ${cells.map((c) => String(c ?? '')).join(' | ')} |`;
  return [line(cols), line(cols.map(() => '---')), ...rows.map((r) => line(cols.map((c) => r[c])))].join(
    '\n',
  );
}

export function printResult({ title, rows }: BenchResult): void {
  process.stdout.write(`## ${title}\n\n${markdownTable(rows)}\n\n`);
}

/** Runs a benchmark when its script is started directly (`npx tsx scripts/bench-<name>.ts`). */
export function runIfMain(moduleUrl: string, run: () => Promise<BenchResult>): void {
  if (moduleUrl !== pathToFileURL(process.argv[1] ?? '').href) return;
  run()
    .then(printResult)
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    });
}
